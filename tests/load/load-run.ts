// The load run shared by `npm run load` (tests/load/run.ts) and its bounded form in `npm test`
// (tests/load/load.test.ts): simulated people of two federated institutions (tests/helpers/
// bridge-pair.ts: each a homeserver and a bridge, real processes on loopback) use Peerline as the web
// client does, for a fixed time, then the run drains, stops, and its books are closed.
//
// Each person logs in with their password and signs in to their bridge from their own loopback
// address. Supporters (put on the rosters by the admins, through the bridge's admin API) take offers;
// students ask for support, chat end to end encrypted with their supporter (own institution first,
// the partner's when all are busy), some escalate with a consent receipt signed on their device, which
// a counsellor of their institution claims, some join a support group and post in it. Every message
// sent is booked with who must decrypt it; every decryption is booked by event id and body.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBridgePair, type BridgePair, type Institution } from '../helpers/bridge-pair.ts';
import { testPolicy } from '../helpers/bridge.ts';
import { trainingRecords } from '../helpers/web-stack.ts';
import {
  buildConsentReceipt, encodeConsentPublicKey, generateConsentKeyPair, signConsentReceiptUnchecked, type ConsentKeyPair,
} from '../../protocol/src/consent-signing.ts';
import { Ledger } from './ledger.ts';
import { addressOf, book, BookedError, call, destroyAgent } from './http.ts';
import { jsSdkChatClient, type Account, type ChatClient } from './chat-client.ts';
import { MemorySampler } from './memory.ts';

const TOPIC = 'exam-stress';
const enc = encodeURIComponent;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pause = (min: number, max: number): Promise<void> => sleep(min + Math.random() * (max - min));

export type ChatClientFactory = (baseUrl: string, account: Account, ledger: Ledger) => Promise<ChatClient>;

export interface LoadOptions {
  /** Simulated people across both institutions (students, supporters, counsellors); admins come on top. */
  users: number;
  /** How long people keep starting new things; then the run drains. */
  durationMs: number;
  /** Upper bound for the drain (in-flight chats, matches, claims) after `durationMs`. */
  drainMs: number;
  /** People who use matrix-js-sdk with Rust crypto instead of the light client. */
  jsSdkPeople: number;
  /** The light client, one per person. */
  lightClient: ChatClientFactory;
  /** Message exchanges (student → supporter → student) per chat. */
  exchanges: number;
  escalationShare: number;
  groupShare: number;
  /** Process logs are written here (and scanned). */
  logDir: string;
  progress?: (line: string) => void;
}

type Role = 'student' | 'supporter' | 'counsellor';

interface Person {
  side: 0 | 1;
  inst: Institution;
  index: number;
  role: Role;
  localpart: string;
  password: string;
  userId: string;
  address: string;
  account?: Account;
  bridgeToken?: string;
  client?: ChatClient;
  consentKey?: ConsentKeyPair;
}

export interface LoadOutcome {
  ledger: Ledger;
  people: { students: number; supporters: number; counsellors: number; jsSdk: number; light: number };
  chats: number;
  crossInstitutionChats: number;
  escalations: number;
  claims: number;
  groupJoins: number;
  groupPosts: number;
  logins: number;
  bridgeSignIns: number;
  loadSeconds: number;
  drainSeconds: number;
  memory: MemorySampler;
  /** For the privacy scan: the secrets of the run, and where the processes keep their data. */
  secrets: { accessTokens: string[]; sessionTokens: string[]; passwords: string[] };
  dataFiles: { homeserverDirs: string[]; bridgeDirs: string[] };
  logFiles: string[];
  bots: { userId: string; homeserverDir: string }[];
}

/** The policy of each side for the run: School A's sample, open around the clock, partner matching on, real sign-in limits. */
export function loadPolicy(own: string, other: string): Record<string, unknown> {
  const doc = testPolicy(own, [other]);
  // Sign-ins per client address as shipped (20 a minute): each person comes from their own address.
  doc['rate_limits'] = { support_requests_per_hour: 100, api_requests_per_minute: 600, session_creations_per_minute: 20 };
  (doc['matching'] as Record<string, unknown>)['cross_institution'] = true;
  return doc;
}

