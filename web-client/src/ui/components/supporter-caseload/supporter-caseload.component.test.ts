// The caseload in a real browser: active sessions, open the room, the suggestion confirmed in a
// dialog that says it only suggests, and the wrap-up with an outcome and an optional check-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/supporter-caseload/supporter-caseload.component.ts';
const topics = [{ id: 'exam-stress', label: 'Exam stress' }, { id: 'friendships', label: 'Friendships' }];
const session = (id: string, topic: string, status: string, role = 'supporter') => ({
  session_id: id, request_id: `rq-${id}`, role, status, topic, room_id: status === 'creating' ? null : `!${id}:x`, institutions: ['x'],
  created_ts: 1_700_000_000_000, ended_ts: null, outcome: null, check_in: null,
});
const sessions = [session('s1', 'exam-stress', 'active'), session('s2', 'friendships', 'creating'), session('s3', 'exam-stress', 'ended'), session('s4', 'exam-stress', 'active', 'student')];

describe('<peerline-supporter-caseload>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows only active sessions the user supports, and opens a room', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-supporter-caseload', { sessions, topics });
    const opened = await h.recordEvents(page, 'open-room');
    await expect(page.getByRole('heading', { level: 3 }).allTextContents()).resolves.toEqual(['Exam stress', 'Friendships']);
    await expect(page.getByText('The room is being made', { exact: false }).isVisible()).resolves.toBe(true);
    await page.getByRole('group', { name: 'Exam stress' }).getByRole('button', { name: 'Open conversation' }).focus();
    await page.keyboard.press('Enter');
    await expect(opened()).resolves.toEqual([{ roomId: '!s1:x' }]);
    await expect(page.getByRole('group', { name: 'Friendships' }).getByRole('button', { name: 'Suggest a counsellor' }).isDisabled()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });

  it('confirms a suggestion in a dialog that says it only suggests; Escape cancels without sending', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-supporter-caseload', { sessions, topics });
    const suggested = await h.recordEvents(page, 'suggest-escalation');
    const trigger = page.getByRole('group', { name: 'Exam stress' }).getByRole('button', { name: 'Suggest a counsellor' });
    await trigger.click();
    const dialog = page.getByRole('dialog', { name: 'Suggest a counsellor' });
    await expect(dialog.getByText('This only suggests it.', { exact: false }).isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await expect(suggested()).resolves.toEqual([]);

    await trigger.click();
    await dialog.getByLabel('Why').selectOption('self_harm_risk');
    await dialog.getByRole('radio', { name: 'High' }).check();
    await dialog.getByLabel(/A note to the student/).fill('I think a counsellor could help.');
    await dialog.getByRole('button', { name: 'Send the suggestion' }).click();
    await expect(suggested()).resolves.toEqual([{
      sessionId: 's1', roomId: '!s1:x', content: { reason: 'self_harm_risk', suggested_severity: 'high', text: 'I think a counsellor could help.' },
    }]);
    await expect(dialog.isVisible()).resolves.toBe(false);
  });

  it('ends a session with an outcome and a check-in in the future, refusing one in the past', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, MODULE, 'peerline-supporter-caseload', { sessions, topics });
    const ended = await h.recordEvents(page, 'end-session');
    await page.getByRole('group', { name: 'Exam stress' }).getByRole('button', { name: 'End with wrap-up' }).click();
    const dialog = page.getByRole('dialog', { name: 'End with wrap-up' });
    await dialog.getByRole('radio', { name: /Referred on/ }).check();
    await dialog.getByLabel(/Offer a check-in at/).fill('2001-01-01T10:00');
    await dialog.getByRole('button', { name: 'End the session' }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toContain('in the future');
    expect(await h.axe(page)).toEqual([]);
    await expect(ended()).resolves.toEqual([]);

    await dialog.getByLabel(/Offer a check-in at/).fill('2099-05-04T10:30');
    await dialog.getByRole('button', { name: 'End the session' }).click();
    const [detail] = (await ended()) as { sessionId: string; outcome: string; checkInTs: number }[];
    expect(detail).toMatchObject({ sessionId: 's1', outcome: 'referred' });
    const local = await page.evaluate<string>(`(() => { const d = new Date(${String(detail?.checkInTs)}); return [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes()].join('-'); })()`);
    expect(local).toBe('2099-5-4-10-30');
  });
});
