// Wellbeing breaks and the daily session cap as the matcher sees them: a blocked supporter is offered
// nothing (the request goes to someone else, or waits), and "today" is the policy's local day.
import { describe, expect, it } from 'vitest';
import { samplePolicy, SERVER } from '../test-fixture.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { matchQueue, type SupporterCandidate } from './matcher.ts';
import { blockOf, startOfLocalDay, supporterBlocks } from './eligibility.ts';

const NOW = Date.parse('2026-01-12T10:00:00Z');
const TRAINED = [
  { module: 'safeguarding', version: 1, completed: '2025-09-01', expires: null },
  { module: 'listening', version: 2, completed: '2025-06-01', expires: null },
];
const sup = (userId: string, over: Partial<SupporterCandidate> = {}): SupporterCandidate => ({
  kind: 'supporter', record: { user_id: userId, topics: ['exam-stress'], training: TRAINED, capacity: null, active: true, updated_ts: 0, updated_by: 'x' },
  topics: null, languages: [], active_sessions: 0, pending_offers: 0, last_offer_ts: 0, ...over,
});
const req = { id: 'r1', topic: 'exam-stress', institution: SERVER, minor: false, language: null, queued_ts: NOW - 1000, excluded: new Set<string>() };
const capped: InstitutionPolicy = { ...samplePolicy(), supporters: { ...samplePolicy().supporters, max_sessions_per_day: 3 } };

describe('supporter eligibility', () => {
  it('offers nothing to a supporter on a wellbeing break or at the daily cap, and passes the request to someone else', () => {
    const resting = sup(`@a:${SERVER}`, { blocked: 'wellbeing_break' });
    const full = sup(`@b:${SERVER}`, { blocked: 'daily_cap' });
    expect(matchQueue([req], [resting, full], samplePolicy(), NOW)).toEqual([]);
    expect(matchQueue([req], [resting, full, sup(`@c:${SERVER}`)], samplePolicy(), NOW)).toEqual([{ request_id: 'r1', target: { kind: 'supporter', user_id: `@c:${SERVER}` } }]);
  });

  it('offers a supporter below the cap no more than the cap leaves today, pending offers included', () => {
    const reqs = ['r1', 'r2', 'r3'].map((id, i) => ({ ...req, id, queued_ts: NOW - 1000 + i }));
    // Capacity 3 (policy default or more) would take all three; one session is left under today's cap.
    const nearCap = sup(`@a:${SERVER}`, { record: { ...sup(`@a:${SERVER}`).record, capacity: 3 }, remaining_today: 1 });
    expect(matchQueue(reqs, [nearCap], capped, NOW)).toEqual([{ request_id: 'r1', target: { kind: 'supporter', user_id: `@a:${SERVER}` } }]);
    expect(matchQueue(reqs, [{ ...nearCap, remaining_today: 0 }], capped, NOW)).toEqual([]);
  });

  it('blocks for a break before the cap, and for the cap only when the policy sets one', () => {
    expect(blockOf(true, 0, samplePolicy())).toBe('wellbeing_break');
    expect(blockOf(false, 99, samplePolicy())).toBeNull();
    expect(blockOf(false, 2, capped)).toBeNull();
    expect(blockOf(false, 3, capped)).toBe('daily_cap');
    expect(blockOf(true, 3, capped)).toBe('wellbeing_break');
  });

  it('finds the start of the local day in the policy\'s time zone, across daylight saving changes', () => {
    expect(new Date(startOfLocalDay(Date.parse('2026-01-12T10:00:00Z'), 'Europe/London')).toISOString()).toBe('2026-01-12T00:00:00.000Z');
    expect(new Date(startOfLocalDay(Date.parse('2026-07-12T10:00:00Z'), 'Europe/London')).toISOString()).toBe('2026-07-11T23:00:00.000Z');
    // 23:30 UTC on the 12th is already the 13th in Berlin (UTC+1).
    expect(new Date(startOfLocalDay(Date.parse('2026-01-12T23:30:00Z'), 'Europe/Berlin')).toISOString()).toBe('2026-01-12T23:00:00.000Z');
    // The morning clocks go forward (29 March 2026 in Europe): midnight was still winter time.
    expect(new Date(startOfLocalDay(Date.parse('2026-03-29T12:00:00Z'), 'Europe/Berlin')).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(startOfLocalDay(Date.parse('2026-01-12T03:00:00Z'), 'America/New_York')).toISOString()).toBe('2026-01-11T05:00:00.000Z');
  });

  it('reads today\'s counts from the local midnight and the breaks in force', async () => {
    const asked: number[] = [];
    const reads = {
      sessionsStartedSince: async (ts: number) => { asked.push(ts); return new Map([[`@a:${SERVER}`, 3], [`@b:${SERVER}`, 2]]); },
      breaksAt: async () => [{ user_id: `@c:${SERVER}`, started_ts: NOW - 1, until_ts: null }],
    };
    expect(await supporterBlocks(reads, capped, NOW)).toEqual(new Map([[`@a:${SERVER}`, 'daily_cap'], [`@c:${SERVER}`, 'wellbeing_break']]));
    expect(asked).toEqual([Date.parse('2026-01-12T00:00:00Z')]);
    // Without a cap the counts are not even read.
    expect(await supporterBlocks(reads, samplePolicy(), NOW)).toEqual(new Map([[`@c:${SERVER}`, 'wellbeing_break']]));
    expect(asked).toHaveLength(1);
  });
});