export async function startLoadPair(): Promise<BridgePair> {
  return startBridgePair({
    policy: (own, other) => loadPolicy(own, other),
    // Info-level logs, so that the privacy scan reads what an institution would keep.
    homeserverArgs: ['--log-level', 'info'],
    bridgeEnv: { PEERLINE_MATCHING_TICK_MS: '200' },
  });
}

/** Runs the load against a started pair; stops nothing of the pair. */
export async function runLoad(pair: BridgePair, o: LoadOptions): Promise<LoadOutcome> {
  const ledger = new Ledger();
  const say = o.progress ?? ((): void => {});
  const run = randomBytes(3).toString('hex');
  const sides: [Institution, Institution] = [pair.a, pair.b];
  const memory = new MemorySampler({
    'homeserver A': () => pair.a.hs.pid(), 'homeserver B': () => pair.b.hs.pid(),
    'bridge A': () => pair.a.bridge.pid(), 'bridge B': () => pair.b.bridge.pid(),
  });

  // ── population ──
  const people: Person[] = [];
  for (const side of [0, 1] as const) {
    const n = Math.floor(o.users / 2) + (side === 0 ? o.users % 2 : 0);
    const counsellors = Math.max(1, Math.round(n * 0.01));
    const supporters = Math.max(2, Math.round(n * 0.15));
    for (let i = 0; i < n; i++) {
      const role: Role = i < counsellors ? 'counsellor' : i < counsellors + supporters ? 'supporter' : 'student';
      const localpart = `${role[0]}-${run}-${i}`;
      const inst = sides[side];
      people.push({
        side, inst, index: i, role, localpart, password: `pw-${randomBytes(12).toString('hex')}`,
        userId: `@${localpart}:${inst.hs.serverName}`, address: addressOf(side, i + 1),
      });
    }
  }
  const students = people.filter((p) => p.role === 'student');
  const supporters = people.filter((p) => p.role === 'supporter');
  const counsellors = people.filter((p) => p.role === 'counsellor');
  // The real client: a few students and supporters of each side.
  const jsSdk = new Set<Person>();
  for (let i = 0; jsSdk.size < Math.min(o.jsSdkPeople, students.length + supporters.length) && i < people.length; i++) {
    for (const side of [0, 1]) {
      const pool = (i % 2 === 0 ? students : supporters).filter((p) => p.side === side && !jsSdk.has(p));
      if (pool[0] && jsSdk.size < o.jsSdkPeople) jsSdk.add(pool[0]);
    }
  }
  const secrets = { accessTokens: [] as string[], sessionTokens: [] as string[], passwords: people.map((p) => p.password) };

  // ── set-up (not part of the timed load): accounts, admins, rosters ──
  say(`registering ${people.length} people and 2 admins`);
  const admins: { side: 0 | 1; token: string }[] = [];
  for (const side of [0, 1] as const) {
    const inst = sides[side];
    const admin = await inst.hs.registerUser('admin');
    secrets.accessTokens.push(admin.accessToken);
    secrets.passwords.push(admin.password);
    const token = await bridgeSignIn(ledger, inst, admin, addressOf(side, 0));
    secrets.sessionTokens.push(token);
    admins.push({ side, token });
  }
  // Four at a time on each homeserver: password hashing (scrypt) runs on libuv's four threads.
  let registered = 0;
  await Promise.all(([0, 1] as const).map(async (side) => {
    const mine = people.filter((p) => p.side === side);
    for (let i = 0; i < mine.length; i += 4) {
      await Promise.all(mine.slice(i, i + 4).map(async (p) => {
        const u = await p.inst.hs.registerUser(p.localpart, { password: p.password });
        secrets.accessTokens.push(u.accessToken);
        if (++registered % 100 === 0) say(`  ${registered} registered`);
      }));
    }
  }));
  const training = trainingRecords();
  for (const p of [...supporters, ...counsellors]) {
    const admin = admins[p.side]!;
    const path = p.role === 'supporter' ? 'supporters' : 'counsellors';
    await call(ledger, `roster ${path}`, `${p.inst.bridge.url}/v1/admin/roster/${path}/${enc(p.userId)}`, 'PUT', {
      token: admin.token, body: p.role === 'supporter' ? { topics: [TOPIC], training, capacity: 2 } : {},
    });
  }

  // ── the load ──
  const t0 = performance.now();
  const loadEnd = Date.now() + o.durationMs;
  const drainEnd = loadEnd + o.drainMs;
  const loading = (): boolean => Date.now() < loadEnd;
  const draining = (): boolean => Date.now() < drainEnd;
  memory.start(1000);
  let logins = 0;
  let signIns = 0;
  let chats = 0;
  let cross = 0;
  let escalations = 0;
  let claims = 0;
  let groupJoins = 0;
  let groupPosts = 0;
  const rooms = new Map<string, { supporter: Person; ready: Promise<void> }>();
  const escalationStarted = new Map<string, number>();
  const groups: { side: 0 | 1; groupId: string; roomId: string; members: Set<Person> }[] = [];
  let studentsActive = 0;
  const clientsStopped: Promise<void>[] = [];

  /** Logs in from the person's own address and signs in to their bridge; starts their device. */
  const arrive = async (p: Person): Promise<void> => {
    const started = performance.now();
    const login = await call<{ access_token: string; device_id: string; user_id: string }>(ledger, 'login', `${p.inst.hs.baseUrl}/_matrix/client/v3/login`, 'POST', {
      from: p.address, body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: p.localpart }, password: p.password, initial_device_display_name: 'load' },
    });
    logins++;
    ledger.latencies.login.push(performance.now() - started);
    p.account = { userId: login.body.user_id, accessToken: login.body.access_token, deviceId: login.body.device_id };
    secrets.accessTokens.push(p.account.accessToken);
    const signInStarted = performance.now();
    p.bridgeToken = await bridgeSignIn(ledger, p.inst, p.account, p.address);
    ledger.latencies.bridgeSignIn.push(performance.now() - signInStarted);
    secrets.sessionTokens.push(p.bridgeToken);
    signIns++;
    if (p.role !== 'counsellor') {
      try {
        p.client = jsSdk.has(p) ? await jsSdkChatClient(p.inst.hs.baseUrl, p.account, ledger) : await o.lightClient(p.inst.hs.baseUrl, p.account, ledger);
      } catch (err) {
        ledger.error('client start', (err as Error).message);
        throw new BookedError('client start', { cause: err });
      }
    }
  };

  /** Sends one booked message; waits (bounded) until every expected receiver decrypted it. */
  const send = async (from: Person, roomId: string, kind: string, expected: Person[], waitMs: number): Promise<void> => {
    const body = Ledger.body(kind);
    ledger.sending(body, { sender: from.userId, roomId, kind, expected: expected.map((e) => e.userId) });
    try {
      await from.client!.sendText(roomId, body);
    } catch (err) {
      ledger.sendFailed(body);
      ledger.error(`send ${kind}`, (err as Error).message);
      return;
    }
    const end = Date.now() + waitMs;
    while (!expected.every((e) => e.userId === from.userId || ledger.has(e.userId, body)) && Date.now() < end) await sleep(20);
  };

  const supporterLoop = async (s: Person): Promise<void> => {
    await call(ledger, 'availability', `${s.inst.bridge.url}/v1/supporters/me/availability`, 'PUT', { token: s.bridgeToken!, body: { available: true, topics: [TOPIC] } });
    const joins: Promise<void>[] = [];
    while (draining() && (loading() || studentsActive > 0)) {
      let offers: { offer_id: string; cross_institution: boolean }[];
      try {
        offers = (await call<{ offers: { offer_id: string; cross_institution: boolean }[] }>(ledger, 'offers', `${s.inst.bridge.url}/v1/offers?timeout_ms=3000`, 'GET', { token: s.bridgeToken! })).body.offers;
      } catch {
        await sleep(500);
        continue;
      }
      for (const offer of offers) {
        try {
          const acc = await call<{ session_id: string; room_id: string | null }>(ledger, 'accept offer', `${s.inst.bridge.url}/v1/offers/${enc(offer.offer_id)}/accept`, 'POST', { token: s.bridgeToken! });
          let roomId = acc.body.room_id;
          while (!roomId && draining()) {
            await sleep(100);
            roomId = (await call<{ room_id: string | null }>(ledger, 'session', `${s.inst.bridge.url}/v1/sessions/${enc(acc.body.session_id)}`, 'GET', { token: s.bridgeToken! })).body.room_id;
          }
          if (!roomId) continue;
          chats++;
          if (offer.cross_institution) cross++;
          const ready = s.client!.join(roomId, Math.max(5_000, drainEnd - Date.now())).catch((err: unknown) => { ledger.error('supporter join', (err as Error).message); throw err; });
          rooms.set(roomId, { supporter: s, ready });
          joins.push(ready.catch(() => {}));
        } catch { /* booked */ }
      }
    }
    await Promise.all(joins);
  };

  const counsellorLoop = async (c: Person, mine: number, of: number): Promise<void> => {
    while (draining() && (loading() || studentsActive > 0 || escalationStarted.size > 0)) {
      try {
        const q = await call<{ items: { escalation_id: string; status: string; claimed_by: string | null }[] }>(ledger, 'escalation queue', `${c.inst.bridge.url}/v1/escalations/queue`, 'GET', { token: c.bridgeToken! });
        for (const item of q.body.items) {
          if (item.status !== 'queued' || item.claimed_by !== null || !escalationStarted.has(item.escalation_id)) continue;
          if (hash(item.escalation_id) % of !== mine) continue;
          await call(ledger, 'claim', `${c.inst.bridge.url}/v1/escalations/${enc(item.escalation_id)}/claim`, 'POST', { token: c.bridgeToken! });
          ledger.latencies.escalationToClaim.push(performance.now() - escalationStarted.get(item.escalation_id)!);
          escalationStarted.delete(item.escalation_id);
          claims++;
        }
      } catch { /* booked */ }
      await sleep(500);
    }
  };

  const escalate = async (st: Person, peerRoom: string): Promise<void> => {
    if (!st.consentKey) {
      st.consentKey = await generateConsentKeyPair();
      await call(ledger, 'consent key', `${st.inst.bridge.url}/v1/consent/keys`, 'POST', { token: st.bridgeToken!, body: { public_key: encodeConsentPublicKey(st.consentKey.publicKey) } });
    }
    // As the web client signs on the student's yes (web-client/src/safety/consent.ts, signConsent).
    const receipt = await buildConsentReceipt({
      student_user_id: st.userId, room_id: peerRoom, scope: { share: 'nothing' }, counsellor_institution: st.inst.hs.serverName, severity: 'high',
    }, { now: Date.now(), ttlMs: 15 * 60_000 });
    const signed = await signConsentReceiptUnchecked(receipt, st.consentKey.secretKey);
    const started = performance.now();
    const r = await call<{ escalation_id: string }>(ledger, 'escalate', `${st.inst.bridge.url}/v1/escalations`, 'POST', {
      token: st.bridgeToken!, body: { receipt: signed, room_id: peerRoom, scope: signed.receipt.scope }, ok: [200, 202],
    });
    escalationStarted.set(r.body.escalation_id, started);
    escalations++;
  };

  const joinGroup = async (st: Person): Promise<void> => {
    const visible = await call<{ groups: { group_id: string; room_id: string; joinable: boolean }[] }>(ledger, 'groups', `${st.inst.bridge.url}/v1/groups`, 'GET', { token: st.bridgeToken! });
    const options = visible.body.groups.filter((g) => g.joinable !== false && groups.some((x) => x.groupId === g.group_id));
    const pick = options[Math.floor(Math.random() * options.length)];
    if (!pick) {
      ledger.error('groups', 'no joinable group listed');
      return;
    }
    const group = groups.find((g) => g.groupId === pick.group_id)!;
    const started = performance.now();
    await call(ledger, 'join group', `${st.inst.bridge.url}/v1/groups/${enc(pick.group_id)}/join`, 'POST', { token: st.bridgeToken! });
    await st.client!.join(group.roomId, Math.max(5_000, drainEnd - Date.now()));
    ledger.latencies.groupJoin.push(performance.now() - started);
    group.members.add(st);
    groupJoins++;
    await pause(300, 1000);
    // Owed to every member the sender's device sees joined (its Megolm session is shared with them).
    const expected = [...group.members].filter((m) => m !== st && st.client!.seesJoined(group.roomId, m.userId));
    await send(st, group.roomId, 'group', expected, 20_000);
    groupPosts++;
  };

  /** Whether the k-th of n takes part in something `share` of them do (spread evenly, not by chance). */
  const chosen = (k: number, share: number): boolean => Math.floor((k + 1) * share) > Math.floor(k * share);

  const studentLoop = async (st: Person, k: number): Promise<void> => {
    if (groups.length > 0 && chosen(k, o.groupShare)) {
      try {
        await joinGroup(st);
      } catch (err) {
        book(ledger, 'group', err);
      }
    }
    let escalates = chosen(k, o.escalationShare);
    while (loading()) {
      const asked = performance.now();
      let request: { request_id: string };
      try {
        request = (await call<{ request_id: string }>(ledger, 'support request', `${st.inst.bridge.url}/v1/requests`, 'POST', { token: st.bridgeToken!, body: { topic: TOPIC }, ok: [201] })).body;
      } catch {
        return;
      }
      let session: { session_id: string; room_id: string | null } | null = null;
      while (!session?.room_id && draining()) {
        try {
          session = (await call<{ session: { session_id: string; room_id: string | null } | null }>(ledger, 'request status', `${st.inst.bridge.url}/v1/requests/${enc(request.request_id)}?wait_ms=10000`, 'GET', { token: st.bridgeToken! })).body.session;
        } catch {
          await sleep(500);
        }
      }
      if (!session?.room_id) {
        ledger.error('match', 'request not matched before the end of the drain');
        return;
      }
      const roomId = session.room_id;
      try {
        await st.client!.join(roomId, Math.max(5_000, drainEnd - Date.now()));
        ledger.latencies.requestToMatch.push(performance.now() - asked);
        const end = Date.now() + Math.max(5_000, drainEnd - Date.now());
        while (!rooms.has(roomId) && Date.now() < end) await sleep(25);
        const peer = rooms.get(roomId);
        if (!peer) throw new Error('no supporter took the room');
        await peer.ready;
        const sup = peer.supporter;
        // Each side sends once it sees the other joined: then its Megolm session reaches the other.
        while (!(st.client!.seesJoined(roomId, sup.userId) && sup.client!.seesJoined(roomId, st.userId)) && Date.now() < end) await sleep(25);
        for (let m = 0; m < o.exchanges; m++) {
          await send(st, roomId, 'chat', [sup], 20_000);
          await pause(200, 800);
          await send(sup, roomId, 'chat', [st], 20_000);
          await pause(200, 800);
        }
        if (escalates) {
          escalates = false;
          ledger.count('escalation attempts');
          await escalate(st, roomId);
        }
        await call(ledger, 'end session', `${st.inst.bridge.url}/v1/sessions/${enc(session.session_id)}/end`, 'POST', { token: st.bridgeToken!, body: {} });
      } catch (err) {
        book(ledger, 'chat', err);
      }
      await pause(500, 2000);
    }
  };

  try {
    // Supporters and counsellors come first, over the first part of the ramp; students over all of it.
    const ramp = Math.min(60_000, o.durationMs / 3);
    const staff = [...supporters, ...counsellors];
    say(`load: ${students.length} students, ${supporters.length} supporters, ${counsellors.length} counsellors for ${Math.round(o.durationMs / 1000)} s`);
    const staffArrived = Promise.all(staff.map(async (p, i) => {
      await sleep((i / staff.length) * ramp * 0.3);
      try {
        await arrive(p);
      } catch { /* booked */ }
    }));
    await staffArrived;
    // Each institution's first supporters open support groups for the consortium.
    for (const side of [0, 1] as const) {
      const own = supporters.filter((s) => s.side === side && s.client);
      const count = Math.max(1, Math.round(students.length / 2 / 40));
      for (let g = 0; g < count && own.length > 0; g++) {
        const mod = own[g % own.length]!;
        try {
          const r = await call<{ group_id: string; room_id: string }>(ledger, 'create group', `${mod.inst.bridge.url}/v1/groups`, 'POST', {
            token: mod.bridgeToken!, body: { topic: TOPIC, name: `Exam stress circle ${side}-${g}`, audience: 'consortium' }, ok: [201],
          });
          await mod.client!.join(r.body.room_id, 30_000);
          groups.push({ side, groupId: r.body.group_id, roomId: r.body.room_id, members: new Set([mod]) });
        } catch (err) {
          book(ledger, 'create group', err);
        }
      }
    }
    const byInstitution = (side: 0 | 1): Person[] => counsellors.filter((c) => c.side === side && c.bridgeToken);
    const staffLoops = [
      ...supporters.filter((s) => s.client).map((s) => supporterLoop(s).catch((err: unknown) => book(ledger, 'supporter', err))),
      ...counsellors.filter((c) => c.bridgeToken).map((c) => {
        const mine = byInstitution(c.side);
        return counsellorLoop(c, mine.indexOf(c), mine.length);
      }),
    ];
    const studentRuns = students.map(async (st, i) => {
      await sleep((i / students.length) * ramp * 0.7);
      studentsActive++;
      try {
        await arrive(st);
        await studentLoop(st, i);
      } catch { /* booked */ } finally {
        studentsActive--;
      }
    });
    const progress = setInterval(() => {
      const s = ledger.summary();
      say(`  ${Math.round((performance.now() - t0) / 1000)} s: ${logins} logins, ${chats} chats, ${s.messagesSent} messages, ${escalations} escalations/${claims} claimed, ${groupJoins} group joins, ${s.errors} errors`);
    }, 15_000);
    await Promise.all(studentRuns);
    const loadSeconds = (performance.now() - t0) / 1000;
    await Promise.all(staffLoops);
    clearInterval(progress);
    // Deliveries still owed get until the end of the drain.
    while (ledger.outstanding() > 0 && draining()) await sleep(100);
    for (const id of escalationStarted.keys()) ledger.error('claim', `escalation ${id.slice(0, 8)}… not claimed before the end of the drain`);
    const drainSeconds = (performance.now() - t0) / 1000 - loadSeconds;
    memory.stop();
    return {
      ledger,
      people: { students: students.length, supporters: supporters.length, counsellors: counsellors.length, jsSdk: jsSdk.size, light: people.filter((p) => p.role !== 'counsellor').length - jsSdk.size },
      chats, crossInstitutionChats: cross, escalations, claims, groupJoins, groupPosts, logins, bridgeSignIns: signIns + 2,
      loadSeconds, drainSeconds, memory, secrets,
      dataFiles: { homeserverDirs: [pair.a.hs.dataDir, pair.b.hs.dataDir], bridgeDirs: [pair.a.bridge.dataDir, pair.b.bridge.dataDir] },
      logFiles: writeLogs(pair, o.logDir),
      bots: sides.map((s) => ({ userId: s.bot, homeserverDir: s.hs.dataDir })),
    };
  } finally {
    memory.stop();
    for (const p of people) if (p.client) clientsStopped.push(p.client.stop().catch(() => {}));
    await Promise.all(clientsStopped);
    destroyAgent();
  }
}

/** Writes what each process printed so far to a file of its own; returns the files. */
export function writeLogs(pair: BridgePair, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['homeserver-a.log', pair.a.hs.output()], ['homeserver-b.log', pair.b.hs.output()],
    ['bridge-a.log', pair.a.bridge.output()], ['bridge-b.log', pair.b.bridge.output()],
  ];
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

async function bridgeSignIn(ledger: Ledger, inst: Institution, user: { userId: string; accessToken: string }, from: string): Promise<string> {
  const openid = await call(ledger, 'openid token', `${inst.hs.baseUrl}/_matrix/client/v3/user/${enc(user.userId)}/openid/request_token`, 'POST', { token: user.accessToken, body: {}, from });
  const session = await call<{ session_token: string }>(ledger, 'bridge sign-in', `${inst.bridge.url}/v1/session`, 'POST', { body: openid.body, from });
  return session.body.session_token;
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}
