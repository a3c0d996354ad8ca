// End-to-end encryption across two real homeservers (and a fake third server in this process):
// keys of users on the other server queried and claimed through the client API, our users' keys
// and device lists served over federation, device-list updates that fetch a list again when one
// was lost, to-device messages relayed between servers, and finally real matrix-js-sdk clients with
// Rust crypto on both servers chatting in an encrypted room while one of them adds a device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { startFederatedPair, type FederatedPair } from '../helpers/federated-pair.ts';
import { rawFederationRequest, signedFederationRequest, startFakeServer, type FakeServer, type ServerIdentity } from '../helpers/federation.ts';
import { collectMessages, ENCRYPTION_STATE, newClient, waitFor, type Client } from '../helpers/client.ts';
import { generateSigningKey, signJson, signingKeyFromSeed, type SigningKey } from '../../homeserver/src/core/signing.ts';
import { computeEventId, hashAndSignEvent } from '../../homeserver/src/core/event-hash.ts';
import type { JsonObject, Pdu, RoomVersion } from '../../homeserver/src/core/pdu.ts';

type Json = Record<string, unknown>;
const enc = encodeURIComponent;
// Wires the transaction sender from the transactions route until app.ts does it itself (idempotent).
const FAST_RETRY = ['--federation-retry-initial-ms', '200', '--federation-retry-max-ms', '1000'];

const deviceKey = (deviceId: string): SigningKey => signingKeyFromSeed(`ed25519:${deviceId}`, generateSigningKey().seed);
const crossKey = (): SigningKey => {
  const k = generateSigningKey();
  return signingKeyFromSeed(`ed25519:${k.publicKeyBase64}`, k.seed);
};

