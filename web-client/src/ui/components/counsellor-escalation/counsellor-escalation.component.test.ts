// One escalation of the counsellor's queue, in a real browser: severity and lateness in words, the
// receipt, and the actions for a queued one, one the counsellor holds, and one a colleague holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';
import { COLLEAGUE, ME, queueItem } from '../counsellor-shared/queue-item.fixture.ts';

const MODULE = 'src/ui/components/counsellor-escalation/counsellor-escalation.component.ts';
const TAG = 'peerline-counsellor-escalation';
let h: ComponentHarness;

/** The card sits under the desk's h1 and the queue's h2, as in the counsellor view. */
async function mountCard(page: Page, props: Record<string, unknown>): Promise<void> {
  await page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h1>Counsellor desk</h1><h2>Queue</h2>')`);
  await h.mount(page, MODULE, TAG, props);
}

describe('<peerline-counsellor-escalation>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows a queued escalation\'s severity, wait against its target and receipt, and claims it', async () => {
    const page = await h.newPage();
    const item = queueItem({ severity: 'critical', waitingMin: 12, targetMin: 15 });
    await mountCard(page, { item, me: ME, topicLabel: 'Exam stress', locale: 'en' });
    const claims = await h.recordEvents(page, 'escalation-claim');
    const card = page.getByRole('article', { name: /Critical severity/ });
    await expect(card.getByRole('heading', { level: 3 }).textContent()).resolves.toMatch(/Critical severity\s+Exam stress/);
    await expect(card.textContent()).resolves.toContain('12 min of a 15 min target');
    await expect(card.textContent()).resolves.not.toContain('Overdue');
    await expect(card.getByRole('group', { name: 'Consent receipt' }).textContent()).resolves.toContain('A summary the student approved');
    expect(await h.axe(page)).toEqual([]);
    await card.getByRole('button', { name: 'Claim and open the room' }).focus();
    await page.keyboard.press('Enter');
    await expect(claims()).resolves.toEqual([{ escalationId: item.escalation_id }]);
  });

  it('marks an escalation past its target as overdue in words', async () => {
    const page = await h.newPage({ width: 320 });
    await mountCard(page, { item: queueItem({ severity: 'medium', waitingMin: 75, targetMin: 60 }), me: ME, locale: 'en' });
    const text = await page.getByRole('article').textContent();
    expect(text).toContain('Overdue');
    expect(text).toContain('waiting 1 hr 15 min, target 1 hr');
    expect(await h.axe(page)).toEqual([]);
  });

  it('lets the holder open the room, hand over to a colleague and resolve with an outcome', async () => {
    const page = await h.newPage();
    const item = queueItem({ claimedBy: ME, waitingMin: 4, targetMin: 15 });
    await mountCard(page, { item, me: ME, locale: 'en', colleagues: [{ user_id: COLLEAGUE, on_duty_now: true }] });
    const opened = await h.recordEvents(page, 'open-room');
    const needed = await h.recordEvents(page, 'colleagues-needed');
    const handed = await h.recordEvents(page, 'escalation-handover');
    const resolved = await h.recordEvents(page, 'escalation-resolve');
    const card = page.getByRole('article');
    await expect(card.textContent()).resolves.toContain('claimed after 4 min, within the 15 min target');
    await expect(card.textContent()).resolves.toMatch(/Claimed by\s*You/);
    await card.getByRole('button', { name: 'Open the room' }).click();
    await expect(opened()).resolves.toEqual([{ roomId: item.room_id }]);

    await card.getByRole('button', { name: 'Hand over' }).click();
    await expect(needed()).resolves.toHaveLength(1);
    await expect(card.getByRole('button', { name: 'Hand over', expanded: true }).count()).resolves.toBe(1);
    expect(await h.axe(page)).toEqual([]);
    await card.getByLabel('Colleague').selectOption(COLLEAGUE);
    await card.locator('peerline-counsellor-handover-form').getByRole('button', { name: 'Hand over' }).click();
    await expect(handed()).resolves.toEqual([{ escalationId: item.escalation_id, to: COLLEAGUE }]);
    await card.locator('peerline-counsellor-handover-form').getByRole('button', { name: 'Cancel' }).click();
    await expect(card.getByRole('button', { name: 'Hand over', expanded: false }).evaluate((b) => b.matches(':focus'))).resolves.toBe(true);

    await card.getByRole('button', { name: 'Resolve', expanded: false }).click();
    await card.getByRole('radio', { name: 'Support given' }).check();
    expect(await h.axe(page)).toEqual([]);
    await card.locator('peerline-counsellor-resolve-form').getByRole('button', { name: 'Resolve' }).click();
    await expect(resolved()).resolves.toEqual([{ escalationId: item.escalation_id, outcome: 'support_provided' }]);
  });

  it('shows who holds an escalation a colleague claimed, late, and offers no actions', async () => {
    const page = await h.newPage();
    await mountCard(page, { item: queueItem({ claimedBy: COLLEAGUE, waitingMin: 20, targetMin: 15 }), me: ME, locale: 'en' });
    const card = page.getByRole('article');
    await expect(card.textContent()).resolves.toContain(COLLEAGUE);
    await expect(card.textContent()).resolves.toContain('Late');
    await expect(card.getByRole('button').count()).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);
  });
});
