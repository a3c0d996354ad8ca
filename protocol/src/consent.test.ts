import { describe, expect, it } from 'vitest';
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import {
  CONSENT_VERIFICATION_FAILURES,
  consentKeyId,
  consentKeyPairFromSeed,
  decodeConsentPublicKey,
  encodeConsentPublicKey,
  generateConsentKeyPair,
  newConsentReceipt,
  newNonce,
  newReceiptId,
  receiptHash,
  sameConsentScope,
  sha256Base64,
  signConsentReceipt,
  validateConsentReceipt,
  validateSignedConsentReceipt,
  verifyConsentReceipt,
} from './consent.ts';
import type { ConsentReceipt, ConsentScope, ConsentVerificationFailure, ConsentVerificationOptions, SignedConsentReceipt } from './consent.ts';
import { SchemaValidationError } from './validation.ts';

// Node's crypto is the independent reference for ed25519 and SHA-256 (tests run in Node only).
const nodeSha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64').replace(/=+$/, '');
const nodePrivateKey = (seed: Uint8Array) =>
  createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
const nodePublicKey = (publicKey: Uint8Array) =>
  createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]), format: 'der', type: 'spki' });

const SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const OTHER_SEED = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

const RECEIPT: ConsentReceipt = {
  version: 1,
  receipt_id: 'rcpt_7kq2m9Xb4LpW0aZs',
  student_user_id: '@s-7kq2m9:a.example',
  room_id: '!peerRoom1:a.example',
  scope: { share: 'summary', summary_sha256: nodeSha256('We talked about exam stress and sleep.') },
  counsellor_institution: 'a.example',
  severity: 'high',
  created_ts: T0,
  expires_ts: T0 + 15 * MINUTE,
  nonce: 'n0nce_Abcdefghijklmnop',
};

/** Expectations that the untouched RECEIPT meets exactly. */
const EXPECT: ConsentVerificationOptions = {
  now: T0 + MINUTE,
  maxSkewMs: 2 * MINUTE,
  expectedScope: RECEIPT.scope,
  expectedStudent: RECEIPT.student_user_id,
  expectedRoom: RECEIPT.room_id,
  expectedInstitution: RECEIPT.counsellor_institution,
};

const keys = await consentKeyPairFromSeed(SEED);
const otherKeys = await consentKeyPairFromSeed(OTHER_SEED);
const signed = await signConsentReceipt(RECEIPT, keys.secretKey);
const variant = (changes: Partial<ConsentReceipt>): ConsentReceipt => ({ ...RECEIPT, ...changes });
const codeOf = async (s: unknown, options = EXPECT, key: Uint8Array | string = keys.publicKey) => {
  const result = await verifyConsentReceipt(s, key, options);
  return result.ok ? 'ok' : result.code;
};

describe('signing a consent receipt', () => {
  it('signs the canonical JSON with ed25519 so that an independent implementation verifies it', () => {
    expect(signed.key_id).toBe(`ed25519:${Buffer.from(keys.publicKey).toString('base64').replace(/=+$/, '')}`);
    expect(signed.signature).toMatch(/^[A-Za-z0-9+/]{86}$/);
    const message = Buffer.from(canonicalJson(RECEIPT), 'utf8');
    const signature = Buffer.from(signed.signature, 'base64');
    expect(nodeVerify(null, message, nodePublicKey(keys.publicKey), signature)).toBe(true);
  });
  it('produces the same signature as an independent ed25519 signer with the same seed', () => {
    const theirs = nodeSign(null, Buffer.from(canonicalJson(RECEIPT), 'utf8'), nodePrivateKey(SEED)).toString('base64').replace(/=+$/, '');
    expect(signed.signature).toBe(theirs);
  });
  it('verifies a receipt signed by an independent ed25519 signer', async () => {
    const signature = nodeSign(null, Buffer.from(canonicalJson(RECEIPT), 'utf8'), nodePrivateKey(SEED)).toString('base64').replace(/=+$/, '');
    expect(await codeOf({ receipt: RECEIPT, signature, key_id: keys.keyId })).toBe('ok');
  });
  it('returns a copy of what it signed, unaffected by later changes to the caller’s object', async () => {
    const mine = structuredClone(RECEIPT);
    const result = await signConsentReceipt(mine, keys.secretKey);
    mine.severity = 'low';
    expect(result.receipt.severity).toBe('high');
    expect(await codeOf(result)).toBe('ok');
  });
  it('refuses to sign an invalid receipt and names the bad path', async () => {
    const bad = { ...RECEIPT, scope: { share: 'messages' } } as ConsentReceipt;
    await expect(signConsentReceipt(bad, keys.secretKey)).rejects.toThrow(SchemaValidationError);
    await expect(signConsentReceipt(bad, keys.secretKey)).rejects.toThrow(
      'invalid consent receipt: /scope/event_ids: expected the shared event IDs when share is "messages", got nothing (the property is missing)',
    );
  });
  it('refuses a secret key of the wrong length', async () => {
    await expect(signConsentReceipt(RECEIPT, keys.publicKey)).rejects.toThrow(/64 bytes, got 32/);
  });
});

