import { describe, expect, it } from 'vitest';
import { KeyResponseError, MAX_KEY_VALIDITY_MS, OWN_KEY_VALIDITY_MS, ownKeyResponse, verifyKeyResponse } from './key-response.ts';
import { generateSigningKey, signJson } from '../core/signing.ts';

const NOW = 1_800_000_000_000;
const key = generateSigningKey();
const other = generateSigningKey();

function response(over: Record<string, unknown> = {}, signer = key): Record<string, unknown> {
  return signJson({
    server_name: 'a.example',
    valid_until_ts: NOW + 3600_000,
    verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
    old_verify_keys: {},
    ...over,
  }, 'a.example', signer);
}

describe('verifying a server key response', () => {
  it('accepts a self-signed response and returns its key valid until valid_until_ts', () => {
    const v = verifyKeyResponse(response(), 'a.example', NOW, { rejectExpired: true });
    expect(v.keys).toEqual([{ keyId: key.keyId, publicKey: key.publicKeyBase64, validUntilTs: NOW + 3600_000, isOld: false }]);
  });

  it('rejects a response altered after signing', () => {
    const r = response();
    r['valid_until_ts'] = NOW + 10 * 24 * 3600_000;
    expect(() => verifyKeyResponse(r, 'a.example', NOW)).toThrow(/does not verify/);
  });

  it('rejects a response whose verify key was swapped for another', () => {
    const r = response();
    r['verify_keys'] = { [key.keyId]: { key: other.publicKeyBase64 } };
    expect(() => verifyKeyResponse(r, 'a.example', NOW)).toThrow(KeyResponseError);
  });

  it('rejects a response for another server than the one asked', () => {
    expect(() => verifyKeyResponse(response(), 'b.example', NOW)).toThrow(/for server "a.example", not b.example/);
  });

  it('rejects a response signed only by a key it does not list', () => {
    expect(() => verifyKeyResponse(response({}, other), 'a.example', NOW)).toThrow(/not signed with any of its verify keys/);
  });

  it('rejects an unsigned response', () => {
    const { signatures: _s, ...unsigned } = response();
    void _s;
    expect(() => verifyKeyResponse(unsigned, 'a.example', NOW)).toThrow(/not signed/);
  });

  it('rejects an expired response fetched from the server itself, but keeps one a notary cached', () => {
    const r = response({ valid_until_ts: NOW - 1 });
    expect(() => verifyKeyResponse(r, 'a.example', NOW, { rejectExpired: true })).toThrow(/expired/);
    expect(verifyKeyResponse(r, 'a.example', NOW).keys[0]!.validUntilTs).toBe(NOW - 1);
  });

  it('uses at most seven days of validity, whatever valid_until_ts says', () => {
    const v = verifyKeyResponse(response({ valid_until_ts: NOW + 365 * 24 * 3600_000 }), 'a.example', NOW);
    expect(v.keys[0]!.validUntilTs).toBe(NOW + MAX_KEY_VALIDITY_MS);
  });

  it('returns old_verify_keys valid until their expired_ts, marked old', () => {
    const v = verifyKeyResponse(response({ old_verify_keys: { 'ed25519:old': { key: other.publicKeyBase64, expired_ts: NOW - 5000 } } }), 'a.example', NOW);
    expect(v.keys).toContainEqual({ keyId: 'ed25519:old', publicKey: other.publicKeyBase64, validUntilTs: NOW - 5000, isOld: true });
  });

  it('rejects a response without a valid_until_ts', () => {
    expect(() => verifyKeyResponse(response({ valid_until_ts: 'soon' }), 'a.example', NOW)).toThrow(/valid_until_ts/);
  });

  it('accepts its own published response, old keys included', () => {
    const r = ownKeyResponse('a.example', key, [{ keyId: 'ed25519:old', publicKey: other.publicKeyBase64, expiredTs: NOW - 1 }], NOW);
    expect(r['valid_until_ts']).toBe(NOW + OWN_KEY_VALIDITY_MS);
    const v = verifyKeyResponse(r, 'a.example', NOW, { rejectExpired: true });
    expect(v.keys.map((k) => [k.keyId, k.isOld])).toEqual([[key.keyId, false], ['ed25519:old', true]]);
  });
});
