// Interoperability with an independent implementation: a minimal client built directly on the
// Client-Server API and libolm (tests/helpers/olm-client.ts, no matrix-js-sdk) shares encrypted rooms
// with matrix-js-sdk users running the Rust crypto, on one homeserver and across federation. Each
// side must decrypt every message of the other; later joiners get keys for what follows their join;
// membership changes rotate sessions; and the libolm client refuses tampered and replayed ciphertext.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { startFederatedPair, type FederatedPair } from '../helpers/federated-pair.ts';
import { collectMessages, ENCRYPTION_STATE, joinEncryptedRoom, newClient, waitFor, type Client } from '../helpers/client.ts';
import { OlmTestClient } from '../helpers/olm-client.ts';

type Json = Record<string, unknown>;
const enc = encodeURIComponent;
// As Peerline creates rooms: encrypted from the first event, history visible from one's join onwards.
const ROOM_STATE = [ENCRYPTION_STATE, { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }];

/** Sends from the js-sdk user and waits until the libolm client has decrypted it. */
async function jsToOlm(from: Client, olm: OlmTestClient, roomId: string, body: string): Promise<{ sessionId: string; eventId: string }> {
  const { event_id: eventId } = await from.sendTextMessage(roomId, body);
  const got = await olm.waitForText(roomId, body, 30_000);
  expect(got).toMatchObject({ eventId, sender: from.getUserId(), body });
  return { sessionId: got.sessionId, eventId };
}

function expectNoFailures(olm: OlmTestClient, roomId: string, ...collected: { failures: string[] }[]): void {
  expect(olm.received(roomId).failures).toEqual([]);
  expect(olm.received(roomId).pending).toEqual([]);
  expect(olm.stats).toMatchObject({ toDeviceFailures: 0, duplicateEvents: 0, limitedTimelines: 0 });
  for (const c of collected) expect(c.failures).toEqual([]);
}

