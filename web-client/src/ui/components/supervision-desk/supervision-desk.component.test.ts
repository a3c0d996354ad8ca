// The counsellor's supervision section in a real browser, against a bridge stand-in: the caseload
// table, one supporter's sessions as metadata, flags marked reviewed, a debrief room opened — and a
// counsellor who does not supervise is told so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/supervision-desk/supervision-desk.component.ts';
const TAG = 'peerline-supervision-desk';
const START = Date.UTC(2026, 2, 3, 9, 0);

const SUMMARY = {
  user_id: '@sup:a.example', roster_active: true, sessions: 4, active_now: 1, median_duration_ms: 25 * 60_000, topics: { 'exam-stress': 4 }, escalations: 1,
  outcomes: { completed: 3 }, check_ins_offered: 0, flags_open: 1, on_break: { started_ts: START, until_ts: null }, sessions_today: 2, daily_cap: 3, blocked: 'wellbeing_break',
};
const SESSION = { session_id: 'ps_1', topic: 'exam-stress', status: 'ended', scope: 'institution', started_ts: START, ended_ts: START + 600_000, duration_ms: 600_000,
  outcome: 'referred', check_in: null, escalated: true, flag: { flag_id: 'fl_1', reason_code: 'risk_unclear', reviewed: false } };
const FLAG = { flag_id: 'fl_1', session_id: 'ps_1', supporter: '@sup:a.example', reason_code: 'risk_unclear', created_ts: START, reviewed_ts: null, reviewed_by: null,
  session: { topic: 'exam-stress', started_ts: START, ended_ts: START + 600_000, duration_ms: 600_000, outcome: 'referred', escalated: true } };
const DEBRIEF = { debrief_id: 'db_1', supporter: '@sup:a.example', supervisor: '@coun:a.example', status: 'open', room_id: '!debrief:a.example', created_ts: START,
  session: null, consent: { available: false, share: null } };

async function mount(page: Page, answers: Record<string, unknown>): Promise<void> {
  await page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h1>Desk</h1>')`);
  await h.mount(page, MODULE, TAG, { topics: [{ id: 'exam-stress', label: 'Exam stress' }] });
  await page.evaluate(`(async () => {
    window.__calls = [];
    window.__answers = ${JSON.stringify(answers)};
    const el = document.querySelector('${TAG}');
    el.bridge = { async request(method, path, o = {}) {
      window.__calls.push(method + ' ' + path);
      const a = window.__answers[method + ' ' + path.split('?')[0]];
      if (a === undefined) throw Object.assign(new Error('no route'), { status: 404 });
      if (a.__error) throw Object.assign(new Error('refused'), { status: a.__error });
      return structuredClone(a);
    } };
    await el.updateComplete;
  })()`);
}

const ROUTES = {
  'GET /v1/supervision/caseload': { since_ts: START - 30 * 86_400_000, day_start_ts: START, supporters: [SUMMARY] },
  'GET /v1/supervision/caseload/%40sup%3Aa.example': { summary: SUMMARY, sessions: [SESSION] },
  'GET /v1/supervision/flags': { flags: [FLAG] },
  'POST /v1/supervision/flags/fl_1/review': { ...FLAG, reviewed_ts: START + 1, reviewed_by: '@coun:a.example' },
  'GET /v1/supervision/debriefs': { debriefs: [DEBRIEF] },
};

describe('<peerline-supervision-desk>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows each supporter\'s caseload in a table and one supporter\'s sessions as metadata on request', async () => {
    const page = await h.newPage();
    await mount(page, ROUTES);
    const row = page.getByRole('row', { name: /@sup:a\.example/ });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/4.*1.*25 min.*1.*1.*2 \/ 3.*On a wellbeing break/s);
    expect(await h.axe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Details for @sup:a.example' }).click();
    const detail = page.getByRole('heading', { name: 'Sessions of @sup:a.example' });
    await detail.waitFor();
    const card = page.locator(TAG).locator('section[aria-labelledby=detail-h] li');
    await expect(card.textContent()).resolves.toMatch(/Exam stress.*10 min.*Wrap-up: referred.*Escalated with consent.*Flagged: I am unsure how serious the risk was/s);
    await expect(page.evaluate(`document.querySelector('${TAG}').shadowRoot.activeElement?.id`)).resolves.toBe('detail-h');
    expect(await h.axe(page)).toEqual([]);
  });

  it('marks a flagged session reviewed and opens a debrief room', async () => {
    const page = await h.newPage({ width: 360 });
    await mount(page, ROUTES);
    const opened = await h.recordEvents(page, 'open-room');
    await page.getByRole('button', { name: 'Mark reviewed' }).click();
    await page.getByText('Nothing waits for review.').waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toBe('Marked as reviewed.');
    expect(await page.evaluate('window.__calls')).toContain('POST /v1/supervision/flags/fl_1/review');
    await page.getByRole('button', { name: 'Open debrief room' }).click();
    await expect(opened()).resolves.toEqual([{ roomId: '!debrief:a.example' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('tells a counsellor who does not supervise, and stays away on a bridge without supervision', async () => {
    const page = await h.newPage();
    await mount(page, { ...ROUTES, 'GET /v1/supervision/caseload': { __error: 403 } });
    await page.getByText('You are not one of the supervisors here.', { exact: false }).waitFor();
    expect(await h.axe(page)).toEqual([]);
    const bare = await h.newPage();
    await mount(bare, {});
    await bare.waitForFunction(`document.querySelector('${TAG}').unavailable === true`);
    await expect(bare.evaluate(`document.querySelector('${TAG}').shadowRoot.textContent.trim()`)).resolves.toBe('');
  });
});
