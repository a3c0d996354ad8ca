// The E2EE key endpoints over HTTP against a real homeserver process: key upload, query and claim,
// to-device delivery and device-list changes through /sync, key backup with its version rules,
// and cross-signing uploads with user-interactive auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { generateSigningKey, signJson, signingKeyFromSeed, type SigningKey } from '../../homeserver/src/core/signing.ts';

type Json = Record<string, unknown>;

let hs: TestHomeserver;
let alice: RegisteredUser;
let bob: RegisteredUser;

beforeAll(async () => {
  hs = await startHomeserver({ serverName: 'keys.localhost' });
  alice = await hs.registerUser('alice');
  bob = await hs.registerUser('bob');
});

afterAll(async () => {
  await hs?.stop();
  hs?.cleanup();
});

function deviceKey(deviceId: string): SigningKey {
  return signingKeyFromSeed(`ed25519:${deviceId}`, generateSigningKey().seed);
}

function crossKey(): SigningKey {
  const k = generateSigningKey();
  return signingKeyFromSeed(`ed25519:${k.publicKeyBase64}`, k.seed);
}

function deviceKeys(user: RegisteredUser, key: SigningKey): Json {
  return signJson({
    user_id: user.userId, device_id: user.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${user.deviceId}`]: 'Y3VydmUyNTUxOWtleQ', [`ed25519:${user.deviceId}`]: key.publicKeyBase64 },
  }, user.userId, key);
}

const signedKey = (user: RegisteredUser, key: SigningKey, value: string, fallback = false): Json =>
  signJson({ key: value, ...(fallback ? { fallback: true } : {}) }, user.userId, key);

async function sync(user: RegisteredUser, since?: string): Promise<Json & { next_batch: string }> {
  const q = since ? `?timeout=0&since=${encodeURIComponent(since)}` : '?timeout=0';
  const r = await api<Json & { next_batch: string }>(hs, 'GET', `/_matrix/client/v3/sync${q}`, { token: user.accessToken });
  expect(r.status).toBe(200);
  return r.body;
}

describe('E2EE keys over HTTP', () => {
  it('uploads device, one-time and fallback keys, which another user then queries and claims', async () => {
    const key = deviceKey(alice.deviceId);
    const up = await api(hs, 'POST', '/_matrix/client/v3/keys/upload', {
      token: alice.accessToken,
      body: {
        device_keys: deviceKeys(alice, key),
        one_time_keys: { 'signed_curve25519:AAAA': signedKey(alice, key, 'b3RrMQ'), 'signed_curve25519:AAAB': signedKey(alice, key, 'b3RrMg') },
        fallback_keys: { 'signed_curve25519:FFFF': signedKey(alice, key, 'ZmFsbGJhY2s', true) },
      },
    });
    expect(up).toEqual({ status: 200, body: { one_time_key_counts: { signed_curve25519: 2 } } });

    const q = await api<{ device_keys: Record<string, Record<string, Json>>; failures: Json }>(hs, 'POST', '/_matrix/client/v3/keys/query', {
      token: bob.accessToken, body: { device_keys: { [alice.userId]: [], '@someone:far.away.example': [] } },
    });
    expect(q.status).toBe(200);
    const dev = q.body.device_keys[alice.userId]![alice.deviceId]!;
    expect(dev['keys']).toEqual(deviceKeys(alice, key)['keys']);
    expect(dev['signatures']).toEqual(deviceKeys(alice, key)['signatures']);
    expect(Object.keys(q.body.failures)).toEqual(['far.away.example']);

    const claim = async (): Promise<Json> => (await api<{ one_time_keys: Record<string, Record<string, Json>> }>(hs, 'POST', '/_matrix/client/v3/keys/claim', {
      token: bob.accessToken, body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } },
    })).body.one_time_keys[alice.userId]![alice.deviceId]!;
    expect(Object.keys(await claim())).toEqual(['signed_curve25519:AAAA']);
    expect(Object.keys(await claim())).toEqual(['signed_curve25519:AAAB']);
    expect(await claim()).toEqual({ 'signed_curve25519:FFFF': signedKey(alice, key, 'ZmFsbGJhY2s', true) });

    const s = await sync(alice);
    expect(s['device_one_time_keys_count']).toEqual({ signed_curve25519: 0 });
    expect(s['device_unused_fallback_key_types']).toEqual([]);
  });

  it('rejects device keys for another device with 400', async () => {
    const other = { ...bob, deviceId: 'NOTMINE' };
    const r = await api(hs, 'POST', '/_matrix/client/v3/keys/upload', { token: bob.accessToken, body: { device_keys: deviceKeys(other, deviceKey('NOTMINE')) } });
    expect(r.status).toBe(400);
    expect(r.body['errcode']).toBe('M_INVALID_PARAM');
  });

  it('delivers a to-device message once through the recipient\'s sync, even when the sender retries', async () => {
    const first = await sync(alice);
    const path = '/_matrix/client/v3/sendToDevice/m.test.ping/txn-1';
    const body = { messages: { [alice.userId]: { [alice.deviceId]: { n: 1 } } } };
    expect((await api(hs, 'PUT', path, { token: bob.accessToken, body })).status).toBe(200);
    expect((await api(hs, 'PUT', path, { token: bob.accessToken, body })).status).toBe(200);
    const second = await sync(alice, first.next_batch);
    expect((second['to_device'] as { events: Json[] }).events).toEqual([{ sender: bob.userId, type: 'm.test.ping', content: { n: 1 } }]);
    const third = await sync(alice, second.next_batch);
    expect((third['to_device'] as { events: Json[] }).events).toEqual([]);
  });

  it('answers a to-device request without messages with 400', async () => {
    const r = await api(hs, 'PUT', '/_matrix/client/v3/sendToDevice/m.test/txn-x', { token: bob.accessToken, body: {} });
    expect([r.status, r.body['errcode']]).toEqual([400, 'M_MISSING_PARAM']);
  });

  it('lists a room-mate in device_lists.changed when they join and when they add a device, and in /keys/changes', async () => {
    const room = await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { invite: [bob.userId] } });
    expect(room.status).toBe(200);
    const before = await sync(alice);
    expect((await api(hs, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room.body.room_id)}`, { token: bob.accessToken, body: {} })).status).toBe(200);
    const afterJoin = await sync(alice, before.next_batch);
    expect((afterJoin['device_lists'] as { changed: string[] }).changed).toContain(bob.userId);

    const login = await api<{ device_id: string }>(hs, 'POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: bob.password },
    });
    expect(login.status).toBe(200);
    const afterDevice = await sync(alice, afterJoin.next_batch);
    expect((afterDevice['device_lists'] as { changed: string[] }).changed).toEqual([bob.userId]);

    const changes = await api<{ changed: string[]; left: string[] }>(hs, 'GET',
      `/_matrix/client/v3/keys/changes?from=${encodeURIComponent(afterJoin.next_batch)}&to=${encodeURIComponent(afterDevice.next_batch)}`, { token: alice.accessToken });
    expect(changes.body).toEqual({ changed: [bob.userId], left: [] });
  });

  it('keeps a key backup: create, store, read, refuse an outdated version, delete', async () => {
    const R = '/_matrix/client/v3/room_keys';
    const t = { token: bob.accessToken };
    expect((await api(hs, 'GET', `${R}/version`, t)).body['errcode']).toBe('M_NOT_FOUND');
    const algorithm = 'm.megolm_backup.v1.curve25519-aes-sha2';
    const v1 = (await api<{ version: string }>(hs, 'POST', `${R}/version`, { ...t, body: { algorithm, auth_data: { public_key: 'pk1' } } })).body.version;
    const session = { first_message_index: 0, forwarded_count: 0, is_verified: true, session_data: { ciphertext: 'c', ephemeral: 'e', mac: 'm' } };
    const put = await api(hs, 'PUT', `${R}/keys/${encodeURIComponent('!r:keys.localhost')}/s1?version=${v1}`, { ...t, body: session });
    expect(put.body).toEqual({ etag: '1', count: 1 });
    expect((await api(hs, 'GET', `${R}/version`, t)).body).toMatchObject({ version: v1, count: 1, etag: '1', algorithm });
    expect((await api(hs, 'GET', `${R}/keys?version=${v1}`, t)).body).toEqual({ rooms: { '!r:keys.localhost': { sessions: { s1: session } } } });

    const v2 = (await api<{ version: string }>(hs, 'POST', `${R}/version`, { ...t, body: { algorithm, auth_data: { public_key: 'pk2' } } })).body.version;
    const stale = await api(hs, 'PUT', `${R}/keys?version=${v1}`, { ...t, body: { rooms: { '!r:keys.localhost': { sessions: { s2: session } } } } });
    expect([stale.status, stale.body['errcode'], stale.body['current_version']]).toEqual([403, 'M_WRONG_ROOM_KEYS_VERSION', v2]);

    expect((await api(hs, 'DELETE', `${R}/keys/${encodeURIComponent('!r:keys.localhost')}?version=${v1}`, t)).body).toEqual({ etag: '2', count: 0 });
    expect((await api(hs, 'DELETE', `${R}/version/${v2}`, t)).status).toBe(200);
    expect((await api(hs, 'GET', `${R}/version/${v2}`, t)).status).toBe(404);
    expect((await api(hs, 'GET', `${R}/version`, t)).body['version']).toBe(v1);
  });

  it('uploads first cross-signing keys without UIA, asks for the password to replace them, and accepts a retry of the same keys', async () => {
    const upload = (body: Json) => api(hs, 'POST', '/_matrix/client/v3/keys/device_signing/upload', { token: alice.accessToken, body });
    const keysFor = (master: SigningKey, ssk: SigningKey): Json => ({
      master_key: { user_id: alice.userId, usage: ['master'], keys: { [master.keyId]: master.publicKeyBase64 } },
      self_signing_key: signJson({ user_id: alice.userId, usage: ['self_signing'], keys: { [ssk.keyId]: ssk.publicKeyBase64 } }, alice.userId, master),
    });
    const first = keysFor(crossKey(), crossKey());
    expect((await upload(first)).status).toBe(200);
    expect((await upload(first)).status).toBe(200);

    const second = keysFor(crossKey(), crossKey());
    const challenge = await upload(second);
    expect(challenge.status).toBe(401);
    expect(challenge.body['flows']).toEqual([{ stages: ['m.login.password'] }]);
    const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password, session: challenge.body['session'] };
    expect((await upload({ ...second, auth })).status).toBe(200);

    const q = await api<{ master_keys: Record<string, Json> }>(hs, 'POST', '/_matrix/client/v3/keys/query', { token: bob.accessToken, body: { device_keys: { [alice.userId]: [] } } });
    expect(q.body.master_keys[alice.userId]).toEqual(second['master_key']);

    const badSig = keysFor(crossKey(), crossKey());
    (badSig['self_signing_key'] as Json)['signatures'] = { [alice.userId]: { [`ed25519:${'A'.repeat(43)}`]: 'bad' } };
    const bad = await upload({ ...badSig, master_key: undefined });
    expect([bad.status, bad.body['errcode']]).toEqual([400, 'M_INVALID_SIGNATURE']);
  });
});
