// The student's session list in a real browser: states in words, opening a room, ending a session
// only after confirming (focus on the safe choice, back to the button on "keep"), answering a check-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
/** The component sits under a section's h2 in its view, as here. */
const underSection = (page: Page): Promise<void> => page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h2>Section</h2>')`);
const MODULE = 'src/ui/components/session-list/session-list.component.ts';

const base = { request_id: 'rq_1', role: 'student', institutions: ['a.example'], created_ts: Date.UTC(2026, 2, 3, 14, 5), outcome: null };
const sessions = [
  { ...base, session_id: 'ses_active', status: 'active', topic: 'exam-stress', room_id: '!peer:a.example', ended_ts: null, check_in: null },
  { ...base, session_id: 'ses_ended', status: 'ended', topic: 'low-mood', room_id: '!old:a.example', ended_ts: Date.UTC(2026, 2, 3, 15, 0), outcome: 'completed',
    check_in: { proposed_ts: Date.UTC(2026, 2, 10, 16, 0), status: 'offered', answered_ts: null } },
];

describe('<peerline-session-list>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('says there are no sessions yet', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-session-list', { sessions: [] });
    await page.getByText('No conversations with a supporter yet.').waitFor();
    expect(await h.axe(page)).toEqual([]);
  });

  it('lists sessions with their topic and state, and opens a room', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-session-list', { sessions, topicLabels: { 'exam-stress': 'Exam stress', 'low-mood': 'Low mood' } });
    const opened = await h.recordEvents(page, 'open-room');
    await expect(page.getByRole('heading', { name: 'Exam stress' }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('Going on now').isVisible()).resolves.toBe(true);
    await expect(page.getByText(/^Ended /).isVisible()).resolves.toBe(true);
    // Only the active session can be ended.
    await expect(page.getByRole('button', { name: 'End this session' }).count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'Open conversation: Low mood' }).click();
    await expect(opened()).resolves.toEqual([{ roomId: '!old:a.example' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('ends a session only after the student confirms, by keyboard', async () => {
    const page = await h.newPage({ width: 320 });
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-session-list', { sessions });
    const ended = await h.recordEvents(page, 'end-session');
    await page.getByRole('button', { name: 'End this session' }).focus();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('group', { name: /End this session\?/ });
    await confirm.waitFor();
    // Focus lands on the safe choice; keeping it open returns focus to the button.
    await expect(page.evaluate(`document.querySelector('peerline-session-list').shadowRoot.activeElement.textContent.trim()`)).resolves.toBe('No, keep it open');
    expect(await h.axe(page)).toEqual([]);
    await page.keyboard.press('Enter');
    await expect(confirm.count()).resolves.toBe(0);
    await expect(page.evaluate(`document.querySelector('peerline-session-list').shadowRoot.activeElement.textContent.trim()`)).resolves.toBe('End this session');
    await expect(ended()).resolves.toEqual([]);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Yes, end it' }).click();
    await expect(ended()).resolves.toEqual([{ sessionId: 'ses_active' }]);
  });

  it('offers the check-in with its time and sends the answer', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-session-list', { sessions });
    const answers = await h.recordEvents(page, 'check-in-answer');
    const offer = page.getByRole('group', { name: /offered to check in with you/ });
    await expect(offer.textContent()).resolves.toMatch(/2026/);
    await offer.getByRole('button', { name: 'Yes, check in with me' }).click();
    await offer.getByRole('button', { name: 'No, thank you' }).click();
    await expect(answers()).resolves.toEqual([{ sessionId: 'ses_ended', accept: true }, { sessionId: 'ses_ended', accept: false }]);
    // While the answer is on its way, the buttons wait.
    await page.evaluate(`(async () => { const el = document.querySelector('peerline-session-list'); el.busy = 'ses_ended'; await el.updateComplete; })()`);
    await expect(offer.getByRole('button', { name: 'Yes, check in with me' }).isDisabled()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });

  it('shows an answered check-in in words, in dark mode without contrast problems', async () => {
    const page = await h.newPage({ colorScheme: 'dark' });
    await underSection(page);
    const accepted = [{ ...sessions[1], check_in: { proposed_ts: Date.UTC(2026, 2, 10, 16, 0), status: 'accepted', answered_ts: Date.UTC(2026, 2, 4) } }];
    await h.mount(page, MODULE, 'peerline-session-list', { sessions: accepted });
    await page.getByText(/^Check-in agreed for/).waitFor();
    expect(await h.axe(page)).toEqual([]);
  });
});