describe('verifying a consent receipt', () => {
  it('accepts the signed receipt when every expectation holds', async () => {
    expect(await verifyConsentReceipt(signed, keys.publicKey, EXPECT)).toEqual({ ok: true, receipt: RECEIPT });
  });
  it('accepts it after JSON transport, with its keys in another order', async () => {
    const reordered = JSON.parse(JSON.stringify({ key_id: signed.key_id, signature: signed.signature, receipt: Object.fromEntries(Object.entries(signed.receipt).reverse()) }));
    expect(await codeOf(reordered)).toBe('ok');
  });
  it('accepts the public key as the unpadded base64 the client registered', async () => {
    expect(await codeOf(signed, EXPECT, encodeConsentPublicKey(keys.publicKey))).toBe('ok');
  });
  it('accepts when no expectations beyond time are given', async () => {
    expect(await codeOf(signed, { now: EXPECT.now, maxSkewMs: 0 })).toBe('ok');
  });

  it('returns every failure code, each for a receipt that differs in exactly that respect', async () => {
    const cases: Array<[ConsentVerificationFailure, () => Promise<string>]> = [
      ['bad_format', async () => codeOf({ ...signed, receipt: { ...signed.receipt, nonce: undefined } })],
      ['bad_signature', async () => codeOf(await signConsentReceipt(RECEIPT, otherKeys.secretKey))],
      ['expired', async () => codeOf(signed, { ...EXPECT, now: RECEIPT.expires_ts + EXPECT.maxSkewMs })],
      ['not_yet_valid', async () => codeOf(signed, { ...EXPECT, now: RECEIPT.created_ts - EXPECT.maxSkewMs - 1 })],
      ['scope_mismatch', async () => codeOf(await signConsentReceipt(variant({ scope: { share: 'nothing' } }), keys.secretKey))],
      ['wrong_student', async () => codeOf(await signConsentReceipt(variant({ student_user_id: '@s-other1:a.example' }), keys.secretKey))],
      ['wrong_room', async () => codeOf(await signConsentReceipt(variant({ room_id: '!otherRoom:a.example' }), keys.secretKey))],
      ['wrong_institution', async () => codeOf(await signConsentReceipt(variant({ counsellor_institution: 'b.example' }), keys.secretKey))],
    ];
    expect(cases.map(([code]) => code).sort()).toEqual([...CONSENT_VERIFICATION_FAILURES].sort());
    for (const [code, run] of cases) expect(await run(), code).toBe(code);
  });

  it('rejects a consent receipt signed by another key', async () => {
    const byOther = await signConsentReceipt(RECEIPT, otherKeys.secretKey);
    const result = await verifyConsentReceipt(byOther, keys.publicKey, EXPECT);
    expect(result).toEqual({ ok: false, code: 'bad_signature', reason: 'the receipt was signed with another key' });
  });
  it('rejects another key’s signature even when the key id claims the registered key', async () => {
    const byOther = await signConsentReceipt(RECEIPT, otherKeys.secretKey);
    const result = await verifyConsentReceipt({ ...byOther, key_id: keys.keyId }, keys.publicKey, EXPECT);
    expect(result).toEqual({ ok: false, code: 'bad_signature', reason: 'the signature does not match the receipt' });
  });
  it('rejects a signature with one bit flipped', async () => {
    const bytes = Buffer.from(signed.signature, 'base64');
    bytes[10] = bytes[10]! ^ 1;
    expect(await codeOf({ ...signed, signature: bytes.toString('base64').replace(/=+$/, '') })).toBe('bad_signature');
  });

  const tampers: Array<[string, Partial<ConsentReceipt>]> = [
    ['receipt_id', { receipt_id: 'rcpt_7kq2m9Xb4LpW0aZt' }],
    ['student_user_id', { student_user_id: '@s-7kq2m8:a.example' }],
    ['room_id', { room_id: '!peerRoom2:a.example' }],
    ['scope.share', { scope: { share: 'messages', event_ids: ['$e1'] } }],
    ['scope.summary_sha256', { scope: { share: 'summary', summary_sha256: nodeSha256('something else') } }],
    ['counsellor_institution', { counsellor_institution: 'b.example' }],
    ['severity', { severity: 'critical' }],
    ['created_ts', { created_ts: T0 - 1 }],
    ['expires_ts', { expires_ts: T0 + 60 * MINUTE }],
    ['nonce', { nonce: 'n0nce_Abcdefghijklmnoq' }],
  ];
  for (const [field, change] of tampers) {
    it(`rejects the receipt when ${field} is changed after signing`, async () => {
      // Expectations follow the tampered receipt, so only the signature can catch the change.
      const tampered = variant(change);
      const options = { ...EXPECT, expectedScope: tampered.scope, expectedStudent: tampered.student_user_id, expectedRoom: tampered.room_id, expectedInstitution: tampered.counsellor_institution };
      expect(await codeOf({ ...signed, receipt: tampered }, options)).toBe('bad_signature');
    });
  }
  it('rejects the receipt when an event id is added to a shared-messages scope after signing', async () => {
    const scope: ConsentScope = { share: 'messages', event_ids: ['$a', '$b'] };
    const s = await signConsentReceipt(variant({ scope }), keys.secretKey);
    const tampered = { ...s, receipt: { ...s.receipt, scope: { share: 'messages', event_ids: ['$a', '$b', '$c'] } } };
    expect(await codeOf(tampered, { ...EXPECT, expectedScope: tampered.receipt.scope as ConsentScope })).toBe('bad_signature');
  });

  it('honours the clock skew at both ends of the validity window', async () => {
    const skew = EXPECT.maxSkewMs;
    expect(await codeOf(signed, { ...EXPECT, now: RECEIPT.created_ts - skew })).toBe('ok');
    expect(await codeOf(signed, { ...EXPECT, now: RECEIPT.created_ts - skew - 1 })).toBe('not_yet_valid');
    expect(await codeOf(signed, { ...EXPECT, now: RECEIPT.expires_ts + skew - 1 })).toBe('ok');
    expect(await codeOf(signed, { ...EXPECT, now: RECEIPT.expires_ts + skew })).toBe('expired');
    expect(await codeOf(signed, { ...EXPECT, now: RECEIPT.expires_ts, maxSkewMs: 0 })).toBe('expired');
  });
  it('reports the signature before the time window, so nothing unsigned is trusted', async () => {
    const byOther = await signConsentReceipt(RECEIPT, otherKeys.secretKey);
    expect(await codeOf(byOther, { ...EXPECT, now: T0 + 365 * 24 * 60 * MINUTE })).toBe('bad_signature');
  });
  it('compares shared event ids as a set and otherwise wants the exact scope', async () => {
    const s = await signConsentReceipt(variant({ scope: { share: 'messages', event_ids: ['$a', '$b'] } }), keys.secretKey);
    expect(await codeOf(s, { ...EXPECT, expectedScope: { share: 'messages', event_ids: ['$b', '$a'] } })).toBe('ok');
    expect(await codeOf(s, { ...EXPECT, expectedScope: { share: 'messages', event_ids: ['$a'] } })).toBe('scope_mismatch');
    expect(await codeOf(signed, { ...EXPECT, expectedScope: { share: 'summary', summary_sha256: nodeSha256('other') } })).toBe('scope_mismatch');
    expect(sameConsentScope({ share: 'nothing' }, { share: 'nothing' })).toBe(true);
  });

  it('names the offending path in a bad_format reason', async () => {
    const cases: Array<[unknown, string]> = [
      ['not json object', '/: expected an object (signed consent receipt), got a string'],
      [{ ...signed, receipt: { ...signed.receipt, nonce: undefined } }, '/receipt/nonce: expected a random identifier'],
      [{ ...signed, extra: true }, '/extra: expected no other properties than receipt, signature, key_id'],
      [{ ...signed, receipt: { ...signed.receipt, note: 'hi' } }, '/receipt/note: expected no other properties than version, receipt_id'],
      [{ ...signed, receipt: { ...signed.receipt, created_ts: T0 + 0.5 } }, '/receipt/created_ts: expected a time in milliseconds since the Unix epoch (a non-negative integer), got a number with a fraction'],
      [{ ...signed, receipt: { ...signed.receipt, version: 2 } }, '/receipt/version: expected 1, got an integer'],
      [{ ...signed, receipt: { ...signed.receipt, severity: 'moderate' } }, '/receipt/severity: expected one of "low", "medium", "high", "critical"'],
      [{ ...signed, receipt: { ...signed.receipt, scope: { share: 'all' } } }, '/receipt/scope/share: expected one of "nothing", "summary", "messages"'],
      [{ ...signed, receipt: { ...signed.receipt, student_user_id: 'alice' } }, '/receipt/student_user_id: expected a Matrix user ID such as @s-7kq2m9:a.example, got a string in another format'],
      [{ ...signed, receipt: { ...signed.receipt, scope: { share: 'summary' } } }, '/receipt/scope/summary_sha256: expected the digest of the summary when share is "summary"'],
      [{ ...signed, receipt: { ...signed.receipt, scope: { share: 'nothing', event_ids: ['$a'] } } }, '/receipt/scope/event_ids: expected no event IDs when share is "nothing"'],
      [{ ...signed, receipt: { ...signed.receipt, scope: { share: 'messages', event_ids: ['$a', '$a'] } } }, '/receipt/scope/event_ids: expected a list of 1–500 items of a Matrix event ID such as $Abc123, without duplicates, got a list with duplicates'],
      [{ ...signed, receipt: { ...signed.receipt, expires_ts: T0 } }, '/receipt/expires_ts: expected a time after created_ts, got a time at or before created_ts'],
      [{ ...signed, signature: `${signed.signature}==` }, '/signature: expected an ed25519 signature in unpadded base64 (86 characters)'],
      [{ ...signed, key_id: keys.keyId.slice('ed25519:'.length) }, '/key_id: expected a key id: "ed25519:" followed by the unpadded base64 public key'],
    ];
    for (const [input, reason] of cases) {
      const result = await verifyConsentReceipt(input, keys.publicKey, EXPECT);
      expect(result.ok ? 'ok' : result.code, reason).toBe('bad_format');
      expect(result.ok ? '' : result.reason).toContain(reason);
    }
  });
  it('never echoes identifiers from the receipt in a failure reason', async () => {
    const result = await verifyConsentReceipt({ ...signed, receipt: { ...signed.receipt, student_user_id: 'secret-name' } }, keys.publicKey, EXPECT);
    expect(result.ok ? '' : result.reason).not.toContain('secret-name');
  });
  it('throws on a malformed public key or options, which are the caller’s mistakes, not the receipt’s', async () => {
    await expect(verifyConsentReceipt(signed, 'not-a-key', EXPECT)).rejects.toThrow(TypeError);
    await expect(verifyConsentReceipt(signed, keys.secretKey, EXPECT)).rejects.toThrow(/32 bytes, got 64/);
    await expect(verifyConsentReceipt(signed, keys.publicKey, { now: T0, maxSkewMs: -1 })).rejects.toThrow(TypeError);
    await expect(verifyConsentReceipt(signed, keys.publicKey, { now: Number.NaN, maxSkewMs: 0 })).rejects.toThrow(TypeError);
  });
});

