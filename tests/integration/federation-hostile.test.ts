// Hostile and unwanted federation traffic against a real homeserver: PDUs from a fake server that is
// a member of a room (forged signature, content-hash mismatch, an event for another server's user,
// an event the auth rules forbid), each leaving the room's state and history as they were while
// later valid events still arrive; a server ACL that keeps a server's PDUs and requests out; and a
// federation allow-list that refuses a third server and never sends anything to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/client.ts';
import { identityOf, startFakeServer, type FakeServer } from '../helpers/federation.ts';
import { generateSigningKey, signingKeyFromSeed, verifyJsonSignature, type SigningKey } from '../../homeserver/src/core/signing.ts';
import { redactEvent } from '../../homeserver/src/core/redaction.ts';
import { computeEventId, hashAndSignEvent } from '../../homeserver/src/core/event-hash.ts';
import { DEFAULT_ROOM_VERSION, type JsonObject, type Pdu, type RoomVersion } from '../../homeserver/src/core/pdu.ts';

const enc = encodeURIComponent;
const FAST_RETRY = ['--federation-retry-initial-ms', '200', '--federation-retry-max-ms', '1000'];

interface ClientEvent { event_id: string; type: string; sender: string; state_key?: string; content: Record<string, unknown> }
type TxnResult = { pdus: Record<string, { error?: string }> };

let txnCounter = 0;

/** A room on `hs` as a remote member's server sees it: enough to build that member's next events. */
class RemoteView {
  readonly server: FakeServer;
  readonly hs: TestHomeserver;
  readonly roomId: string;
  readonly userId: string;
  version: RoomVersion = '10';

  constructor(server: FakeServer, hs: TestHomeserver, roomId: string, localpart: string) {
    this.server = server;
    this.hs = hs;
    this.roomId = roomId;
    this.userId = `@${localpart}:${server.serverName}`;
  }

  private req<T>(method: string, path: string, opts: { query?: Record<string, string | string[]>; body?: unknown } = {}) {
    return this.server.request<T>(this.hs, method, path, opts);
  }

  /** Joins through make_join/send_join. */
  async join(): Promise<void> {
    const made = await this.req<{ event: JsonObject; room_version: RoomVersion }>('GET', `/_matrix/federation/v1/make_join/${enc(this.roomId)}/${enc(this.userId)}`, { query: { ver: ['10', '11'] } });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    this.version = made.body.room_version;
    const join = hashAndSignEvent({ ...made.body.event, origin_server_ts: Date.now() } as unknown as Omit<Pdu, 'hashes' | 'signatures'>, this.version, this.server.serverName, this.server.signingKey);
    const sent = await this.req('PUT', `/_matrix/federation/v2/send_join/${enc(this.roomId)}/${enc(computeEventId(join, this.version))}`, { body: join });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  }

  /** The room's forward extremities and depth as the homeserver would build on them (from make_join of a user not in the room). */
  async tip(): Promise<{ prev: string[]; depth: number }> {
    const probe = `@probe:${this.server.serverName}`;
    const made = await this.req<{ event: { prev_events: string[]; depth: number } }>('GET', `/_matrix/federation/v1/make_join/${enc(this.roomId)}/${enc(probe)}`, { query: { ver: ['10', '11'] } });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    return { prev: made.body.event.prev_events, depth: made.body.event.depth };
  }

  /** The id of a current state event, read through the homeserver's client API by `viewer`. */
  async stateId(viewer: RegisteredUser, type: string, stateKey = ''): Promise<string> {
    const st = await api<ClientEvent[]>(this.hs, 'GET', `/_matrix/client/v3/rooms/${enc(this.roomId)}/state`, { token: viewer.accessToken });
    const ev = st.body.find((e) => e.type === type && e.state_key === stateKey);
    if (!ev) throw new Error(`no ${type} state`);
    return ev.event_id;
  }

