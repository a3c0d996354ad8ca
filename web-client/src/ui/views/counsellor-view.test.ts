// The counsellor desk view in a real browser, against a bridge stand-in in the page that answers the
// queue routes: order, announcements of what changed, claim → open-room, resolve, a colleague's
// claim winning, and refreshing only while the desk is open (the page's timers are Playwright's clock).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../tests/helpers/components.ts';
import { COLLEAGUE, ME, queueItem } from '../components/counsellor-shared/queue-item.fixture.ts';

let h: ComponentHarness;

const HIGH = queueItem({ id: 'esc_HIGHHIGHHIGHHIGH', severity: 'high', waitingMin: 40, targetMin: 30 });
const LOW = queueItem({ id: 'esc_LOWLOWLOWLOWLOW', severity: 'low', waitingMin: 3, targetMin: 1440 });
const CRITICAL = queueItem({ id: 'esc_CRITCRITCRITCRIT', severity: 'critical', waitingMin: 1, targetMin: 5 });

/** Mounts the view with a stand-in bridge whose queue is `window.__queue`; calls land in `window.__calls`. */
async function mountDesk(page: Page, queue: unknown[]): Promise<void> {
  await page.evaluate(`(async () => {
    const { BridgeError } = await import('/src/bridge/bridge-client.ts');
    await import('/src/ui/views/counsellor-view.ts');
    window.__queue = ${JSON.stringify(queue)};
    window.__calls = [];
    window.__claimWinner = null;
    const bridge = {
      async topics() { return [{ id: 'exam-stress', label: 'Exam stress' }]; },
      async request(method, path, o = {}) {
        window.__calls.push(method + ' ' + path);
        if (path.startsWith('/v1/escalations/queue')) return { items: structuredClone(window.__queue) };
        if (path === '/v1/escalations/colleagues') return { colleagues: [{ user_id: ${JSON.stringify(COLLEAGUE)}, on_duty_now: true }] };
        const [, , , id, action] = path.split('/');
        const item = window.__queue.find((i) => i.escalation_id === decodeURIComponent(id));
        if (action === 'claim') {
          if (window.__claimWinner) throw new BridgeError(409, 'ORG.PEERLINE.ESCALATION_CLAIMED', 'claimed by a colleague');
          Object.assign(item, { status: 'claimed', claimed_by: ${JSON.stringify(ME)}, claimed_ts: item.created_ts + item.waiting_ms });
          return structuredClone(item);
        }
        if (action === 'resolve') {
          window.__queue = window.__queue.filter((i) => i !== item);
          return { ...structuredClone(item), status: 'resolved', outcome: o.body.outcome };
        }
        throw new BridgeError(404, 'M_NOT_FOUND', 'no such route');
      },
    };
    const el = document.createElement('peerline-counsellor-view');
    Object.assign(el, { bridge, store: { matrixSession: () => ({ userId: ${JSON.stringify(ME)} }) }, roles: ['counsellor'], locale: 'en' });
    document.getElementById('stage').append(el);
    await el.updateComplete;
  })()`);
}

const status = (page: Page): Promise<string | null> => page.getByRole('status').filter({ hasText: /\S/ }).last().textContent();

describe('<peerline-counsellor-view>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('lists the queue most severe first, announces arrivals, claims into the room and resolves out of the queue', async () => {
    const page = await h.newPage();
    await page.clock.install();
    await mountDesk(page, [LOW, HIGH]);
    const opened = await h.recordEvents(page, 'open-room');
    const cards = page.getByRole('article');
    await cards.nth(1).waitFor();
    await expect(cards.allTextContents()).resolves.toEqual([expect.stringMatching(/High severity/), expect.stringMatching(/Low severity/)]);
    await expect(status(page)).resolves.toBe('2 escalations waiting, 1 past their response target.');
    await expect(cards.first().textContent()).resolves.toContain('Overdue');
    expect(await h.axe(page)).toEqual([]);

    // A new critical escalation comes in with the next periodic refresh.
    await page.evaluate(`window.__queue.push(${JSON.stringify(CRITICAL)})`);
    await page.clock.runFor(15_000);
    await expect.poll(() => status(page)).toBe('New escalation: Critical severity, Exam stress.');
    await expect(cards.first().getByRole('heading').textContent()).resolves.toMatch(/Critical severity/);

    await cards.first().getByRole('button', { name: 'Claim and open the room' }).click();
    await expect.poll(() => opened()).toEqual([{ roomId: CRITICAL.room_id }]);
    await expect(status(page)).resolves.toMatch(/^You claimed: Critical severity, Exam stress/);
    await expect(cards.first().textContent()).resolves.toMatch(/Claimed by\s*You/);

    await cards.first().getByRole('button', { name: 'Resolve', expanded: false }).click();
    await cards.first().getByRole('radio', { name: 'Referred within the institution' }).check();
    await cards.first().locator('peerline-counsellor-resolve-form').getByRole('button', { name: 'Resolve' }).click();
    await expect.poll(() => cards.count()).toBe(2);
    await expect(status(page)).resolves.toBe('Resolved (Referred within the institution): Critical severity, Exam stress. It has left the queue.');
    await expect(page.getByRole('heading', { name: 'Queue' }).evaluate((e) => e.matches(':focus'))).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });

  it('says when a colleague claimed first or an escalation left the queue, and stops refreshing once closed', async () => {
    const page = await h.newPage({ width: 320 });
    await page.clock.install();
    await mountDesk(page, [HIGH, LOW]);
    await page.getByRole('article').nth(1).waitFor();
    await page.evaluate('window.__claimWinner = "colleague"');
    await page.getByRole('article').first().getByRole('button', { name: 'Claim and open the room' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('A colleague claimed this escalation first.');

    await page.evaluate(`window.__queue = window.__queue.filter((i) => i.severity !== 'low')`);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => status(page)).toBe('Left the queue (claimed by a colleague or withdrawn): Low severity, Exam stress.');
    expect(await h.axe(page)).toEqual([]);

    const gets = (): Promise<number> => page.evaluate<number>(`window.__calls.filter((c) => c.startsWith('GET /v1/escalations/queue')).length`);
    const before = await gets();
    await page.clock.runFor(15_000);
    await expect.poll(gets).toBe(before + 1);
    await page.evaluate(`document.querySelector('peerline-counsellor-view').remove()`);
    await page.clock.runFor(60_000);
    await expect(gets()).resolves.toBe(before + 1);
  });
});
