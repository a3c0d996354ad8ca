// Requests, matching and peer rooms through the real bridge, real homeservers and real
// matrix-js-sdk clients with Rust crypto: a student and a supporter of one institution are matched
// and chat in a room the bot made (encrypted from its first event, bot 100 / members 0, server ACL,
// joined-only history, session state) while the bot never holds a key; a restart mid-queue loses
// nothing; and across two institutions a student at A is matched with a supporter at B through the
// bridges' coordination room — but a minor never leaves A, and a partner not in both policies is
// never used.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { api, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, waitFor, type TestBridge } from '../helpers/bridge.ts';
import { startBridgePair, type BridgePair, type Institution } from '../helpers/bridge-pair.ts';
import { collectMessages, newClient, type Client } from '../helpers/client.ts';
import { SessionContentSchema } from '../../protocol/src/event-types.ts';

const enc = encodeURIComponent;
const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
/** Valid training under the School A sample policy the test policies are based on. */
const TRAINING = [
  { module: 'active-listening', version: 1, completed: day(-30) },
  { module: 'boundaries-confidentiality', version: 1, completed: day(-30) },
  { module: 'risk-and-escalation', version: 1, completed: day(-30) },
  { module: 'group-moderation', version: 1, completed: day(-30) },
];

interface RequestView { request_id: string; status: string; position: number | null; created_ts: number; session: { session_id: string; room_id: string | null } | null }
interface SessionView { session_id: string; room_id: string | null; status: string; institutions: string[] }
interface Offer { offer_id: string; request_id: string; topic: string; institution: string; cross_institution: boolean }

async function token(bridge: TestBridge, hs: TestHomeserver, user: RegisteredUser): Promise<string> {
  return (await signInToBridge(bridge, hs, user)).session_token;
}