  /** Builds and signs an event (by default of this member, signed by its server's key). */
  async build(viewer: RegisteredUser, e: { type: string; content: JsonObject; stateKey?: string; sender?: string; signWith?: SigningKey; prev?: string[]; authEvents?: string[] }): Promise<{ id: string; pdu: Pdu }> {
    const tip = await this.tip();
    const sender = e.sender ?? this.userId;
    const auth = e.authEvents ?? [
      await this.stateId(viewer, 'm.room.create'), await this.stateId(viewer, 'm.room.power_levels'),
      ...(await this.stateId(viewer, 'm.room.member', sender).then((id) => [id], () => [])),
    ];
    const pdu = hashAndSignEvent({
      room_id: this.roomId, type: e.type, sender, content: e.content, origin_server_ts: Date.now(),
      depth: tip.depth, prev_events: e.prev ?? tip.prev, auth_events: auth,
      ...(e.stateKey !== undefined ? { state_key: e.stateKey } : {}),
    }, this.version, this.server.serverName, e.signWith ?? this.server.signingKey);
    return { id: computeEventId(pdu, this.version), pdu };
  }

  /** Sends PDUs in one transaction; returns the per-PDU results. */
  async send(...pdus: Pdu[]): Promise<TxnResult['pdus']> {
    const res = await this.req<TxnResult>('PUT', `/_matrix/federation/v1/send/hostile-${Date.now()}-${++txnCounter}`, {
      body: { origin: this.server.serverName, origin_server_ts: Date.now(), pdus, edus: [] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.pdus;
  }
}

/** Every event of the room `user` sees through /messages, oldest first. */
async function history(hs: TestHomeserver, user: RegisteredUser, roomId: string): Promise<ClientEvent[]> {
  const r = await api<{ chunk: ClientEvent[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=500`, { token: user.accessToken });
  expect(r.status).toBe(200);
  return r.body.chunk.reverse();
}

/** The room's current state and its history (event ids), as `user` sees them. */
async function snapshot(hs: TestHomeserver, user: RegisteredUser, roomId: string): Promise<{ state: string[]; history: string[] }> {
  const st = await api<ClientEvent[]>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`, { token: user.accessToken });
  expect(st.status).toBe(200);
  return {
    state: st.body.map((e) => `${e.type}|${e.state_key}|${e.event_id}`).sort(),
    history: (await history(hs, user, roomId)).map((e) => e.event_id),
  };
}

async function getEvent(hs: TestHomeserver, user: RegisteredUser, roomId: string, eventId: string): Promise<{ status: number; body: ClientEvent }> {
  return api<ClientEvent>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`, { token: user.accessToken });
}

describe('hostile PDUs from a server in the room', () => {
  let fake: FakeServer;
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let roomId: string;
  let mallory: RemoteView;

  beforeAll(async () => {
    fake = await startFakeServer();
    hs = await startHomeserver({ extraArgs: ['--federation-insecure-skip-verify-for', fake.serverName, ...FAST_RETRY] });
    alice = await hs.registerUser('alice');
    roomId = (await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { preset: 'public_chat', name: 'Support group', topic: 'be kind' } })).body.room_id;
    mallory = new RemoteView(fake, hs, roomId, 'mallory');
    await mallory.join();
  });
  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
    await fake?.stop();
  });

  /** A valid message from mallory reaches alice. */
  const expectDelivered = async (body: string, prev?: string[]): Promise<string> => {
    const msg = await mallory.build(alice, { type: 'm.room.message', content: { msgtype: 'm.text', body }, ...(prev ? { prev } : {}) });
    const res = await mallory.send(msg.pdu);
    expect(res[msg.id], JSON.stringify(res)).toEqual({});
    const seen = await history(hs, alice, roomId);
    expect(seen.at(-1)).toMatchObject({ event_id: msg.id, sender: mallory.userId, content: { body } });
    return msg.id;
  };

  it('refuses a PDU whose signature does not verify, and stores nothing of it', async () => {
    const before = await snapshot(hs, alice, roomId);
    // Same key id as the fake server's real key, different key.
    const forger = signingKeyFromSeed(fake.signingKey.keyId, generateSigningKey().seed);
    const forged = await mallory.build(alice, { type: 'm.room.topic', stateKey: '', content: { topic: 'forged topic' }, signWith: forger });
    const res = await mallory.send(forged.pdu);
    expect(res[forged.id]?.error).toMatch(/signature/);
    expect((await getEvent(hs, alice, roomId, forged.id)).status).toBe(404);
    expect(await snapshot(hs, alice, roomId)).toEqual(before);
    await expectDelivered('after the forged signature');
  });

  it('stores a PDU whose content hash does not match redacted, with its content stripped', async () => {
    const before = await snapshot(hs, alice, roomId);
    const msg = await mallory.build(alice, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'what was signed' } });
    // The signature covers the redacted event (no content), so it still verifies; the hash does not.
    const tampered: Pdu = { ...msg.pdu, content: { msgtype: 'm.text', body: 'tampered on the way' } };
    const res = await mallory.send(tampered);
    expect(res[msg.id], JSON.stringify(res)).toEqual({});
    const got = await getEvent(hs, alice, roomId, msg.id);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ type: 'm.room.message', sender: mallory.userId, content: {} });
    expect(JSON.stringify(got.body)).not.toContain('tampered');
    const after = await snapshot(hs, alice, roomId);
    expect(after.state).toEqual(before.state);
    expect(after.history).toEqual([...before.history, msg.id]);
    await expectDelivered('after the hash mismatch');
  });

  it('serves what an erased local account sent pruned to servers that ask afterwards (event, backfill, missing events), still verifiable', async () => {
    const bob = await hs.registerUser(`bob-${Date.now()}`);
    expect((await api(hs, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, { token: bob.accessToken, body: {} })).status).toBe(200);
    const sent = await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`, { token: bob.accessToken, body: { msgtype: 'm.text', body: 'bob was here' } });
    const id = sent.body.event_id;
    const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: bob.password };
    const challenge = await api<{ session: string }>(hs, 'POST', '/_matrix/client/v3/account/deactivate', { token: bob.accessToken, body: { erase: true } });
    expect((await api(hs, 'POST', '/_matrix/client/v3/account/deactivate', { token: bob.accessToken, body: { erase: true, auth: { ...auth, session: challenge.body.session } } })).status).toBe(200);

    const one = await fake.request<{ pdus: Pdu[] }>(hs, 'GET', `/_matrix/federation/v1/event/${enc(id)}`);
    expect(one.status).toBe(200);
    const pdu = one.body.pdus[0]!;
    expect(pdu.content).toEqual({});
    expect(pdu.hashes.sha256).toMatch(/^[A-Za-z0-9+/]+$/);
    // Still the event that was signed: the signature covers the redacted form, which this now is.
    const key = identityOf(hs).signingKey;
    expect(verifyJsonSignature(redactEvent(pdu, DEFAULT_ROOM_VERSION) as unknown as Record<string, unknown>, hs.serverName, key.keyId, key.publicKeyBase64)).toBe(true);
    expect(computeEventId(pdu, DEFAULT_ROOM_VERSION)).toBe(id);
    const back = await fake.request<{ pdus: Pdu[] }>(hs, 'GET', `/_matrix/federation/v1/backfill/${enc(roomId)}`, { query: { v: id, limit: '5' } });
    const missing = await fake.request<{ events: Pdu[] }>(hs, 'POST', `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`, {
      body: { earliest_events: [], latest_events: [id], limit: 20 },
    });
    // The state and auth chain a server joining later receives carry bob's membership pruned too.
    const state = await fake.request<{ pdus: Pdu[]; auth_chain: Pdu[] }>(hs, 'GET', `/_matrix/federation/v1/state/${enc(roomId)}`, { query: { event_id: id } });
    expect(state.status).toBe(200);
    const bobState = state.body.pdus.filter((p) => p.sender === bob.userId);
    expect(bobState.map((p) => p.type)).toEqual(['m.room.member']);
    expect(Object.keys(bobState[0]!.content)).toEqual(['membership']);
    const bobs = [...back.body.pdus, ...missing.body.events].filter((p) => p.sender === bob.userId);
    expect(bobs.length).toBeGreaterThan(1);
    for (const p of bobs) expect(p.type === 'm.room.member' ? Object.keys(p.content) : p.content).toEqual(p.type === 'm.room.member' ? ['membership'] : {});
    expect(JSON.stringify([one.body, back.body, missing.body])).not.toContain('bob was here');
  });

