// Unpadded base64 as Matrix writes keys, signatures and hashes, implemented without Buffer so the
// protocol module runs unchanged in browsers. Decoding is strict (one encoding per byte string), so
// a signature or key cannot be re-spelt to slip past a comparison or a duplicate check.

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function encodeWith(alphabet: string, bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]!;
  }
  return out;
}

function decodeWith(alphabet: string, text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const values = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const v = alphabet.indexOf(text[i]!);
    if (v < 0) return null;
    values[i] = v;
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 3 < values.length; i += 4) {
    const n = (values[i]! << 18) | (values[i + 1]! << 12) | (values[i + 2]! << 6) | values[i + 3]!;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  const rest = values.length - i;
  if (rest === 2) {
    const n = (values[i]! << 18) | (values[i + 1]! << 12);
    if (n & 0xffff) return null; // non-zero unused bits: a second spelling of the same bytes
    out[o] = n >>> 16;
  } else if (rest === 3) {
    const n = (values[i]! << 18) | (values[i + 1]! << 12) | (values[i + 2]! << 6);
    if (n & 0xff) return null;
    out[o] = n >>> 16;
    out[o + 1] = (n >>> 8) & 255;
  }
  return out;
}

/** Standard alphabet, no padding (Matrix keys, signatures, hashes). */
export function encodeUnpaddedBase64(bytes: Uint8Array): string {
  return encodeWith(STANDARD, bytes);
}

/** URL-safe alphabet, no padding (random identifiers that travel in URLs). */
export function encodeUnpaddedBase64Url(bytes: Uint8Array): string {
  return encodeWith(URL_SAFE, bytes);
}

/** Strictly decodes standard unpadded base64; null when the text is not exactly that. */
export function decodeUnpaddedBase64(text: string): Uint8Array | null {
  return decodeWith(STANDARD, text);
}

/** Strictly decodes URL-safe unpadded base64; null when the text is not exactly that. */
export function decodeUnpaddedBase64Url(text: string): Uint8Array | null {
  return decodeWith(URL_SAFE, text);
}
