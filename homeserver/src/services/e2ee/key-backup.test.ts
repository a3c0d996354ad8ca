// Server-side key backup: versions, the spec's rules for replacing a stored session key, etags and
// counts, and the errors for unknown and outdated versions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MatrixError } from '../../api/errors.ts';
import { ALICE, BOB, makeFixture, type Fixture } from './test-fixture.ts';
import { shouldReplaceBackupKey, type KeyBackupData } from './key-backup.ts';

let fx: Fixture;
beforeEach(async () => { fx = await makeFixture(); });
afterEach(() => fx.db.close());

const ALG = 'm.megolm_backup.v1.curve25519-aes-sha2';
const key = (fmi: number, fc: number, verified: boolean, tag = 'x'): KeyBackupData => ({ first_message_index: fmi, forwarded_count: fc, is_verified: verified, session_data: { ciphertext: tag } });

async function rejects(p: Promise<unknown> | (() => unknown)): Promise<MatrixError> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(MatrixError);
  return e as MatrixError;
}

describe('replacement rules', () => {
  it('prefers a verified key, then a lower first message index, then a lower forwarded count', () => {
    expect(shouldReplaceBackupKey(key(0, 0, false), key(5, 5, true))).toBe(true);
    expect(shouldReplaceBackupKey(key(0, 0, true), key(0, 0, false))).toBe(false);
    expect(shouldReplaceBackupKey(key(5, 0, true), key(2, 9, true))).toBe(true);
    expect(shouldReplaceBackupKey(key(2, 3, false), key(2, 1, false))).toBe(true);
    expect(shouldReplaceBackupKey(key(2, 1, false), key(2, 1, false))).toBe(false);
  });
});

describe('backup versions', () => {
  it('answers M_NOT_FOUND when the user has no backup', async () => {
    expect((await rejects(() => fx.e2ee.backup.versionInfo(ALICE))).errcode).toBe('M_NOT_FOUND');
  });

  it('creates increasing versions and reports the newest as current, with etag and count', async () => {
    expect(await fx.e2ee.backup.createVersion(ALICE, ALG, { public_key: 'a' })).toBe('1');
    expect(await fx.e2ee.backup.createVersion(ALICE, ALG, { public_key: 'b' })).toBe('2');
    expect(fx.e2ee.backup.versionInfo(ALICE)).toEqual({ algorithm: ALG, auth_data: { public_key: 'b' }, version: '2', etag: '0', count: 0 });
    expect(fx.e2ee.backup.versionInfo(ALICE, '1')['auth_data']).toEqual({ public_key: 'a' });
    expect((await rejects(() => fx.e2ee.backup.versionInfo(BOB, '1'))).errcode).toBe('M_NOT_FOUND');
  });

  it('updates auth_data but refuses another algorithm or a mismatched body version', async () => {
    await fx.e2ee.backup.createVersion(ALICE, ALG, { public_key: 'a' });
    await fx.e2ee.backup.updateVersion(ALICE, '1', ALG, { public_key: 'new' }, '1');
    expect(fx.e2ee.backup.versionInfo(ALICE)['auth_data']).toEqual({ public_key: 'new' });
    expect((await rejects(fx.e2ee.backup.updateVersion(ALICE, '1', 'other', {}, undefined))).errcode).toBe('M_INVALID_PARAM');
    expect((await rejects(fx.e2ee.backup.updateVersion(ALICE, '1', ALG, {}, '2'))).errcode).toBe('M_INVALID_PARAM');
    expect((await rejects(fx.e2ee.backup.updateVersion(ALICE, '7', ALG, {}, undefined))).errcode).toBe('M_NOT_FOUND');
  });

  it('deletes a version with its keys, succeeds when deleting it again, and 404s for one never created', async () => {
    await fx.e2ee.backup.createVersion(ALICE, ALG, {});
    await fx.e2ee.backup.putKeys(ALICE, '1', { '!r:hs.test': { s1: key(0, 0, false) } });
    await fx.e2ee.backup.deleteVersion(ALICE, '1');
    await fx.e2ee.backup.deleteVersion(ALICE, '1');
    expect((await rejects(() => fx.e2ee.backup.versionInfo(ALICE))).errcode).toBe('M_NOT_FOUND');
    expect((await rejects(fx.e2ee.backup.deleteVersion(ALICE, '9'))).errcode).toBe('M_NOT_FOUND');
    expect(fx.e2ee.store.backupKeyCount(ALICE, 1)).toBe(0);
    expect(await fx.e2ee.backup.createVersion(ALICE, ALG, {})).toBe('2');
  });
});