describe('consent receipt validation', () => {
  it('accepts the three share levels with what each needs', () => {
    for (const scope of [{ share: 'nothing' }, { share: 'summary', summary_sha256: RECEIPT.scope.summary_sha256 }, { share: 'messages', event_ids: ['$x'] }, { share: 'messages', event_ids: ['$x'], summary_sha256: RECEIPT.scope.summary_sha256 }]) {
      expect(validateConsentReceipt({ ...RECEIPT, scope }).ok, JSON.stringify(scope)).toBe(true);
    }
  });
  it('reports paths relative to the receipt or to the signed envelope', () => {
    const bare = validateConsentReceipt({ ...RECEIPT, severity: 'urgent' });
    expect(bare.ok ? [] : bare.issues.map((i) => i.path)).toEqual(['/severity']);
    const wrapped = validateSignedConsentReceipt({ ...signed, receipt: { ...RECEIPT, severity: 'urgent' } });
    expect(wrapped.ok ? [] : wrapped.issues.map((i) => i.path)).toEqual(['/receipt/severity']);
  });
});

describe('keys, identifiers and hashes', () => {
  it('generates distinct key pairs whose key id names the public key', async () => {
    const a = await generateConsentKeyPair();
    const b = await generateConsentKeyPair();
    expect(a.publicKey).toHaveLength(32);
    expect(a.secretKey).toHaveLength(64);
    expect(a.keyId).toBe(consentKeyId(a.publicKey));
    expect(a.keyId).not.toBe(b.keyId);
  });
  it('derives the same public key from a seed as an independent implementation', async () => {
    const theirs = nodePublicKey(keys.publicKey).export({ format: 'der', type: 'spki' });
    const derived = createPublicKey(nodePrivateKey(SEED)).export({ format: 'der', type: 'spki' });
    expect(Buffer.compare(theirs, derived)).toBe(0);
    expect((await consentKeyPairFromSeed(SEED)).keyId).toBe(keys.keyId);
    await expect(consentKeyPairFromSeed(new Uint8Array(31))).rejects.toThrow(/32 bytes/);
  });
  it('encodes and strictly decodes public keys', () => {
    const text = encodeConsentPublicKey(keys.publicKey);
    expect(decodeConsentPublicKey(text)).toEqual(keys.publicKey);
    expect(() => decodeConsentPublicKey(`${text}=`)).toThrow(TypeError);
    expect(() => decodeConsentPublicKey(text.slice(1))).toThrow(TypeError);
    expect(() => encodeConsentPublicKey(new Uint8Array(31))).toThrow(TypeError);
  });
  it('makes random receipt ids and nonces that are URL-safe and never repeat', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const id = await newReceiptId();
      const nonce = await newNonce();
      expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
      ids.add(id).add(nonce);
    }
    expect(ids.size).toBe(1000);
  });
  it('hashes a receipt as SHA-256 of its canonical JSON, in unpadded base64', async () => {
    expect(await sha256Base64('abc')).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
    expect(await sha256Base64(new Uint8Array(0))).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU');
    expect(await receiptHash(RECEIPT)).toBe(nodeSha256(canonicalJson(RECEIPT)));
    expect(await receiptHash(Object.fromEntries(Object.entries(RECEIPT).reverse()) as ConsentReceipt)).toBe(await receiptHash(RECEIPT));
    expect(await receiptHash(variant({ severity: 'low' }))).not.toBe(await receiptHash(RECEIPT));
  });
  it('creates a receipt with fresh id, nonce and validity window, and refuses an empty window', async () => {
    const request = { student_user_id: RECEIPT.student_user_id, room_id: RECEIPT.room_id, scope: RECEIPT.scope, counsellor_institution: 'a.example', severity: 'medium' as const };
    const a = await newConsentReceipt(request, { now: T0, ttlMs: 10 * MINUTE });
    const b = await newConsentReceipt(request, { now: T0, ttlMs: 10 * MINUTE });
    expect(a).toMatchObject({ version: 1, created_ts: T0, expires_ts: T0 + 10 * MINUTE, severity: 'medium' });
    expect(a.receipt_id).not.toBe(b.receipt_id);
    expect(a.nonce).not.toBe(b.nonce);
    await expect(newConsentReceipt(request, { now: T0, ttlMs: 0 })).rejects.toThrow('/expires_ts: expected a time after created_ts');
  });
});

