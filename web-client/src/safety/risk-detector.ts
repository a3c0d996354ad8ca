// The on-device risk detector (DESIGN.md flow 4): reads one decrypted message and says how strongly
// it suggests the writer is at risk, so the client can show crisis resources and ask for consent.
// PRIVACY: it runs on the device only and sends nothing anywhere. This module imports no network,
// storage or Matrix code and keeps no state; its output carries category ids, never message text.
//
// How it works: the text is normalised (case, diacritics, German umlaut spellings, punctuation,
// elongations such as "sooo"), split into sentences and clauses, and matched against short token
// patterns per category (risk-patterns below). Each match is then weighed by its context: negated
// ("I'm not going to hurt myself"), reported or quoted ("my friend said 'I want to die'"),
// hypothetical or past, or covered by an idiom ("this homework is killing me"). Category weights
// combine as independent evidence: score = 1 − Π(1 − weight).

import { RISK_PATTERNS, IDIOM_PATTERNS, CONTEXT_WORDS } from './risk-patterns.ts';

export type RiskLevel = 'none' | 'elevated' | 'high' | 'critical';

/**
 * Score thresholds. They are the institution policy's (`risk_detection.thresholds` in
 * protocol/src/policy.ts, told to clients by GET /v1/policy; safety/risk-policy.ts reads them), so
 * callers pass them in; DEFAULT_RISK_THRESHOLDS equals the policy's defaults. `elevated` defaults to 0.3.
 */
export interface RiskThresholds {
  high: number;
  critical: number;
  elevated?: number;
}

export const DEFAULT_RISK_THRESHOLDS: Readonly<Required<RiskThresholds>> = { elevated: 0.3, high: 0.6, critical: 0.82 };

/** Risk categories (what was said) and context ids (how it was said); these are all `reasons` holds. */
export const RISK_CATEGORIES = [
  'suicidal-ideation', 'suicidal-intent', 'self-harm', 'overdose-or-injury', 'abuse-disclosure',
  'hopelessness', 'farewell', 'plan', 'means', 'timeline',
] as const;
export type RiskCategory = (typeof RISK_CATEGORIES)[number];
export const RISK_CONTEXTS = ['reported', 'hypothetical', 'past'] as const;
export type RiskContext = (typeof RISK_CONTEXTS)[number];

export interface RiskAssessment {
  level: RiskLevel;
  /** 0–1, rounded to three decimals. */
  score: number;
  /** Category ids (and context ids when they lowered the score), sorted; never any of the text. */
  reasons: (RiskCategory | RiskContext)[];
}

// ---- normalising -----------------------------------------------------------------------------------

interface Token { word: string; sentence: number; clause: number; quoted: boolean }

const QUOTES = /["“”„‟«»‹›「」]/;
const CLAUSE_WORDS = new Set(['but', 'aber', 'sondern', 'doch', 'though', 'however', 'jedoch']);

/**
 * One token's comparable form: lower case, umlauts and their "ae/oe/ue" spellings folded, other
 * diacritics dropped, and doubled letters squeezed, so "sooo", "killlll", "Strasse" and "Straße" meet
 * their dictionary forms. Patterns go through the same function, so they are written naturally.
 */
export function foldWord(word: string): string {
  return word
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[äöü]/g, (c) => ({ ä: 'a', ö: 'o', ü: 'u' })[c] ?? c)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/ae/g, 'a').replace(/oe/g, 'o').replace(/ue/g, 'u')
    .replace(/(\p{L})\1+/gu, '$1');
}