describe('a libolm client and matrix-js-sdk clients on one homeserver', () => {
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let carol: RegisteredUser;
  let ac: Client; // matrix-js-sdk, Rust crypto
  let cc: Client | undefined;
  let olm: OlmTestClient;
  let bob: RegisteredUser; // the libolm client's account
  let roomId: string;

  beforeAll(async () => {
    hs = await startHomeserver();
    [alice, bob, carol] = await Promise.all([hs.registerUser('alice'), hs.registerUser('bob'), hs.registerUser('carol')]);
    [ac, olm] = await Promise.all([newClient(hs.baseUrl, alice), OlmTestClient.start(hs.baseUrl, bob)]);
  }, 60_000);

  afterAll(async () => {
    cc?.stopClient();
    ac?.stopClient();
    await olm?.stop();
    await hs?.stop();
    hs?.cleanup();
  });

  it('publishes signed device keys and one-time keys that the server counts', async () => {
    const q = await api<{ device_keys: Record<string, Record<string, Json>> }>(hs, 'POST', '/_matrix/client/v3/keys/query', { token: alice.accessToken, body: { device_keys: { [olm.userId]: [] } } });
    const keys = q.body.device_keys[olm.userId]?.[olm.deviceId];
    expect(keys).toMatchObject({ keys: { [`ed25519:${olm.deviceId}`]: olm.identityKeys.ed25519, [`curve25519:${olm.deviceId}`]: olm.identityKeys.curve25519 } });
    // The Rust crypto accepts the device: it verified the self-signature.
    const device = await waitFor('the libolm device at alice', async () => (await ac.getCrypto()!.getUserDeviceInfo([olm.userId], true)).get(olm.userId)?.get(olm.deviceId));
    expect(device.getIdentityKey()).toBe(olm.identityKeys.curve25519);
    expect(device.getFingerprint()).toBe(olm.identityKeys.ed25519);
  });

  it('decrypts in both directions, several messages each', async () => {
    ({ room_id: roomId } = await ac.createRoom({ initial_state: ROOM_STATE, invite: [olm.userId] }));
    const atAlice = collectMessages(ac, roomId);
    await olm.joinRoom(roomId);
    await waitFor('alice to see bob joined', () => ac.getRoom(roomId)?.getMember(olm.userId)?.membership === 'join');
    const jsSession = new Set<string>();
    for (let i = 1; i <= 3; i++) {
      jsSession.add((await jsToOlm(ac, olm, roomId, `from alice ${i}`)).sessionId);
      const id = await olm.sendText(roomId, `from bob ${i}`);
      expect(id).toMatch(/^\$/);
      // Before alice sends again: the SDK shows its own message at once (local echo).
      await waitFor('alice to decrypt bob\'s message', () => atAlice.bodies.length === 2 * i);
    }
    expect(atAlice.bodies).toEqual(['from alice 1', 'from bob 1', 'from alice 2', 'from bob 2', 'from alice 3', 'from bob 3']);
    expect(jsSession.size).toBe(1); // one Megolm session, shared once
    // The libolm client also decrypts its own messages (it keeps an inbound copy of its session) — once
    // its own sync has brought the last one back.
    await olm.waitForText(roomId, 'from bob 3');
    expect(olm.received(roomId).messages.map((m) => m.body)).toEqual(atAlice.bodies);
    expectNoFailures(olm, roomId, atAlice);
  });

  it('gives a member who joins later the keys for the messages after the join, from both sides', async () => {
    cc = await newClient(hs.baseUrl, carol);
    await ac.invite(roomId, carol.userId);
    await waitFor('carol to see the invite', () => cc!.getRoom(roomId)?.getMyMembership() === 'invite');
    const atCarol = collectMessages(cc, roomId);
    await joinEncryptedRoom(cc, roomId);
    await olm.waitUntil(() => olm.membership(roomId, carol.userId) === 'join');
    const before = olm.outboundSessionId(roomId);
    await olm.sendText(roomId, 'bob after carol joined');
    await ac.sendTextMessage(roomId, 'alice after carol joined');
    await waitFor('carol to decrypt both', () => atCarol.bodies.length >= 2);
    expect([...atCarol.bodies].sort()).toEqual(['alice after carol joined', 'bob after carol joined']);
    // A join shares the current session onwards; it does not need a new one.
    expect(olm.outboundSessionId(roomId)).toBe(before);
    await olm.waitForText(roomId, 'alice after carol joined');
    expectNoFailures(olm, roomId, atCarol);
  });

  it('rotates the Megolm session on both sides when a member leaves', async () => {
    const before = olm.outboundSessionId(roomId);
    const aliceBefore = olm.received(roomId).messages.findLast((m) => m.sender === alice.userId)!.sessionId;
    const lefts = olm.stats.deviceListLefts;
    await cc!.leave(roomId);
    await olm.waitUntil(() => olm.membership(roomId, carol.userId) === 'leave');
    // Bob and carol share no encrypted room any more: bob's sync says so (device_lists.left).
    await olm.waitUntil(() => olm.stats.deviceListLefts > lefts, 10_000, 'device_lists.left');
    await waitFor('alice to see carol leave', () => ac.getRoom(roomId)?.getMember(carol.userId)?.membership === 'leave');
    await olm.sendText(roomId, 'bob after carol left');
    expect(olm.outboundSessionId(roomId)).not.toBe(before);
    const { sessionId } = await jsToOlm(ac, olm, roomId, 'alice after carol left');
    expect(sessionId).not.toBe(aliceBefore);
    const atAlice = await waitFor('alice to decrypt bob\'s message after the rotation', () => ac.getRoom(roomId)?.getLiveTimeline().getEvents().find((e) => e.getContent()['body'] === 'bob after carol left'));
    expect(atAlice.isDecryptionFailure()).toBe(false);
    expectNoFailures(olm, roomId);
  });

  it('shares its session with a device a member adds later, learnt from device_lists.changed', async () => {
    const login = await api<{ access_token: string; device_id: string }>(hs, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password } });
    expect(login.status).toBe(200);
    const changes = olm.stats.deviceListChanges;
    const second = await newClient(hs.baseUrl, { userId: alice.userId, accessToken: login.body.access_token, deviceId: login.body.device_id });
    try {
      const atSecond = collectMessages(second, roomId);
      // The new device uploads its keys once its crypto starts; bob's long poll must wake for the change.
      await waitFor('the second device\'s keys on the server', async () => {
        const q = await api<{ device_keys: Record<string, Record<string, Json>> }>(hs, 'POST', '/_matrix/client/v3/keys/query', { token: bob.accessToken, body: { device_keys: { [alice.userId]: [] } } });
        return q.body.device_keys[alice.userId]?.[login.body.device_id]?.['keys'] !== undefined;
      });
      await olm.waitUntil(() => olm.stats.deviceListChanges > changes, 10_000, 'device_lists.changed');
      await olm.sendText(roomId, 'bob to both of alice\'s devices');
      await waitFor('the second device to decrypt bob', () => atSecond.bodies.includes('bob to both of alice\'s devices') || atSecond.failures.length > 0);
      expect(atSecond.failures).toEqual([]);
    } finally {
      second.stopClient();
    }
  });

  it('replenishes its one-time keys when others claim them, and keeps a fallback key', async () => {
    const counts = async (): Promise<{ otks: number; fallback: string[] }> => {
      const r = await api<{ device_one_time_keys_count?: Record<string, number>; device_unused_fallback_key_types?: string[] }>(hs, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: bob.accessToken });
      return { otks: r.body.device_one_time_keys_count?.['signed_curve25519'] ?? 0, fallback: r.body.device_unused_fallback_key_types ?? [] };
    };
    const start = await counts();
    expect(start.otks).toBeGreaterThan(25);
    expect(start.fallback).toEqual(['signed_curve25519']);
    const uploaded = olm.stats.oneTimeKeysUploaded;
    for (let i = start.otks; i >= 20 && olm.stats.oneTimeKeysUploaded === uploaded; i--) {
      const c = await api(hs, 'POST', '/_matrix/client/v3/keys/claim', { token: alice.accessToken, body: { one_time_keys: { [olm.userId]: { [olm.deviceId]: 'signed_curve25519' } } } });
      expect(Object.keys((c.body['one_time_keys'] as Record<string, Record<string, object>>)[olm.userId]![olm.deviceId]!)).toHaveLength(1);
    }
    // Any event wakes bob's long poll; the sync it returns carries the lowered count.
    await jsToOlm(ac, olm, roomId, 'wake up, bob');
    await olm.waitUntil(() => olm.stats.oneTimeKeysUploaded > uploaded);
    // Topped up to 50 once the count fell below half (a claim racing the upload may have taken one or two).
    expect((await counts()).otks).toBeGreaterThanOrEqual(45);
  });

  it('starts Olm sessions on its fallback key when it has no one-time keys, then replaces the key', async () => {
    const erinUser = await hs.registerUser('erin');
    // No one-time keys at all: every claim gets the fallback key.
    const erin = await OlmTestClient.start(hs.baseUrl, erinUser, { oneTimeKeys: 0 });
    try {
      const claim = async (): Promise<Json> => {
        const c = await api<{ one_time_keys: Record<string, Record<string, Record<string, Json>>> }>(hs, 'POST', '/_matrix/client/v3/keys/claim', { token: carol.accessToken, body: { one_time_keys: { [erin.userId]: { [erin.deviceId]: 'signed_curve25519' } } } });
        const keys = Object.values(c.body.one_time_keys[erin.userId]![erin.deviceId]!);
        expect(keys).toHaveLength(1);
        return keys[0]!;
      };
      const fallback = await claim();
      expect(fallback).toMatchObject({ fallback: true });
      // Alice's device claims a fallback key too and starts an Olm session on it to share her room key.
      const { room_id: room2 } = await ac.createRoom({ initial_state: ROOM_STATE, invite: [erin.userId] });
      await erin.joinRoom(room2);
      await waitFor('alice to see erin joined', () => ac.getRoom(room2)?.getMember(erin.userId)?.membership === 'join');
      await jsToOlm(ac, erin, room2, 'to erin via the fallback key');
      expect(erin.stats.toDeviceFailures).toBe(0);
      await erin.sendText(room2, 'erin answers');
      await waitFor('alice to decrypt erin', () => ac.getRoom(room2)?.getLiveTimeline().getEvents().some((e) => e.getContent()['body'] === 'erin answers'));
      // Erin saw her fallback key used and uploaded a new one.
      await waitFor('a new unused fallback key', async () => {
        const r = await api<{ device_unused_fallback_key_types?: string[] }>(hs, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: erinUser.accessToken });
        return r.body.device_unused_fallback_key_types?.includes('signed_curve25519');
      });
      const replacement = await claim();
      expect(replacement).toMatchObject({ fallback: true });
      expect(replacement['key']).not.toBe(fallback['key']);
    } finally {
      await erin.stop();
    }
  });

  it('recovers by itself when its homeserver is killed and restarted, sending each message once', async () => {
    await hs.stop('SIGKILL');
    const sent = olm.sendText(roomId, 'sent while the server was down');
    await hs.restart();
    const eventId = await sent;
    const got = await olm.waitForText(roomId, 'sent while the server was down', 30_000);
    expect(got.eventId).toBe(eventId);
    await jsToOlm(ac, olm, roomId, 'alice after the restart');
    const copies = (): string[] => (ac.getRoom(roomId)?.getLiveTimeline().getEvents() ?? []).filter((e) => e.getContent()['body'] === 'sent while the server was down').map((e) => e.getId()!);
    await waitFor('alice to decrypt bob\'s message', () => copies().length > 0, 30_000);
    expect(copies()).toEqual([eventId]);
    expect(olm.received(roomId).messages.filter((m) => m.body === 'sent while the server was down')).toHaveLength(1);
    expect(olm.stats.syncErrors).toBeGreaterThan(0);
    expectNoFailures(olm, roomId);
  });

  it('refuses a tampered ciphertext and a replayed Megolm message index', async () => {
    const { eventId } = await jsToOlm(ac, olm, roomId, 'an original message');
    const original = await api<{ content: Json }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`, { token: alice.accessToken });
    expect(original.body.content['algorithm']).toBe('m.megolm.v1.aes-sha2');
    const ciphertext = original.body.content['ciphertext'] as string;
    // Flip one base64 character in the middle of the ciphertext: the MAC and signature no longer hold.
    const mid = Math.floor(ciphertext.length / 2);
    const tampered = ciphertext.slice(0, mid) + (ciphertext[mid] === 'A' ? 'B' : 'A') + ciphertext.slice(mid + 1);
    const sendRaw = async (content: Json, txn: string): Promise<string> => {
      const r = await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.encrypted/${txn}`, { token: alice.accessToken, body: content });
      expect(r.status).toBe(200);
      return r.body.event_id;
    };
    const tamperedId = await sendRaw({ ...original.body.content, ciphertext: tampered }, 'tampered-1');
    const replayId = await sendRaw(original.body.content, 'replayed-1');
    const failures = await olm.waitUntil(() => olm.received(roomId).failures.length >= 2 && olm.received(roomId).failures, 20_000);
    expect(failures).toEqual([
      expect.objectContaining({ eventId: tamperedId, reason: expect.stringMatching(/^megolm: /) }),
      { eventId: replayId, sender: alice.userId, reason: 'replayed megolm message index' },
    ]);
    // The original still counts once, and nothing was decrypted from the forged copies.
    expect(olm.received(roomId).messages.filter((m) => m.body === 'an original message').map((m) => m.eventId)).toEqual([eventId]);
  });
});

