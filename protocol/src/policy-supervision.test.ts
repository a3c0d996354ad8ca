// The policy's supervision fields (issue #9): both optional and additive — a daily session cap per
// supporter under `supporters`, and the roster team that supervises under `supervision`.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validatePolicy } from './policy.ts';

const sample = (): Record<string, Record<string, unknown>> =>
  parse(readFileSync(resolve(import.meta.dirname, '../../bridge-service/policies/school-a.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;

describe('policy supervision fields', () => {
  it('accepts a policy without them, and with a daily cap and a supervision team', () => {
    expect(validatePolicy(sample()).ok).toBe(true);
    const doc = sample();
    doc['supporters']!['max_sessions_per_day'] = 6;
    doc['supervision'] = { team: 'supervisors' };
    const v = validatePolicy(doc);
    expect(v.ok).toBe(true);
    if (v.ok) expect([v.policy.supporters.max_sessions_per_day, v.policy.supervision?.team]).toEqual([6, 'supervisors']);
    expect(validatePolicy({ ...sample(), supervision: {} }).ok).toBe(true);
  });

  it('names the path of a cap that is not a whole number from 1, and of an unknown supervision key', () => {
    const capped = sample();
    capped['supporters']!['max_sessions_per_day'] = 0;
    const a = validatePolicy(capped);
    expect(a.ok ? [] : a.problems.map((p) => p.path)).toContain('$.supporters.max_sessions_per_day');
    const b = validatePolicy({ ...sample(), supervision: { team: 'Supervisors!', note: 'x' } });
    expect(b.ok ? [] : b.problems.map((p) => p.path).sort()).toEqual(expect.arrayContaining(['$.supervision.team']));
  });
});
