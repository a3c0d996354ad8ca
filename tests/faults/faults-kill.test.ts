// Crash faults under a small load: two federated institutions (homeserver + bridge each), with
// matrix-js-sdk Rust-crypto clients chatting across them, students asking for support and escalating
// with signed consent receipts, and the bridges writing their audit chains. Each process in turn —
// homeserver A, homeserver B, bridge A, bridge B — is killed with SIGKILL mid-traffic and started
// again. Afterwards nothing acknowledged is lost or duplicated (messages that got an event id,
// requests answered 201, receipts accepted, audit entries), federation has caught up with what was
// sent while the peer was down, and the clients recovered by themselves: the same client objects
// kept syncing, and the sends that failed while their server was down went out once, as the web
// client resends them (same transaction id) when its sync comes back.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { prepareBridge, signInToBridge, startBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { startFederatedPair, type FederatedPair } from '../helpers/federated-pair.ts';
import { freePort } from '../helpers/ports.ts';
import { ENCRYPTION_STATE, sdk, waitFor, type Client } from '../helpers/client.ts';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import { HomeserverClient } from '../../bridge-service/src/services/homeserver-client.ts';
import { encodeConsentPublicKey, generateConsentKeyPair, newConsentReceipt, signConsentReceipt, type ConsentKeyPair } from '../../protocol/src/consent.ts';
import { SESSION_EVENT_TYPE } from '../../protocol/src/event-types.ts';

const enc = encodeURIComponent;
const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
/** Valid training under the School A sample policy the test policies are based on. */
const TRAINING = ['active-listening', 'boundaries-confidentiality', 'risk-and-escalation', 'group-moderation'].map((module) => ({ module, version: 1, completed: day(-30) }));
/** Federation retries soon after a peer comes back (production starts at 1 s and grows to an hour). */
const FAST_RETRY = ['--federation-retry-initial-ms', '200', '--federation-retry-max-ms', '1000'];

interface Side {
  name: 'A' | 'B';
  hs: TestHomeserver;
  bridge: TestBridge;
  chatter: RegisteredUser;
  client: Client;
  adminToken: string;
  student: RegisteredUser;
  studentToken: string;
  counsellor: RegisteredUser;
  counsellorToken: string;
  keys: ConsentKeyPair;
  peerRoom: string;
  /** Acknowledged by the bridge: request ids (201) per student token, receipt ids (200). */
  requests: { token: string; requestId: string }[];
  receipts: string[];
  /** Message bodies this side's client sent (every one must end up in the room exactly once). */
  sent: string[];
}

// A message that fails to send makes the SDK warn, as does every one queued behind it.
(sdkLogger as unknown as { setLevel(level: string): void }).setLevel('error');

/** How often each client had a message fail to send (and so had to resend it). */
const unsent = new Map<Client, number>();

/** A client as the web client configures it: detached pending events, resent when sync comes back. */
async function recoveringClient(baseUrl: string, user: RegisteredUser): Promise<Client> {
  const client = sdk.createClient({
    baseUrl, userId: user.userId, deviceId: user.deviceId, accessToken: user.accessToken,
    logger: { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, getChild() { return this; } } as never,
  });
  await client.initRustCrypto({ useIndexedDB: false });
  client.on(sdk.RoomEvent.LocalEchoUpdated, (event) => {
    if (event.status === sdk.EventStatus.NOT_SENT) unsent.set(client, (unsent.get(client) ?? 0) + 1);
  });
  client.on(sdk.ClientEvent.Sync, (state, prev) => {
    const wasDown = prev === sdk.SyncState.Error || prev === sdk.SyncState.Reconnecting;
    if (!wasDown || (state !== sdk.SyncState.Syncing && state !== sdk.SyncState.Prepared && state !== sdk.SyncState.Catchup)) return;
    for (const room of client.getRooms()) {
      for (const e of room.getPendingEvents()) {
        if (e.status === sdk.EventStatus.NOT_SENT) client.resendEvent(e, room).catch(() => { /* resent on the next recovery */ });
      }
    }
  });
  const ready = new Promise<void>((resolve) => {
    const on = (state: sdk.SyncState): void => {
      if (state === sdk.SyncState.Prepared || state === sdk.SyncState.Syncing) {
        client.off(sdk.ClientEvent.Sync, on);
        resolve();
      }
    };
    client.on(sdk.ClientEvent.Sync, on);
  });
  await client.startClient({ initialSyncLimit: 20, pendingEventOrdering: sdk.PendingEventOrdering.Detached });
  await ready;
  return client;
}