async function putSupporter(bridge: TestBridge, adminToken: string, userId: string): Promise<void> {
  const r = await bridge.api('PUT', `/v1/admin/roster/supporters/${enc(userId)}`, { token: adminToken, body: { topics: ['exam-stress'], training: TRAINING } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

async function setAvailable(bridge: TestBridge, supporterToken: string, available: boolean): Promise<void> {
  const r = await bridge.api('PUT', '/v1/supporters/me/availability', { token: supporterToken, body: { available } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

async function nextOffer(bridge: TestBridge, supporterToken: string, timeoutMs = 30_000): Promise<Offer> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const r = await bridge.api<{ offers: Offer[] }>('GET', '/v1/offers?timeout_ms=5000', { token: supporterToken });
    if (r.body.offers[0]) return r.body.offers[0];
  }
  throw new Error('no offer came');
}

/** The room's events as the bot sees them, oldest first (the bot was in it from the start). */
async function roomEvents(hs: TestHomeserver, asToken: string, roomId: string): Promise<{ type: string; state_key?: string; content: Record<string, unknown> }[]> {
  const r = await api<{ chunk: { type: string; state_key?: string; content: Record<string, unknown> }[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=f&limit=100`, { token: asToken });
  expect(r.status).toBe(200);
  return r.body.chunk;
}

async function joinAndChat(student: Client, supporter: Client, roomId: string, tag: string): Promise<void> {
  await waitFor('the student\'s invite', () => student.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
  await waitFor('the supporter\'s invite', () => supporter.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
  await student.joinRoom(roomId);
  await supporter.joinRoom(roomId);
  await waitFor('both joined, as the student sees it', () => student.getRoom(roomId)?.getMember(supporter.getUserId()!)?.membership === 'join', 30_000);
  await waitFor('both joined, as the supporter sees it', () => supporter.getRoom(roomId)?.getMember(student.getUserId()!)?.membership === 'join', 30_000);
  expect(student.getRoom(roomId)!.hasEncryptionStateEvent()).toBe(true);
  const atSupporter = collectMessages(supporter, roomId);
  const atStudent = collectMessages(student, roomId);
  const fromStudent = [`${tag}: I am worried about my exams`, `${tag}: and I cannot sleep`];
  const fromSupporter = [`${tag}: thank you for telling me`, `${tag}: what helps you relax?`];
  for (const m of fromStudent) await student.sendTextMessage(roomId, m);
  for (const m of fromSupporter) await supporter.sendTextMessage(roomId, m);
  await waitFor('the supporter to decrypt the student', () => fromStudent.every((m) => atSupporter.bodies.includes(m)), 60_000);
  await waitFor('the student to decrypt the supporter', () => fromSupporter.every((m) => atStudent.bodies.includes(m)), 60_000);
  expect(atSupporter.failures).toEqual([]);
  expect(atStudent.failures).toEqual([]);
}

/** The bot has no device, no device keys, and nothing was ever sent to a device of it. */
async function assertBotHoldsNoKey(hs: TestHomeserver, bot: string, asker: RegisteredUser): Promise<void> {
  const q = await api<{ device_keys: Record<string, Record<string, unknown>> }>(hs, 'POST', '/_matrix/client/v3/keys/query', { token: asker.accessToken, body: { device_keys: { [bot]: [] } } });
  expect(q.status).toBe(200);
  expect(q.body.device_keys[bot] ?? {}).toEqual({});
  // The homeserver keeps to-device messages until the device syncs — which a device-less bot never does.
  const db = new DatabaseSync(join(hs.dataDir, 'homeserver.db'), { readOnly: true });
  try {
    expect(db.prepare('SELECT COUNT(*) AS n FROM devices WHERE user_id = ?').get(bot)).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM e2ee_device_keys WHERE user_id = ?').get(bot)).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM e2ee_to_device WHERE user_id = ?').get(bot)).toEqual({ n: 0 });
  } finally {
    db.close();
  }
}

/** Records the recipients of every to-device message a client sends (room keys travel this way). */
function recordToDevice(client: Client): Set<string> {
  const recipients = new Set<string>();
  const http = client.http as unknown as { authedRequest: (...a: unknown[]) => Promise<unknown> };
  const original = http.authedRequest.bind(http);
  http.authedRequest = (method: unknown, path: unknown, query: unknown, body: unknown, ...rest: unknown[]) => {
    if (typeof path === 'string' && path.includes('/sendToDevice/')) {
      // Room keys are olm-encrypted (type m.room.encrypted): who they go to is what tells.
      const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { messages?: Record<string, unknown> };
      for (const user of Object.keys(parsed?.messages ?? {})) recipients.add(user);
    }
    return original(method, path, query, body, ...rest);
  };
  return recipients;
}

describe('matching within one institution', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;
  let bot: string;
  let admin: RegisteredUser;
  let supporter: RegisteredUser;
  let student: RegisteredUser;
  let adminToken: string;
  let supporterToken: string;
  let studentToken: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    ({ hs, bridge } = await startHomeserverWithBridge({ policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`] }));
    bot = `@${bridge.senderLocalpart}:${hs.serverName}`;
    [admin, supporter, student] = await Promise.all([hs.registerUser('admin'), hs.registerUser('sup-1'), hs.registerUser('s-7kq2m9')]);
    [adminToken, supporterToken, studentToken] = await Promise.all([token(bridge, hs, admin), token(bridge, hs, supporter), token(bridge, hs, student)]);
    await putSupporter(bridge, adminToken, supporter.userId);
    supporterToken = await token(bridge, hs, supporter);
  });

  afterAll(async () => {
    for (const c of clients) c.stopClient();
    await bridge?.stop();
    await hs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
  });

  it('matches a student with a supporter of the same institution in a room encrypted from its first event, where they chat and decrypt while the bot holds no key', async () => {
    const cs = await newClient(hs.baseUrl, student);
    const cp = await newClient(hs.baseUrl, supporter);
    clients.push(cs, cp);
    const sentTo = [recordToDevice(cs), recordToDevice(cp)];
    await setAvailable(bridge, supporterToken, true);
    const created = await bridge.api<RequestView & { crisis_resources: unknown[] }>('POST', '/v1/requests', { token: studentToken, body: { topic: 'exam-stress', language: 'en', region: 'GB' } });
    expect(created.status).toBe(201);
    expect(created.body.crisis_resources.length).toBeGreaterThan(0);
    const offer = await nextOffer(bridge, supporterToken);
    expect(offer).toMatchObject({ request_id: created.body.request_id, topic: 'exam-stress', institution: hs.serverName, cross_institution: false });
    const accepted = await bridge.api<SessionView>('POST', `/v1/offers/${offer.offer_id}/accept`, { token: supporterToken });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    const roomId = accepted.body.room_id!;
    expect(roomId).toMatch(/^!/);
    const view = await bridge.api<RequestView>('GET', `/v1/requests/${created.body.request_id}`, { token: studentToken });
    expect(view.body).toMatchObject({ status: 'matched', session: { room_id: roomId } });

    const events = await roomEvents(hs, bridge.asToken, roomId);
    const types = events.map((e) => (e.type === 'm.room.member' ? `member:${e.content['membership']}` : e.type));
    const encryptionAt = types.indexOf('m.room.encryption');
    // Encrypted before anyone but the bot is in the room, and before anything could be said.
    expect(encryptionAt).toBeGreaterThan(0);
    expect(encryptionAt).toBeLessThan(types.indexOf('member:invite'));
    expect(types.slice(0, encryptionAt).every((t) => ['m.room.create', 'member:join', 'm.room.power_levels'].includes(t))).toBe(true);
    const state = (type: string): Record<string, unknown> => events.find((e) => e.type === type)!.content;
    expect(state('m.room.encryption')).toEqual({ algorithm: 'm.megolm.v1.aes-sha2' });
    expect(state('m.room.history_visibility')).toEqual({ history_visibility: 'joined' });
    expect(state('m.room.join_rules')).toEqual({ join_rule: 'invite' });
    expect(state('m.room.server_acl')).toEqual({ allow: ['localhost'], deny: [], allow_ip_literals: false });
    expect(state('m.room.create')['m.federate']).toBe(false);
    const pl = state('m.room.power_levels') as { users: Record<string, number>; users_default: number; events_default: number; invite: number; kick: number; state_default: number };
    expect(pl.users).toEqual({ [bot]: 100 });
    expect([pl.users_default, pl.events_default, pl.invite, pl.kick, pl.state_default]).toEqual([0, 0, 100, 100, 100]);
    const session = state('org.peerline.session');
    expect(Value.Check(SessionContentSchema, session)).toBe(true);
    expect(session).toMatchObject({ request_id: created.body.request_id, topic: 'exam-stress', institutions: [hs.serverName], kind: 'peer' });
    expect(events.filter((e) => e.type === 'm.room.member' && e.content['membership'] === 'invite').map((e) => e.state_key).sort()).toEqual([student.userId, supporter.userId].sort());

    await joinAndChat(cs, cp, roomId, 'local');
    await assertBotHoldsNoKey(hs, bot, student);
    for (const s of sentTo) expect([...s]).not.toContain(bot);
    expect(sentTo.some((s) => s.size > 0)).toBe(true);
  });

  it('restarting the bridge mid-queue loses no request: it keeps its place and is matched after', async () => {
    await setAvailable(bridge, supporterToken, false);
    const [s2, s3] = await Promise.all([hs.registerUser('s-restart-1'), hs.registerUser('s-restart-2')]);
    const [t2, t3] = await Promise.all([token(bridge, hs, s2), token(bridge, hs, s3)]);
    const first = (await bridge.api<RequestView>('POST', '/v1/requests', { token: t2, body: { topic: 'exam-stress' } })).body;
    const second = (await bridge.api<RequestView>('POST', '/v1/requests', { token: t3, body: { topic: 'exam-stress' } })).body;
    expect([first.position, second.position]).toEqual([1, 2]);
    await bridge.stop('SIGKILL');
    await bridge.restart();
    for (const [t, r, place] of [[t2, first, 1], [t3, second, 2]] as const) {
      const after = await bridge.api<RequestView>('GET', `/v1/requests/${r.request_id}`, { token: t });
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ status: 'waiting', position: place, created_ts: r.created_ts });
    }
    await setAvailable(bridge, supporterToken, true);
    const offer = await nextOffer(bridge, supporterToken);
    expect(offer.request_id).toBe(first.request_id);
    const accepted = await bridge.api<SessionView>('POST', `/v1/offers/${offer.offer_id}/accept`, { token: supporterToken });
    expect(accepted.body.status).toBe('active');
  });
});