  it('refuses a PDU the sending server sent for a user of another server', async () => {
    const before = await snapshot(hs, alice, roomId);
    // The fake server speaks for alice, a user of the homeserver itself.
    const spoofed = await mallory.build(alice, { type: 'm.room.message', sender: alice.userId, content: { msgtype: 'm.text', body: 'not really alice' } });
    // And for a user of a third server that exists and whose key can be fetched.
    const third = await startFakeServer();
    try {
      const eve = `@eve:${third.serverName}`;
      const foreign = await mallory.build(alice, { type: 'm.room.message', sender: eve, content: { msgtype: 'm.text', body: 'not really eve' } });
      const res = await mallory.send(spoofed.pdu, foreign.pdu);
      expect(res[spoofed.id]?.error).toMatch(/signature/);
      expect(res[foreign.id]?.error).toBeDefined();
      expect((await getEvent(hs, alice, roomId, spoofed.id)).status).toBe(404);
      expect((await getEvent(hs, alice, roomId, foreign.id)).status).toBe(404);
    } finally {
      await third.stop();
    }
    expect(await snapshot(hs, alice, roomId)).toEqual(before);
    await expectDelivered('after the spoofed senders');
  });

  it('rejects a power-levels change by a member with power 0, and still accepts valid events that follow it', async () => {
    const before = await snapshot(hs, alice, roomId);
    const plId = await mallory.stateId(alice, 'm.room.power_levels');
    const pl = (await getEvent(hs, alice, roomId, plId)).body.content as { users: Record<string, number> };
    const grab = await mallory.build(alice, { type: 'm.room.power_levels', stateKey: '', content: { ...pl, users: { ...pl.users, [mallory.userId]: 100 } } as JsonObject });
    const res = await mallory.send(grab.pdu);
    expect(res[grab.id]?.error).toMatch(/rejected/);
    expect(await snapshot(hs, alice, roomId)).toEqual(before);
    expect((await getEvent(hs, alice, roomId, plId)).body.content).toEqual(pl);

    // A later event that lists the rejected one among its auth events is rejected too.
    const authedByRejected = await mallory.build(alice, {
      type: 'm.room.topic', stateKey: '', content: { topic: 'mallory rules' },
      authEvents: [await mallory.stateId(alice, 'm.room.create'), grab.id, await mallory.stateId(alice, 'm.room.member', mallory.userId)],
    });
    expect((await mallory.send(authedByRejected.pdu))[authedByRejected.id]?.error).toMatch(/rejected/);
    expect(await snapshot(hs, alice, roomId)).toEqual(before);

    // One that merely follows it in the graph passes (spec "Rejection").
    await expectDelivered('after the rejected power levels', [grab.id]);
    // And the room still works for everyone: alice's next message builds on mallory's.
    const said = await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`, { token: alice.accessToken, body: { msgtype: 'm.text', body: 'still here' } });
    expect(said.status).toBe(200);
    const state = await api<ClientEvent[]>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`, { token: alice.accessToken });
    expect(state.body.find((e) => e.type === 'm.room.topic')?.content['topic']).toBe('be kind');
    expect(state.body.find((e) => e.type === 'm.room.power_levels')?.event_id).toBe(plId);
  });

  it('checks the state the sender gives for an event it is missing, leaving out what the auth rules forbid', async () => {
    const plId = await mallory.stateId(alice, 'm.room.power_levels');
    const pl = (await getEvent(hs, alice, roomId, plId)).body.content as { users: Record<string, number> };
    // A power-levels event mallory may not send, never sent to us: only offered as part of the state.
    const forgedPl = await mallory.build(alice, { type: 'm.room.power_levels', stateKey: '', content: { ...pl, users: { ...pl.users, [mallory.userId]: 100 } } as JsonObject });
    // A message we never received, and one after it that we do receive.
    const unseen = await mallory.build(alice, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'you never got this one' } });
    const next = await mallory.build(alice, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'after a gap' }, prev: [unseen.id] });
    const st = await api<ClientEvent[]>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`, { token: alice.accessToken });
    const stateIds = st.body.map((e) => e.event_id);
    fake.route('POST', `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`, () => ({ status: 200, body: { events: [] } }));
    // The forged one comes last, as if it replaced the real one.
    fake.route('GET', `/_matrix/federation/v1/state_ids/${enc(roomId)}`, () => ({ status: 200, body: { pdu_ids: [...stateIds, forgedPl.id], auth_chain_ids: [] } }));
    for (const e of [unseen, forgedPl]) {
      fake.route('GET', `/_matrix/federation/v1/event/${enc(e.id)}`, () => ({ status: 200, body: { origin: fake.serverName, origin_server_ts: Date.now(), pdus: [e.pdu] } }));
    }
    const res = await mallory.send(next.pdu);
    expect(res[next.id], JSON.stringify(res)).toEqual({});
    expect((await history(hs, alice, roomId)).at(-1)?.event_id).toBe(next.id);
    // The state A records before the event (and serves to other servers) holds the real power levels.
    const at = await fake.request<{ pdu_ids: string[] }>(hs, 'GET', `/_matrix/federation/v1/state_ids/${enc(roomId)}`, { query: { event_id: next.id } });
    expect(at.status).toBe(200);
    expect(at.body.pdu_ids).toContain(plId);
    expect(at.body.pdu_ids).not.toContain(forgedPl.id);
    expect(await mallory.stateId(alice, 'm.room.power_levels')).toBe(plId);
  });
});

describe('a room whose server ACL denies a server', () => {
  let fake: FakeServer;
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let roomId: string;
  let mallory: RemoteView;
  let lastId: string;

  beforeAll(async () => {
    fake = await startFakeServer();
    hs = await startHomeserver({ extraArgs: ['--federation-insecure-skip-verify-for', fake.serverName, ...FAST_RETRY] });
    alice = await hs.registerUser('alice');
    roomId = (await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { preset: 'public_chat' } })).body.room_id;
    mallory = new RemoteView(fake, hs, roomId, 'mallory');
    await mallory.join();
    // Every server here is named localhost:<port>, and ACLs ignore ports: this denies the fake server
    // (the homeserver's own users are not subject to the ACL).
    const acl = await api(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.server_acl/`, { token: alice.accessToken, body: { allow: ['*'], deny: ['localhost'], allow_ip_literals: false } });
    expect(acl.status, JSON.stringify(acl.body)).toBe(200);
    lastId = (await history(hs, alice, roomId)).at(-1)!.event_id;
  });
  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
    await fake?.stop();
  });

  it('keeps the denied server\'s PDUs out', async () => {
    const before = await snapshot(hs, alice, roomId);
    const msg = hashAndSignEvent({
      room_id: roomId, type: 'm.room.message', sender: mallory.userId, content: { msgtype: 'm.text', body: 'past the ACL' }, origin_server_ts: Date.now(),
      depth: 100, prev_events: [lastId], auth_events: [],
    }, mallory.version, fake.serverName, fake.signingKey);
    const id = computeEventId(msg, mallory.version);
    const res = await mallory.send(msg);
    expect(res[id]?.error).toMatch(/ACL/);
    expect(await snapshot(hs, alice, roomId)).toEqual(before);
  });

  it('answers the denied server\'s room requests with 403 M_FORBIDDEN', async () => {
    const r = (method: string, path: string, opts: { query?: Record<string, string | string[]>; body?: unknown } = {}) => fake.request<{ errcode?: string }>(hs, method, path, opts);
    const other = `@other:${fake.serverName}`;
    const calls = await Promise.all([
      r('GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(other)}`, { query: { ver: ['10', '11'] } }),
      r('GET', `/_matrix/federation/v1/make_leave/${enc(roomId)}/${enc(mallory.userId)}`),
      r('GET', `/_matrix/federation/v1/state_ids/${enc(roomId)}`, { query: { event_id: lastId } }),
      r('GET', `/_matrix/federation/v1/state/${enc(roomId)}`, { query: { event_id: lastId } }),
      r('GET', `/_matrix/federation/v1/backfill/${enc(roomId)}`, { query: { v: lastId, limit: '10' } }),
      r('GET', `/_matrix/federation/v1/event_auth/${enc(roomId)}/${enc(lastId)}`),
      r('POST', `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`, { body: { earliest_events: [], latest_events: [lastId], limit: 10 } }),
    ]);
    expect(calls.map((c) => [c.status, c.body.errcode])).toEqual(calls.map(() => [403, 'M_FORBIDDEN']));
  });
});

