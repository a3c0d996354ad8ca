import { describe, expect, it } from 'vitest';
import { signingKeyFromSeed, signJson, verifyJsonSignature } from './signing.ts';
import { decodeBase64 } from './base64.ts';
import { computeContentHash, computeEventId, hashAndSignEvent } from './event-hash.ts';
import { redactEvent } from './redaction.ts';
import type { Pdu } from './pdu.ts';

// The test key of the spec's appendix "Signing JSON" examples.
const SPEC_SEED = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1')!;
const specKey = signingKeyFromSeed('ed25519:1', SPEC_SEED);

describe('signing JSON', () => {
  it('derives the spec example public key from its seed', () => {
    expect(specKey.publicKeyBase64).toBe('XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI');
  });
  it('produces the spec signature for an empty object', () => {
    expect(signJson({}, 'domain', specKey).signatures).toEqual({ domain: { 'ed25519:1': 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ' } });
  });
  it('produces the spec signature for a data object and keeps unsigned out of it', () => {
    const signed = signJson({ one: 1, two: 'Two', unsigned: { age_ts: 5 } }, 'domain', specKey);
    expect(signed.signatures['domain']!['ed25519:1']).toBe('KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw');
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', specKey.publicKeyBase64)).toBe(true);
  });
  it('fails verification when a signed field changes', () => {
    const signed = signJson({ one: 1 }, 'domain', specKey);
    expect(verifyJsonSignature({ ...signed, one: 2 }, 'domain', 'ed25519:1', specKey.publicKeyBase64)).toBe(false);
  });
});

describe('event hashing and signing', () => {
  const base = {
    auth_events: [], content: { body: 'Here is the message content' }, depth: 3, origin_server_ts: 1000000,
    prev_events: [], room_id: '!x:domain', sender: '@a:domain', type: 'm.room.message', unsigned: { age_ts: 1000000 },
  } as unknown as Pdu;
  it('computes the content hash over the event without hashes, signatures and unsigned', () => {
    const h1 = computeContentHash(base);
    const h2 = computeContentHash({ ...base, unsigned: { other: 1 }, signatures: { x: { y: 'z' } } } as Pdu);
    expect(h1).toBe(h2);
    expect(computeContentHash({ ...base, content: { body: 'other' } })).not.toBe(h1);
  });
  it('gives redacted-equal events the same event id and signs the redacted form', () => {
    const pdu = hashAndSignEvent(base, '10', 'domain', specKey);
    const id = computeEventId(pdu, '10');
    expect(id).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
    const redacted = redactEvent(pdu, '10');
    expect(computeEventId(redacted, '10')).toBe(id);
    const forSig = { ...redactEvent(pdu, '10') } as Record<string, unknown>;
    expect(verifyJsonSignature(forSig, 'domain', 'ed25519:1', specKey.publicKeyBase64)).toBe(true);
  });
});

describe('redaction algorithm', () => {
  it('keeps only the allowed keys of power levels, with invite only in room version 11', () => {
    const ev = { type: 'm.room.power_levels', content: { users: { '@a:x': 100 }, invite: 50, notifications: { room: 50 } }, origin: 'x' };
    expect(redactEvent(ev, '10')).toEqual({ type: 'm.room.power_levels', content: { users: { '@a:x': 100 } }, origin: 'x' });
    expect(redactEvent(ev, '11')).toEqual({ type: 'm.room.power_levels', content: { users: { '@a:x': 100 }, invite: 50 } });
  });
  it('keeps the whole create content in room version 11 and only creator before', () => {
    const ev = { type: 'm.room.create', content: { creator: '@a:x', room_version: '10', 'm.federate': false } };
    expect(redactEvent(ev, '10').content).toEqual({ creator: '@a:x' });
    expect(redactEvent(ev, '11').content).toEqual(ev.content);
  });
  it('empties message content', () => {
    expect(redactEvent({ type: 'm.room.message', content: { body: 'secret' } }, '11').content).toEqual({});
  });
});
