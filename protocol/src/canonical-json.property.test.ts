// Property-based tests of canonical JSON (spec appendix "Canonical JSON") with fast-check. The output
// is read back by a strict recogniser written from the appendix's grammar, so "no insignificant
// whitespace", "keys in code-point order", "integers only" and "only the spec's escapes" are checked on
// the bytes themselves rather than through JSON.parse, which would accept far more.
//
// Lone surrogates (a JS string can hold one; Unicode text cannot) are the code's own decision: they are
// written as a lowercase \udxxx escape (what JSON.stringify does), so the output is always valid UTF-8
// and parses back to the same string. Synapse refuses such strings instead; neither can be signed text
// that the other side re-encodes differently, because the escaped form is the only form we ever emit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalJsonError } from './canonical-json.ts';

// Bounded in `npm test`; `npm run fuzz` raises it with PEERLINE_PROPERTY_RUNS.
const RUNS = Number(process.env['PEERLINE_PROPERTY_RUNS']) || 200;
const MAX_SAFE = 2 ** 53 - 1;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u));
const unit = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f', '\u2028', '\ufeff', '\ufb01', '\u{1f600}', 'a', 'B', '0') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((u) => String.fromCharCode(u)) },
  { weight: 1, arbitrary: loneSurrogate },
);
const text = fc.string({ unit, maxLength: 8 });
const safeInt = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -MAX_SAFE, max: MAX_SAFE }), fc.constantFrom(0, MAX_SAFE, -MAX_SAFE));

const { json } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), safeInt, text,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(text, tie('json'), { maxKeys: 5 }),
  ),
}));

// ---- a strict recogniser of the appendix grammar ---------------------------------------------------

/** A parsed canonical value whose objects keep their keys in written order (JS objects reorder "1"). */
type Parsed = null | boolean | number | string | Parsed[] | { entries: [string, Parsed][] };

const SHORT_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const SHORT_FOR = new Map(Object.entries(SHORT_ESCAPES).map(([k, v]) => [v, k]));

function readCanonical(src: string): Parsed {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`not canonical at ${i}: ${what} in ${JSON.stringify(src.slice(Math.max(0, i - 10), i + 10))}`);
  };
  const value = (): Parsed => {
    const c = src[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (src.startsWith('true', i)) return (i += 4), true;
    if (src.startsWith('false', i)) return (i += 5), false;
    if (src.startsWith('null', i)) return (i += 4), null;
    const m = /^-?(0|[1-9][0-9]*)/.exec(src.slice(i, i + 20));
    if (!m) return fail('no value');
    if (m[0] === '-0') fail('negative zero');
    i += m[0].length;
    if (src[i] === '.' || src[i] === 'e' || src[i] === 'E') fail('fraction or exponent');
    return Number(m[0]);
  };
  const string = (): string => {
    i++;
    let out = '';
    for (;;) {
      if (i >= src.length) fail('unterminated string');
      const c = src[i]!;
      if (c === '"') return i++, out;
      if (c.charCodeAt(0) < 0x20) fail('raw control character');
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const e = src[i + 1]!;
      if (e in SHORT_ESCAPES) {
        out += SHORT_ESCAPES[e];
        i += 2;
        continue;
      }
      const hex = /^u([0-9a-f]{4})/.exec(src.slice(i + 1, i + 6));
      if (!hex) fail('escape other than the spec\'s (or uppercase hex)');
      const u = parseInt(hex![1]!, 16);
      // Only control characters without a short form may use \u, plus (our choice) lone surrogates.
      const isControl = u < 0x20 && !SHORT_FOR.has(String.fromCharCode(u));
      const isSurrogate = u >= 0xd800 && u <= 0xdfff;
      if (!isControl && !isSurrogate) fail(`needless \\u escape of U+${hex![1]}`);
      out += String.fromCharCode(u);
      i += 6;
    }
  };
  const array = (): Parsed[] => {
    i++;
    const out: Parsed[] = [];
    if (src[i] === ']') return i++, out;
    for (;;) {
      out.push(value());
      if (src[i] === ']') return i++, out;
      if (src[i] !== ',') fail('expected , or ]');
      i++;
    }
  };
  const object = (): { entries: [string, Parsed][] } => {
    i++;
    const entries: [string, Parsed][] = [];
    if (src[i] === '}') return i++, { entries };
    for (;;) {
      if (src[i] !== '"') fail('expected a key');
      const k = string();
      if (src[i] !== ':') fail('expected :');
      i++;
      entries.push([k, value()]);
      if (src[i] === '}') return i++, { entries };
      if (src[i] !== ',') fail('expected , or }');
      i++;
    }
  };
  const v = value();
  if (i !== src.length) fail('trailing text');
  return v;
}

function codePointCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k]! - y[k]!;
  return x.length - y.length;
}

/** Checks key order everywhere and converts to a plain value. */
function toPlain(p: Parsed): Json {
  if (Array.isArray(p)) return p.map(toPlain);
  if (p === null || typeof p !== 'object') return p;
  const out: { [k: string]: Json } = {};
  p.entries.forEach(([k, v], n) => {
    if (n > 0) expect(codePointCompare(p.entries[n - 1]![0], k), `key ${JSON.stringify(k)} out of code-point order`).toBeLessThan(0);
    out[k] = toPlain(v);
  });
  return out;
}

function shuffleKeys(v: Json, order: number[]): Json {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, order));
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v);
  const keyed = entries.map((e, n) => ({ e, r: order[n % order.length]! + n / 1000 }));
  keyed.sort((a, b) => a.r - b.r);
  return Object.fromEntries(keyed.map(({ e: [k, x] }) => [k, shuffleKeys(x, order)]));
}

describe('canonical JSON properties (fast-check)', () => {
  it('writes the appendix grammar exactly (no whitespace, sorted keys, spec escapes, integers) and reads back equal', () => {
    fc.assert(fc.property(json, (value) => {
      const out = canonicalJson(value);
      expect(toPlain(readCanonical(out))).toEqual(value);
      expect(JSON.parse(out)).toEqual(value);
    }), { numRuns: RUNS });
  });

  it('is idempotent: encoding the parsed output gives the output again', () => {
    fc.assert(fc.property(json, (value) => {
      const out = canonicalJson(value);
      expect(canonicalJson(JSON.parse(out))).toBe(out);
    }), { numRuns: RUNS });
  });

  it('does not depend on the order keys were inserted in', () => {
    fc.assert(fc.property(json, fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 8 }), (value, order) => {
      expect(canonicalJson(shuffleKeys(value, order))).toBe(canonicalJson(value));
    }), { numRuns: RUNS });
  });

  it('always produces well-formed Unicode, so its UTF-8 bytes decode back to the same text', () => {
    fc.assert(fc.property(json, (value) => {
      const out = canonicalJson(value);
      // With the u flag a surrogate only matches when it is lone (a pair reads as one astral code point).
      expect(out).not.toMatch(/\p{Cs}/u);
      expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
    }), { numRuns: RUNS });
  });

  it('writes every string character as itself unless the spec requires an escape', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 16 }), (s) => {
      // Well-formed strings (unit 'binary' yields whole code points): nothing but " \ and C0 controls is escaped.
      const expected = '"' + Array.from(s, (c) => {
        if (SHORT_FOR.has(c)) return '\\' + SHORT_FOR.get(c)!;
        const u = c.codePointAt(0)!;
        return u < 0x20 ? '\\u' + u.toString(16).padStart(4, '0') : c;
      }).join('') + '"';
      expect(canonicalJson(s)).toBe(expected);
    }), { numRuns: RUNS });
  });

  it('writes a lone surrogate as a lowercase \\u escape and reads it back as the same code unit', () => {
    fc.assert(fc.property(text, loneSurrogate, text, (a, lone, b) => {
      // A high surrogate directly followed by a low one is a pair, not lone; keep them apart.
      const s = a + 'x' + lone + 'x' + b;
      const out = canonicalJson({ [s]: s });
      expect(out).toContain('\\u' + lone.charCodeAt(0).toString(16));
      expect(JSON.parse(out)).toEqual({ [s]: s });
    }), { numRuns: RUNS });
  });

  it('writes integers in [-(2^53)+1, 2^53-1] in plain decimal and refuses every other number', () => {
    fc.assert(fc.property(safeInt, (n) => {
      expect(canonicalJson(n)).toBe(n === 0 ? '0' : String(n));
      expect(canonicalJson([-0])).toBe('[0]');
    }), { numRuns: RUNS });
    const notCanonical = fc.oneof(
      fc.double({ noNaN: false }).filter((d) => !Number.isInteger(d) || Math.abs(d) > MAX_SAFE),
      fc.integer({ min: 1, max: 2 ** 20 }).map((k) => MAX_SAFE + k),
      fc.integer({ min: 1, max: 2 ** 20 }).map((k) => -MAX_SAFE - k),
      fc.constantFrom(NaN, Infinity, -Infinity, 0.5, 1e21, 2 ** 53),
    );
    fc.assert(fc.property(notCanonical, json, (bad, around) => {
      expect(() => canonicalJson(bad)).toThrow(CanonicalJsonError);
      // Nested anywhere, a bad number refuses the whole value.
      expect(() => canonicalJson({ ok: around, deep: [{ x: bad }] })).toThrow(CanonicalJsonError);
    }), { numRuns: RUNS });
  });
});
