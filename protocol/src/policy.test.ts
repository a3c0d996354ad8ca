import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  crisisResourcesFor, DEFAULT_RISK_DETECTION, isScheduleOpen, riskDetectionOf, jsonPointerToPath, policyJsonSchema, responseTargetMinutes, trustedServerNames, validatePolicy,
  type InstitutionPolicy, type Schedule,
} from './policy.ts';

const samples = resolve(import.meta.dirname, '../../bridge-service/policies');
const sample = (name: string): InstitutionPolicy => {
  const v = validatePolicy(parse(readFileSync(resolve(samples, name), 'utf8')));
  if (!v.ok) throw new Error(JSON.stringify(v.problems));
  return v.policy;
};

function problemsOf(mutate: (doc: Record<string, unknown>) => void): { path: string; message: string }[] {
  const doc = structuredClone(sample('school-a.yaml')) as unknown as Record<string, unknown>;
  mutate(doc);
  const v = validatePolicy(doc);
  if (v.ok) throw new Error('expected the document to be invalid');
  return v.problems;
}

describe('institution policy', () => {
  it('accepts both sample policies shipped with the bridge', () => {
    expect(sample('school-a.yaml').institution.server_name).toBe('a.example');
    expect(sample('school-b.yaml').age_rules.minors).toBe(true);
  });

  it('names the path and the expectation of a mistyped value', () => {
    const problems = problemsOf((d) => { (d['retention_days'] as Record<string, unknown>)['peer'] = 'thirty'; });
    expect(problems).toContainEqual({ path: '$.retention_days.peer', message: 'expected a whole number from 1 to 3650 (days peer rooms are kept), found "thirty"' });
  });

  it('reports a missing required section by its path', () => {
    const problems = problemsOf((d) => { delete d['crisis_resources']; });
    expect(problems).toContainEqual({ path: '$.crisis_resources', message: 'is required' });
  });

  it('reports a misspelt setting as unknown', () => {
    const problems = problemsOf((d) => { (d['matching'] as Record<string, unknown>)['cross_institutional'] = true; });
    expect(problems.map((p) => p.path)).toContain('$.matching.cross_institutional');
    expect(problems.find((p) => p.path === '$.matching.cross_institutional')!.message).toMatch(/not a known setting/);
  });

  it('explains a malformed time of day inside an array', () => {
    const problems = problemsOf((d) => { ((d['support_hours'] as Schedule).weekly.monday![0]!).start = '8am'; });
    expect(problems).toContainEqual({ path: '$.support_hours.weekly.monday[0].start', message: 'expected a time of day \'HH:MM\' in 24-hour form (\'24:00\' ends a day), found "8am"' });
  });

  it('rejects an unknown time zone', () => {
    const problems = problemsOf((d) => { (d['support_hours'] as Schedule).time_zone = 'Mars/Olympus_Mons'; });
    expect(problems[0]!.path).toBe('$.support_hours.time_zone');
    expect(problems[0]!.message).toMatch(/IANA time zone/);
  });

  it('rejects a topic needing a training module the policy does not define', () => {
    const problems = problemsOf((d) => { ((d['topics'] as { needs_training: string[] }[])[0]!).needs_training.push('juggling'); });
    expect(problems).toContainEqual({ path: '$.topics[0].needs_training[1]', message: 'expected a module listed in supporters.training.modules, found "juggling"' });
  });

  it('rejects duplicate topic ids, a partner equal to the institution, and a range ending before it starts', () => {
    const problems = problemsOf((d) => {
      const topics = d['topics'] as { id: string }[];
      topics[1]!.id = topics[0]!.id;
      (d['partners'] as { server_name: string }[])[0]!.server_name = 'a.example';
      (d['escalation'] as { on_duty: Schedule }).on_duty.weekly.friday = [{ start: '17:00', end: '09:00' }];
    });
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['$.topics[1].id', '$.partners[0].server_name', '$.escalation.on_duty.weekly.friday[0]']));
  });

  it('lists the allowed values of a literal', () => {
    const problems = problemsOf((d) => { d['schema_version'] = 2; });
    expect(problems[0]).toEqual({ path: '$.schema_version', message: 'expected 1, found 2' });
  });

  it('sets a response-time target for every severity of the shared scale', () => {
    const p = sample('school-a.yaml');
    expect(responseTargetMinutes(p, 'critical')).toBe(5);
    expect(responseTargetMinutes(p, 'medium')).toBe(240);
    const problems = problemsOf((d) => { ((d['escalation'] as Record<string, Record<string, number>>)['response_targets_minutes']!)['moderate'] = 60; });
    expect(problems.map((p) => p.path)).toContain('$.escalation.response_targets_minutes.moderate');
  });

  it('trusts its own server and its partners only', () => {
    expect(trustedServerNames(sample('school-a.yaml'))).toEqual(['a.example', 'b.example']);
  });

  it('is open within weekly hours in the policy time zone and closed on holidays', () => {
    const hours = sample('school-a.yaml').support_hours;
    // Monday 12 Jan 2026, 09:00 London = 09:00 UTC (winter).
    expect(isScheduleOpen(hours, new Date('2026-01-12T09:00:00Z'))).toBe(true);
    expect(isScheduleOpen(hours, new Date('2026-01-12T08:00:00Z'))).toBe(false);
    // Monday 13 Jul 2026 07:45 UTC is 08:45 in London (summer time): open.
    expect(isScheduleOpen(hours, new Date('2026-07-13T07:45:00Z'))).toBe(true);
    // Saturday: no hours.
    expect(isScheduleOpen(hours, new Date('2026-01-17T12:00:00Z'))).toBe(false);
    // Inside the winter break (a range of holidays).
    expect(isScheduleOpen(hours, new Date('2025-12-29T12:00:00Z'))).toBe(false);
  });

  it('picks crisis resources by region and language, falling back to the defaults', () => {
    const p = sample('school-a.yaml');
    expect(crisisResourcesFor(p, { region: 'GB-WLS', language: 'cy' }).map((r) => r.name)).toEqual(['Samariaid']);
    expect(crisisResourcesFor(p, { region: 'GB', language: 'en-GB' }).map((r) => r.name)).toEqual(['Samaritans', 'Shout']);
    expect(crisisResourcesFor(p, { region: 'FR', language: 'fr' }).map((r) => r.name)).toEqual(['Emergency services']);
  });

  it('publishes a JSON Schema document with an id and no TypeBox internals', () => {
    const schema = policyJsonSchema();
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['$id']).toBe('https://peerline.org/schemas/institution-policy/v1.json');
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect((schema['required'] as string[])).toContain('escalation');
  });

  it('renders JSON pointers as readable paths', () => {
    expect(jsonPointerToPath('')).toBe('$');
    expect(jsonPointerToPath('/topics/2/needs_training/0')).toBe('$.topics[2].needs_training[0]');
    expect(jsonPointerToPath('/de.sorunome~1x')).toBe('$["de.sorunome/x"]');
  });

  it('takes optional risk detection settings, refusing thresholds out of order or outside 0–1', () => {
    const base = sample('school-a.yaml');
    expect(riskDetectionOf(base)).toEqual(DEFAULT_RISK_DETECTION);
    const ok = validatePolicy({ ...base, risk_detection: { enabled: true, flag_at: 'critical', thresholds: { elevated: 0.2, high: 0.5, critical: 0.9 } } });
    expect(ok.ok && riskDetectionOf(ok.policy)).toEqual({ enabled: true, flag_at: 'critical', thresholds: { elevated: 0.2, high: 0.5, critical: 0.9 } });
    expect(problemsOf((d) => { d['risk_detection'] = { enabled: true, thresholds: { elevated: 0.7, high: 0.5, critical: 0.9 } }; }))
      .toContainEqual({ path: '$.risk_detection.thresholds', message: 'expected elevated ≤ high ≤ critical, found 0.7, 0.5, 0.9' });
    expect(problemsOf((d) => { d['risk_detection'] = { enabled: true, flag_at: 'sometimes' }; }).map((p) => p.path)).toContain('$.risk_detection.flag_at');
    expect(problemsOf((d) => { d['risk_detection'] = { enabled: true, thresholds: { elevated: 0, high: 0.5, critical: 1.5 } }; }).map((p) => p.path))
      .toEqual(expect.arrayContaining(['$.risk_detection.thresholds.elevated', '$.risk_detection.thresholds.critical']));
  });
});
