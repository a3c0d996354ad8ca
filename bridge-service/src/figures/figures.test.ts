import { describe, expect, it } from 'vitest';
import { SERVER, samplePolicy } from '../test-fixture.ts';
import { StudentDevice, escalationTestBridge, type EscalationTestBridge } from '../escalation/test-fixture.ts';
import { countCell, percentileCell, type FiguresReport, type FiguresRow } from './figures-service.ts';
import { addDays, isoWeekOf, localDate, mondayOf, weeksBetween } from './iso-week.ts';
import { FIGURE_AUDIT_ACTIONS } from './sources.ts';

const ADMIN = `@admin:${SERVER}`;
// The test clock starts on Monday 2026-01-12 10:00 UTC: ISO week 2026-W03.
const W03 = '2026-W03';

async function record(b: EscalationTestBridge, action: string, details: Record<string, string | number>, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await b.services.audit.record({ actor: `@s-${i}:${SERVER}`, action, subject: `req-${i}`, details });
}

async function figures(b: EscalationTestBridge, query = ''): Promise<{ status: number; body: FiguresReport }> {
  return b.call<FiguresReport>('GET', `/v1/admin/figures${query}`, await b.signIn(ADMIN));
}

const cell = (r: FiguresReport, week: string, topic: string): FiguresRow => r.cells.find((c) => c.week === week && c.topic === topic)!;

describe('suppression of small cells', () => {
  it('suppresses a count of 4 and shows a count of 5', () => {
    expect(countCell(4)).toEqual({ value: null, suppressed: true });
    expect(countCell(5)).toEqual({ value: 5, suppressed: false });
    expect(countCell(0)).toEqual({ value: null, suppressed: true });
  });

  it('suppresses a median or p90 of 4 samples and computes nearest-rank ones from 5', () => {
    expect(percentileCell([1, 2, 3, 4], 50)).toEqual({ value: null, suppressed: true });
    expect(percentileCell([50, 10, 40, 20, 30], 50)).toEqual({ value: 30, suppressed: false });
    expect(percentileCell([50, 10, 40, 20, 30], 90)).toEqual({ value: 50, suppressed: false });
  });
});