/** Splits a message into folded word tokens with sentence, clause and quotation marks. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let sentence = 0;
  let clause = 0;
  let quoted = false;
  // Apostrophes inside words vanish (don't → dont, I'm → im); a lone ' at a word edge is a quote.
  const chunks = text.normalize('NFC').replace(/(\p{L})['’](\p{L})/gu, '$1$2').replace(/-/g, ' ').match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
  for (const chunk of chunks) {
    if (QUOTES.test(chunk) || chunk === "'" || chunk === '’' || chunk === '‘') { quoted = !quoted; clause++; continue; }
    if (/^[.!?\n]$/.test(chunk)) { sentence++; clause++; continue; }
    if (/^[,;:()–—]$/.test(chunk)) { clause++; continue; }
    if (!/[\p{L}\p{N}]/u.test(chunk)) continue;
    const word = foldWord(chunk);
    if (CLAUSE_WORDS.has(word)) { clause++; }
    tokens.push({ word, sentence, clause, quoted });
  }
  return tokens;
}

// ---- patterns --------------------------------------------------------------------------------------
// A pattern is space-separated tokens: "a|b" alternatives, "kill*" a prefix, a trailing "?" makes a
// token optional, "#" any number, "..." skips up to three words (negations among them still count).

interface PatternToken { alts: { text: string; prefix: boolean }[]; optional: boolean; gap: boolean; number: boolean }
type Pattern = PatternToken[];

function compile(source: string): Pattern {
  return source.trim().split(/\s+/).map((raw) => {
    if (raw === '...') return { alts: [], optional: false, gap: true, number: false };
    const optional = raw.endsWith('?');
    const body = optional ? raw.slice(0, -1) : raw;
    if (body === '#') return { alts: [], optional, gap: false, number: true };
    const alts = body.split('|').map((a) => ({ text: foldWord(a.replace(/\*$/, '')), prefix: a.endsWith('*') }));
    return { alts, optional, gap: false, number: false };
  });
}

interface Match { start: number; end: number; /** token indexes matched by "..." gaps */ gaps: number[] }

function tokenFits(p: PatternToken, word: string): boolean {
  if (p.number) return /^\d+$/.test(word);
  return p.alts.some((a) => (a.prefix ? word.startsWith(a.text) : word === a.text));
}