describe('backup keys', () => {
  beforeEach(async () => { await fx.e2ee.backup.createVersion(ALICE, ALG, {}); });

  it('stores keys, returning the new etag and count, and keeps the better key on conflict', async () => {
    const a = await fx.e2ee.backup.putKeys(ALICE, '1', { '!r:hs.test': { s1: key(3, 0, false, 'first') } });
    expect(a).toEqual({ etag: '1', count: 1 });
    const worse = await fx.e2ee.backup.putKeys(ALICE, '1', { '!r:hs.test': { s1: key(5, 0, false, 'worse') } });
    expect(worse).toEqual({ etag: '1', count: 1 });
    const better = await fx.e2ee.backup.putKeys(ALICE, '1', { '!r:hs.test': { s1: key(1, 0, false, 'better'), s2: key(0, 0, true) } });
    expect(better).toEqual({ etag: '2', count: 2 });
    expect(fx.e2ee.backup.sessionKey(ALICE, '1', '!r:hs.test', 's1').session_data).toEqual({ ciphertext: 'better' });
  });

  it('refuses writes to a version that is not the current one with M_WRONG_ROOM_KEYS_VERSION and the current version', async () => {
    await fx.e2ee.backup.createVersion(ALICE, ALG, {});
    const e = await rejects(fx.e2ee.backup.putKeys(ALICE, '1', { '!r:hs.test': { s1: key(0, 0, false) } }));
    expect([e.status, e.errcode, e.extra['current_version']]).toEqual([403, 'M_WRONG_ROOM_KEYS_VERSION', '2']);
  });

  it('refuses writes when no backup exists with M_NOT_FOUND', async () => {
    const e = await rejects(fx.e2ee.backup.putKeys(BOB, '1', { '!r:hs.test': { s1: key(0, 0, false) } }));
    expect([e.status, e.errcode]).toEqual([404, 'M_NOT_FOUND']);
  });

  it('reads keys at all three levels, with empty results for an empty room and 404 for a missing session', async () => {
    await fx.e2ee.backup.putKeys(ALICE, '1', { '!a:hs.test': { s1: key(0, 0, false) }, '!b:hs.test': { s2: key(1, 1, true) } });
    expect(Object.keys(fx.e2ee.backup.allKeys(ALICE, '1').rooms).sort()).toEqual(['!a:hs.test', '!b:hs.test']);
    expect(fx.e2ee.backup.roomKeys(ALICE, '1', '!b:hs.test')).toEqual({ sessions: { s2: key(1, 1, true) } });
    expect(fx.e2ee.backup.roomKeys(ALICE, '1', '!none:hs.test')).toEqual({ sessions: {} });
    expect((await rejects(() => fx.e2ee.backup.sessionKey(ALICE, '1', '!a:hs.test', 'nope'))).errcode).toBe('M_NOT_FOUND');
    expect((await rejects(() => fx.e2ee.backup.allKeys(ALICE, '5'))).errcode).toBe('M_NOT_FOUND');
  });

  it('deletes keys at all three levels, moving the etag on only when something went', async () => {
    await fx.e2ee.backup.putKeys(ALICE, '1', { '!a:hs.test': { s1: key(0, 0, false), s2: key(0, 0, false) }, '!b:hs.test': { s3: key(0, 0, false) }, '!c:hs.test': { s4: key(0, 0, false) } });
    expect(await fx.e2ee.backup.deleteKeys(ALICE, '1', '!a:hs.test', 's1')).toEqual({ etag: '2', count: 3 });
    expect(await fx.e2ee.backup.deleteKeys(ALICE, '1', '!a:hs.test', 's1')).toEqual({ etag: '2', count: 3 });
    expect(await fx.e2ee.backup.deleteKeys(ALICE, '1', '!a:hs.test')).toEqual({ etag: '3', count: 2 });
    expect(await fx.e2ee.backup.deleteKeys(ALICE, '1')).toEqual({ etag: '4', count: 0 });
  });
});
