// A peer server that misbehaves on the wire while our homeserver sends it a room's events: it answers
// slower than our transaction time-out, cuts the JSON short, answers a proxy's HTML page, declares a
// huge body, redirects, or speaks garbage instead of TLS. Through all of it our homeserver keeps
// serving its own clients, keeps the events queued and retries the same transaction, and once the
// peer is healthy again delivers every event once, in order. (Hostile *content* — forged PDUs,
// ACLs, allow-lists — is federation-hostile.test.ts; a peer that is down, federation-sender.test.ts.)
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/client.ts';
import { signedFederationRequest, type ServerIdentity } from '../helpers/federation.ts';
import { generateSigningKey } from '../../homeserver/src/core/signing.ts';
import { computeEventId, hashAndSignEvent } from '../../homeserver/src/core/event-hash.ts';
import { ownKeyResponse } from '../../homeserver/src/federation/key-response.ts';
import { loadOrCreateTlsCredentials } from '../../homeserver/src/federation/tls.ts';
import { createLogger } from '../../homeserver/src/logger.ts';
import type { JsonObject, Pdu, RoomVersion } from '../../homeserver/src/core/pdu.ts';

const enc = encodeURIComponent;
const TIMEOUT_MS = 1500;
const ARGS = ['--federation-retry-initial-ms', '200', '--federation-retry-max-ms', '1000', '--federation-transaction-timeout-ms', String(TIMEOUT_MS)];

type Mode = 'healthy' | 'slow' | 'truncated' | 'proxy-html' | 'huge' | 'redirect' | 'not-tls';
interface Attempt { mode: Mode; txnId: string; bodies: string[] }

interface HostilePeer extends ServerIdentity {
  federationPort: number;
  mode: Mode;
  attempts: Attempt[];
  /** Transactions it answered 200 (healthy mode only). */
  accepted: Attempt[];
  /** TCP connections per mode (the not-TLS mode never gets to HTTP). */
  connections: Record<Mode, number>;
  stop(): Promise<void>;
}

/** A peer in this process whose federation listener misbehaves as `mode` says (its key is always served). */
async function startHostilePeer(): Promise<HostilePeer> {
  const port = await freePort();
  const serverName = `localhost:${port}`;
  const signingKey = generateSigningKey();
  const dir = mkdtempSync(join(tmpdir(), 'peerline-hostile-'));
  const creds = loadOrCreateTlsCredentials({ server_name: serverName, bind_address: '127.0.0.1', data_dir: dir, tls_certificate_path: null, tls_private_key_path: null }, createLogger('error', {}, () => undefined));
  const sockets = new Set<Socket>();
  const peer: HostilePeer = {
    serverName, signingKey, federationPort: port, mode: 'healthy', attempts: [], accepted: [],
    connections: { healthy: 0, slow: 0, truncated: 0, 'proxy-html': 0, huge: 0, redirect: 0, 'not-tls': 0 },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
      https.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const https: HttpsServer = createHttpsServer({ cert: creds.cert, key: creds.key }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && path === '/_matrix/key/v2/server') return json(res, 200, ownKeyResponse(serverName, signingKey, [], Date.now()));
      const m = /^\/_matrix\/federation\/v1\/send\/([^/]+)$/.exec(path);
      if (req.method !== 'PUT' || !m) return json(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { pdus: Pdu[] };
      const mode = peer.mode;
      const attempt: Attempt = { mode, txnId: decodeURIComponent(m[1]!), bodies: body.pdus.filter((p) => p.type === 'm.room.message').map((p) => String(p.content['body'])) };
      peer.attempts.push(attempt);
      switch (mode) {
        case 'healthy':
          peer.accepted.push(attempt);
          return json(res, 200, { pdus: Object.fromEntries(body.pdus.map((p) => [computeEventId(p, '10'), {}])) });
        case 'slow':
          return; // never answers: the sender's time-out must fire
        case 'truncated':
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '200' });
          res.write('{"pdus": {"$abc": {');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        case 'proxy-html':
          res.writeHead(502, { 'Content-Type': 'text/html' });
          return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        case 'huge':
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(500 * 1024 * 1024) });
          res.write(`{"pdus": {}, "padding": "${'x'.repeat(64 * 1024)}`);
          return; // and then nothing more: the declared size alone must be refused
        case 'redirect':
          res.writeHead(307, { Location: `https://127.0.0.1:${port}/elsewhere${req.url}` });
          return res.end();
        case 'not-tls':
          return; // unreachable: handled on the TCP connection
      }
    });
  });
  const tcp: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => { /* the homeserver hangs up on garbage */ });
    peer.connections[peer.mode]++;
    if (peer.mode === 'not-tls') {
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"pdus": {}}');
      return;
    }
    https.emit('connection', socket);
  });
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', r));
  return peer;
}

