// Cross-signing keys and signature uploads through CrossSigningService, with real ed25519 keys, and
// what /keys/query shows of them to the owner and to other users.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MatrixError } from '../../api/errors.ts';
import type { JsonObject } from '../../core/pdu.ts';
import type { SigningKey } from '../../core/signing.ts';
import { ALICE, BOB, crossSigningKey, crossSigningKeyObject, makeFixture, signJson, type Fixture, type TestDevice } from './test-fixture.ts';

let fx: Fixture;
beforeEach(async () => { fx = await makeFixture(); });
afterEach(() => fx.db.close());

interface Identity {
  master: SigningKey;
  selfSigning: SigningKey;
  userSigning: SigningKey;
  body: JsonObject;
}

function identity(userId: string): Identity {
  const master = crossSigningKey();
  const selfSigning = crossSigningKey();
  const userSigning = crossSigningKey();
  return {
    master, selfSigning, userSigning,
    body: {
      master_key: crossSigningKeyObject(userId, 'master', master),
      self_signing_key: crossSigningKeyObject(userId, 'self_signing', selfSigning, master),
      user_signing_key: crossSigningKeyObject(userId, 'user_signing', userSigning, master),
    },
  };
}

async function bootstrap(userId: string): Promise<Identity> {
  const id = identity(userId);
  await fx.e2ee.crossSigning.storeKeys(userId, fx.e2ee.crossSigning.parseUpload(userId, id.body));
  return id;
}

function thrown(fn: () => unknown): MatrixError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    return e as MatrixError;
  }
  throw new Error('expected a MatrixError');
}

const masterOf = (userId: string, id: Identity): JsonObject => crossSigningKeyObject(userId, 'master', id.master);
const deviceSignedBy = (d: TestDevice, key: SigningKey): JsonObject => signJson({ ...d.deviceKeys }, d.userId, key) as unknown as JsonObject;

describe('keys/device_signing/upload', () => {
  it('accepts a first set of keys whose sub-keys are signed by the master key, and reports the user as changed', async () => {
    const pos = fx.streams.current;
    const id = await bootstrap(ALICE);
    const q = await fx.e2ee.keys.query(ALICE, { [ALICE]: [] }, 0);
    expect(q.master_keys[ALICE]?.['keys']).toEqual({ [id.master.keyId]: id.master.publicKeyBase64 });
    expect(q.self_signing_keys[ALICE]?.['keys']).toEqual({ [id.selfSigning.keyId]: id.selfSigning.publicKeyBase64 });
    expect(q.user_signing_keys[ALICE]?.['keys']).toEqual({ [id.userSigning.keyId]: id.userSigning.publicKeyBase64 });
    expect(fx.e2ee.deviceLists.changesFor(ALICE, pos, fx.streams.current).changed).toEqual([ALICE]);
  });

  it('rejects a self-signing key not signed by the master key with M_INVALID_SIGNATURE', () => {
    const id = identity(ALICE);
    const body = { ...id.body, self_signing_key: crossSigningKeyObject(ALICE, 'self_signing', id.selfSigning, crossSigningKey()) };
    expect(thrown(() => fx.e2ee.crossSigning.parseUpload(ALICE, body)).errcode).toBe('M_INVALID_SIGNATURE');
  });

  it('rejects sub-keys when no master key exists with M_MISSING_PARAM', () => {
    const id = identity(ALICE);
    expect(thrown(() => fx.e2ee.crossSigning.parseUpload(ALICE, { self_signing_key: id.body['self_signing_key']! })).errcode).toBe('M_MISSING_PARAM');
  });

  it('rejects keys of another user, with the wrong usage, or with more than one public key', () => {
    const id = identity(ALICE);
    expect(thrown(() => fx.e2ee.crossSigning.parseUpload(BOB, id.body)).errcode).toBe('M_INVALID_PARAM');
    expect(thrown(() => fx.e2ee.crossSigning.parseUpload(ALICE, { master_key: crossSigningKeyObject(ALICE, 'self_signing', id.master) })).errcode).toBe('M_INVALID_PARAM');
    const twoKeys = { user_id: ALICE, usage: ['master'], keys: { [id.master.keyId]: id.master.publicKeyBase64, 'ed25519:x': 'x' } };
    expect(thrown(() => fx.e2ee.crossSigning.parseUpload(ALICE, { master_key: twoKeys })).errcode).toBe('M_INVALID_PARAM');
  });

  it('refuses a public key equal to one of the user\'s device ids with 403', async () => {
    const id = identity(ALICE);
    await fx.addDevice(ALICE, id.master.publicKeyBase64);
    const e = thrown(() => fx.e2ee.crossSigning.parseUpload(ALICE, id.body));
    expect([e.status, e.errcode]).toEqual([403, 'M_FORBIDDEN']);
  });

  it('treats re-sending the stored keys as unchanged and new keys as a change', async () => {
    const id = await bootstrap(ALICE);
    expect(fx.e2ee.crossSigning.hasMasterKey(ALICE)).toBe(true);
    expect(fx.e2ee.crossSigning.isUnchanged(ALICE, fx.e2ee.crossSigning.parseUpload(ALICE, id.body))).toBe(true);
    expect(fx.e2ee.crossSigning.isUnchanged(ALICE, fx.e2ee.crossSigning.parseUpload(ALICE, identity(ALICE).body))).toBe(false);
  });
});

