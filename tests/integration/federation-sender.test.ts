// Federation transactions between real processes: two homeservers exchanging room events, typing
// and receipts through PUT /send/{txnId}; a scripted remote server (in this process) that fails,
// goes down and comes back while the homeserver restarts; and transactions sent to a homeserver —
// replayed, oversized, unsigned, or for a room whose server ACL denies the sender.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { startFederatedPair, type FederatedPair } from '../helpers/federated-pair.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/client.ts';
import { identityOf, isSignedBy, rawFederationRequest, signedFederationRequest, type ReceivedRequest, type ServerIdentity } from '../helpers/federation.ts';
import { generateSigningKey } from '../../homeserver/src/core/signing.ts';
import { ownKeyResponse } from '../../homeserver/src/federation/key-response.ts';
import { loadOrCreateTlsCredentials } from '../../homeserver/src/federation/tls.ts';
import { createLogger } from '../../homeserver/src/logger.ts';
import { computeEventId, hashAndSignEvent } from '../../homeserver/src/core/event-hash.ts';
import type { JsonObject, Pdu, RoomVersion } from '../../homeserver/src/core/pdu.ts';

// Wires the sender from the transactions route until app.ts does it itself.
const FAST_RETRY = ['--federation-retry-initial-ms', '200', '--federation-retry-max-ms', '1000'];
const enc = encodeURIComponent;

interface Txn { txnId: string; request: ReceivedRequest; body: { origin: string; origin_server_ts: number; pdus: Pdu[]; edus: { edu_type: string; content: JsonObject }[] } }

/**
 * A remote server in this process that can be stopped and started again on the same name, key and
 * certificate: serves its key, records every transaction, and fails the first `failNext` of them.
 */
interface TxnSink extends ServerIdentity {
  federationPort: number;
  attempts: Txn[];
  accepted: Txn[];
  failNext: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Removes its certificate directory (after the last stop). */
  cleanup(): void;
}

async function startTxnSink(): Promise<TxnSink> {
  const port = await freePort();
  const serverName = `localhost:${port}`;
  const signingKey = generateSigningKey();
  const dir = mkdtempSync(join(tmpdir(), 'peerline-sink-'));
  const creds = loadOrCreateTlsCredentials({ server_name: serverName, bind_address: '127.0.0.1', data_dir: dir, tls_certificate_path: null, tls_private_key_path: null }, createLogger('error', {}, () => undefined));
  let server: Server | null = null;
  const sink: TxnSink = {
    serverName, signingKey, federationPort: port, attempts: [], accepted: [], failNext: 0,
    async start() {
      const srv = createServer({ cert: creds.cert, key: creds.key }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const reply = (status: number, body: unknown): void => {
            const json = JSON.stringify(body);
            res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
            res.end(json);
          };
          const path = (req.url ?? '/').split('?')[0]!;
          if (req.method === 'GET' && path === '/_matrix/key/v2/server') return reply(200, ownKeyResponse(serverName, signingKey, [], Date.now()));
          const m = /^\/_matrix\/federation\/v1\/send\/([^/]+)$/.exec(path);
          if (req.method !== 'PUT' || !m) return reply(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
          const body = JSON.parse(text) as Txn['body'];
          const txn: Txn = { txnId: decodeURIComponent(m[1]!), request: { method: req.method, url: req.url ?? '/', authorization: req.headers.authorization, body }, body };
          sink.attempts.push(txn);
          if (sink.failNext > 0) {
            sink.failNext--;
            return reply(500, { errcode: 'M_UNKNOWN', error: 'scripted failure' });
          }
          sink.accepted.push(txn);
          return reply(200, { pdus: Object.fromEntries(body.pdus.map((p) => [computeEventId(p, '10'), {}])) });
        });
      });
      await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
      expect((srv.address() as AddressInfo).port).toBe(port);
      server = srv;
    },
    async stop() {
      const srv = server;
      server = null;
      if (!srv) return;
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  await sink.start();
  return sink;
}

/** A remote user's membership in a room, as its server tracks it to build further events. */
interface RemoteMember {
  userId: string;
  roomId: string;
  version: RoomVersion;
  authIds: string[];
  lastId: string;
  depth: number;
}

