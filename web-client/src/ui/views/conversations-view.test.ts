// The conversations view in a real browser with a recording stand-in for the store: who is typing
// (polite live region), the offline status, "Talk to a counsellor" for students, reports bubbling out,
// leaving with a confirmation, the composer's typing reaching the store, keyboard use and axe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/views/conversations-view.ts';
const TAG = 'peerline-conversations-view';
const ROOM = '!peer:a.example';

const state = (over: Record<string, unknown> = {}) => ({
  phase: 'ready', userId: '@s-7kq2m9:a.example', selectedRoomId: ROOM, selectedRoomName: 'Steady Otter', selectedRoomKind: 'peer', selectedRoomMyName: 'Quiet Heron',
  rooms: [{ roomId: ROOM, name: 'Steady Otter', kind: 'peer', encrypted: true, unread: 0, lastActivity: 1 }],
  messages: [
    { id: '$1', sender: '@s-other:a.example', senderName: 'Steady Otter', mine: false, timestamp: 1_700_000_000_000, body: 'How are you doing?', state: 'sent' },
    { id: '$2', sender: '@s-7kq2m9:a.example', senderName: 'Quiet Heron', mine: true, timestamp: 1_700_000_060_000, body: 'Not great, exams.', state: 'sent', seen: true },
  ],
  typing: [], connection: 'online', history: 'complete', signInProblem: null, announcement: null, registerProblem: null, recoveryKey: null, restore: 'none',
  ...over,
});

/** Gives the view a store that records what the view asks of it. */
async function withStore(page: Page, leaveResult = true): Promise<() => Promise<string[]>> {
  await page.evaluate(`(async () => {
    window.__calls = [];
    const v = document.querySelector('${TAG}');
    v.store = {
      setTyping: (t) => window.__calls.push('typing:' + t),
      markRead: () => window.__calls.push('read'),
      loadOlder: async () => { window.__calls.push('older'); },
      leaveRoom: async () => { window.__calls.push('leave'); return ${leaveResult}; },
    };
    await v.updateComplete;
  })()`);
  return () => page.evaluate<string[]>('window.__calls');
}

const setState = (page: Page, s: Record<string, unknown>): Promise<unknown> =>
  page.evaluate(`(async () => { const v = document.querySelector('${TAG}'); v.state = ${JSON.stringify(s)}; await v.updateComplete; })()`);

describe('<peerline-conversations-view>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows the room by pseudonym, who is typing in a polite live region and the offline status', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG, { state: state() });
    const calls = await withStore(page);
    await expect(page.getByRole('heading', { level: 2 }).textContent()).resolves.toBe('Steady Otter');
    await expect(page.getByText('You appear here as Quiet Heron').isVisible()).resolves.toBe(true);
    await expect(page.locator('li[data-event-id="$2"] .state').textContent()).resolves.toContain('Seen');
    // The newest message is on screen and the page is focused: the room is marked read.
    await setState(page, state({ messages: [...state().messages as unknown[], { id: '$3', sender: '@s-other:a.example', senderName: 'Steady Otter', mine: false, timestamp: 1_700_000_120_000, body: 'Want to talk about it?', state: 'sent' }] }));
    await expect.poll(calls).toContain('read');

    const typing = page.locator('.typing');
    await expect(typing.getAttribute('aria-live')).resolves.toBe('polite');
    await expect(typing.textContent()).resolves.toBe('');
    await setState(page, state({ typing: ['Steady Otter'] }));
    await expect(typing.textContent()).resolves.toBe('Steady Otter is typing …');
    await setState(page, state({ typing: [''] }));
    await expect(typing.textContent()).resolves.toBe('Someone is typing …');

    await expect(page.getByRole('status').filter({ hasText: 'Offline' }).count()).resolves.toBe(0);
    await setState(page, state({ connection: 'offline' }));
    await expect(page.getByRole('status').filter({ hasText: "Offline — messages will be sent when you're back" }).isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);

    // Typing in the composer reaches the store; sending stops it.
    await page.getByLabel('Message', { exact: true }).fill('hi');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await expect.poll(calls).toEqual(expect.arrayContaining(['typing:true', 'typing:false']));
  });

  it('offers "Talk to a counsellor" only when the view may escalate, and lets reports bubble out', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, MODULE, TAG, { state: state() });
    await expect(page.getByRole('button', { name: 'Talk to a counsellor' }).count()).resolves.toBe(0);
    await page.evaluate(`(async () => { const v = document.querySelector('${TAG}'); v.canEscalate = true; await v.updateComplete; })()`);
    const escalations = await h.recordEvents(page, 'escalation-requested');
    const reports = await h.recordEvents(page, 'report-message');
    await page.getByRole('button', { name: 'Talk to a counsellor' }).focus();
    await page.keyboard.press('Enter');
    await expect(escalations()).resolves.toEqual([{ roomId: ROOM }]);
    // Reports go to a group's moderators: a one-to-one conversation offers none.
    await expect(page.getByRole('button', { name: 'Report message from Steady Otter' }).count()).resolves.toBe(0);
    await setState(page, state({ selectedRoomKind: 'group' }));
    await page.getByRole('button', { name: 'Report message from Steady Otter' }).click();
    await expect(reports()).resolves.toEqual([{ roomId: ROOM, eventId: '$1', body: 'How are you doing?' }]);
    expect(await h.axe(page)).toEqual([]);
    // Not in a room that already is the counsellor conversation.
    await setState(page, state({ selectedRoomKind: 'escalation' }));
    await expect(page.getByRole('button', { name: 'Talk to a counsellor' }).count()).resolves.toBe(0);
  });

  it('leaves a conversation only after confirming, then moves focus to the list heading', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG, { state: state() });
    const calls = await withStore(page);
    await page.getByRole('button', { name: 'Leave conversation' }).click();
    const dialog = page.getByRole('dialog', { name: 'Leave this conversation?' });
    await dialog.waitFor();
    expect(await h.axe(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await expect(calls()).resolves.not.toContain('leave');

    await page.getByRole('button', { name: 'Leave conversation' }).click();
    await dialog.getByRole('button', { name: 'Leave', exact: true }).click();
    await expect.poll(calls).toContain('leave');
    await expect.poll(() => page.evaluate(`document.querySelector('${TAG}').shadowRoot.activeElement?.tagName`)).toBe('H1');
  });

  it('says so when leaving fails', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG, { state: state() });
    await withStore(page, false);
    await page.getByRole('button', { name: 'Leave conversation' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Leave', exact: true }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Could not leave the conversation');
    expect(await h.axe(page)).toEqual([]);
  });
});
