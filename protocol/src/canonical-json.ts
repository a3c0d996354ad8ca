// Canonical JSON as the Matrix specification defines it (appendix "Canonical JSON"): object keys
// sorted by code point, no insignificant whitespace, integers only, shortest UTF-8 string form.
// Signatures and hashes are computed over this form, so it must match Synapse byte for byte.

/** Thrown when a value has no canonical JSON form (floats, out-of-range integers, non-JSON types). */
export class CanonicalJsonError extends Error {}

const MAX_SAFE = 2 ** 53 - 1;

function compareCodePoints(a: string, b: string): number {
  // JS sorts by UTF-16 code units; the spec sorts by code point. They differ only where one key has
  // a surrogate pair and the other a BMP character above U+D7FF, so compare code points properly.
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

function keyOrder(a: string, b: string): number {
  // Fast path for the common all-ASCII case.
  if (a < b) return /[\ud800-\uffff]/.test(a + b) ? compareCodePoints(a, b) : -1;
  if (a > b) return /[\ud800-\uffff]/.test(a + b) ? compareCodePoints(a, b) : 1;
  return 0;
}

function encode(value: unknown, out: string[]): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      if (!Number.isInteger(value) || value > MAX_SAFE || value < -MAX_SAFE) {
        throw new CanonicalJsonError(`number ${value} is not an integer in [-(2^53)+1, (2^53)-1]`);
      }
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      if (value === null) {
        out.push('null');
        return;
      }
      if (Array.isArray(value)) {
        out.push('[');
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',');
          encode(value[i], out);
        }
        out.push(']');
        return;
      }
      {
        const obj = value as Record<string, unknown>;
        const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(keyOrder);
        out.push('{');
        for (let i = 0; i < keys.length; i++) {
          if (i > 0) out.push(',');
          const k = keys[i]!;
          out.push(JSON.stringify(k), ':');
          encode(obj[k], out);
        }
        out.push('}');
      }
      return;
    default:
      throw new CanonicalJsonError(`value of type ${typeof value} has no JSON form`);
  }
}

/** Encodes a JSON value as canonical JSON text. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  encode(value, out);
  return out.join('');
}

/** Checks that a parsed JSON value could be canonically encoded (used to reject floats in events). */
export function assertCanonicalizable(value: unknown): void {
  canonicalJson(value);
}