/** Joins `localpart` of `remote` to a room on `hs` through make_join/send_join. */
async function joinFrom(remote: ServerIdentity, hs: TestHomeserver, roomId: string, localpart: string): Promise<RemoteMember> {
  const userId = `@${localpart}:${remote.serverName}`;
  const made = await signedFederationRequest<{ event: JsonObject; room_version: RoomVersion }>(remote, hs, 'GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(userId)}`, { query: { ver: ['10', '11'] } });
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  const version = made.body.room_version;
  const join = hashAndSignEvent({ ...made.body.event, origin_server_ts: Date.now() } as unknown as Omit<Pdu, 'hashes' | 'signatures'>, version, remote.serverName, remote.signingKey);
  const joinId = computeEventId(join, version);
  const sent = await signedFederationRequest<{ state: Pdu[] }>(remote, hs, 'PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(joinId)}`, { body: join });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  const idOf = (type: string): string => computeEventId(sent.body.state.find((e) => e.type === type && e.state_key === '')!, version);
  return { userId, roomId, version, authIds: [idOf('m.room.create'), idOf('m.room.power_levels'), joinId], lastId: joinId, depth: join.depth };
}

/** The next message of a remote member, signed by its server. */
function messageFrom(remote: ServerIdentity, m: RemoteMember, body: string): { id: string; pdu: Pdu } {
  const pdu = hashAndSignEvent({
    room_id: m.roomId, type: 'm.room.message', sender: m.userId, content: { msgtype: 'm.text', body }, origin_server_ts: Date.now(),
    depth: m.depth + 1, prev_events: [m.lastId], auth_events: m.authIds,
  }, m.version, remote.serverName, remote.signingKey);
  const id = computeEventId(pdu, m.version);
  m.lastId = id;
  m.depth++;
  return { id, pdu };
}

interface ClientEvent { event_id: string; type: string; sender: string; content: Record<string, unknown> }
interface SyncBody { next_batch: string; rooms?: { join?: Record<string, { ephemeral?: { events: { type: string; content: Record<string, unknown> }[] } }> } }

async function messageBodies(hs: TestHomeserver, user: RegisteredUser, roomId: string): Promise<string[]> {
  const res = await api<{ chunk: ClientEvent[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`, { token: user.accessToken });
  return res.body.chunk.filter((e) => e.type === 'm.room.message').map((e) => String(e.content['body'])).reverse();
}

async function ephemeral(hs: TestHomeserver, user: RegisteredUser, roomId: string, type: string): Promise<Record<string, unknown>[]> {
  const res = await api<SyncBody>(hs, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: user.accessToken });
  return (res.body.rooms?.join?.[roomId]?.ephemeral?.events ?? []).filter((e) => e.type === type).map((e) => e.content);
}

async function say(hs: TestHomeserver, user: RegisteredUser, roomId: string, body: string): Promise<string> {
  const res = await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${Math.random().toString(36).slice(2)}`, { token: user.accessToken, body: { msgtype: 'm.text', body } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.event_id;
}

const bodiesOf = (t: Txn): string[] => t.body.pdus.filter((p) => p.type === 'm.room.message').map((p) => String(p.content['body']));

describe('federation transactions between two homeservers', () => {
  let pair: FederatedPair;
  let alice: RegisteredUser; // on A
  let bob: RegisteredUser; // on B
  let roomId: string;

  beforeAll(async () => {
    pair = await startFederatedPair({ extraArgsA: FAST_RETRY, extraArgsB: FAST_RETRY });
    alice = await pair.a.registerUser('alice');
    bob = await pair.b.registerUser('bob');
    roomId = (await api<{ room_id: string }>(pair.a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { name: 'Peer support' } })).body.room_id;
    const inv = await api(pair.a, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { token: alice.accessToken, body: { user_id: bob.userId } });
    expect(inv.status, JSON.stringify(inv.body)).toBe(200);
    const joined = await api(pair.b, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, { token: bob.accessToken, body: {} });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('delivers messages both ways through transactions', async () => {
    await say(pair.a, alice, roomId, 'hello from A');
    await waitFor('A\'s message at B', async () => (await messageBodies(pair.b, bob, roomId)).includes('hello from A'));
    await say(pair.b, bob, roomId, 'hello from B');
    await waitFor('B\'s message at A', async () => (await messageBodies(pair.a, alice, roomId)).includes('hello from B'));
  });

  it('shows a user typing on the other server, and their read receipt', async () => {
    const t = await api(pair.a, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.accessToken, body: { typing: true, timeout: 30_000 } });
    expect(t.status).toBe(200);
    await waitFor('alice typing at B', async () => (await ephemeral(pair.b, bob, roomId, 'm.typing')).some((c) => (c['user_ids'] as string[]).includes(alice.userId)));
    await api(pair.a, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.accessToken, body: { typing: false } });
    await waitFor('alice no longer typing at B', async () => (await ephemeral(pair.b, bob, roomId, 'm.typing')).every((c) => !(c['user_ids'] as string[]).includes(alice.userId)));

    const eventId = await say(pair.a, alice, roomId, 'please read');
    await waitFor('the message at B', async () => (await messageBodies(pair.b, bob, roomId)).includes('please read'));
    const r = await api(pair.b, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { token: bob.accessToken, body: {} });
    expect(r.status).toBe(200);
    const receipt = await waitFor('bob\'s receipt at A', async () => {
      const list = await ephemeral(pair.a, alice, roomId, 'm.receipt');
      return list.map((c) => (c[eventId] as { 'm.read'?: Record<string, { ts: number }> } | undefined)?.['m.read']?.[bob.userId]).find(Boolean);
    });
    expect(receipt.ts).toBeGreaterThan(0);
  });

  it('catches up with a server that was down, in order', async () => {
    await pair.b.stop();
    for (const body of ['while down 1', 'while down 2', 'while down 3']) await say(pair.a, alice, roomId, body);
    await pair.b.restart();
    await waitFor('the missed messages at B', async () => (await messageBodies(pair.b, bob, roomId)).includes('while down 3'));
    const bodies = await messageBodies(pair.b, bob, roomId);
    expect(bodies.filter((b) => b.startsWith('while down'))).toEqual(['while down 1', 'while down 2', 'while down 3']);
  });
});

describe('federation transactions with a scripted remote server', () => {
  let sink: TxnSink;
  let a: TestHomeserver;
  let alice: RegisteredUser;
  let roomId: string;
  let member: RemoteMember;

  beforeAll(async () => {
    sink = await startTxnSink();
    a = await startHomeserver({ extraArgs: [...FAST_RETRY, '--federation-insecure-skip-verify-for', sink.serverName] });
    alice = await a.registerUser('alice');
    roomId = (await api<{ room_id: string }>(a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { preset: 'public_chat' } })).body.room_id;
    member = await joinFrom(sink, a, roomId, 'sam');
  });
  afterAll(async () => {
    await a?.stop();
    a?.cleanup();
    await sink?.stop();
    sink?.cleanup();
  });

  it('resends a failed transaction with the same id and PDUs until accepted, then sends what followed', async () => {
    sink.failNext = 2;
    const before = sink.attempts.length;
    await say(a, alice, roomId, 'first');
    await waitFor('a failed attempt', () => sink.attempts.length > before);
    await say(a, alice, roomId, 'second');
    await waitFor('both accepted', () => sink.accepted.some((t) => bodiesOf(t).includes('second')));
    const attempts = sink.attempts.slice(before);
    expect(attempts.map(bodiesOf)).toEqual([['first'], ['first'], ['first'], ['second']]);
    expect(new Set(attempts.slice(0, 3).map((t) => t.txnId)).size).toBe(1);
    expect(attempts[3]!.txnId).not.toBe(attempts[0]!.txnId);
    expect(attempts[1]!.body).toEqual(attempts[0]!.body);
    for (const t of attempts) {
      expect(t.body.origin).toBe(a.serverName);
      expect(isSignedBy(t.request, identityOf(a), sink.serverName)).toBe(true);
    }
  });

  it('drains the queue, starting with the transaction in flight, after it restarts while the remote server is down', async () => {
    await sink.stop();
    await say(a, alice, roomId, 'third');
    await say(a, alice, roomId, 'fourth');
    // A has tried (and failed) to send: its transaction in flight is persisted.
    const db = new DatabaseSync(join(a.dataDir, 'homeserver.db'), { readOnly: true });
    const pendingTxn = (): { txn_id: string } | undefined => db.prepare('SELECT txn_id FROM federation_outbox_txns WHERE destination = ?').get(sink.serverName) as { txn_id: string } | undefined;
    const pending = await waitFor('a transaction in flight', () => pendingTxn());
    await a.stop();
    expect(pendingTxn()).toEqual(pending);
    const queued = (db.prepare("SELECT count(*) AS n FROM federation_outbox WHERE destination = ? AND kind = 'pdu'").get(sink.serverName) as { n: number }).n;
    db.close();
    expect(queued).toBe(2);
    await a.restart();
    const seen = sink.attempts.length;
    await sink.start();
    await waitFor('the queued messages', () => sink.accepted.some((t) => bodiesOf(t).includes('fourth')));
    const after = sink.attempts.slice(seen);
    expect(after.flatMap(bodiesOf)).toEqual(['third', 'fourth']);
    expect(after[0]!.txnId).toBe(pending.txn_id);
  });

  it('processes a replayed transaction once and answers it as the first time', async () => {
    const one = messageFrom(sink, member, 'from sam 1');
    const first = await signedFederationRequest<{ pdus: Record<string, unknown> }>(sink, a, 'PUT', '/_matrix/federation/v1/send/sam-txn-1', {
      body: { origin: sink.serverName, origin_server_ts: Date.now(), pdus: [one.pdu] },
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ pdus: { [one.id]: {} } });
    // Same id, other content: nothing of it is processed.
    const two = messageFrom(sink, member, 'from sam 2');
    const again = await signedFederationRequest(sink, a, 'PUT', '/_matrix/federation/v1/send/sam-txn-1', { body: { origin: sink.serverName, origin_server_ts: Date.now(), pdus: [two.pdu] } });
    expect([again.status, again.body]).toEqual([200, first.body]);
    const bodies = await messageBodies(a, alice, roomId);
    expect(bodies.filter((b) => b.startsWith('from sam'))).toEqual(['from sam 1']);
    // The remote server's own event is not sent back to it.
    expect(sink.attempts.flatMap(bodiesOf)).not.toContain('from sam 1');
    member.lastId = one.id;
    member.depth--;
  });

  it('answers a PDU for an unknown room with an error entry', async () => {
    const stray = messageFrom(sink, { ...member, roomId: `!nowhere:${sink.serverName}` }, 'stray');
    const res = await signedFederationRequest<{ pdus: Record<string, { error?: string }> }>(sink, a, 'PUT', '/_matrix/federation/v1/send/sam-txn-2', { body: { origin: sink.serverName, origin_server_ts: Date.now(), pdus: [stray.pdu] } });
    expect(res.status).toBe(200);
    expect(res.body.pdus[stray.id]?.error).toMatch(/not known/);
  });

  it('refuses a transaction of more than 50 PDUs with 400, and an unsigned one with 401', async () => {
    const pdus = Array.from({ length: 51 }, (_, i) => ({ room_id: roomId, type: 'm.room.message', content: { i } }));
    const big = await signedFederationRequest<{ errcode: string }>(sink, a, 'PUT', '/_matrix/federation/v1/send/sam-txn-3', { body: { origin: sink.serverName, origin_server_ts: Date.now(), pdus } });
    expect([big.status, big.body.errcode]).toEqual([400, 'M_BAD_JSON']);
    const unsigned = await rawFederationRequest<{ errcode: string }>(a, 'PUT', '/_matrix/federation/v1/send/sam-txn-4', { body: { origin: sink.serverName, origin_server_ts: Date.now(), pdus: [] } });
    expect([unsigned.status, unsigned.body.errcode]).toEqual([401, 'M_UNAUTHORIZED']);
  });

  it('shows typing and receipts of the remote server\'s users, never of users it does not host', async () => {
    const edus = [
      { edu_type: 'm.typing', content: { room_id: roomId, user_id: member.userId, typing: true } },
      { edu_type: 'm.typing', content: { room_id: roomId, user_id: alice.userId, typing: true } },
      { edu_type: 'm.receipt', content: { [roomId]: { 'm.read': { [member.userId]: { event_ids: [member.lastId], data: { ts: 1234 } } } } } },
    ];
    const res = await signedFederationRequest(sink, a, 'PUT', '/_matrix/federation/v1/send/sam-txn-5', { body: { origin: sink.serverName, origin_server_ts: Date.now(), pdus: [], edus } });
    expect(res.status).toBe(200);
    const typing = await waitFor('sam typing at A', async () => (await ephemeral(a, alice, roomId, 'm.typing')).find((c) => (c['user_ids'] as string[]).length > 0));
    expect(typing['user_ids']).toEqual([member.userId]);
    const receipts = await ephemeral(a, alice, roomId, 'm.receipt');
    expect(receipts.some((c) => (c[member.lastId] as { 'm.read'?: Record<string, { ts: number }> } | undefined)?.['m.read']?.[member.userId]?.ts === 1234)).toBe(true);
  });

  it('drops PDUs and typing for a room whose server ACL denies the sender', async () => {
    const aclRoom = (await api<{ room_id: string }>(a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { preset: 'public_chat' } })).body.room_id;
    const inAcl = await joinFrom(sink, a, aclRoom, 'sam');
    // Every server here is named localhost:<port>, and ports are not considered: this denies the sink.
    const acl = await api(a, 'PUT', `/_matrix/client/v3/rooms/${enc(aclRoom)}/state/m.room.server_acl/`, { token: alice.accessToken, body: { allow: ['*'], deny: ['localhost'], allow_ip_literals: false } });
    expect(acl.status, JSON.stringify(acl.body)).toBe(200);
    const msg = messageFrom(sink, inAcl, 'through the ACL');
    const res = await signedFederationRequest<{ pdus: Record<string, { error?: string }> }>(sink, a, 'PUT', '/_matrix/federation/v1/send/sam-txn-6', {
      body: { origin: sink.serverName, origin_server_ts: Date.now(), pdus: [msg.pdu], edus: [{ edu_type: 'm.typing', content: { room_id: aclRoom, user_id: inAcl.userId, typing: true } }] },
    });
    expect(res.status).toBe(200);
    expect(res.body.pdus[msg.id]?.error).toMatch(/server ACL/);
    expect(await messageBodies(a, alice, aclRoom)).toEqual([]);
    const typing = await ephemeral(a, alice, aclRoom, 'm.typing');
    expect(typing.every((c) => (c['user_ids'] as string[]).length === 0)).toBe(true);
  });
});
