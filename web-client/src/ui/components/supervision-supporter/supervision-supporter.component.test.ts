// The supporter's supervision section in a real browser, against a bridge stand-in: today's count
// against the cap and the word when the cap is reached, a break taken and ended, a session flagged
// with a reason from the list (and only that), and a debrief asked for — which opens its room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/supervision-supporter/supervision-supporter.component.ts';
const TAG = 'peerline-supervision-supporter';
const START = Date.UTC(2026, 2, 3, 9, 0);

const status = (over: Record<string, unknown> = {}) => ({ user_id: '@sup:a.example', on_break: null, blocked: null, sessions_today: 1, daily_cap: 3, day_start_ts: START, flags: [], ...over });
const SESSIONS = { sessions: [{ session_id: 'ps_1', role: 'supporter', status: 'ended', topic: 'exam-stress', created_ts: START, ended_ts: START + 600_000 }] };
const DEBRIEF = { debrief_id: 'db_1', supporter: '@sup:a.example', supervisor: '@coun:a.example', status: 'open', room_id: '!debrief:a.example', created_ts: START,
  session: { topic: 'exam-stress', started_ts: START, duration_ms: 600_000 }, consent: { available: false, share: null, receipt_id: null, scope: null } };
/** A debrief whose session the student consented to share two chosen messages of. */
const CONSENTED = { ...DEBRIEF, consent: { available: true, share: 'messages', receipt_id: 'rcpt_1', scope: { room_id: '!peer:a.example', event_ids: ['$m1', '$m2'] } } };
const SHARE_OK = { debrief_id: 'db_1', share: 'messages', receipt_id: 'rcpt_1', room_id: '!peer:a.example', event_ids: ['$m1', '$m2'] };

/** This device's chat stand-in: the peer room's decrypted messages; what is sent lands in window.__sent. */
async function withChat(page: Page): Promise<void> {
  await page.evaluate(`(async () => {
    window.__sent = [];
    window.__read = [];
    const peer = { '$m1': { body: 'I have not slept for days', mine: false }, '$m2': { body: 'That sounds exhausting', mine: true }, '$m3': { body: 'not chosen', mine: false } };
    const el = document.querySelector('${TAG}');
    el.chat = {
      async readMessage(roomId, eventId) { window.__read.push(roomId + ' ' + eventId); return roomId === '!peer:a.example' ? peer[eventId] ?? null : null; },
      async sendEventTo(roomId, type, content) { window.__sent.push({ roomId, type, content }); return '$sent' + window.__sent.length; },
    };
    await el.updateComplete;
  })()`);
}

/** Gives the mounted element a bridge stand-in answering `answers["METHOD /path"]`; calls land in window.__calls. */
async function withBridge(page: Page, answers: Record<string, unknown>): Promise<void> {
  await page.evaluate(`(async () => {
    window.__calls = [];
    window.__answers = ${JSON.stringify(answers)};
    const el = document.querySelector('${TAG}');
    el.bridge = { async request(method, path, o = {}) {
      window.__calls.push({ method, path, body: o.body ?? null });
      const a = window.__answers[method + ' ' + path.split('?')[0]];
      if (a === undefined) throw Object.assign(new Error('no route'), { status: 404 });
      if (a.__error) throw Object.assign(new Error('refused'), { status: a.__error, errcode: a.errcode });
      return structuredClone(a);
    } };
    await el.updateComplete;
  })()`);
}
const calls = (page: Page) => page.evaluate<{ method: string; path: string; body: unknown }[]>('window.__calls.filter((c) => c.method !== "GET")');

async function mount(page: Page, answers: Record<string, unknown>): Promise<void> {
  await page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h1>Desk</h1>')`);
  await h.mount(page, MODULE, TAG, { topics: [{ id: 'exam-stress', label: 'Exam stress' }] });
  await withBridge(page, {
    'GET /v1/supervision/me': status(), 'GET /v1/sessions': SESSIONS, 'GET /v1/supervision/supervisors': { supervisors: [{ user_id: '@coun:a.example' }] },
    'GET /v1/supervision/debriefs': { debriefs: [] }, ...answers,
  });
}