function deviceKeysOf(userId: string, deviceId: string, key: SigningKey): Json {
  return signJson({
    user_id: userId, device_id: deviceId, algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${deviceId}`]: `Y3VydmU${deviceId}`, [`ed25519:${deviceId}`]: key.publicKeyBase64 },
  }, userId, key);
}

async function sync(hs: TestHomeserver, user: RegisteredUser, since?: string): Promise<Json & { next_batch: string }> {
  const r = await api<Json & { next_batch: string }>(hs, 'GET', `/_matrix/client/v3/sync?timeout=0${since ? `&since=${enc(since)}` : ''}`, { token: user.accessToken });
  expect(r.status).toBe(200);
  return r.body;
}

const changedIn = (body: Json): string[] => ((body['device_lists'] as { changed?: string[] } | undefined)?.changed ?? []);
const toDeviceIn = (body: Json): { sender: string; type: string; content: Json }[] => ((body['to_device'] as { events?: [] } | undefined)?.events ?? []);

/** Joins a user of `remote` to a public room on `hs` through make_join/send_join. */
async function joinFrom(remote: ServerIdentity, hs: TestHomeserver, roomId: string, userId: string): Promise<void> {
  const made = await signedFederationRequest<{ event: JsonObject; room_version: RoomVersion }>(remote, hs, 'GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(userId)}`, { query: { ver: ['10', '11'] } });
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  const join = hashAndSignEvent({ ...made.body.event, origin_server_ts: Date.now() } as unknown as Omit<Pdu, 'hashes' | 'signatures'>, made.body.room_version, remote.serverName, remote.signingKey);
  const sent = await signedFederationRequest(remote, hs, 'PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(computeEventId(join, made.body.room_version))}`, { body: join });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
}

let txnCounter = 0;
async function sendEdus(from: FakeServer, to: TestHomeserver, edus: { edu_type: string; content: Json }[]): Promise<void> {
  const res = await from.request(to, 'PUT', `/_matrix/federation/v1/send/e2ee-${Date.now()}-${++txnCounter}`, { body: { origin: from.serverName, origin_server_ts: Date.now(), pdus: [], edus } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe('end-to-end encryption across two homeservers', () => {
  let pair: FederatedPair;
  let fake: FakeServer;
  let alice: RegisteredUser; // on A
  let bob: RegisteredUser; // on B
  let aliceKey: SigningKey;
  let aliceDeviceKeys: Json;
  let aliceMaster: SigningKey;

  beforeAll(async () => {
    fake = await startFakeServer();
    pair = await startFederatedPair({
      extraArgsA: ['--federation-insecure-skip-verify-for', fake.serverName, ...FAST_RETRY],
      extraArgsB: FAST_RETRY,
    });
    [alice, bob] = await Promise.all([pair.a.registerUser('alice'), pair.b.registerUser('bob')]);
    aliceKey = deviceKey(alice.deviceId);
    aliceDeviceKeys = deviceKeysOf(alice.userId, alice.deviceId, aliceKey);
    const up = await api(pair.a, 'POST', '/_matrix/client/v3/keys/upload', {
      token: alice.accessToken,
      body: {
        device_keys: aliceDeviceKeys,
        one_time_keys: { 'signed_curve25519:AAAA': signJson({ key: 'b3RrMQ' }, alice.userId, aliceKey), 'signed_curve25519:AAAB': signJson({ key: 'b3RrMg' }, alice.userId, aliceKey) },
      },
    });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    aliceMaster = crossKey();
    const [ssk, usk] = [crossKey(), crossKey()];
    const cs = await api(pair.a, 'POST', '/_matrix/client/v3/keys/device_signing/upload', {
      token: alice.accessToken,
      body: {
        master_key: { user_id: alice.userId, usage: ['master'], keys: { [aliceMaster.keyId]: aliceMaster.publicKeyBase64 } },
        self_signing_key: signJson({ user_id: alice.userId, usage: ['self_signing'], keys: { [ssk.keyId]: ssk.publicKeyBase64 } }, alice.userId, aliceMaster),
        user_signing_key: signJson({ user_id: alice.userId, usage: ['user_signing'], keys: { [usk.keyId]: usk.publicKeyBase64 } }, alice.userId, aliceMaster),
      },
    });
    expect(cs.status, JSON.stringify(cs.body)).toBe(200);
    await api(pair.a, 'PUT', `/_matrix/client/v3/devices/${enc(alice.deviceId)}`, { token: alice.accessToken, body: { display_name: 'Alice laptop' } });
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
    await fake?.stop();
  });

  describe('serving our users\' keys to other servers', () => {
    it('answers /user/keys/query with device keys and master and self-signing keys, never the user-signing key', async () => {
      const res = await fake.request<{ device_keys: Record<string, Record<string, Json>>; master_keys: Record<string, Json>; self_signing_keys: Record<string, Json> }>(
        pair.a, 'POST', '/_matrix/federation/v1/user/keys/query', { body: { device_keys: { [alice.userId]: [], [bob.userId]: [] } } },
      );
      expect(res.status).toBe(200);
      // Device names stay home by default (allow_device_name_lookup_over_federation): they can name a student.
      expect(res.body.device_keys).toEqual({ [alice.userId]: { [alice.deviceId]: { ...aliceDeviceKeys, unsigned: {} } } });
      expect(res.body.master_keys[alice.userId]).toMatchObject({ keys: { [aliceMaster.keyId]: aliceMaster.publicKeyBase64 } });
      expect(res.body.self_signing_keys[alice.userId]).toMatchObject({ usage: ['self_signing'] });
      expect(JSON.stringify(res.body)).not.toContain('user_signing');
    });

    it('answers /user/devices with the stream position, devices with keys (names stay home), and cross-signing keys', async () => {
      const res = await fake.request<Json>(pair.a, 'GET', `/_matrix/federation/v1/user/devices/${enc(alice.userId)}`);
      expect(res.status).toBe(200);
      expect(res.body['user_id']).toBe(alice.userId);
      expect(res.body['stream_id']).toBeGreaterThan(0);
      expect(res.body['devices']).toEqual([{ device_id: alice.deviceId, keys: aliceDeviceKeys }]);
      expect(res.body['master_key']).toMatchObject({ usage: ['master'] });
      expect(res.body['self_signing_key']).toMatchObject({ usage: ['self_signing'] });
      expect(res.body['user_signing_key']).toBeUndefined();
      const other = await fake.request<{ errcode: string }>(pair.a, 'GET', `/_matrix/federation/v1/user/devices/${enc(bob.userId)}`);
      expect([other.status, other.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    });

    it('refuses unsigned requests', async () => {
      const res = await rawFederationRequest<{ errcode: string }>(pair.a, 'POST', '/_matrix/federation/v1/user/keys/query', { body: { device_keys: { [alice.userId]: [] } } });
      expect([res.status, res.body.errcode]).toEqual([401, 'M_UNAUTHORIZED']);
    });
  });

  describe('users of the other server through the client API', () => {
    it('lets a user on B query the keys of a user on A', async () => {
      const res = await api<{ device_keys: Record<string, Record<string, Json>>; master_keys: Record<string, Json>; failures: Json }>(pair.b, 'POST', '/_matrix/client/v3/keys/query', {
        token: bob.accessToken, body: { device_keys: { [alice.userId]: [] } },
      });
      expect(res.status).toBe(200);
      expect(res.body.failures).toEqual({});
      expect(res.body.device_keys[alice.userId]?.[alice.deviceId]).toEqual({ ...aliceDeviceKeys, unsigned: {} });
      expect(res.body.master_keys[alice.userId]).toMatchObject({ keys: { [aliceMaster.keyId]: aliceMaster.publicKeyBase64 } });
    });

    it('lets a user on B claim one-time keys of a user on A, each once', async () => {
      const claim = () => api<{ one_time_keys: Record<string, Record<string, Record<string, Json>>>; failures: Json }>(pair.b, 'POST', '/_matrix/client/v3/keys/claim', {
        token: bob.accessToken, body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } },
      });
      const first = await claim();
      const second = await claim();
      expect(first.body.failures).toEqual({});
      const ids = [first, second].map((r) => Object.keys(r.body.one_time_keys[alice.userId]?.[alice.deviceId] ?? {})[0]);
      expect(ids.sort()).toEqual(['signed_curve25519:AAAA', 'signed_curve25519:AAAB']);
    });

    it('reports a server it cannot reach under failures and still answers for the others', async () => {
      const res = await api<{ device_keys: Record<string, unknown>; failures: Record<string, { status: number }> }>(pair.b, 'POST', '/_matrix/client/v3/keys/query', {
        token: bob.accessToken, body: { device_keys: { [alice.userId]: [], '@nobody:localhost:1': [] }, timeout: 5000 },
      });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.failures)).toEqual(['localhost:1']);
      expect(res.body.device_keys[alice.userId]).toBeDefined();
    });

    it('delivers a to-device message from a user on B to a device on A through A\'s /sync', async () => {
      const since = (await sync(pair.a, alice)).next_batch;
      const put = await api(pair.b, 'PUT', `/_matrix/client/v3/sendToDevice/m.test.ping/txn-1`, { token: bob.accessToken, body: { messages: { [alice.userId]: { [alice.deviceId]: { n: 1 } } } } });
      expect(put.status).toBe(200);
      const events = await waitFor('the message at alice', async () => {
        const got = toDeviceIn(await sync(pair.a, alice, since));
        return got.length > 0 ? got : null;
      });
      expect(events).toEqual([{ sender: bob.userId, type: 'm.test.ping', content: { n: 1 } }]);
    });

    it('stores a message relayed twice with the same message_id once', async () => {
      const since = (await sync(pair.a, alice)).next_batch;
      const edu = { edu_type: 'm.direct_to_device', content: { sender: `@frank:${fake.serverName}`, type: 'm.test.dup', message_id: 'dup-1', messages: { [alice.userId]: { '*': { n: 2 } } } } };
      await sendEdus(fake, pair.a, [edu]);
      await sendEdus(fake, pair.a, [edu]);
      // A message from a user the sending server does not host is dropped.
      await sendEdus(fake, pair.a, [{ edu_type: 'm.direct_to_device', content: { ...edu.content, sender: bob.userId, message_id: 'forged' } }]);
      const got = toDeviceIn(await sync(pair.a, alice, since));
      expect(got).toEqual([{ sender: `@frank:${fake.serverName}`, type: 'm.test.dup', content: { n: 2 } }]);
    });
  });

  describe('device lists of remote users', () => {
    let frank: string;
    let devicesPath: string;
    let served: { stream_id: number; devices: Json[] };
    let roomId: string;
    const fetches = (): number => fake.received.filter((r) => r.method === 'GET' && r.url === devicesPath).length;
    const frankKeys = async (): Promise<string[]> => {
      const r = await api<{ device_keys: Record<string, Record<string, Json>> }>(pair.a, 'POST', '/_matrix/client/v3/keys/query', { token: alice.accessToken, body: { device_keys: { [frank]: [] } } });
      return Object.keys(r.body.device_keys[frank] ?? {}).sort();
    };
    const device = (id: string): Json => ({ device_id: id, keys: deviceKeysOf(frank, id, deviceKey(id)) });

    beforeAll(async () => {
      frank = `@frank:${fake.serverName}`;
      devicesPath = `/_matrix/federation/v1/user/devices/${enc(frank)}`;
      served = { stream_id: 5, devices: [device('F1')] };
      fake.route('GET', devicesPath, () => ({ status: 200, body: { user_id: frank, ...served } }));
      roomId = (await api<{ room_id: string }>(pair.a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { preset: 'public_chat' } })).body.room_id;
      await joinFrom(fake, pair.a, roomId, frank);
    });

    it('fetches the list of a remote user we share a room with once, then serves it from the cache', async () => {
      expect(await frankKeys()).toEqual(['F1']);
      expect(await frankKeys()).toEqual(['F1']);
      expect(fetches()).toBe(1);
    });

    it('applies an update that follows on from the cached list, and shows the change in /sync', async () => {
      const since = (await sync(pair.a, alice)).next_batch;
      const f2 = device('F2');
      await sendEdus(fake, pair.a, [{ edu_type: 'm.device_list_update', content: { user_id: frank, device_id: 'F2', stream_id: 6, prev_id: [5], deleted: false, keys: f2['keys'] as Json } }]);
      await waitFor('frank in alice\'s device_lists.changed', async () => changedIn(await sync(pair.a, alice, since)).includes(frank));
      expect(await frankKeys()).toEqual(['F1', 'F2']);
      expect(fetches()).toBe(1);
    });

    it('fetches the list again when an update shows that one was lost', async () => {
      const since = (await sync(pair.a, alice)).next_batch;
      served = { stream_id: 9, devices: [device('F1'), device('F2'), device('F3')] };
      await sendEdus(fake, pair.a, [{ edu_type: 'm.device_list_update', content: { user_id: frank, device_id: 'F3', stream_id: 9, prev_id: [8], deleted: false } }]);
      await waitFor('frank in alice\'s device_lists.changed', async () => changedIn(await sync(pair.a, alice, since)).includes(frank));
      expect(fetches()).toBe(2);
      expect(await frankKeys()).toEqual(['F1', 'F2', 'F3']);
    });

    it('ignores an update from a server about a user it does not host', async () => {
      await sendEdus(fake, pair.a, [{ edu_type: 'm.device_list_update', content: { user_id: bob.userId, device_id: 'EVIL', stream_id: 100, prev_id: [] } }]);
      const r = await api<{ device_keys: Record<string, Record<string, Json>> }>(pair.a, 'POST', '/_matrix/client/v3/keys/query', { token: alice.accessToken, body: { device_keys: { [bob.userId]: [] } } });
      expect(Object.keys(r.body.device_keys[bob.userId] ?? {})).not.toContain('EVIL');
    });
  });

  describe('matrix-js-sdk clients on both servers', () => {
    let carol: RegisteredUser; // on A
    let dan: RegisteredUser; // on B
    let cc: Client;
    let cd: Client;
    let roomId: string;

    beforeAll(async () => {
      [carol, dan] = await Promise.all([pair.a.registerUser('carol'), pair.b.registerUser('dan')]);
      [cc, cd] = await Promise.all([newClient(pair.a.baseUrl, carol), newClient(pair.b.baseUrl, dan)]);
    }, 60_000);
    afterAll(() => {
      cc?.stopClient();
      cd?.stopClient();
    });

    it('exchange messages in an encrypted room that each side decrypts', async () => {
      ({ room_id: roomId } = await cc.createRoom({ initial_state: [ENCRYPTION_STATE] }));
      await cc.invite(roomId, dan.userId);
      await waitFor('dan to see the invite', () => cd.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
      await cd.joinRoom(roomId);
      await waitFor('carol to see dan join', () => cc.getRoom(roomId)?.getMember(dan.userId)?.membership === 'join', 30_000);
      const atDan = collectMessages(cd, roomId);
      const atCarol = collectMessages(cc, roomId);
      for (let i = 0; i < 3; i++) {
        await cc.sendTextMessage(roomId, `from carol ${i}`);
        await cd.sendTextMessage(roomId, `from dan ${i}`);
      }
      await waitFor('dan to decrypt carol\'s messages', () => [0, 1, 2].every((i) => atDan.bodies.includes(`from carol ${i}`)), 60_000);
      await waitFor('carol to decrypt dan\'s messages', () => [0, 1, 2].every((i) => atCarol.bodies.includes(`from dan ${i}`)), 60_000);
      expect(atDan.failures).toEqual([]);
      expect(atCarol.failures).toEqual([]);
    }, 120_000);

    it('shows carol a second device dan adds, which then decrypts carol\'s new messages', async () => {
      const login = await api<{ user_id: string; access_token: string; device_id: string }>(pair.b, 'POST', '/_matrix/client/v3/login', {
        body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: dan.userId }, password: dan.password, initial_device_display_name: 'Dan phone' },
      });
      expect(login.status).toBe(200);
      const cd2 = await newClient(pair.b.baseUrl, { userId: login.body.user_id, accessToken: login.body.access_token, deviceId: login.body.device_id });
      try {
        const at2 = collectMessages(cd2, roomId);
        await waitFor('carol to see dan\'s new device with its keys', async () => (await cc.getCrypto()!.getUserDeviceInfo([dan.userId])).get(dan.userId)?.get(login.body.device_id)?.getIdentityKey(), 30_000);
        await cc.sendTextMessage(roomId, 'for both of dan\'s devices');
        await waitFor('dan\'s second device to decrypt it', () => at2.bodies.includes('for both of dan\'s devices'), 60_000);
        expect(at2.failures).toEqual([]);
      } finally {
        cd2.stopClient();
      }
    }, 120_000);
  });
});