describe('GET /v1/admin/figures', () => {
  it('counts requests per topic and week from the audit log, suppressing the topic with 4 and showing the one with 5', async () => {
    const b = escalationTestBridge();
    await record(b, FIGURE_AUDIT_ACTIONS.requestCreated, { request_id: 'r', topic: 'exam-stress' }, 4);
    await record(b, FIGURE_AUDIT_ACTIONS.requestCreated, { request_id: 'r', topic: 'low-mood' }, 5);
    const r = await figures(b, '?from=2026-01-12&to=2026-01-18');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ from: '2026-01-12', to: '2026-01-18', weeks: [W03], minimum_cell_count: 5, time_zone: 'Europe/London' });
    expect(cell(r.body, W03, 'exam-stress').requests).toEqual({ value: null, suppressed: true });
    expect(cell(r.body, W03, 'low-mood').requests).toEqual({ value: 5, suppressed: false });
  });

  it('reports matches with median and p90 waits, and sessions ended, each suppressed under 5', async () => {
    const b = escalationTestBridge();
    for (const w of [10, 20, 30, 40, 50]) await record(b, FIGURE_AUDIT_ACTIONS.requestMatched, { request_id: 'r', topic: 'exam-stress', wait_ms: w * 1000 });
    for (const w of [10, 20, 30, 40]) await record(b, FIGURE_AUDIT_ACTIONS.requestMatched, { request_id: 'r', topic: 'low-mood', wait_ms: w * 1000 });
    await record(b, FIGURE_AUDIT_ACTIONS.sessionEnded, { request_id: 'r', topic: 'exam-stress' }, 5);
    const r = (await figures(b, '?from=2026-01-12&to=2026-01-12')).body;
    expect(cell(r, W03, 'exam-stress')).toMatchObject({
      matches: { value: 5 }, wait_median_ms: { value: 30_000 }, wait_p90_ms: { value: 50_000 }, sessions: { value: 5 },
    });
    expect(cell(r, W03, 'low-mood')).toMatchObject({ matches: { suppressed: true }, wait_median_ms: { suppressed: true }, sessions: { suppressed: true } });
  });

  it('reports escalations and counsellor response times from the escalation store', async () => {
    const b = escalationTestBridge();
    await b.services.roster.putCounsellor(ADMIN, `@coun:${SERVER}`, {});
    for (let i = 0; i < 5; i++) {
      const student = await StudentDevice.create(`@s-${i}:${SERVER}`);
      const token = await b.signIn(student.userId);
      await b.call('POST', '/v1/consent/keys', token, { public_key: student.publicKey });
      const peer = b.hs.peerRoom(student.userId, { topic: 'low-mood' });
      const receipt = await student.receipt({ roomId: peer, now: b.clock.now() });
      const e = await b.call<{ escalation_id: string }>('POST', '/v1/escalations', token, { receipt: await student.sign(receipt), room_id: peer, scope: receipt.scope });
      b.clock.advance((i + 1) * 60_000);
      // Signed in each time: the clock moves past a session's lifetime.
      const coun = await b.signIn(`@coun:${SERVER}`);
      expect((await b.call('POST', `/v1/escalations/${e.body.escalation_id}/claim`, coun)).status).toBe(200);
    }
    const r = (await figures(b, '?from=2026-01-12&to=2026-01-12')).body;
    expect(cell(r, W03, 'low-mood')).toMatchObject({ escalations: { value: 5 }, response_median_ms: { value: 3 * 60_000 }, response_p90_ms: { value: 5 * 60_000 } });
    expect(cell(r, W03, 'exam-stress').escalations).toEqual({ value: null, suppressed: true });
    // Nothing in the report names anyone.
    expect(JSON.stringify(r)).not.toMatch(/@/);
  });

  it('places facts by the week of the institution\'s time zone', async () => {
    const policy = samplePolicy();
    policy.support_hours.time_zone = 'Pacific/Auckland';
    const b = escalationTestBridge({ policy });
    // Sunday 2026-01-18 12:00 UTC is Monday 01:00 in Auckland: week 4 there.
    b.clock.advance(6 * 86_400_000 + 2 * 3600_000);
    await record(b, FIGURE_AUDIT_ACTIONS.requestCreated, { request_id: 'r', topic: 'exam-stress' }, 5);
    const r = (await figures(b, '?from=2026-01-12&to=2026-01-25')).body;
    expect(r.weeks).toEqual([W03, '2026-W04']);
    expect(cell(r, '2026-W04', 'exam-stress').requests.value).toBe(5);
    expect(cell(r, W03, 'exam-stress').requests.suppressed).toBe(true);
  });

  it('widens the range to whole ISO weeks, so two answers never differ by part of a week', async () => {
    const b = escalationTestBridge();
    await record(b, FIGURE_AUDIT_ACTIONS.requestCreated, { request_id: 'r', topic: 'exam-stress' }, 5);
    const midweek = (await figures(b, '?from=2026-01-14&to=2026-01-15')).body;
    expect(midweek).toMatchObject({ from: '2026-01-12', to: '2026-01-18', weeks: [W03] });
    expect(cell(midweek, W03, 'exam-stress').requests.value).toBe(5);
  });

  it('defaults to the last 12 weeks, lists every policy topic, and keeps topics found in the facts', async () => {
    const b = escalationTestBridge();
    await record(b, FIGURE_AUDIT_ACTIONS.requestCreated, { request_id: 'r', topic: 'retired-topic' }, 5);
    await record(b, FIGURE_AUDIT_ACTIONS.requestCreated, { request_id: 'r' }, 5);
    const r = (await figures(b)).body;
    expect(r.weeks).toHaveLength(12);
    expect(r.weeks.at(-1)).toBe(W03);
    expect(r.topics).toEqual(['exam-stress', 'low-mood', 'retired-topic']);
    expect(r.cells).toHaveLength(36);
    expect(cell(r, W03, 'retired-topic').requests.value).toBe(5);
  });

  it('rejects a reversed range, a range over 106 weeks and a malformed date with 400', async () => {
    const b = escalationTestBridge();
    expect((await figures(b, '?from=2026-02-01&to=2026-01-01')).status).toBe(400);
    expect((await figures(b, '?from=2020-01-01&to=2026-01-01')).status).toBe(400);
    expect((await figures(b, '?from=2026-13-01')).status).toBe(400);
    expect((await figures(b, '?from=2026-02-30')).status).toBe(400);
  });

  it('is for admins only', async () => {
    const b = escalationTestBridge();
    const student = await b.signIn(`@s-1:${SERVER}`);
    expect((await b.call('GET', '/v1/admin/figures', student)).status).toBe(403);
  });
});

describe('ISO weeks', () => {
  it('names the week of a date by the year of its Thursday', () => {
    expect(isoWeekOf('2026-01-01')).toBe('2026-W01');
    expect(isoWeekOf('2021-01-03')).toBe('2020-W53');
    expect(isoWeekOf('2024-12-30')).toBe('2025-W01');
    expect(isoWeekOf('2026-01-12')).toBe(W03);
  });

  it('finds Mondays, adds days across month ends, and lists weeks in order', () => {
    expect(mondayOf('2026-01-18')).toBe('2026-01-12');
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(weeksBetween('2025-12-29', '2026-01-18')).toEqual(['2026-W01', '2026-W02', W03]);
  });

  it('reads the local date of an instant in a time zone', () => {
    const t = Date.UTC(2026, 0, 18, 12, 0);
    expect(localDate(t, 'UTC')).toBe('2026-01-18');
    expect(localDate(t, 'Pacific/Auckland')).toBe('2026-01-19');
    expect(localDate(t, 'America/Los_Angeles')).toBe('2026-01-18');
  });
});