describe('<peerline-supervision-supporter>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows today against the cap, takes a timed break and ends it, announcing each', async () => {
    const page = await h.newPage();
    await mount(page, {
      'PUT /v1/supervision/me/break': status({ on_break: { started_ts: START, until_ts: START + 3600_000 }, blocked: 'wellbeing_break' }),
      'DELETE /v1/supervision/me/break': status(),
    });
    await page.getByText('Sessions today: 1 of at most 3.').waitFor();
    expect(await h.axe(page)).toEqual([]);
    await page.getByLabel('Pause for').selectOption({ label: '1 hour' });
    const before = Date.now();
    await page.getByRole('button', { name: 'Take a break' }).click();
    await page.getByText(/You are on a wellbeing break until/).waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toContain('No requests will be offered to you until you resume');
    const [put] = await calls(page);
    expect(put!.method).toBe('PUT');
    const until = (put!.body as { until_ts: number }).until_ts;
    expect(until - before).toBeGreaterThanOrEqual(3600_000 - 1000);
    expect(until - Date.now()).toBeLessThanOrEqual(3600_000);
    await page.getByRole('button', { name: 'Resume taking requests' }).click();
    await page.getByText('Welcome back. Requests can be offered to you again.').waitFor();
    expect((await calls(page)).map((c) => c.method)).toEqual(['PUT', 'DELETE']);
    expect(await h.axe(page)).toEqual([]);
  });

  it('tells a supporter at the daily cap why no requests come', async () => {
    const page = await h.newPage({ width: 360 });
    await mount(page, { 'GET /v1/supervision/me': status({ sessions_today: 3, blocked: 'daily_cap' }) });
    await page.getByText(/You have had 3 sessions today, the most your institution allows per day/).waitFor();
    expect(await h.axe(page)).toEqual([]);
  });

  it('flags a session with a reason from the list only, with no field for words about the student', async () => {
    const page = await h.newPage();
    const flag = { flag_id: 'fl_1', session_id: 'ps_1', supporter: '@sup:a.example', reason_code: 'boundary_concern', created_ts: START, reviewed_ts: null, reviewed_by: null,
      session: { topic: 'exam-stress', started_ts: START, ended_ts: START + 600_000, duration_ms: 600_000, outcome: 'completed', escalated: false } };
    await mount(page, { 'POST /v1/supervision/flags': flag });
    await page.getByLabel('Session', { exact: true }).selectOption('ps_1');
    await page.getByLabel('Reason').selectOption({ label: 'A boundary was tested or crossed' });
    await page.getByRole('button', { name: 'Flag for review' }).click();
    await page.getByText('Flagged. A supervisor will review the session.').waitFor();
    expect(await calls(page)).toEqual([{ method: 'POST', path: '/v1/supervision/flags', body: { session_id: 'ps_1', reason_code: 'boundary_concern' } }]);
    await expect(page.getByRole('list', { name: 'Your flags' }).textContent()).resolves.toContain('Waiting for review');
    // There is no free-text field to say anything about the student.
    await expect(page.locator(TAG).locator('textarea, input[type=text]').count()).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);
  });

  it('asks for a debrief about a session and opens its room; says the student did not consent to share', async () => {
    const page = await h.newPage();
    await mount(page, { 'POST /v1/supervision/debriefs': DEBRIEF });
    const opened = await h.recordEvents(page, 'open-room');
    await page.getByLabel('Supervisor', { exact: true }).selectOption('@coun:a.example');
    await page.getByLabel('About a session (optional)').selectOption('ps_1');
    await page.getByRole('button', { name: 'Ask for a debrief' }).click();
    await page.getByText('The student did not consent to share anything: talk about the topic and length of the session only.').waitFor();
    expect(await calls(page)).toEqual([{ method: 'POST', path: '/v1/supervision/debriefs', body: { supervisor: '@coun:a.example', session_id: 'ps_1' } }]);
    await expect(opened()).resolves.toEqual([{ roomId: '!debrief:a.example' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('shares exactly the messages the student\'s receipt covers, read on this device, marked with the receipt, into the debrief room', async () => {
    const page = await h.newPage();
    await mount(page, { 'GET /v1/supervision/debriefs': { debriefs: [CONSENTED] }, 'POST /v1/supervision/debriefs/db_1/share': SHARE_OK });
    await withChat(page);
    const opened = await h.recordEvents(page, 'open-room');
    await page.getByText('The student consented to share messages they chose. You can share exactly those here, nothing more.').waitFor();
    await page.getByRole('button', { name: 'Review what the student consented to share' }).click();
    const preview = page.getByRole('group', { name: 'Messages the student consented to share' });
    await preview.waitFor();
    await expect(preview.textContent()).resolves.toContain('I have not slept for days');
    await expect(preview.textContent()).resolves.not.toContain('not chosen');
    expect(await page.evaluate('window.__read')).toEqual(['!peer:a.example $m1', '!peer:a.example $m2']);
    // Reviewing sends nothing anywhere.
    expect(await calls(page)).toEqual([]);
    expect(await page.evaluate('window.__sent')).toEqual([]);
    expect(await h.axe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Share these 2 messages in the debrief room' }).click();
    await page.getByText('Shared 2 messages in the debrief room, marked as shared with the student\'s consent.').waitFor();
    // The bridge is asked first and sees no content; the content goes only to the debrief room.
    expect(await calls(page)).toEqual([{ method: 'POST', path: '/v1/supervision/debriefs/db_1/share', body: { share: 'messages' } }]);
    const sent = await page.evaluate<{ roomId: string; type: string; content: { body: string; 'org.peerline.shared': unknown } }[]>('window.__sent');
    expect(sent.map((x) => [x.roomId, x.type])).toEqual([['!debrief:a.example', 'm.room.message'], ['!debrief:a.example', 'm.room.message']]);
    expect(sent[0]!.content.body).toBe('Shared with the student\'s consent (receipt rcpt_1):\n> I have not slept for days');
    expect(sent.map((x) => x.content['org.peerline.shared'])).toEqual([
      { receipt_id: 'rcpt_1', event_id: '$m1', from: 'student', item: 0, context: 'debrief' },
      { receipt_id: 'rcpt_1', event_id: '$m2', from: 'supporter', item: 1, context: 'debrief' },
    ]);
    await expect(opened()).resolves.toEqual([{ roomId: '!debrief:a.example' }]);
  });

  it('offers no share without the student\'s consent, for a summary kept elsewhere, or for a room that failed — and says why', async () => {
    const page = await h.newPage();
    const summary = { ...DEBRIEF, debrief_id: 'db_2', consent: { available: true, share: 'summary', receipt_id: 'rcpt_2', scope: { room_id: '!peer:a.example', event_ids: [] } } };
    const failed = { ...CONSENTED, debrief_id: 'db_3', status: 'failed', room_id: null };
    await mount(page, { 'GET /v1/supervision/debriefs': { debriefs: [DEBRIEF, summary, failed] } });
    await withChat(page);
    await page.getByText('The student did not consent to share anything: talk about the topic and length of the session only.').waitFor();
    await page.getByText(/consented to share a summary they wrote, with a counsellor\. That summary is not on your device/).waitFor();
    await page.getByText('The debrief room could not be made. Please ask again.').waitFor();
    await expect(page.getByRole('button', { name: 'Review what the student consented to share' }).count()).resolves.toBe(0);
    expect(await page.evaluate('window.__read')).toEqual([]);
    expect(await h.axe(page)).toEqual([]);
  });
});