describe('a libolm client and matrix-js-sdk clients across federation', () => {
  let pair: FederatedPair;
  let ac: Client; // on A
  let dc: Client | undefined; // on B, joins later
  let olm: OlmTestClient; // on B
  let dan: RegisteredUser;
  let alice: RegisteredUser;
  let fedRoom: string;

  beforeAll(async () => {
    pair = await startFederatedPair();
    let bob: RegisteredUser;
    [alice, bob, dan] = await Promise.all([pair.a.registerUser('alice'), pair.b.registerUser('bob'), pair.b.registerUser('dan')]);
    [ac, olm] = await Promise.all([newClient(pair.a.baseUrl, alice), OlmTestClient.start(pair.b.baseUrl, bob)]);
  }, 60_000);

  afterAll(async () => {
    dc?.stopClient();
    ac?.stopClient();
    await olm?.stop();
    await pair?.stop();
  });

  it('carries keys and messages both ways between the servers, and to a later joiner', async () => {
    const { room_id: roomId } = await ac.createRoom({ initial_state: ROOM_STATE, invite: [olm.userId] });
    fedRoom = roomId;
    const atAlice = collectMessages(ac, roomId);
    await olm.waitUntil(() => olm.invites.has(roomId), 30_000);
    await olm.joinRoom(roomId);
    await waitFor('alice to see bob joined', () => ac.getRoom(roomId)?.getMember(olm.userId)?.membership === 'join', 30_000);
    for (let i = 1; i <= 2; i++) {
      await jsToOlm(ac, olm, roomId, `alice over federation ${i}`);
      await olm.sendText(roomId, `bob over federation ${i}`);
      await waitFor('alice to decrypt bob\'s message', () => atAlice.bodies.length === 2 * i, 30_000);
    }
    expect(atAlice.bodies).toEqual(['alice over federation 1', 'bob over federation 1', 'alice over federation 2', 'bob over federation 2']);

    // Dan, on bob's server, joins from bob's invite: he gets keys from both sides for what follows.
    dc = await newClient(pair.b.baseUrl, dan);
    await olm.invite(roomId, dan.userId);
    await waitFor('dan to see the invite', () => dc!.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
    const atDan = collectMessages(dc, roomId);
    await joinEncryptedRoom(dc, roomId);
    await olm.waitUntil(() => olm.membership(roomId, dan.userId) === 'join', 30_000);
    await waitFor('alice to see dan joined', () => ac.getRoom(roomId)?.getMember(dan.userId)?.membership === 'join', 30_000);
    await olm.sendText(roomId, 'bob to dan');
    await ac.sendTextMessage(roomId, 'alice to dan');
    await dc.sendTextMessage(roomId, 'dan to everyone');
    await waitFor('dan to decrypt both', () => atDan.bodies.length >= 3, 30_000);
    expect([...atDan.bodies].sort()).toEqual(['alice to dan', 'bob to dan', 'dan to everyone']);
    await olm.waitForText(roomId, 'dan to everyone', 30_000);
    await olm.waitForText(roomId, 'alice to dan', 30_000);
    await waitFor('alice to decrypt dan and bob', () => atAlice.bodies.includes('dan to everyone') && atAlice.bodies.includes('bob to dan'), 30_000);
    expectNoFailures(olm, roomId, atAlice, atDan);
  });

  it('lets the libolm client create the encrypted room and a matrix-js-sdk user join it over federation', async () => {
    const atAliceRooms = new Set<string>();
    const roomId = await olm.createEncryptedRoom({ invite: [ac.getUserId()!] });
    await waitFor('alice to see the invite', () => { if (ac.getRoom(roomId)?.getMyMembership() === 'invite') atAliceRooms.add(roomId); return atAliceRooms.has(roomId); }, 30_000);
    const atAlice = collectMessages(ac, roomId);
    await joinEncryptedRoom(ac, roomId);
    await olm.waitUntil(() => olm.membership(roomId, ac.getUserId()!) === 'join', 30_000);
    await olm.sendText(roomId, 'hello from the room creator');
    await waitFor('alice to decrypt it', () => atAlice.bodies.length === 1, 30_000);
    await jsToOlm(ac, olm, roomId, 'hello back over federation');
    expect(atAlice.bodies).toEqual(['hello from the room creator', 'hello back over federation']);
    expectNoFailures(olm, roomId, atAlice);
    expect(olm.stats.toDeviceFailures).toBe(0);
    expect(olm.stats.syncErrors).toBe(0);
  });

  it('learns of a new device on the other server through federated device-list updates', async () => {
    const changes = olm.stats.deviceListChanges;
    const login = await api<{ access_token: string; device_id: string }>(pair.a, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password } });
    expect(login.status).toBe(200);
    const second = await newClient(pair.a.baseUrl, { userId: alice.userId, accessToken: login.body.access_token, deviceId: login.body.device_id });
    try {
      const atSecond = collectMessages(second, fedRoom);
      await olm.waitUntil(() => olm.stats.deviceListChanges > changes, 20_000, 'device_lists.changed from the other server');
      await waitFor('the new device\'s keys on bob\'s server', async () => {
        const q = await api<{ device_keys: Record<string, Record<string, Json>> }>(pair.b, 'POST', '/_matrix/client/v3/keys/query', { token: dan.accessToken, body: { device_keys: { [alice.userId]: [] } } });
        return q.body.device_keys[alice.userId]?.[login.body.device_id]?.['keys'] !== undefined;
      }, 20_000);
      await olm.sendText(fedRoom, 'bob to alice\'s new device');
      await waitFor('the new device to decrypt bob', () => atSecond.bodies.includes('bob to alice\'s new device') || atSecond.failures.length > 0, 30_000);
      expect(atSecond.failures).toEqual([]);
    } finally {
      second.stopClient();
    }
  });
});