/** Ids and senders of the room's message events as `user`'s homeserver stores them, oldest first. */
async function storedMessages(hs: TestHomeserver, user: RegisteredUser, roomId: string): Promise<{ event_id: string; sender: string }[]> {
  const out: { event_id: string; sender: string }[] = [];
  let from: string | undefined;
  for (let page = 0; page < 20; page++) {
    const r = await api<{ chunk: { event_id: string; sender: string; type: string }[]; end?: string }>(hs, 'GET',
      `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=f&limit=100${from ? `&from=${enc(from)}` : ''}`, { token: user.accessToken });
    expect(r.status).toBe(200);
    out.push(...r.body.chunk.filter((e) => e.type === 'm.room.encrypted'));
    if (!r.body.end || r.body.chunk.length === 0) break;
    from = r.body.end;
  }
  return out;
}

/**
 * The messages a client shows in a room, and how many failed to decrypt; it pages back to the room's
 * start (as a user scrolls up over the gap a reconnect leaves) unless `want` are all shown already.
 */
async function shownMessages(client: Client, roomId: string, want: readonly string[] = []): Promise<{ bodies: string[]; failures: number }> {
  const room = client.getRoom(roomId)!;
  const read = async (): Promise<{ bodies: string[]; failures: number }> => {
    const events = room.getUnfilteredTimelineSet().getTimelines().flatMap((t) => t.getEvents()).filter((e) => e.isEncrypted());
    await Promise.all(events.map((e) => client.decryptEventIfNeeded(e)));
    return {
      bodies: events.filter((e) => e.getType() === 'm.room.message').map((e) => String(e.getContent()['body'])),
      failures: events.filter((e) => e.isDecryptionFailure()).length,
    };
  };
  const first = await read();
  if (want.length > 0 && want.every((m) => first.bodies.includes(m))) return first;
  for (let i = 0; i < 20 && await client.paginateEventTimeline(room.getLiveTimeline(), { backwards: true, limit: 100 }); i++);
  return read();
}

interface AuditView { entries: { seq: number; hash: string; action: string; subject: string | null }[]; chain: { ok: boolean; length: number } }

