// Application services against a real homeserver process: a tiny appservice HTTP server on a
// loopback port must receive every event of its rooms exactly once (after deduplicating by
// transaction id) and in order — across clean and crash restarts and while it was itself down —
// and the as_token must work for registration, login and identity assertion. Also Synapse's
// shared-secret admin registration and registration-token admin API.
import { createServer, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { api, SHARED_SECRET, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { freePort } from '../helpers/ports.ts';

const AS_TOKEN = 'as-token-for-the-test-bridge';
const HS_TOKEN = 'hs-token-for-the-test-bridge';

interface AsEvent { event_id: string; room_id: string; type: string; sender: string; state_key?: string; content: Record<string, unknown> }

/** The appservice side: dedupes transactions by id, as the spec asks appservices to. */
class FakeAppservice {
  readonly port: number;
  private server: Server | null = null;
  readonly seenTxns = new Set<string>();
  readonly events: AsEvent[] = [];
  requests = 0;
  duplicates = 0;
  rejectedAuth = 0;
  readonly pings: unknown[] = [];

  constructor(port: number) {
    this.port = port;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => { raw += c.toString(); });
      req.on('end', () => {
        const send = (status: number, body: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.headers.authorization !== `Bearer ${HS_TOKEN}`) {
          this.rejectedAuth++;
          send(403, { errcode: 'M_FORBIDDEN' });
          return;
        }
        const txn = /^\/_matrix\/app\/v1\/transactions\/([^/]+)$/.exec(req.url ?? '');
        if (req.method === 'PUT' && txn) {
          this.requests++;
          const id = decodeURIComponent(txn[1]!);
          if (this.seenTxns.has(id)) {
            this.duplicates++;
          } else {
            this.seenTxns.add(id);
            this.events.push(...(JSON.parse(raw) as { events: AsEvent[] }).events);
          }
          send(200, {});
        } else if (req.method === 'POST' && req.url === '/_matrix/app/v1/ping') {
          this.pings.push(JSON.parse(raw));
          send(200, {});
        } else {
          send(404, { errcode: 'M_UNRECOGNIZED' });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  }

  idsIn(roomId: string): string[] {
    return this.events.filter((e) => e.room_id === roomId).map((e) => e.event_id);
  }
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const enc = encodeURIComponent;
let txnCounter = 0;

/** Sends a message, waiting out rate limits; resolves with the event id. */
async function say(hs: TestHomeserver, token: string, roomId: string, body: string, asUser?: string): Promise<string> {
  for (;;) {
    const q = asUser ? `?user_id=${enc(asUser)}` : '';
    const r = await api<{ event_id: string; retry_after_ms?: number }>(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t${++txnCounter}${q}`, { token, body: { msgtype: 'm.text', body } });
    if (r.status === 429) {
      await new Promise((res) => setTimeout(res, r.body.retry_after_ms ?? 200));
      continue;
    }
    if (r.status !== 200) throw new Error(`send failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.event_id;
  }
}

/** The room's events from the homeserver's point of view, oldest first. */
async function timeline(hs: TestHomeserver, token: string, roomId: string): Promise<string[]> {
  const r = await api<{ chunk: { event_id: string }[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1000`, { token });
  return r.body.chunk.map((e) => e.event_id).reverse();
}

describe('application services', () => {
  let dir: string;
  let hs: TestHomeserver;
  let bridge: FakeAppservice;
  let alice: RegisteredUser;
  let roomId: string;
  let otherRoomId: string;
  let ghost: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peerline-as-'));
    bridge = new FakeAppservice(await freePort());
    await bridge.start();
    const file = join(dir, 'bridge.yaml');
    writeFileSync(file, stringify({
      id: 'bridge', url: `http://127.0.0.1:${bridge.port}`, as_token: AS_TOKEN, hs_token: HS_TOKEN,
      sender_localpart: '_bridge_bot', rate_limited: false,
      namespaces: { users: [{ exclusive: true, regex: '@_bridge_.*' }], aliases: [{ exclusive: true, regex: '#_bridge_.*' }], rooms: [] },
    }));
    hs = await startHomeserver({ serverName: 'as.localhost', extraArgs: ['--appservice', file], env: { PEERLINE_APPSERVICE_RETRY_MS: '100,400' } });
    alice = await hs.registerUser('alice');
  });

  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
    await bridge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers users of its namespace with m.login.application_service and acts as them', async () => {
    const reg = await api<{ user_id: string; access_token: string }>(hs, 'POST', '/_matrix/client/v3/register', { token: AS_TOKEN, body: { type: 'm.login.application_service', username: '_bridge_ghost' } });
    expect(reg.status).toBe(200);
    ghost = reg.body.user_id;
    expect(ghost).toBe('@_bridge_ghost:as.localhost');
    const who = await api(hs, 'GET', `/_matrix/client/v3/account/whoami?user_id=${enc(ghost)}`, { token: AS_TOKEN });
    expect(who.body['user_id']).toBe(ghost);
    const sender = await api(hs, 'GET', '/_matrix/client/v3/account/whoami', { token: AS_TOKEN });
    expect(sender.body['user_id']).toBe('@_bridge_bot:as.localhost');
    const outside = await api(hs, 'POST', '/_matrix/client/v3/register', { token: AS_TOKEN, body: { type: 'm.login.application_service', username: 'mallory' } });
    expect([outside.status, outside.body['errcode']]).toEqual([400, 'M_EXCLUSIVE']);
    const masquerade = await api(hs, 'GET', `/_matrix/client/v3/account/whoami?user_id=${enc(alice.userId)}`, { token: AS_TOKEN });
    expect([masquerade.status, masquerade.body['errcode']]).toEqual([403, 'M_FORBIDDEN']);
  });

  it('keeps its exclusive namespace from ordinary users', async () => {
    const avail = await api(hs, 'GET', '/_matrix/client/v3/register/available?username=_bridge_someone');
    expect([avail.status, avail.body['errcode']]).toEqual([400, 'M_EXCLUSIVE']);
  });

  it('logs in as its users with m.login.application_service', async () => {
    const login = await api<{ user_id: string; access_token: string }>(hs, 'POST', '/_matrix/client/v3/login', {
      token: AS_TOKEN, body: { type: 'm.login.application_service', identifier: { type: 'm.id.user', user: '_bridge_ghost' } },
    });
    expect(login.status).toBe(200);
    const who = await api(hs, 'GET', '/_matrix/client/v3/account/whoami', { token: login.body.access_token });
    expect(who.body['user_id']).toBe(ghost);
    const outside = await api(hs, 'POST', '/_matrix/client/v3/login', { token: AS_TOKEN, body: { type: 'm.login.application_service', identifier: { type: 'm.id.user', user: 'alice' } } });
    expect(outside.body['errcode']).toBe('M_EXCLUSIVE');
  });

  it('answers a ping by calling the appservice', async () => {
    const ping = await api(hs, 'POST', '/_matrix/client/v1/appservice/bridge/ping', { token: AS_TOKEN, body: { transaction_id: 'ping-1' } });
    expect(ping.status).toBe(200);
    expect(typeof ping.body['duration_ms']).toBe('number');
    expect(bridge.pings).toContainEqual({ transaction_id: 'ping-1' });
    const wrong = await api(hs, 'POST', '/_matrix/client/v1/appservice/other/ping', { token: AS_TOKEN, body: {} });
    expect([wrong.status, wrong.body['errcode']]).toEqual([403, 'M_FORBIDDEN']);
  });

  it('receives every event of a room its user joined, once and in order, and nothing of other rooms', async () => {
    roomId = (await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { preset: 'public_chat' } })).body.room_id;
    otherRoomId = (await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: {} })).body.room_id;
    const joined = await api(hs, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?user_id=${enc(ghost)}`, { token: AS_TOKEN, body: {} });
    expect(joined.status).toBe(200);
    await say(hs, alice.accessToken, otherRoomId, 'not for the bridge');
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push(await say(hs, alice.accessToken, roomId, `m${i}`));
    await waitFor('all 20 messages', () => sent.every((id) => bridge.idsIn(roomId).includes(id)));
    const got = bridge.idsIn(roomId);
    expect(got.slice(-20)).toEqual(sent);
    expect(bridge.events.find((e) => e.room_id === roomId && e.type === 'm.room.member')?.state_key).toBe(ghost);
    expect(bridge.idsIn(otherRoomId)).toEqual([]);
    expect(bridge.rejectedAuth).toBe(0);
  });

  it('does not rate-limit users of an appservice registered with rate_limited: false', async () => {
    const results = await Promise.all(Array.from({ length: 70 }, (_, i) =>
      api(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/burst${i}?user_id=${enc(ghost)}`, { token: AS_TOKEN, body: { msgtype: 'm.text', body: `burst ${i}` } })));
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
  });

  it('keeps delivering after a clean restart (SIGTERM)', async () => {
    const before = await say(hs, alice.accessToken, roomId, 'before sigterm');
    await hs.restart();
    const after = await say(hs, alice.accessToken, roomId, 'after sigterm');
    await waitFor('both messages', () => [before, after].every((id) => bridge.idsIn(roomId).includes(id)));
  });

  it('delivers every acknowledged event after a crash (SIGKILL) mid-stream', async () => {
    const acked: string[] = [];
    const sends = Array.from({ length: 15 }, (_, i) => say(hs, alice.accessToken, roomId, `crash ${i}`).then((id) => acked.push(id), () => undefined));
    await waitFor('some sends to be acknowledged', () => acked.length >= 5);
    await hs.stop('SIGKILL');
    await Promise.all(sends);
    await hs.restart();
    const after = await say(hs, alice.accessToken, roomId, 'after sigkill');
    await waitFor('all acknowledged messages', () => [...acked, after].every((id) => bridge.idsIn(roomId).includes(id)));
  });

  it('backs off while the appservice is down and catches up, also across a crash, once it is back', async () => {
    await bridge.stop();
    const whileDown: string[] = [];
    for (let i = 0; i < 10; i++) whileDown.push(await say(hs, alice.accessToken, roomId, `down ${i}`));
    await new Promise((r) => setTimeout(r, 800));
    await hs.stop('SIGKILL');
    await hs.restart();
    for (let i = 0; i < 5; i++) whileDown.push(await say(hs, alice.accessToken, roomId, `still down ${i}`));
    await new Promise((r) => setTimeout(r, 500));
    expect(whileDown.some((id) => bridge.idsIn(roomId).includes(id))).toBe(false);
    expect(hs.output()).toContain('appservice unreachable');
    await bridge.start();
    await waitFor('the backlog', () => whileDown.every((id) => bridge.idsIn(roomId).includes(id)));
  });

  it('has delivered exactly the room\'s timeline from the join on, each event once, in order', async () => {
    const timelineIds = await timeline(hs, alice.accessToken, roomId);
    const joinId = bridge.events.find((e) => e.room_id === roomId && e.type === 'm.room.member' && e.state_key === ghost)!.event_id;
    const join = timelineIds.indexOf(joinId);
    expect(join).toBeGreaterThan(0);
    const expected = timelineIds.slice(join);
    await waitFor('the whole timeline', () => expected.every((id) => bridge.idsIn(roomId).includes(id)));
    const got = bridge.idsIn(roomId);
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(expected);
  });

  it('refuses to start with a registration file that has a bad field, naming the file and the field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ id: 'bad', url: null, as_token: 'x', sender_localpart: 'badbot', namespaces: {} }));
    const err = await startHomeserver({ serverName: 'bad-as.localhost', extraArgs: ['--appservice', bad] }).then(
      (h) => { void h.stop(); return null; },
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(bad);
    expect(err?.message).toContain("'hs_token' is required");
  });
});

