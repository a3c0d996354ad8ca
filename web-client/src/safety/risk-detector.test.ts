// The on-device risk detector against the labelled phrase set, plus its contract: normalisation,
// reasons without text, thresholds from the caller, and no way to send anything anywhere.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { assessRisk, DEFAULT_RISK_THRESHOLDS, foldWord, RISK_CATEGORIES, RISK_CONTEXTS, type RiskLevel } from './risk-detector.ts';
import { RISK_PHRASES } from './risk-phrases.ts';

const LEVELS: RiskLevel[] = ['none', 'elevated', 'high', 'critical'];
const rank = (l: RiskLevel) => LEVELS.indexOf(l);
const results = RISK_PHRASES.map((p) => ({ ...p, got: assessRisk(p.text).level }));

describe('risk detector on the labelled phrase set', () => {
  it('holds at least 80 phrases in English and German, every level and kind represented', () => {
    expect(RISK_PHRASES.length).toBeGreaterThanOrEqual(80);
    for (const lang of ['en', 'de'] as const) expect(RISK_PHRASES.filter((p) => p.lang === lang).length).toBeGreaterThanOrEqual(35);
    for (const level of LEVELS) expect(RISK_PHRASES.some((p) => p.expected === level)).toBe(true);
    for (const kind of ['risk', 'negation', 'reported', 'hypothetical', 'past', 'idiom', 'neutral']) expect(RISK_PHRASES.some((p) => p.kind === kind)).toBe(true);
  });

  it.each(RISK_PHRASES.map((p) => [p.expected, p.kind, p.text] as const))('classifies as %s (%s): %s', (expected, _kind, text) => {
    expect(assessRisk(text).level).toBe(expected);
  });

  it('reaches precision and recall of at least 0.9 for every level, and prints them', () => {
    const rows = LEVELS.map((level) => {
      const tp = results.filter((r) => r.expected === level && r.got === level).length;
      const predicted = results.filter((r) => r.got === level).length;
      const actual = results.filter((r) => r.expected === level).length;
      return { level, n: actual, precision: predicted ? tp / predicted : 1, recall: actual ? tp / actual : 1 };
    });
    console.warn(`risk detector on ${results.length} labelled phrases:\n${rows.map((r) => `  ${r.level.padEnd(9)} n=${String(r.n).padStart(3)}  precision ${r.precision.toFixed(3)}  recall ${r.recall.toFixed(3)}`).join('\n')}`);
    for (const r of rows) {
      expect(r.precision, `${r.level} precision`).toBeGreaterThanOrEqual(0.9);
      expect(r.recall, `${r.level} recall`).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('never classifies a high or critical phrase as none, nor a critical one below high', () => {
    expect(results.filter((r) => rank(r.expected) >= rank('high') && r.got === 'none').map((r) => r.text)).toEqual([]);
    expect(results.filter((r) => r.expected === 'critical' && rank(r.got) < rank('high')).map((r) => r.text)).toEqual([]);
  });

  it('never rates an idiom, neutral talk or a negation above elevated', () => {
    const calm = results.filter((r) => ['idiom', 'neutral', 'negation'].includes(r.kind));
    expect(calm.length).toBeGreaterThanOrEqual(30);
    expect(calm.filter((r) => rank(r.got) > rank('elevated')).map((r) => r.text)).toEqual([]);
  });

  it('flags reported, quoted, hypothetical and past statements as elevated, never higher or lower', () => {
    const softened = results.filter((r) => ['reported', 'hypothetical', 'past'].includes(r.kind));
    expect(softened.filter((r) => r.got !== 'elevated').map((r) => r.text)).toEqual([]);
  });
});

describe('risk detector behaviour', () => {
  it('reads elongations, capitals and missing umlauts as the plain words', () => {
    expect(foldWord('Sooooo')).toBe(foldWord('so'));
    expect(assessRisk('i want to DIEEEE').level).toBe('high');
    expect(assessRisk('Ich moechte sterben').level).toBe('high');
    expect(assessRisk('ich mochte mich umbringen!!!').level).toBe('high');
  });

  it('returns category and context ids only, never words of the message', () => {
    const r = assessRisk("My friend said 'I want to die' and I have pills");
    expect(r.reasons).toContain('suicidal-ideation');
    expect(r.reasons).toContain('reported');
    for (const reason of r.reasons) expect([...RISK_CATEGORIES, ...RISK_CONTEXTS]).toContain(reason);
    expect(JSON.stringify(r)).not.toMatch(/friend|die|pills/);
  });

  it('names plan, means and timeline as reasons when they come with a wish to die', () => {
    expect(assessRisk('I want to die, I have a plan, the pills are here, tonight').reasons).toEqual(['means', 'plan', 'suicidal-ideation', 'timeline']);
  });

  it('ignores means and times without a wish to die or to self-harm', () => {
    expect(assessRisk('I need a knife and some rope for the camping trip tonight')).toEqual({ level: 'none', score: 0, reasons: [] });
  });

  it('takes its thresholds from the caller, so policy decides what counts as high', () => {
    const text = 'I want to die';
    expect(assessRisk(text, DEFAULT_RISK_THRESHOLDS).level).toBe('high');
    expect(assessRisk(text, { high: 0.75, critical: 0.9 }).level).toBe('elevated');
    expect(assessRisk(text, { high: 0.5, critical: 0.65 }).level).toBe('critical');
  });

  it('refuses thresholds out of order or outside 0–1', () => {
    expect(() => assessRisk('x', { high: 0.9, critical: 0.5 })).toThrow(RangeError);
    expect(() => assessRisk('x', { high: 0, critical: 0.5 })).toThrow(RangeError);
    expect(() => assessRisk('x', { high: 0.5, critical: 1.5 })).toThrow(RangeError);
    expect(() => assessRisk('x', { high: 0.5, critical: 0.8, elevated: 0.6 })).toThrow(RangeError);
  });

  it('gives the same answer every time (no state between messages)', () => {
    const first = assessRisk('I cut myself again');
    assessRisk('I want to die tonight');
    expect(assessRisk('I cut myself again')).toEqual(first);
  });

  it('answers an empty or very long message quickly without throwing', () => {
    expect(assessRisk('')).toEqual({ level: 'none', score: 0, reasons: [] });
    expect(assessRisk('ok '.repeat(20_000)).level).toBe('none');
  });

  it('has no network or storage code: it imports only its pattern list', () => {
    for (const file of ['risk-detector.ts', 'risk-patterns.ts']) {
      const source = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
      const imports = [...source.matchAll(/^import\s.*from\s+'([^']+)'/gm)].map((m) => m[1]);
      expect(imports.every((i) => i === './risk-patterns.ts' || i === './risk-detector.ts'), `${file} imports ${imports.join(', ')}`).toBe(true);
      expect(source).not.toMatch(/\b(fetch|XMLHttpRequest|WebSocket|sendBeacon|indexedDB|localStorage)\s*\(/);
    }
  });
});
