// The timeline in a real browser: message states (sending, sent, seen, failed with a retry, waiting
// while offline), pseudonyms, reporting others' messages, loading older history at the top while
// keeping the reader's place, a 1,000-message history, keyboard use and axe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/message-timeline/message-timeline.component.ts';
const TAG = 'peerline-message-timeline';
const ROOM = '!room:a.example';

const message = (i: number, over: Record<string, unknown> = {}) => ({
  id: `$e${i}`, sender: i % 2 ? '@s-7kq2m9:a.example' : '@me:a.example', mine: i % 2 === 0, timestamp: 1_700_000_000_000 + i * 60_000,
  body: `Message number ${i}`, state: 'sent', senderName: i % 2 ? 'Steady Otter' : 'Quiet Heron', ...over,
});

/** Lets resize observers and scroll events of the last change run. */
const FRAMES = 'await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));';

const el = (page: Page, expr: string): Promise<unknown> => page.evaluate(`(async () => { const t = document.querySelector('${TAG}'); ${expr} })()`);

describe('<peerline-message-timeline>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows who wrote what by pseudonym, and the state of my messages: sent, seen, sending, failed with a retry', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG, {
      roomId: ROOM, history: 'complete',
      messages: [
        message(1), message(2, { seen: true }), message(3, { senderName: '' }), message(4), message(5, { id: '~txn5', mine: true, sender: '@me:a.example', state: 'sending' }),
        message(6, { id: '~txn6', state: 'failed' }),
      ],
    });
    const retries = await h.recordEvents(page, 'retry');
    await expect(page.locator('li[data-event-id="$e1"] .sender').textContent()).resolves.toContain('Steady Otter');
    await expect(page.locator('li[data-event-id="$e3"] .sender').textContent()).resolves.toContain('Someone');
    await expect(page.locator(TAG).textContent()).resolves.not.toContain('@s-7kq2m9');
    await expect(page.locator('li[data-event-id="$e2"] .state').textContent()).resolves.toContain('Seen');
    await expect(page.locator('li[data-event-id="$e4"] .state').textContent()).resolves.toContain('Sent');
    await expect(page.locator('li[data-event-id="~txn5"] .state').textContent()).resolves.toContain('Sending');
    await expect(page.locator('li[data-event-id="~txn6"] .state').textContent()).resolves.toContain('Not sent');
    // Keyboard: the retry button is reachable and works with Enter.
    await page.getByRole('button', { name: 'Send again' }).focus();
    await page.keyboard.press('Enter');
    await expect(retries()).resolves.toEqual([{ id: '~txn6' }]);
    expect(await h.axe(page)).toEqual([]);

    // Offline, an unsent message waits for the connection instead of reading as a failure.
    await el(page, `t.offline = true; await t.updateComplete;`);
    await expect(page.locator('li[data-event-id="~txn6"] .state').textContent()).resolves.toContain("it will be sent when you're back");
  });

  it("offers to report others' messages (never my own) with the room, event and text", async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG, { roomId: ROOM, history: 'complete', messages: [message(1), message(2)] });
    const reports = await h.recordEvents(page, 'report-message');
    await expect(page.getByRole('button', { name: /^Report/ }).count()).resolves.toBe(1);
    const report = page.getByRole('button', { name: 'Report message from Steady Otter' });
    await report.focus();
    await page.keyboard.press('Enter');
    await expect(reports()).resolves.toEqual([{ roomId: ROOM, eventId: '$e1', body: 'Message number 1' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('renders 1,000 messages, starts at the newest, asks for older ones at the top and keeps the place when they arrive', async () => {
    const page = await h.newPage({ height: 500 });
    await h.mount(page, MODULE, TAG, { roomId: ROOM, history: 'more', messages: Array.from({ length: 1000 }, (_, i) => message(i + 1000)) });
    await el(page, `t.style.height = '400px'; await t.updateComplete; ${FRAMES}`);
    const older = await h.recordEvents(page, 'load-older');
    const reads = await h.recordEvents(page, 'read-to-end');
    await expect(page.locator('li').count()).resolves.toBe(1000);
    // Starts scrolled to the newest message.
    await expect(el(page, `const s = t.shadowRoot.querySelector('.scroller'); return s.scrollHeight - s.scrollTop - s.clientHeight;`)).resolves.toBeLessThanOrEqual(1);
    await expect(el(page, `return t.isAtEnd();`)).resolves.toBe(true);

    // Scrolling to the top asks for older history once there.
    await el(page, `const s = t.shadowRoot.querySelector('.scroller'); s.scrollTop = 0; await new Promise((r) => s.addEventListener('scroll', r, { once: true }));`);
    await expect.poll(() => older()).not.toEqual([]);

    // Older messages arrive above: the message the reader was looking at stays where it was.
    const before = await el(page, `const s = t.shadowRoot.querySelector('.scroller'); s.scrollTop = 300; await new Promise((r) => requestAnimationFrame(r));
      const li = t.shadowRoot.querySelector('li[data-event-id="$e1010"]'); return li.getBoundingClientRect().top - s.getBoundingClientRect().top;`) as number;
    await el(page, `t.messages = [...Array.from({ length: 40 }, (_, i) => ({ ...t.messages[0], id: '$old' + i, body: 'Older ' + i })), ...t.messages]; t.history = 'complete'; await t.updateComplete;`);
    const after = await el(page, `const s = t.shadowRoot.querySelector('.scroller'); const li = t.shadowRoot.querySelector('li[data-event-id="$e1010"]'); return li.getBoundingClientRect().top - s.getBoundingClientRect().top;`) as number;
    expect(Math.abs(after - before)).toBeLessThanOrEqual(2);
    await expect(page.getByText('This is the start of the conversation.').count()).resolves.toBe(1);

    // Scrolled up, a new message does not yank the reader down; at the end, it follows.
    const readsBefore = (await reads()).length;
    await el(page, `t.messages = [...t.messages, { ...t.messages.at(-1), id: '$new1', body: 'New one' }]; await t.updateComplete; ${FRAMES}`);
    await expect(el(page, `return t.isAtEnd();`)).resolves.toBe(false);
    // Not at the end: nothing counts as read.
    await expect(reads().then((r) => r.length)).resolves.toBe(readsBefore);
    await el(page, `const s = t.shadowRoot.querySelector('.scroller'); s.scrollTop = s.scrollHeight; await new Promise((r) => s.addEventListener('scroll', r, { once: true }));`);
    await el(page, `t.messages = [...t.messages, { ...t.messages.at(-1), id: '$new2', body: 'Newer one' }]; await t.updateComplete;`);
    await expect(el(page, `return t.isAtEnd();`)).resolves.toBe(true);
    await expect.poll(() => reads().then((r) => r.length)).toBeGreaterThan(0);
  });

  it('offers a button for older messages, for keyboard and screen-reader users', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG, { roomId: ROOM, history: 'more', messages: [message(1)] });
    const older = await h.recordEvents(page, 'load-older');
    await el(page, `await new Promise((r) => requestAnimationFrame(r));`);
    const before = (await older()).length;
    await page.getByRole('button', { name: 'Show older messages' }).focus();
    await page.keyboard.press('Enter');
    await expect(older().then((e) => e.length)).resolves.toBe(before + 1);
    expect(await h.axe(page)).toEqual([]);
  });
});