describe('matching across two institutions', () => {
  let pair: BridgePair;
  const users = new Map<string, { user: RegisteredUser; token: string; side: Institution }>();
  const clients: Client[] = [];

  async function user(side: Institution, localpart: string): Promise<{ user: RegisteredUser; token: string }> {
    const u = await side.hs.registerUser(localpart);
    const entry = { user: u, token: await token(side.bridge, side.hs, u), side };
    users.set(localpart, entry);
    return entry;
  }

  interface Status { partners: { partner: string; status: string; availability: { topics: Record<string, number>; partners: string[] } | null }[] }
  const status = async (side: Institution): Promise<Status> =>
    (await side.bridge.api<Status>('GET', '/v1/admin/matching', { token: users.get(`admin-${side === pair.a ? 'a' : 'b'}`)!.token })).body;

  beforeAll(async () => {
    // A short job period: the side that is invited finds the invite on its next pass.
    pair = await startBridgePair({ policy: (own, other) => testPolicy(own, [other]), bridgeEnv: { PEERLINE_MATCHING_TICK_MS: '500' } });
    await user(pair.a, 'admin');
    users.set('admin-a', users.get('admin')!);
    await user(pair.b, 'admin');
    users.set('admin-b', users.get('admin')!);
    const sup = await user(pair.b, 'sup-b');
    await putSupporter(pair.b.bridge, users.get('admin-b')!.token, sup.user.userId);
    users.get('sup-b')!.token = await token(pair.b.bridge, pair.b.hs, sup.user);
    // The two bridges link up through their coordination room and announce themselves.
    await waitFor('the coordination room to be ready at A', async () => (await status(pair.a)).partners[0]?.status === 'ready', 60_000);
    await waitFor('the coordination room to be ready at B', async () => (await status(pair.b)).partners[0]?.status === 'ready', 60_000);
  });

  afterAll(async () => {
    for (const c of clients) c.stopClient();
    await pair?.stop();
  });

  it('matches a student at A with a supporter at B through the coordination room; they chat and decrypt, and the bots hold no key', async () => {
    const student = await user(pair.a, 's-cross-1');
    const sup = users.get('sup-b')!;
    await setAvailable(pair.b.bridge, sup.token, true);
    await waitFor('A to see B\'s spare capacity', async () => ((await status(pair.a)).partners[0]?.availability?.topics['exam-stress'] ?? 0) > 0, 30_000);
    const cs = await newClient(pair.a.hs.baseUrl, student.user);
    const cp = await newClient(pair.b.hs.baseUrl, sup.user);
    clients.push(cs, cp);
    const sentTo = [recordToDevice(cs), recordToDevice(cp)];
    const created = await pair.a.bridge.api<RequestView>('POST', '/v1/requests', { token: student.token, body: { topic: 'exam-stress' } });
    expect(created.status).toBe(201);
    const offer = await nextOffer(pair.b.bridge, sup.token);
    expect(offer).toMatchObject({ topic: 'exam-stress', institution: pair.a.hs.serverName, cross_institution: true });
    const accepted = await pair.b.bridge.api<SessionView>('POST', `/v1/offers/${offer.offer_id}/accept`, { token: sup.token });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    // A makes the room on the student's homeserver and tells B its id.
    let roomId: string | null = null;
    await waitFor('the room, as B learns it', async () => {
      roomId = (await pair.b.bridge.api<SessionView>('GET', `/v1/sessions/${accepted.body.session_id}`, { token: sup.token })).body.room_id;
      return roomId !== null;
    }, 30_000);
    expect(roomId!.endsWith(`:${pair.a.hs.serverName}`)).toBe(true);
    const atA = await pair.a.bridge.api<RequestView>('GET', `/v1/requests/${created.body.request_id}`, { token: student.token });
    expect(atA.body).toMatchObject({ status: 'matched', session: { room_id: roomId } });
    const events = await roomEvents(pair.a.hs, pair.a.bridge.asToken, roomId!);
    const session = events.find((e) => e.type === 'org.peerline.session')!.content;
    expect(session).toMatchObject({ request_id: created.body.request_id, institutions: [pair.a.hs.serverName, pair.b.hs.serverName], kind: 'peer' });
    expect(events.find((e) => e.type === 'm.room.server_acl')!.content).toEqual({ allow: ['localhost'], deny: [], allow_ip_literals: false });
    expect(events.findIndex((e) => e.type === 'm.room.encryption')).toBeLessThan(events.findIndex((e) => e.type === 'm.room.member' && e.content['membership'] === 'invite'));
    await joinAndChat(cs, cp, roomId!, 'cross');
    await assertBotHoldsNoKey(pair.a.hs, pair.a.bot, student.user);
    await assertBotHoldsNoKey(pair.b.hs, pair.b.bot, sup.user);
    for (const s of sentTo) {
      expect([...s]).not.toContain(pair.a.bot);
      expect([...s]).not.toContain(pair.b.bot);
    }
  });

  it('never offers a minor\'s request outside A, even with a supporter free at B', async () => {
    const sup = users.get('sup-b')!;
    await waitFor('A to see B\'s spare capacity', async () => ((await status(pair.a)).partners[0]?.availability?.topics['exam-stress'] ?? 0) > 0, 30_000);
    const minor = await user(pair.a, 's-minor-1');
    const created = await pair.a.bridge.api<RequestView & { minor: boolean }>('POST', '/v1/requests', { token: minor.token, body: { topic: 'exam-stress', minor: true } });
    expect(created.body.minor).toBe(true);
    // Several matching passes (every request, availability change and job tick runs one) go by.
    const offers = await pair.b.bridge.api<{ offers: Offer[] }>('GET', '/v1/offers?timeout_ms=3000', { token: sup.token });
    expect(offers.body.offers).toEqual([]);
    expect((await pair.a.bridge.api<RequestView>('GET', `/v1/requests/${created.body.request_id}`, { token: minor.token })).body.status).toBe('waiting');
    await pair.a.bridge.api('POST', `/v1/requests/${created.body.request_id}/cancel`, { token: minor.token });
  });

  it('never uses a partner that does not list A in its own policy, though A lists it', async () => {
    const sup = users.get('sup-b')!;
    // B drops A from its partners (picked up without a restart) and says so in its announcement.
    pair.b.bridge.writePolicy(testPolicy(pair.b.hs.serverName, []));
    await waitFor('A to see that B no longer lists it', async () => {
      const av = (await status(pair.a)).partners[0]?.availability;
      return av !== null && av !== undefined && !av.partners.includes(pair.a.hs.serverName);
    }, 30_000);
    const adult = await user(pair.a, 's-cross-2');
    const created = await pair.a.bridge.api<RequestView>('POST', '/v1/requests', { token: adult.token, body: { topic: 'exam-stress' } });
    const offers = await pair.b.bridge.api<{ offers: Offer[] }>('GET', '/v1/offers?timeout_ms=3000', { token: sup.token });
    expect(offers.body.offers).toEqual([]);
    expect((await pair.a.bridge.api<RequestView>('GET', `/v1/requests/${created.body.request_id}`, { token: adult.token })).body.status).toBe('waiting');
    // Once B lists A again, the same waiting request goes to B.
    pair.b.bridge.writePolicy(testPolicy(pair.b.hs.serverName, [pair.a.hs.serverName]));
    const offer = await nextOffer(pair.b.bridge, sup.token);
    expect(offer.institution).toBe(pair.a.hs.serverName);
  });
});