describe('Synapse admin API', () => {
  let hs: TestHomeserver;
  const url = (): string => `${hs.baseUrl}/_synapse/admin/v1/register`;
  const nonce = async (): Promise<string> => ((await (await fetch(url())).json()) as { nonce: string }).nonce;
  const mac = (n: string, user: string, pw: string, admin: boolean, secret = SHARED_SECRET): string =>
    createHmac('sha1', secret).update(`${n}\0${user}\0${pw}\0${admin ? 'admin' : 'notadmin'}`).digest('hex');
  const post = (body: unknown) => api(hs, 'POST', '/_synapse/admin/v1/register', { body });

  beforeAll(async () => {
    hs = await startHomeserver({ serverName: 'admin.localhost' });
  });
  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
  });

  it('registers a user with a correct MAC and returns a working login', async () => {
    const n = await nonce();
    const r = await post({ nonce: n, username: 'carol', password: 'pw-carol', displayname: 'Carol C', admin: false, mac: mac(n, 'carol', 'pw-carol', false) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ user_id: '@carol:admin.localhost', home_server: 'admin.localhost' });
    expect(typeof r.body['device_id']).toBe('string');
    const who = await api(hs, 'GET', '/_matrix/client/v3/account/whoami', { token: r.body['access_token'] as string });
    expect(who.body['user_id']).toBe('@carol:admin.localhost');
    const profile = await api(hs, 'GET', `/_matrix/client/v3/profile/${enc('@carol:admin.localhost')}/displayname`);
    expect(profile.body['displayname']).toBe('Carol C');
  });

  it('refuses a wrong MAC with 403 and uses the nonce up even so', async () => {
    const n = await nonce();
    const wrong = await post({ nonce: n, username: 'dave', password: 'pw', admin: false, mac: mac(n, 'dave', 'pw', true) });
    expect(wrong.status).toBe(403);
    const retry = await post({ nonce: n, username: 'dave', password: 'pw', admin: false, mac: mac(n, 'dave', 'pw', false) });
    expect([retry.status, retry.body['error']]).toEqual([400, 'unrecognised nonce']);
  });

  it('refuses a reused nonce', async () => {
    const n = await nonce();
    const first = await post({ nonce: n, username: 'erin', password: 'pw', admin: false, mac: mac(n, 'erin', 'pw', false) });
    expect(first.status).toBe(200);
    const again = await post({ nonce: n, username: 'erin2', password: 'pw', admin: false, mac: mac(n, 'erin2', 'pw', false) });
    expect([again.status, again.body['error']]).toEqual([400, 'unrecognised nonce']);
  });

  it('names missing fields with M_BAD_JSON', async () => {
    const n = await nonce();
    const r = await post({ nonce: n, username: 'frank', admin: false, mac: 'x' });
    expect([r.status, r.body['errcode'], r.body['error']]).toEqual([400, 'M_BAD_JSON', 'password must be specified']);
  });

  it('lets server admins create, list, read and delete registration tokens, and nobody else', async () => {
    const admin = await hs.registerUser('root', { admin: true });
    const user = await hs.registerUser('plain');
    const created = await api(hs, 'POST', '/_synapse/admin/v1/registration_tokens/new', { token: admin.accessToken, body: { token: 'invite-1', uses_allowed: 2 } });
    expect(created.body).toEqual({ token: 'invite-1', uses_allowed: 2, pending: 0, completed: 0, expiry_time: null });
    const random = await api(hs, 'POST', '/_synapse/admin/v1/registration_tokens/new', { token: admin.accessToken, body: { length: 24 } });
    expect(random.body['token']).toMatch(/^[A-Za-z0-9._~-]{24}$/);
    const dup = await api(hs, 'POST', '/_synapse/admin/v1/registration_tokens/new', { token: admin.accessToken, body: { token: 'invite-1' } });
    expect([dup.status, dup.body['errcode']]).toEqual([400, 'M_INVALID_PARAM']);
    const list = await api<{ registration_tokens: { token: string }[] }>(hs, 'GET', '/_synapse/admin/v1/registration_tokens?valid=true', { token: admin.accessToken });
    expect(list.body.registration_tokens.map((t) => t.token)).toContain('invite-1');
    const one = await api(hs, 'GET', '/_synapse/admin/v1/registration_tokens/invite-1', { token: admin.accessToken });
    expect(one.body['uses_allowed']).toBe(2);
    const forbidden = await api(hs, 'GET', '/_synapse/admin/v1/registration_tokens', { token: user.accessToken });
    expect([forbidden.status, forbidden.body['errcode']]).toEqual([403, 'M_FORBIDDEN']);
    expect((await api(hs, 'DELETE', '/_synapse/admin/v1/registration_tokens/invite-1', { token: admin.accessToken })).status).toBe(200);
    const gone = await api(hs, 'DELETE', '/_synapse/admin/v1/registration_tokens/invite-1', { token: admin.accessToken });
    expect([gone.status, gone.body['errcode']]).toEqual([404, 'M_NOT_FOUND']);
  });
});