async function audit(side: Side): Promise<AuditView> {
  const r = await side.bridge.api<AuditView>('GET', '/v1/admin/audit?limit=1000', { token: side.adminToken });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

describe('SIGKILL of each process under load', () => {
  let fed: FederatedPair;
  let sides: [Side, Side];
  let chatRoom: string;

  beforeAll(async () => {
    const ports: [number, number] = [await freePort(), await freePort()];
    const names = ports.map((p) => `localhost:${p}`) as [string, string];
    const [prepA, prepB] = await Promise.all([prepareBridge({ serverName: names[0] }), prepareBridge({ serverName: names[1] })]);
    fed = await startFederatedPair({
      federationPorts: ports, extraArgsA: [...FAST_RETRY, '--appservice', prepA.registrationFile], extraArgsB: [...FAST_RETRY, '--appservice', prepB.registrationFile],
    });
    const bridgeOf = (hs: TestHomeserver, prepared: typeof prepA, other: TestHomeserver): Promise<TestBridge> => startBridge({
      homeserver: hs, prepared, policy: testPolicy(hs.serverName, [other.serverName]), admins: [`@admin:${hs.serverName}`],
      federationEndpoints: { [other.serverName]: `https://127.0.0.1:${other.federationPort}` }, env: { PEERLINE_MATCHING_TICK_MS: '500' },
    });
    const [bridgeA, bridgeB] = await Promise.all([bridgeOf(fed.a, prepA, fed.b), bridgeOf(fed.b, prepB, fed.a)]);
    const makeSide = async (name: 'A' | 'B', hs: TestHomeserver, bridge: TestBridge): Promise<Side> => {
      const [chatter, admin, student, counsellor] = await Promise.all([
        hs.registerUser(`chat-${name.toLowerCase()}`), hs.registerUser('admin'), hs.registerUser(`s-${randomBytes(3).toString('hex')}`), hs.registerUser('coun'),
      ]);
      const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
      expect((await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(counsellor.userId)}`, { token: adminToken, body: {} })).status).toBe(200);
      const bot = new HomeserverClient({ baseUrl: hs.baseUrl, asToken: bridge.asToken, botUserId: `@${bridge.senderLocalpart}:${hs.serverName}` });
      // A peer room as the matching module's bot makes it, for the student's escalations.
      const { room_id: peerRoom } = await bot.createRoom({
        preset: 'private_chat',
        initial_state: [ENCRYPTION_STATE, { type: SESSION_EVENT_TYPE, state_key: '', content: { request_id: `req-${name}`, topic: 'exam-stress', institutions: [hs.serverName], created_ts: Date.now(), kind: 'peer' } }],
      });
      await bot.invite(peerRoom, student.userId);
      expect((await api(hs, 'POST', `/_matrix/client/v3/join/${enc(peerRoom)}`, { token: student.accessToken, body: {} })).status).toBe(200);
      const studentToken = (await signInToBridge(bridge, hs, student)).session_token;
      const keys = await generateConsentKeyPair();
      expect((await bridge.api('POST', '/v1/consent/keys', { token: studentToken, body: { public_key: encodeConsentPublicKey(keys.publicKey) } })).status).toBe(200);
      const counsellorToken = (await signInToBridge(bridge, hs, counsellor)).session_token;
      const client = await recoveringClient(hs.baseUrl, chatter);
      return { name, hs, bridge, chatter, client, adminToken, student, studentToken, counsellor, counsellorToken, keys, peerRoom, requests: [], receipts: [], sent: [] };
    };
    sides = await Promise.all([makeSide('A', fed.a, bridgeA), makeSide('B', fed.b, bridgeB)]);
    const [a, b] = sides;
    chatRoom = (await a.client.createRoom({ invite: [b.chatter.userId], initial_state: [ENCRYPTION_STATE] })).room_id;
    await waitFor('B\'s invite', () => b.client.getRoom(chatRoom)?.getMyMembership() === 'invite', 30_000);
    await b.client.joinRoom(chatRoom);
    await waitFor('A to see B joined', () => a.client.getRoom(chatRoom)?.getMember(b.chatter.userId)?.membership === 'join', 30_000);
    await waitFor('B\'s crypto to know the room', () => b.client.getCrypto()!.isEncryptionEnabledInRoom(chatRoom), 30_000);
    // A first exchange sets up the Olm and Megolm sessions, as in any conversation under way.
    await Promise.all([chat(a), chat(b)]);
    for (const s of sides) await waitFor(`the first messages at ${s.name}`, async () => (await shownMessages(s.client, chatRoom, [...a.sent, ...b.sent])).bodies.length === 2, 30_000);
  });

  afterAll(async () => {
    for (const s of sides ?? []) {
      s.client.stopClient();
      await s.bridge.stop();
      s.bridge.cleanup();
    }
    await fed?.stop();
  });

  let counter = 0;
  /** One message from a side's client; resolves when it has an event id, or when it failed (NOT_SENT, resent later). */
  function chat(side: Side): Promise<unknown> {
    const body = `${side.name}-${++counter}-${randomBytes(3).toString('hex')}`;
    side.sent.push(body);
    return side.client.sendTextMessage(chatRoom, body).catch(() => undefined);
  }

  /** A support request from a fresh student, and an escalation by the side's student: counted only when acknowledged. */
  async function bridgeTraffic(side: Side): Promise<void> {
    try {
      const u = await side.hs.registerUser(`s-${randomBytes(4).toString('hex')}`);
      const token = (await signInToBridge(side.bridge, side.hs, u)).session_token;
      const r = await side.bridge.api<{ request_id: string }>('POST', '/v1/requests', { token, body: { topic: 'exam-stress' } });
      if (r.status === 201) side.requests.push({ token, requestId: r.body.request_id });
      else expect(r.status, JSON.stringify(r.body)).toBeGreaterThanOrEqual(500);
    } catch { /* a process of this side is down: nothing was acknowledged */ }
    try {
      const receipt = await newConsentReceipt({
        student_user_id: side.student.userId, room_id: side.peerRoom, scope: { share: 'nothing' }, counsellor_institution: side.hs.serverName, severity: 'high',
      }, { now: Date.now(), ttlMs: 10 * 60_000 });
      const signed = await signConsentReceipt(receipt, side.keys.secretKey);
      const r = await side.bridge.api<{ receipt_id: string; errcode?: string }>('POST', '/v1/escalations', { token: side.studentToken, body: { receipt: signed, room_id: side.peerRoom, scope: signed.receipt.scope } });
      if (r.status === 200) side.receipts.push(r.body.receipt_id);
      else expect(r.status, JSON.stringify(r.body)).toBeGreaterThanOrEqual(500);
    } catch { /* the bridge is down */ }
  }

  async function checkBridges(before: AuditView[]): Promise<void> {
    for (const [i, side] of sides.entries()) {
      const after = await audit(side);
      expect(after.chain.ok, `${side.name}'s audit chain verifies`).toBe(true);
      // Every entry written before the crash is still there, unchanged; none is written twice.
      const bySeq = new Map(after.entries.map((e) => [e.seq, e.hash]));
      for (const e of before[i]!.entries) expect(bySeq.get(e.seq), `${side.name} audit entry ${e.seq}`).toBe(e.hash);
      const accepted = after.entries.filter((e) => e.action === 'consent.receipt.accepted').map((e) => e.subject);
      expect(new Set(accepted).size).toBe(accepted.length);
      for (const id of side.receipts) expect(accepted).toContain(id);
      // The student's receipts: every accepted one, once.
      const rs = await side.bridge.api<{ receipts: { receipt_id: string }[] }>('GET', '/v1/consent/receipts', { token: side.studentToken });
      expect(rs.status).toBe(200);
      expect(rs.body.receipts.map((r) => r.receipt_id).sort()).toEqual([...side.receipts].sort());
      // Every request answered 201 is still there, once, waiting for a supporter.
      for (const req of side.requests) {
        const list = await side.bridge.api<{ requests: { request_id: string; status: string }[] }>('GET', '/v1/requests', { token: req.token });
        expect(list.status, JSON.stringify(list.body)).toBe(200);
        expect(list.body.requests.map((x) => x.request_id)).toEqual([req.requestId]);
      }
    }
  }

  for (const victim of ['homeserver A', 'homeserver B', 'bridge A', 'bridge B'] as const) {
    it(`loses and duplicates nothing acknowledged when ${victim} is killed mid-traffic and restarted`, async () => {
      const [a, b] = sides;
      const side = victim.endsWith('A') ? a : b;
      const proc = victim.startsWith('homeserver') ? side.hs : side.bridge;
      await Promise.all([chat(a), chat(b), bridgeTraffic(a), bridgeTraffic(b)]);
      const before = await Promise.all(sides.map(audit));
      // Traffic in flight while the process dies, and more while it is down. A client whose server is
      // down keeps retrying its key requests and sends for a while (matrix-js-sdk's own backoff), so
      // its messages are awaited after the restart; the bridge calls fail or succeed at once.
      const chats = [chat(a), chat(b)];
      const calls = [bridgeTraffic(a), bridgeTraffic(b)];
      await proc.stop('SIGKILL');
      chats.push(chat(a), chat(b));
      calls.push(bridgeTraffic(a), bridgeTraffic(b));
      await Promise.all(calls);
      // The side's client has noticed its server is gone before it comes back.
      if (proc === side.hs) {
        await waitFor(`${side.name}'s client to notice`, () => side.client.getSyncState() !== sdk.SyncState.Syncing, 30_000);
        // A message its client cannot send now: it fails (NOT_SENT), and the client resends it itself later.
        const failedBefore = unsent.get(side.client) ?? 0;
        chats.push(chat(side));
        // (At once when its sessions are set up; after matrix-js-sdk's ~30 s of retries when a key request is pending.)
        await waitFor(`a send of ${side.name}'s client to fail`, () => (unsent.get(side.client) ?? 0) > failedBefore, 45_000);
      }
      await proc.restart();
      await Promise.all(chats);
      await Promise.all([chat(a), chat(b), bridgeTraffic(a), bridgeTraffic(b)]);
      await checkBridges(before);
    });
  }

  it('ends with one escalation room per accepted receipt, the counsellor invited to each once (no room made twice)', async () => {
    for (const side of sides) {
      type Item = { escalation_id: string; room_id: string | null; receipt: { signed: { receipt: { receipt_id: string } } } };
      let items: Item[] = [];
      // Escalations accepted just before a crash are finished by the bridge's periodic job.
      await waitFor(`${side.name}'s escalations to have rooms`, async () => {
        const q = await side.bridge.api<{ items: Item[] }>('GET', '/v1/escalations/queue', { token: side.counsellorToken });
        items = q.body.items;
        return items.length === side.receipts.length && items.every((i) => i.room_id !== null);
      }, 45_000);
      expect(items.map((i) => i.receipt.signed.receipt.receipt_id).sort()).toEqual([...side.receipts].sort());
      const sync = await api<{ rooms?: { invite?: Record<string, unknown> } }>(side.hs, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: side.counsellor.accessToken });
      expect(Object.keys(sync.body.rooms?.invite ?? {}).sort()).toEqual(items.map((i) => i.room_id!).sort());
    }
  });

  it('matches a waiting request once a supporter is free: the queue survived the crashes', async () => {
    // At A only: a supporter there is offered A's own requests first (the policy's order), starting
    // with the oldest, which has waited through every crash.
    const [a] = sides;
    const supporter = await a.hs.registerUser('sup-a');
    expect((await a.bridge.api('PUT', `/v1/admin/roster/supporters/${enc(supporter.userId)}`, { token: a.adminToken, body: { topics: ['exam-stress'], training: TRAINING } })).status).toBe(200);
    const token = (await signInToBridge(a.bridge, a.hs, supporter)).session_token;
    expect((await a.bridge.api('PUT', '/v1/supporters/me/availability', { token, body: { available: true } })).status).toBe(200);
    const oldest = a.requests[0]!;
    let offer: { offer_id: string; request_id: string } | undefined;
    await waitFor('an offer of the oldest request', async () => {
      const offers = (await a.bridge.api<{ offers: { offer_id: string; request_id: string }[] }>('GET', '/v1/offers?timeout_ms=2000', { token })).body.offers;
      offer = offers.find((o) => o.request_id === oldest.requestId);
      return offer !== undefined;
    }, 30_000);
    const accepted = await a.bridge.api<{ status: string }>('POST', `/v1/offers/${enc(offer!.offer_id)}/accept`, { token });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.status).toBe('active');
    const mine = await a.bridge.api<{ requests: { request_id: string; status: string }[] }>('GET', '/v1/requests', { token: oldest.token });
    expect(mine.body.requests).toMatchObject([{ request_id: oldest.requestId, status: 'matched' }]);
  });

  it('ends with every message in the room once, on both servers, decrypted by the other side, from the same client objects', async () => {
    const [a, b] = sides;
    const want = [...a.sent, ...b.sent].sort();
    for (const s of sides) {
      expect(s.client.getSyncState()).not.toBe(sdk.SyncState.Stopped);
      // Every send went out: nothing is left pending or failed.
      await waitFor(`${s.name}'s sends to be done`, () => s.client.getRoom(chatRoom)!.getPendingEvents().every((e) => e.status === sdk.EventStatus.SENT), 60_000);
    }
    // What each client shows: its live timeline, plus what it pages back through after the gap a
    // reconnect leaves (a limited sync), as a client does when the user scrolls up.
    for (const s of sides) {
      await waitFor(`every message at ${s.name}`, async () => {
        const shown = await shownMessages(s.client, chatRoom, want);
        return shown.failures === 0 && [...new Set(shown.bodies)].filter((m) => want.includes(m)).length === want.length && shown;
      }, 60_000);
      const shown = await shownMessages(s.client, chatRoom, want);
      expect(shown.bodies.filter((m) => want.includes(m)).sort(), `${s.name} shows each message once`).toEqual(want);
    }
    // The servers hold each message once, and the same ones (federation caught up both ways).
    const [onA, onB] = await Promise.all([storedMessages(a.hs, a.chatter, chatRoom), storedMessages(b.hs, b.chatter, chatRoom)]);
    expect(onA.length).toBe(want.length);
    expect(onA.filter((e) => e.sender === a.chatter.userId).length).toBe(a.sent.length);
    expect(onB.map((e) => e.event_id).sort()).toEqual(onA.map((e) => e.event_id).sort());
  });
});