// Property-style round trips over random receipts and keys (plain loops; no property library).
describe('random consent receipts', () => {
  const rnd = (n: number): number => Math.floor(Math.random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const word = (chars: string, min: number, max: number): string =>
    Array.from({ length: min + rnd(max - min + 1) }, () => chars[rnd(chars.length)]).join('');
  const ID = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  const LOCAL = 'abcdefghijklmnopqrstuvwxyz0123456789._=-/+';
  const randomScope = (): ConsentScope => {
    switch (rnd(3)) {
      case 0:
        return { share: 'nothing' };
      case 1:
        return { share: 'summary', summary_sha256: nodeSha256(word(ID, 0, 40)) };
      default: {
        const ids = [...new Set(Array.from({ length: 1 + rnd(6) }, () => `$${word(ID, 5, 43)}`))];
        return Math.random() < 0.5 ? { share: 'messages', event_ids: ids } : { share: 'messages', event_ids: ids, summary_sha256: nodeSha256(word(ID, 1, 9)) };
      }
    }
  };
  const randomReceipt = (): ConsentReceipt => {
    const created = rnd(2 ** 42);
    return {
      version: 1,
      receipt_id: word(ID, 16, 40),
      student_user_id: `@${word(LOCAL, 1, 20)}:${pick(['a.example', 'b.example:8448', 'uni.example.ac.uk', '[::1]:8008', '10.0.0.1'])}`,
      room_id: `!${word(ID, 5, 43)}${pick(['', ':a.example'])}`,
      scope: randomScope(),
      counsellor_institution: pick(['a.example', 'b.example', 'c.example:8448']),
      severity: pick(['low', 'medium', 'high', 'critical'] as const),
      created_ts: created,
      expires_ts: created + 1 + rnd(7 * 24 * 60 * MINUTE),
      nonce: word(ID, 16, 64),
    };
  };
  const mutate = (r: ConsentReceipt): ConsentReceipt => {
    const copy = structuredClone(r);
    switch (rnd(8)) {
      case 0:
        copy.receipt_id = `${copy.receipt_id}x`;
        break;
      case 1:
        copy.student_user_id = copy.student_user_id.replace('@', '@x');
        break;
      case 2:
        copy.room_id = `${copy.room_id}x`;
        break;
      case 3:
        copy.scope = copy.scope.share === 'nothing' ? { share: 'summary', summary_sha256: nodeSha256('x') } : { share: 'nothing' };
        break;
      case 4:
        copy.counsellor_institution = `x${copy.counsellor_institution}`;
        break;
      case 5:
        copy.severity = copy.severity === 'low' ? 'critical' : 'low';
        break;
      case 6:
        copy.expires_ts += 1;
        break;
      default:
        copy.nonce = `${copy.nonce}x`;
    }
    return copy;
  };

  it('verifies every random receipt it signs, and rejects it after any random change or under another key', async () => {
    for (let i = 0; i < 150; i++) {
      const pair = await generateConsentKeyPair();
      const receipt = randomReceipt();
      expect(validateConsentReceipt(receipt).ok).toBe(true);
      const s: SignedConsentReceipt = JSON.parse(JSON.stringify(await signConsentReceipt(receipt, pair.secretKey)));
      const now = receipt.created_ts + rnd(receipt.expires_ts - receipt.created_ts);
      const exact = { now, maxSkewMs: rnd(5 * MINUTE), expectedScope: receipt.scope, expectedStudent: receipt.student_user_id, expectedRoom: receipt.room_id, expectedInstitution: receipt.counsellor_institution };
      expect(await verifyConsentReceipt(s, pair.publicKey, exact)).toEqual({ ok: true, receipt });
      expect(await codeOf({ ...s, receipt: mutate(receipt) }, { now, maxSkewMs: exact.maxSkewMs }, pair.publicKey)).toBe('bad_signature');
      expect(await codeOf(s, exact, otherKeys.publicKey)).toBe('bad_signature');
      expect(await receiptHash(s.receipt)).toBe(nodeSha256(canonicalJson(receipt)));
    }
  });
});