describe('a homeserver with a federation allow-list', () => {
  let third: FakeServer;
  let a: TestHomeserver;
  let b: TestHomeserver;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const fromA = (): number => third.received.filter((r) => r.authorization?.includes(`origin="${a.serverName}"`) || r.authorization?.includes(`origin=${a.serverName}`)).length;

  beforeAll(async () => {
    third = await startFakeServer();
    const [portA, portB] = [await freePort(), await freePort()];
    const [nameA, nameB] = [`localhost:${portA}`, `localhost:${portB}`];
    [a, b] = await Promise.all([
      startHomeserver({ federationPort: portA, extraArgs: ['--federation-insecure-skip-verify-for', nameB, '--federation-insecure-skip-verify-for', third.serverName, '--federation-domain-whitelist', nameB, ...FAST_RETRY] }),
      startHomeserver({ federationPort: portB, extraArgs: ['--federation-insecure-skip-verify-for', nameA, '--federation-insecure-skip-verify-for', third.serverName, ...FAST_RETRY] }),
    ]);
    [alice, bob] = await Promise.all([a.registerUser('alice'), b.registerUser('bob')]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    a?.cleanup();
    b?.cleanup();
    await third?.stop();
  });

  it('refuses requests from a server not on the list with 403 M_FORBIDDEN', async () => {
    const res = await third.request<{ errcode: string }>(a, 'GET', '/_matrix/federation/v1/query/profile', { query: { user_id: alice.userId } });
    expect([res.status, res.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    expect(third.received).toEqual([]);
  });

  it('fails clearly to invite, join through or query keys of a server not on the list, sending it nothing', async () => {
    const roomId = (await api<{ room_id: string }>(a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { preset: 'private_chat' } })).body.room_id;
    const invite = await api<{ errcode: string; error: string }>(a, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { token: alice.accessToken, body: { user_id: `@carol:${third.serverName}` } });
    expect(invite.status).toBe(403);
    expect(invite.body.errcode).toBe('M_FORBIDDEN');
    expect(invite.body.error).toContain(third.serverName);
    const join = await api<{ errcode: string }>(a, 'POST', `/_matrix/client/v3/join/${enc(`!elsewhere:${third.serverName}`)}?server_name=${enc(third.serverName)}`, { token: alice.accessToken, body: {} });
    expect(join.status).toBeGreaterThanOrEqual(400);
    const keys = await api<{ failures: Record<string, unknown> }>(a, 'POST', '/_matrix/client/v3/keys/query', { token: alice.accessToken, body: { device_keys: { [`@carol:${third.serverName}`]: [] } } });
    expect(keys.status).toBe(200);
    expect(Object.keys(keys.body.failures)).toEqual([third.serverName]);
    // The membership of the refused invite did not change.
    const members = await api<{ chunk: ClientEvent[] }>(a, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/members`, { token: alice.accessToken });
    expect(members.body.chunk.map((m) => m.state_key)).toEqual([alice.userId]);
    expect(third.received).toEqual([]);
  });

  it('keeps federating with the server on the list, and never sends the other server anything when its user joins through it', async () => {
    const roomId = (await api<{ room_id: string }>(a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { preset: 'public_chat' } })).body.room_id;
    const joined = await api(b, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(a.serverName)}`, { token: bob.accessToken, body: {} });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    // carol of the third server joins through B, which federates with anyone; B passes her join on to A.
    const carol = new RemoteView(third, b, roomId, 'carol');
    await carol.join();
    const keyFetches = (): number => third.received.filter((r) => r.url.startsWith('/_matrix/key/')).length;
    const keyFetchesAfterJoin = keyFetches();
    // B's users and A's users still talk; carol's messages never show at A.
    const fromCarol = await carol.build(bob, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'carol here' } });
    expect((await carol.send(fromCarol.pdu))[fromCarol.id]).toEqual({});
    const sayB = await api<{ event_id: string }>(b, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/b1`, { token: bob.accessToken, body: { msgtype: 'm.text', body: 'bob here' } });
    expect(sayB.status).toBe(200);
    await waitFor('bob\'s message at A', async () => (await history(a, alice, roomId)).some((e) => e.event_id === sayB.body.event_id), 20_000);
    const sayA = await api<{ event_id: string }>(a, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/a1`, { token: alice.accessToken, body: { msgtype: 'm.text', body: 'alice here' } });
    expect(sayA.status).toBe(200);
    await waitFor('alice\'s message at B', async () => (await history(b, bob, roomId)).some((e) => e.event_id === sayA.body.event_id), 20_000);
    const atA = await history(a, alice, roomId);
    expect(atA.some((e) => e.sender.endsWith(third.serverName))).toBe(false);
    expect(fromA()).toBe(0);
    expect(keyFetches()).toBe(keyFetchesAfterJoin);
  });
});