/** Joins `localpart` of `remote` to a room on `hs` through make_join/send_join, so that the room's events go to it. */
async function joinFrom(remote: ServerIdentity, hs: TestHomeserver, roomId: string, localpart: string): Promise<void> {
  const userId = `@${localpart}:${remote.serverName}`;
  const made = await signedFederationRequest<{ event: JsonObject; room_version: RoomVersion }>(remote, hs, 'GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(userId)}`, { query: { ver: ['10', '11'] } });
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  const join = hashAndSignEvent({ ...made.body.event, origin_server_ts: Date.now() } as unknown as Omit<Pdu, 'hashes' | 'signatures'>, made.body.room_version, remote.serverName, remote.signingKey);
  const sent = await signedFederationRequest(remote, hs, 'PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(computeEventId(join, made.body.room_version))}`, { body: join });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
}

describe('a peer server that answers slowly or with garbage', () => {
  let peer: HostilePeer;
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let roomId: string;
  const said: string[] = [];

  beforeAll(async () => {
    peer = await startHostilePeer();
    hs = await startHomeserver({ extraArgs: [...ARGS, '--federation-insecure-skip-verify-for', peer.serverName] });
    alice = await hs.registerUser('alice');
    roomId = (await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { preset: 'public_chat' } })).body.room_id;
    await joinFrom(peer, hs, roomId, 'sam');
  });

  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
    await peer?.stop();
  });

  async function say(body: string): Promise<void> {
    const r = await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${enc(body)}`, { token: alice.accessToken, body: { msgtype: 'm.text', body } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    said.push(body);
  }

  /** The homeserver answers its own clients while the peer misbehaves. */
  async function expectResponsive(): Promise<void> {
    const [versions, sync, whoami] = await Promise.all([
      api(hs, 'GET', '/_matrix/client/versions'),
      api(hs, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: alice.accessToken }),
      api(hs, 'GET', '/_matrix/client/v3/account/whoami', { token: alice.accessToken }),
    ]);
    expect([versions.status, sync.status, whoami.status]).toEqual([200, 200, 200]);
  }

  for (const mode of ['slow', 'truncated', 'proxy-html', 'huge', 'redirect', 'not-tls'] as const) {
    it(`keeps the events queued and retries the same transaction while the peer is ${mode}, serving its own clients meanwhile`, async () => {
      peer.mode = mode;
      const from = peer.attempts.length;
      const connectionsBefore = peer.connections[mode];
      await say(`during ${mode}`);
      if (mode === 'not-tls') {
        await waitFor('repeated connection attempts', () => peer.connections[mode] >= connectionsBefore + 2, 30_000);
      } else {
        // The same transaction id, tried at least twice in this mode.
        await waitFor('a retried transaction', () => {
          const ids = peer.attempts.slice(from).filter((a) => a.mode === mode).map((a) => a.txnId);
          return ids.some((id, i) => ids.indexOf(id) !== i);
        }, 30_000);
        // Nothing is accepted yet, so it is still the first transaction (the first event), retried.
        const mine = peer.attempts.slice(from).filter((a) => a.mode === mode);
        expect(new Set(mine.map((a) => a.txnId)), 'one transaction in flight, retried (not a new one each time)').toEqual(new Set([peer.attempts[0]!.txnId]));
        expect(mine[0]!.bodies).toEqual(['during slow']);
      }
      await say(`still ${mode}, alice writes on`);
      await expectResponsive();
      expect(hs.output()).not.toMatch(/during |alice writes on/);
    });
  }

  it('delivers every queued event once, in order, when the peer is healthy again', async () => {
    peer.mode = 'healthy';
    await say('healthy again');
    await waitFor('everything accepted', () => peer.accepted.some((a) => a.bodies.includes('healthy again')), 30_000);
    const delivered = peer.accepted.flatMap((a) => a.bodies);
    expect(delivered).toEqual(said);
    expect(new Set(peer.accepted.map((a) => a.txnId)).size).toBe(peer.accepted.length);
    await expectResponsive();
  });
});