/** Matches a pattern at `start`, staying inside one clause; returns the longest match or null. */
function matchAt(pattern: Pattern, tokens: Token[], start: number, crossClause = false): Match | null {
  const clause = tokens[start]?.clause;
  const sameClause = (t: Token | undefined) => t !== undefined && (crossClause ? t.sentence === tokens[start]!.sentence : t.clause === clause);
  const go = (pi: number, ti: number, gaps: number[]): Match | null => {
    if (pi === pattern.length) return { start, end: ti, gaps };
    const p = pattern[pi]!;
    const t = tokens[ti];
    const inClause = sameClause(t);
    if (p.gap) {
      for (let skip = 0; skip <= 3; skip++) {
        if (skip > 0 && !sameClause(tokens[ti + skip - 1])) break;
        const r = go(pi + 1, ti + skip, [...gaps, ...range(ti, ti + skip)]);
        if (r) return r;
      }
      return null;
    }
    if (inClause && tokenFits(p, t!.word)) {
      const r = go(pi + 1, ti + 1, gaps);
      if (r) return r;
    }
    return p.optional ? go(pi + 1, ti, gaps) : null;
  };
  return go(0, start, []);
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

function findAll(patterns: Pattern[], tokens: Token[]): Match[] {
  const out: Match[] = [];
  for (const pattern of patterns) {
    for (let i = 0; i < tokens.length; i++) {
      const m = matchAt(pattern, tokens, i);
      if (m && m.end > m.start) out.push(m);
    }
  }
  return out;
}

const compiled = Object.fromEntries(
  Object.entries(RISK_PATTERNS).map(([category, list]) => [category, list.map(compile)]),
) as Record<RiskCategory, Pattern[]>;
const idioms = IDIOM_PATTERNS.map(compile);
const markers = {
  reporting: CONTEXT_WORDS.reporting.map(compile),
  hypothetical: CONTEXT_WORDS.hypothetical.map(compile),
  past: CONTEXT_WORDS.past.map(compile),
  intent: CONTEXT_WORDS.intent.map(compile),
};
const set = (words: readonly string[]) => new Set(words.map(foldWord));
const NEGATORS = set(CONTEXT_WORDS.negators);
const TRAILING_NEGATORS = set(CONTEXT_WORDS.trailingNegators);
const NEGATION_CANCELLERS = set(CONTEXT_WORDS.negationCancellers);
const SCOPE_BREAKERS = set(CONTEXT_WORDS.scopeBreakers);
const THIRD_PERSON = set(CONTEXT_WORDS.thirdPerson);
const FIRST_PERSON = set(CONTEXT_WORDS.firstPerson);

// ---- weighing --------------------------------------------------------------------------------------

const WEIGHTS: Record<RiskCategory, number> = {
  'suicidal-ideation': 0.7,
  'suicidal-intent': 0.8,
  'self-harm': 0.65,
  'overdose-or-injury': 0.9,
  'abuse-disclosure': 0.65,
  hopelessness: 0.35,
  farewell: 0.45,
  plan: 0.45,
  means: 0.45,
  timeline: 0.45,
};
/** Plan, means and timeline only matter alongside a stated wish to die or to self-harm. */
const AMPLIFIERS = new Set<RiskCategory>(['plan', 'means', 'timeline']);
const AMPLIFIED = new Set<RiskCategory>(['suicidal-ideation', 'suicidal-intent', 'self-harm']);

const FACTOR = { negated: 0.3, reported: 0.5, hypothetical: 0.5, past: 0.5 } as const;

/** True when one of the marker patterns matches in the same sentence before token `before`. */
function markerBefore(patterns: Pattern[], tokens: Token[], before: number, sameClause: boolean, window = 50): number | null {
  const anchor = tokens[before]!;
  for (let i = before - 1; i >= 0 && i >= before - window; i--) {
    const t = tokens[i]!;
    if (t.sentence !== anchor.sentence || (sameClause && t.clause !== anchor.clause)) break;
    for (const p of patterns) if (matchAt(p, tokens, i, true)) return i;
  }
  return null;
}

function isNegated(tokens: Token[], m: Match): boolean {
  const isNeg = (i: number) => NEGATORS.has(tokens[i]!.word) && !NEGATION_CANCELLERS.has(tokens[i + 1]?.word ?? '');
  if (m.gaps.some(isNeg)) return true;
  const clause = tokens[m.start]!.clause;
  for (let i = m.end; i < m.end + 2; i++) {
    const t = tokens[i];
    if (t === undefined || t.clause !== clause) break;
    if (TRAILING_NEGATORS.has(t.word)) return true;
  }
  for (let i = m.start - 1; i >= 0 && i >= m.start - 4; i--) {
    const t = tokens[i]!;
    if (t.clause !== clause || SCOPE_BREAKERS.has(t.word)) return false;
    if (isNeg(i)) return true;
  }
  return false;
}

function isReported(tokens: Token[], m: Match, category: RiskCategory): boolean {
  if (range(m.start, m.end).some((i) => tokens[i]!.quoted)) return true;
  const verb = markerBefore(markers.reporting, tokens, m.start, false);
  // "I told my mum I want to die" is the writer's own statement, not a report.
  if (verb !== null && !FIRST_PERSON.has(tokens[verb - 1]?.word ?? '')) return true;
  if (category === 'abuse-disclosure') {
    // The abuser is a third person by nature; the victim (the last word, the object) decides.
    return THIRD_PERSON.has(tokens[m.end - 1]!.word);
  }
  if (range(m.start, m.end).some((i) => THIRD_PERSON.has(tokens[i]!.word))) return true;
  const clause = tokens[m.start]!.clause;
  for (let i = m.start - 1; i >= 0 && i >= m.start - 3; i--) {
    const t = tokens[i]!;
    if (t.clause !== clause) break;
    if (FIRST_PERSON.has(t.word)) return false;
    if (THIRD_PERSON.has(t.word)) return true;
  }
  return false;
}

/** Assesses one decrypted message. Pure: same text and thresholds, same answer; nothing leaves. */
export function assessRisk(text: string, thresholds: RiskThresholds = DEFAULT_RISK_THRESHOLDS): RiskAssessment {
  const t = checkThresholds(thresholds);
  const tokens = tokenize(text.slice(0, 10_000));
  const idiomSpans = findAll(idioms, tokens);
  const overlaps = (a: Match, b: Match) => a.start < b.end && b.start < a.end;

  const best = new Map<RiskCategory, number>();
  const contexts = new Set<RiskContext>();
  const primarySpans: Match[] = [];
  const candidates: { category: RiskCategory; m: Match }[] = [];
  for (const category of RISK_CATEGORIES) {
    for (const m of findAll(compiled[category], tokens)) {
      if (idiomSpans.some((i) => overlaps(i, m))) continue;
      candidates.push({ category, m });
    }
  }
  // Primary categories first so amplifier words inside a primary phrase are not counted twice.
  candidates.sort((a, b) => Number(AMPLIFIERS.has(a.category)) - Number(AMPLIFIERS.has(b.category)));
  for (const { category: found, m } of candidates) {
    // Words a primary phrase consumed are not counted again; words in its gaps ("ich bringe mich heute Nacht um") are.
    if (AMPLIFIERS.has(found) && primarySpans.some((p) => range(m.start, m.end).some((i) => i >= p.start && i < p.end && !p.gaps.includes(i)))) continue;
    let category = found;
    let factor = 1;
    const applied: RiskContext[] = [];
    if (isNegated(tokens, m)) factor *= FACTOR.negated;
    if (isReported(tokens, m, category)) { factor *= FACTOR.reported; applied.push('reported'); }
    if (markerBefore(markers.hypothetical, tokens, m.start, false) !== null) { factor *= FACTOR.hypothetical; applied.push('hypothetical'); }
    if (markerBefore(markers.past, tokens, m.start, true) !== null) { factor *= FACTOR.past; applied.push('past'); }
    if (category === 'suicidal-ideation' && markerBefore(markers.intent, tokens, m.start, true, 4) !== null) category = 'suicidal-intent';
    const weight = WEIGHTS[category] * factor;
    if (!AMPLIFIERS.has(category)) primarySpans.push(m);
    if (weight > (best.get(category) ?? 0)) best.set(category, weight);
    if (factor < 1) for (const c of applied) contexts.add(c);
  }

  const hasAmplified = [...AMPLIFIED].some((c) => (best.get(c) ?? 0) >= 0.5);
  let remaining = 1;
  const reasons: (RiskCategory | RiskContext)[] = [];
  for (const [category, weight] of best) {
    if (AMPLIFIERS.has(category) && !hasAmplified) continue;
    if (weight < 0.25) continue; // a negated mention alone is not evidence
    remaining *= 1 - weight;
    reasons.push(category);
  }
  const score = Math.round((1 - remaining) * 1000) / 1000;
  if (reasons.length > 0) reasons.push(...contexts);
  const level: RiskLevel = score >= t.critical ? 'critical' : score >= t.high ? 'high' : score >= t.elevated ? 'elevated' : 'none';
  return { level, score, reasons: [...new Set(reasons)].sort() };
}

function checkThresholds(t: RiskThresholds): Required<RiskThresholds> {
  const elevated = t.elevated ?? Math.min(DEFAULT_RISK_THRESHOLDS.elevated, t.high);
  const ok = [elevated, t.high, t.critical].every((n) => Number.isFinite(n) && n > 0 && n <= 1) && elevated <= t.high && t.high <= t.critical;
  if (!ok) throw new RangeError('risk thresholds must satisfy 0 < elevated ≤ high ≤ critical ≤ 1');
  return { elevated, high: t.high, critical: t.critical };
}
