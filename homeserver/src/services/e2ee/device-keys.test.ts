// Device keys, one-time keys and fallback keys through DeviceKeysService against a real in-memory
// database: what upload accepts and rejects, what query shows, and how claim hands keys out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MatrixError } from '../../api/errors.ts';
import type { JsonObject } from '../../core/pdu.ts';
import { ALICE, BOB, REMOTE, makeFixture, signedDevice, type Fixture } from './test-fixture.ts';

let fx: Fixture;
beforeEach(async () => { fx = await makeFixture(); });
afterEach(() => fx.db.close());

const otk = (n: number): JsonObject => ({ [`signed_curve25519:K${n}`]: { key: `key-${n}`, signatures: { [BOB]: { 'ed25519:BDEV': `sig-${n}` } } } });

async function rejects(p: Promise<unknown>): Promise<MatrixError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(MatrixError);
  return e as MatrixError;
}

describe('keys/upload', () => {
  it('stores device keys whose user and device match the caller and reports zero one-time keys', async () => {
    await fx.addDevice(ALICE, 'ADEV');
    const d = signedDevice(ALICE, 'ADEV');
    expect(await fx.e2ee.keys.upload(ALICE, 'ADEV', { device_keys: d.deviceKeys })).toEqual({ signed_curve25519: 0 });
    const q = await fx.e2ee.keys.query(BOB, { [ALICE]: [] }, 0);
    expect(q.device_keys[ALICE]?.['ADEV']?.['keys']).toEqual(d.deviceKeys['keys']);
  });

  it('rejects device keys that name another user or another device', async () => {
    await fx.addDevice(ALICE, 'ADEV');
    const other = signedDevice(BOB, 'ADEV');
    expect((await rejects(fx.e2ee.keys.upload(ALICE, 'ADEV', { device_keys: other.deviceKeys }))).errcode).toBe('M_INVALID_PARAM');
    const otherDevice = signedDevice(ALICE, 'XDEV');
    expect((await rejects(fx.e2ee.keys.upload(ALICE, 'ADEV', { device_keys: otherDevice.deviceKeys }))).errcode).toBe('M_INVALID_PARAM');
  });

  it('rejects device keys without the device\'s own signature', async () => {
    await fx.addDevice(ALICE, 'ADEV');
    const d = signedDevice(ALICE, 'ADEV');
    const unsigned = { ...d.deviceKeys, signatures: { [ALICE]: { 'ed25519:OTHER': 'x' } } };
    const e = await rejects(fx.e2ee.keys.upload(ALICE, 'ADEV', { device_keys: unsigned }));
    expect(e.errcode).toBe('M_BAD_JSON');
    expect(e.message).toContain('ed25519:ADEV');
  });

  it('counts one-time keys per algorithm and accepts a retried upload of the same keys', async () => {
    await fx.addDevice(BOB, 'BDEV');
    await fx.e2ee.keys.upload(BOB, 'BDEV', { one_time_keys: { ...otk(1), ...otk(2), 'curve25519:C1': 'plain' } });
    expect(await fx.e2ee.keys.upload(BOB, 'BDEV', { one_time_keys: otk(1) })).toEqual({ signed_curve25519: 2, curve25519: 1 });
  });

  it('refuses a different one-time key under an id already used', async () => {
    await fx.addDevice(BOB, 'BDEV');
    await fx.e2ee.keys.upload(BOB, 'BDEV', { one_time_keys: otk(1) });
    const e = await rejects(fx.e2ee.keys.upload(BOB, 'BDEV', { one_time_keys: { 'signed_curve25519:K1': { key: 'changed', signatures: {} } } }));
    expect(e.errcode).toBe('M_INVALID_PARAM');
  });

  it('refuses two fallback keys of one algorithm in one upload', async () => {
    await fx.addDevice(BOB, 'BDEV');
    const e = await rejects(fx.e2ee.keys.upload(BOB, 'BDEV', { fallback_keys: { 'signed_curve25519:F1': { key: 'a' }, 'signed_curve25519:F2': { key: 'b' } } }));
    expect(e.errcode).toBe('M_BAD_JSON');
  });

  it('refuses keys from a token that has no device', async () => {
    expect((await rejects(fx.e2ee.keys.upload(ALICE, null, { one_time_keys: otk(1) }))).errcode).toBe('M_INVALID_PARAM');
  });

  it('marks the uploader as changed only when the device keys actually change', async () => {
    const d = await fx.deviceWithKeys(ALICE, 'ADEV');
    const pos = fx.streams.current;
    await fx.e2ee.keys.upload(ALICE, 'ADEV', { device_keys: d.deviceKeys });
    expect(fx.e2ee.deviceLists.changesFor(ALICE, pos, fx.streams.current).changed).toEqual([]);
  });
});

describe('keys/query', () => {
  it('returns every device with keys for an empty list, with its display name, and only the named ones otherwise', async () => {
    await fx.deviceWithKeys(ALICE, 'A1');
    await fx.deviceWithKeys(ALICE, 'A2');
    await fx.addDevice(ALICE, 'A1', 'Alice laptop');
    await fx.addDevice(ALICE, 'NOKEYS');
    const all = await fx.e2ee.keys.query(BOB, { [ALICE]: [] }, 0);
    expect(Object.keys(all.device_keys[ALICE]!).sort()).toEqual(['A1', 'A2']);
    expect(all.device_keys[ALICE]!['A1']!['unsigned']).toEqual({ device_display_name: 'Alice laptop' });
    expect(all.device_keys[ALICE]!['A1']!['signatures']).toHaveProperty([ALICE, 'ed25519:A1']);
    const one = await fx.e2ee.keys.query(BOB, { [ALICE]: ['A2'] }, 0);
    expect(Object.keys(one.device_keys[ALICE]!)).toEqual(['A2']);
  });

  it('answers unknown local users with no devices and remote users with a failure for their server', async () => {
    const q = await fx.e2ee.keys.query(ALICE, { '@nobody:hs.test': [], [REMOTE]: [] }, 0);
    expect(q.device_keys).toEqual({ '@nobody:hs.test': {} });
    expect(Object.keys(q.failures)).toEqual(['elsewhere.test']);
  });
});