describe('keys/signatures/upload', () => {
  it('stores a device signature by the self-signing key, which everyone then sees on the device', async () => {
    const id = await bootstrap(ALICE);
    const dev = await fx.deviceWithKeys(ALICE, 'ADEV');
    const r = await fx.e2ee.crossSigning.uploadSignatures(ALICE, { [ALICE]: { ADEV: deviceSignedBy(dev, id.selfSigning) } });
    expect(r.failures).toEqual({});
    const q = await fx.e2ee.keys.query(BOB, { [ALICE]: [] }, 0);
    const sigs = q.device_keys[ALICE]!['ADEV']!['signatures'] as Record<string, Record<string, string>>;
    expect(Object.keys(sigs[ALICE]!).sort()).toEqual(['ed25519:ADEV', id.selfSigning.keyId].sort());
  });

  it('stores the master key signed by one of the user\'s devices', async () => {
    const id = await bootstrap(ALICE);
    const dev = await fx.deviceWithKeys(ALICE, 'ADEV');
    const signed = signJson(masterOf(ALICE, id), ALICE, dev.key) as unknown as JsonObject;
    expect((await fx.e2ee.crossSigning.uploadSignatures(ALICE, { [ALICE]: { [id.master.publicKeyBase64]: signed } })).failures).toEqual({});
    const q = await fx.e2ee.keys.query(BOB, { [ALICE]: [] }, 0);
    expect(q.master_keys[ALICE]!['signatures']).toHaveProperty([ALICE, 'ed25519:ADEV']);
  });

  it('reports a signature that does not verify as M_INVALID_SIGNATURE and stores nothing', async () => {
    await bootstrap(ALICE);
    const dev = await fx.deviceWithKeys(ALICE, 'ADEV');
    const forged = deviceSignedBy(dev, crossSigningKey());
    const realSelfSigning = JSON.parse(fx.e2ee.store.crossSigningKey(ALICE, 'self_signing')!.key_json) as { keys: Record<string, string> };
    const [keyId] = Object.keys(realSelfSigning.keys);
    // Put the forged signature under the real self-signing key id.
    const sigs = forged['signatures'] as Record<string, Record<string, string>>;
    const forgedSig = Object.entries(sigs[ALICE]!).find(([k]) => k !== 'ed25519:ADEV')![1];
    const body = { ...forged, signatures: { [ALICE]: { 'ed25519:ADEV': sigs[ALICE]!['ed25519:ADEV']!, [keyId!]: forgedSig } } };
    const r = await fx.e2ee.crossSigning.uploadSignatures(ALICE, { [ALICE]: { ADEV: body } });
    expect(r.failures[ALICE]?.['ADEV']?.['errcode']).toBe('M_INVALID_SIGNATURE');
    expect(fx.e2ee.store.signaturesFor(ALICE, [ALICE])).toEqual([]);
  });

  it('reports a signed object that differs from the stored device keys', async () => {
    const id = await bootstrap(ALICE);
    const dev = await fx.deviceWithKeys(ALICE, 'ADEV');
    const altered = signJson({ ...dev.deviceKeys, algorithms: ['other'] }, ALICE, id.selfSigning) as unknown as JsonObject;
    const r = await fx.e2ee.crossSigning.uploadSignatures(ALICE, { [ALICE]: { ADEV: altered, NOPE: altered } });
    expect(r.failures[ALICE]?.['ADEV']?.['errcode']).toBe('M_INVALID_PARAM');
    expect(r.failures[ALICE]?.['NOPE']?.['errcode']).toBe('M_NOT_FOUND');
  });

  it('shows a user-signing signature on another user\'s master key only to the signer, and tells only the signer', async () => {
    const alice = await bootstrap(ALICE);
    const bob = await bootstrap(BOB);
    const signed = signJson(masterOf(BOB, bob), ALICE, alice.userSigning) as unknown as JsonObject;
    const pos = fx.streams.current;
    expect((await fx.e2ee.crossSigning.uploadSignatures(ALICE, { [BOB]: { [bob.master.publicKeyBase64]: signed } })).failures).toEqual({});
    const asAlice = await fx.e2ee.keys.query(ALICE, { [BOB]: [] }, 0);
    expect(asAlice.master_keys[BOB]!['signatures']).toHaveProperty([ALICE, alice.userSigning.keyId]);
    const asBob = await fx.e2ee.keys.query(BOB, { [BOB]: [] }, 0);
    expect(asBob.master_keys[BOB]!['signatures']).toBeUndefined();
    expect(fx.e2ee.deviceLists.changesFor(ALICE, pos, fx.streams.current).changed).toEqual([BOB]);
    expect(fx.e2ee.deviceLists.changesFor(BOB, pos, fx.streams.current).changed).toEqual([]);
  });

  it('refuses to sign another user\'s key that is not their master key', async () => {
    const alice = await bootstrap(ALICE);
    const bob = await bootstrap(BOB);
    const ssk = crossSigningKeyObject(BOB, 'self_signing', bob.selfSigning, bob.master);
    const signed = signJson(ssk, ALICE, alice.userSigning) as unknown as JsonObject;
    const r = await fx.e2ee.crossSigning.uploadSignatures(ALICE, { [BOB]: { [bob.selfSigning.publicKeyBase64]: signed } });
    expect(r.failures[BOB]?.[bob.selfSigning.publicKeyBase64]?.['errcode']).toBe('M_INVALID_PARAM');
  });

  it('returns the user-signing key only to its owner', async () => {
    await bootstrap(ALICE);
    const q = await fx.e2ee.keys.query(BOB, { [ALICE]: [] }, 0);
    expect(q.user_signing_keys).toEqual({});
    expect(Object.keys(q.master_keys)).toEqual([ALICE]);
  });
});
