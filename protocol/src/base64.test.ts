import { describe, expect, it } from 'vitest';
import { Buffer } from 'node:buffer';
import { decodeUnpaddedBase64, decodeUnpaddedBase64Url, encodeUnpaddedBase64, encodeUnpaddedBase64Url } from './base64.ts';

// Node's Buffer serves as the independent reference implementation (tests run in Node only).
describe('unpadded base64', () => {
  it('encodes and decodes every length from 0 to 70 bytes the way Node does, without padding', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 151 + length * 7) & 255);
      const standard = Buffer.from(bytes).toString('base64').replace(/=+$/, '');
      const urlSafe = Buffer.from(bytes).toString('base64url');
      expect(encodeUnpaddedBase64(bytes)).toBe(standard);
      expect(encodeUnpaddedBase64Url(bytes)).toBe(urlSafe);
      expect(decodeUnpaddedBase64(standard)).toEqual(bytes);
      expect(decodeUnpaddedBase64Url(urlSafe)).toEqual(bytes);
    }
  });
  it('round-trips random byte strings', () => {
    for (let i = 0; i < 300; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(Math.random() * 100) }, () => Math.floor(Math.random() * 256));
      expect(decodeUnpaddedBase64(encodeUnpaddedBase64(bytes))).toEqual(bytes);
      expect(decodeUnpaddedBase64Url(encodeUnpaddedBase64Url(bytes))).toEqual(bytes);
    }
  });
  it('rejects padding, characters of the other alphabet, whitespace and impossible lengths', () => {
    expect(decodeUnpaddedBase64('YQ==')).toBeNull();
    expect(decodeUnpaddedBase64('-_8')).toBeNull();
    expect(decodeUnpaddedBase64Url('+/8')).toBeNull();
    expect(decodeUnpaddedBase64('YW Jj')).toBeNull();
    expect(decodeUnpaddedBase64('YWJjZ')).toBeNull();
  });
  it('rejects a second spelling of the same bytes (non-zero unused bits)', () => {
    expect(decodeUnpaddedBase64('YQ')).toEqual(Uint8Array.of(0x61));
    expect(decodeUnpaddedBase64('YR')).toBeNull();
    expect(decodeUnpaddedBase64('YWI')).toEqual(Uint8Array.of(0x61, 0x62));
    expect(decodeUnpaddedBase64('YWJ')).toBeNull();
  });
});