describe('keys/claim', () => {
  it('hands out one-time keys in upload order, each only once', async () => {
    await fx.addDevice(BOB, 'BDEV');
    await fx.e2ee.keys.upload(BOB, 'BDEV', { one_time_keys: otk(1) });
    await fx.e2ee.keys.upload(BOB, 'BDEV', { one_time_keys: otk(2) });
    const first = await fx.e2ee.keys.claim({ [BOB]: { BDEV: 'signed_curve25519' } }, 0);
    const second = await fx.e2ee.keys.claim({ [BOB]: { BDEV: 'signed_curve25519' } }, 0);
    expect(Object.keys(first.one_time_keys[BOB]!['BDEV']!)).toEqual(['signed_curve25519:K1']);
    expect(Object.keys(second.one_time_keys[BOB]!['BDEV']!)).toEqual(['signed_curve25519:K2']);
    expect(fx.e2ee.keys.oneTimeKeyCounts(BOB, 'BDEV')).toEqual({ signed_curve25519: 0 });
  });

  it('falls back to the fallback key once one-time keys run out, marks it used, and keeps giving it', async () => {
    await fx.addDevice(BOB, 'BDEV');
    await fx.e2ee.keys.upload(BOB, 'BDEV', { fallback_keys: { 'signed_curve25519:F1': { key: 'fb', fallback: true, signatures: {} } } });
    expect(fx.e2ee.keys.unusedFallbackKeyTypes(BOB, 'BDEV')).toEqual(['signed_curve25519']);
    const a = await fx.e2ee.keys.claim({ [BOB]: { BDEV: 'signed_curve25519' } }, 0);
    const b = await fx.e2ee.keys.claim({ [BOB]: { BDEV: 'signed_curve25519' } }, 0);
    expect(a.one_time_keys[BOB]!['BDEV']!['signed_curve25519:F1']).toEqual({ key: 'fb', fallback: true, signatures: {} });
    expect(b.one_time_keys).toEqual(a.one_time_keys);
    expect(fx.e2ee.keys.unusedFallbackKeyTypes(BOB, 'BDEV')).toEqual([]);
  });

  it('keeps the used mark when the same fallback key is uploaded again, and clears it for a new one', async () => {
    await fx.addDevice(BOB, 'BDEV');
    const fallback = { 'signed_curve25519:F1': { key: 'fb', fallback: true } };
    await fx.e2ee.keys.upload(BOB, 'BDEV', { fallback_keys: fallback });
    await fx.e2ee.keys.claim({ [BOB]: { BDEV: 'signed_curve25519' } }, 0);
    await fx.e2ee.keys.upload(BOB, 'BDEV', { fallback_keys: fallback });
    expect(fx.e2ee.keys.unusedFallbackKeyTypes(BOB, 'BDEV')).toEqual([]);
    await fx.e2ee.keys.upload(BOB, 'BDEV', { fallback_keys: { 'signed_curve25519:F2': { key: 'fb2', fallback: true } } });
    expect(fx.e2ee.keys.unusedFallbackKeyTypes(BOB, 'BDEV')).toEqual(['signed_curve25519']);
  });

  it('wakes the owner of a claimed key so their sync reports the new count', async () => {
    await fx.addDevice(BOB, 'BDEV');
    await fx.e2ee.keys.upload(BOB, 'BDEV', { one_time_keys: otk(1) });
    const pos = fx.streams.current;
    fx.notifier.woken.length = 0;
    await fx.e2ee.keys.claim({ [BOB]: { BDEV: 'signed_curve25519' } }, 0);
    expect(fx.notifier.woken).toEqual([BOB]);
    expect(fx.e2ee.store.keyCountChangedBetween(BOB, 'BDEV', pos, fx.streams.current)).toBe(true);
  });

  it('omits devices with no keys and reports remote servers as failures', async () => {
    await fx.addDevice(BOB, 'BDEV');
    const r = await fx.e2ee.keys.claim({ [BOB]: { BDEV: 'signed_curve25519' }, [REMOTE]: { X: 'signed_curve25519' } }, 0);
    expect(r.one_time_keys).toEqual({});
    expect(Object.keys(r.failures)).toEqual(['elsewhere.test']);
  });
});

describe('device deletion', () => {
  it('removes the device\'s keys and tells the owner\'s devices', async () => {
    await fx.deviceWithKeys(ALICE, 'ADEV');
    await fx.e2ee.keys.upload(ALICE, 'ADEV', { one_time_keys: otk(1), fallback_keys: { 'signed_curve25519:F1': { key: 'fb' } } });
    const pos = fx.streams.current;
    await fx.e2ee.keys.deviceDeleted(ALICE, 'ADEV');
    expect(fx.e2ee.store.deviceKeys(ALICE, 'ADEV')).toBeUndefined();
    expect(fx.e2ee.keys.oneTimeKeyCounts(ALICE, 'ADEV')).toEqual({ signed_curve25519: 0 });
    expect(fx.e2ee.keys.unusedFallbackKeyTypes(ALICE, 'ADEV')).toEqual([]);
    expect(fx.e2ee.deviceLists.changesFor(ALICE, pos, fx.streams.current).changed).toEqual([ALICE]);
  });
});
