import { describe, expect, it } from 'vitest';
import { samplePolicy } from '../test-fixture.ts';
import type { CounsellorRecord, SupporterRecord } from '../store/store.ts';
import { effectiveCapacity, hasValidTraining, isCounsellorOnDuty, missingTraining, qualifiedTopics } from './roster-rules.ts';

const NOW = Date.parse('2026-01-12T10:00:00Z');
const policy = samplePolicy();

function supporter(over: Partial<SupporterRecord> = {}): SupporterRecord {
  return {
    user_id: '@sup:a.example', topics: ['exam-stress', 'low-mood'], capacity: null, active: true, updated_ts: 0, updated_by: 'x',
    training: [
      { module: 'safeguarding', version: 1, completed: '2025-09-01', expires: null },
      { module: 'listening', version: 2, completed: '2025-06-01', expires: null },
    ],
    ...over,
  };
}

describe('roster rules', () => {
  it('counts a completion until completion + valid_days, and not after', () => {
    const s = supporter();
    expect(hasValidTraining(s, 'listening', policy, NOW)).toBe(true);
    expect(hasValidTraining(s, 'listening', policy, Date.parse('2026-06-01T12:00:00Z'))).toBe(true);
    expect(hasValidTraining(s, 'listening', policy, Date.parse('2026-06-02T12:00:00Z'))).toBe(false);
  });

  it('honours an earlier expiry on the record and ignores versions below the minimum', () => {
    expect(hasValidTraining(supporter({ training: [{ module: 'listening', version: 2, completed: '2025-06-01', expires: '2026-01-01' }] }), 'listening', policy, NOW)).toBe(false);
    expect(hasValidTraining(supporter({ training: [{ module: 'listening', version: 1, completed: '2025-12-01', expires: null }] }), 'listening', policy, NOW)).toBe(false);
  });

  it('qualifies a supporter only for topics whose training they hold, and for none without the required modules', () => {
    expect(qualifiedTopics(supporter(), policy, NOW)).toEqual(['exam-stress']);
    expect(missingTraining(supporter(), policy, NOW, 'low-mood')).toEqual(['mhfa']);
    const untrained = supporter({ training: [{ module: 'listening', version: 2, completed: '2025-06-01', expires: null }] });
    expect(qualifiedTopics(untrained, policy, NOW)).toEqual([]);
    expect(qualifiedTopics(supporter({ active: false }), policy, NOW)).toEqual([]);
  });

  it('caps capacity at the policy maximum and defaults it from the policy', () => {
    expect(effectiveCapacity(supporter(), policy)).toBe(2);
    expect(effectiveCapacity(supporter({ capacity: 9 }), policy)).toBe(4);
  });

  it('puts a counsellor of the policy team on duty within hours only', () => {
    const c: CounsellorRecord = { user_id: '@c:a.example', team: 'wellbeing', on_duty: null, active: true, updated_ts: 0, updated_by: 'x' };
    expect(isCounsellorOnDuty(c, policy, new Date(NOW))).toBe(true);
    expect(isCounsellorOnDuty(c, policy, new Date('2026-01-12T22:00:00Z'))).toBe(false);
    expect(isCounsellorOnDuty({ ...c, team: 'other' }, policy, new Date(NOW))).toBe(false);
    expect(isCounsellorOnDuty({ ...c, on_duty: { time_zone: 'UTC', weekly: { monday: [{ start: '21:00', end: '23:00' }] } } }, policy, new Date('2026-01-12T22:00:00Z'))).toBe(true);
  });
});
