// The `npm start` demo (two federated schools: two homeservers, two bridges, the web client server):
// cold start (fresh data) and warm start (same data) to its ready line, and the resident memory of
// all its processes together, idle and under 50 concurrent chats made as in real use: 50 students
// (25 at each school) ask for support through their bridge, supporters put on the rosters through
// the bridges' admin API accept the offers (School A's overflow goes to School B's supporters across
// federation), and every pair then chats in its encrypted room. Writes bench/results/demo.json.
//
// The people are matrix-js-sdk clients with Rust crypto in this one process (50 students and 28
// supporters with two chats each: 78 clients, as a supporter's one device serves both of their
// chats). Their memory is not counted: only the demo's own processes (/proc of the demo's tree).
// Each person signs in to the bridge from their own loopback address (127.0.x.y), as each would from
// their own device: the bridge limits sign-ins per client address (20 a minute).
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validTraining, type SamplePolicy } from '../homeserver/src/cli/demo/policies.ts';
import { collectMessages, newClient, waitFor, type Client } from '../tests/helpers/client.ts';
import { ROOT, processTree, signInWithPassword, startDemo, type DemoInfo, type RunningDemo } from '../tests/helpers/demo.ts';
import type { RegisteredUser } from '../tests/helpers/homeserver.ts';
import { jsonRequest } from '../tests/helpers/json-request.ts';
import { median, report, round, rssMb, type Figure } from './stats.ts';

const quick = process.argv.includes('--quick');
const CHATS = 50;
/** Students per school; School B's are minors (its policy), so they stay within School B. */
const STUDENTS = { 'school-a': 25, 'school-b': 25 } as const;
/** Supporters added per school, two chats each: School A's 12 places leave 13 of its students to School B. */
const SUPPORTERS = { 'school-a': 6, 'school-b': 22 } as const;
const CAPACITY = 2;
const TOPIC = 'exam-stress';
const MESSAGES_EACH = quick ? 2 : 3;
const STARTS = quick ? 1 : 3;
/** The whole load stops by itself after this, whatever happens. */
const LOAD_DEADLINE_MS = 8 * 60_000;

type School = keyof typeof STUDENTS;
type Institution = DemoInfo['institutions'][School];

/** Sum of the resident memory of the demo's processes (the demo, its homeservers and bridges). */
function demoRss(demo: RunningDemo): { total: number; each: number[] } {
  const each = processTree(demo.proc.pid!).map((p) => {
    try {
      return rssMb(p);
    } catch {
      return 0;
    }
  }).filter((x) => Number.isFinite(x));
  return { total: each.reduce((a, b) => a + b, 0), each };
}

/** A JSON request over node:http, optionally from a given local (loopback) address. */
const http = jsonRequest;

async function register(hs: Institution, localpart: string): Promise<RegisteredUser> {
  const password = `bench-${localpart}-pw`;
  const { body: { nonce } } = await http<{ nonce: string }>(`${hs.homeserver_url}/_synapse/admin/v1/register`, 'GET');
  const mac = createHmac('sha1', hs.registration_shared_secret).update(`${nonce}\0${localpart}\0${password}\0notadmin`).digest('hex');
  const res = await http<{ user_id: string; access_token: string; device_id: string }>(`${hs.homeserver_url}/_synapse/admin/v1/register`, 'POST', {
    body: { nonce, username: localpart, password, admin: false, mac },
  });
  if (res.status !== 200) throw new Error(`register ${localpart}: ${res.status}`);
  return { userId: res.body.user_id, accessToken: res.body.access_token, deviceId: res.body.device_id, password };
}

/** The bridge session of a signed-in person: an OpenID token from their homeserver, from their own address. */
async function bridgeSignIn(hs: Institution, user: { userId: string; accessToken: string }, from: string): Promise<string> {
  const openid = await http(`${hs.homeserver_url}/_matrix/client/v3/user/${encodeURIComponent(user.userId)}/openid/request_token`, 'POST', { token: user.accessToken, body: {} });
  if (openid.status !== 200) throw new Error(`OpenID token: ${openid.status}`);
  const session = await http<{ session_token?: string }>(`${hs.bridge_url}/v1/session`, 'POST', { body: openid.body, from });
  if (session.status !== 200 || !session.body.session_token) throw new Error(`bridge sign-in: ${session.status}`);
  return session.body.session_token;
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map((t, j) => fn(t, i + j)))));
  return out;
}

interface Person { school: School; hs: Institution; user: RegisteredUser; bridgeToken: string; client?: Client }
interface Offer { offer_id: string; cross_institution: boolean }
interface Chat { roomId: string; student: Person; supporter: Person; cross: boolean }

interface LoadResult {
  peakMb: number;
  peakEachMb: number[];
  meanMb: number;
  samples: number;
  chats: number;
  cross: number;
  matchSeconds: number;
  decrypted: number;
  failures: number;
  chatSeconds: number;
}

/** 50 concurrent chats, matched through the bridges; memory sampled from the first request to the last message. */
async function chatLoad(demo: RunningDemo): Promise<LoadResult> {
  const info = demo.info();
  const schools: School[] = ['school-a', 'school-b'];
  const run = Date.now().toString(36);
  let address = 0;
  const nextAddress = (): string => { address++; return `127.0.${1 + Math.floor(address / 250)}.${1 + (address % 250)}`; };

  // Supporters on each school's roster (trained for the topic, two chats each), through the admin API.
  const supporters: Person[] = [];
  const students: Person[] = [];
  for (const school of schools) {
    const hs = info.institutions[school];
    const policy = parse(readFileSync(join(ROOT, 'bridge-service', 'policies', `${school}.yaml`), 'utf8')) as SamplePolicy;
    const adminAcc = hs.accounts.find((a) => a.role === 'admin')!;
    const admin = await signInWithPassword(hs.homeserver_url, adminAcc.user_id, adminAcc.password);
    const adminToken = await bridgeSignIn(hs, admin, nextAddress());
    const users = await inBatches(Array.from({ length: SUPPORTERS[school] }, (_, i) => i), 4, (i) => register(hs, `bench-p${run}-${i}`));
    for (const user of users) {
      const put = await http(`${hs.bridge_url}/v1/admin/roster/supporters/${encodeURIComponent(user.userId)}`, 'PUT', {
        token: adminToken, body: { topics: [TOPIC], training: validTraining(policy), capacity: CAPACITY },
      });
      if (put.status !== 200) throw new Error(`roster ${school}: ${put.status} ${JSON.stringify(put.body)}`);
    }
    supporters.push(...await inBatches(users, 4, async (user) => ({ school, hs, user, bridgeToken: await bridgeSignIn(hs, user, nextAddress()) })));
    const studentUsers = await inBatches(Array.from({ length: STUDENTS[school] }, (_, i) => i), 4, (i) => register(hs, `bench-s${run}-${i}`));
    students.push(...await inBatches(studentUsers, 4, async (user) => ({ school, hs, user, bridgeToken: await bridgeSignIn(hs, user, nextAddress()) })));
  }
  const people = [...students, ...supporters];
  const clients: Client[] = [];
  const samples: number[] = [];
  let peak = { total: 0, each: [] as number[] };
  const sample = (): void => {
    const r = demoRss(demo);
    samples.push(r.total);
    if (r.total > peak.total) peak = r;
  };
  let sampler: NodeJS.Timeout | undefined;
  let stopOffers = false;
  const deadline = Date.now() + LOAD_DEADLINE_MS;
  const left = (): number => Math.max(1_000, deadline - Date.now());
  try {
    await inBatches(people, 6, async (p) => { p.client = await newClient(p.hs.homeserver_url, p.user); clients.push(p.client); });
    for (const s of supporters) {
      const r = await http(`${s.hs.bridge_url}/v1/supporters/me/availability`, 'PUT', { token: s.bridgeToken, body: { available: true, topics: [TOPIC] } });
      if (r.status !== 200) throw new Error(`availability: ${r.status}`);
    }
    sampler = setInterval(sample, 250);
    sample();

    // Supporters take every offer they get (as a supporter does in the app: long-poll, accept).
    const t0 = performance.now();
    const chats: Chat[] = [];
    const roomOfStudent = (roomId: string): Person | undefined => students.find((p) => p.client!.getRoom(roomId) !== null);
    const offerLoops = supporters.map(async (s) => {
      while (!stopOffers && chats.length < CHATS && Date.now() < deadline) {
        const polled = await http<{ offers?: Offer[] }>(`${s.hs.bridge_url}/v1/offers?timeout_ms=2000`, 'GET', { token: s.bridgeToken });
        for (const o of polled.body.offers ?? []) {
          const acc = await http<{ session_id?: string }>(`${s.hs.bridge_url}/v1/offers/${o.offer_id}/accept`, 'POST', { token: s.bridgeToken });
          if (acc.status !== 200 || !acc.body.session_id) continue;
          const roomId = await waitFor('the session room', async () =>
            (await http<{ room_id?: string | null }>(`${s.hs.bridge_url}/v1/sessions/${acc.body.session_id}`, 'GET', { token: s.bridgeToken })).body.room_id, left());
          await waitFor('the supporter\'s invite', () => s.client!.getRoom(roomId)?.getMyMembership() === 'invite', left());
          await s.client!.joinRoom(roomId);
          const student = await waitFor('the student of the room', () => roomOfStudent(roomId), left());
          chats.push({ roomId, student, supporter: s, cross: o.cross_institution });
        }
      }
    });
    // Students join the room they are invited to (their only one).
    const studentJoins = students.map(async (st) => {
      const roomId = await waitFor('the student\'s invite', () => st.client!.getRooms().find((r) => r.getMyMembership() === 'invite')?.roomId, left());
      await st.client!.joinRoom(roomId);
    });
    // Every student asks at once.
    await Promise.all(students.map(async (st) => {
      const r = await http(`${st.hs.bridge_url}/v1/requests`, 'POST', { token: st.bridgeToken, body: { topic: TOPIC } });
      if (r.status !== 201) throw new Error(`request: ${r.status} ${JSON.stringify(r.body)}`);
    }));
    await Promise.all(studentJoins);
    await waitFor(`${CHATS} matched chats`, () => chats.length >= CHATS, left());
    stopOffers = true;
    await Promise.all(offerLoops);
    await waitFor('both sides joined in every chat, as each sees it', () => chats.every((c) =>
      c.student.client!.getRoom(c.roomId)?.getMember(c.supporter.user.userId)?.membership === 'join'
      && c.supporter.client!.getRoom(c.roomId)?.getMember(c.student.user.userId)?.membership === 'join'), left());
    const matchSeconds = (performance.now() - t0) / 1000;

    // Every chat at once: each side sends a few messages; each waits to decrypt the other's.
    const t1 = performance.now();
    let decrypted = 0;
    let failures = 0;
    await Promise.all(chats.map(async (c, i) => {
      const atStudent = collectMessages(c.student.client!, c.roomId);
      const atSupporter = collectMessages(c.supporter.client!, c.roomId);
      for (let m = 0; m < MESSAGES_EACH; m++) {
        await c.student.client!.sendTextMessage(c.roomId, `s${i}-${m}`);
        await c.supporter.client!.sendTextMessage(c.roomId, `p${i}-${m}`);
      }
      const got = (x: { bodies: string[] }, prefix: string): number => x.bodies.filter((b) => b.startsWith(prefix)).length;
      await waitFor(`chat ${i} to decrypt both ways`, () => got(atSupporter, `s${i}-`) >= MESSAGES_EACH && got(atStudent, `p${i}-`) >= MESSAGES_EACH, left());
      decrypted += got(atSupporter, `s${i}-`) + got(atStudent, `p${i}-`);
      failures += atStudent.failures.length + atSupporter.failures.length;
    }));
    sample();
    return {
      peakMb: peak.total, peakEachMb: peak.each, meanMb: samples.reduce((a, b) => a + b, 0) / samples.length, samples: samples.length,
      chats: chats.length, cross: chats.filter((c) => c.cross).length, matchSeconds, decrypted, failures, chatSeconds: (performance.now() - t1) / 1000,
    };
  } finally {
    stopOffers = true;
    clearInterval(sampler);
    for (const c of clients) c.stopClient();
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'peerline-bench-demo-'));
  const cold: number[] = [];
  const warm: number[] = [];
  let demo: RunningDemo | null = null;
  try {
    for (let i = 0; i < STARTS; i++) {
      demo = await startDemo({ dataDir, args: ['--fresh'] });
      cold.push(demo.readyMs);
      await demo.stop('SIGINT');
      demo = await startDemo({ dataDir });
      warm.push(demo.readyMs);
      if (i < STARTS - 1) await demo.stop('SIGINT');
    }
    // Idle: a few seconds after ready, once start-up garbage is collected or not.
    await new Promise((r) => setTimeout(r, 5_000));
    const idle = demoRss(demo!);
    const load = await chatLoad(demo!);
    await new Promise((r) => setTimeout(r, 2_000));
    const after = demoRss(demo!);
    const people = STUDENTS['school-a'] + STUDENTS['school-b'] + SUPPORTERS['school-a'] + SUPPORTERS['school-b'];
    const figures: Figure[] = [
      { name: 'cold start (fresh data) to ready, median', value: round(median(cold), 0), unit: 'ms', reference: `${STARTS} run(s); TypeScript already compiled` },
      { name: 'warm start (same data) to ready, median', value: round(median(warm), 0), unit: 'ms' },
      { name: 'resident memory of the whole demo, idle', value: round(idle.total, 1), unit: 'MB', reference: `${idle.each.length} processes` },
      {
        name: `resident memory under ${CHATS} concurrent chats matched through the bridges, peak`, value: round(load.peakMb, 1), unit: 'MB',
        reference: `${load.chats} chats (${load.cross} across the schools), ${people} people; mean ${round(load.meanMb, 1)} MB over ${load.samples} samples`,
      },
      { name: 'resident memory after the chats', value: round(after.total, 1), unit: 'MB' },
      { name: `${CHATS} support requests to ${CHATS} chats with both sides joined`, value: round(load.matchSeconds, 1), unit: 's', reference: 'offers taken at once by long-polling supporters' },
      { name: 'messages decrypted during the load', value: load.decrypted, unit: 'messages', reference: `${MESSAGES_EACH} each way per chat; ${load.failures} failures; ${round(load.chatSeconds, 1)} s` },
    ];
    report('demo.json', 'npm start demo: start times and memory (two homeservers, two bridges, web server)', figures, {
      cold_ms: cold.map((x) => round(x, 0)), warm_ms: warm.map((x) => round(x, 0)), idle_rss_mb_each: idle.each.map((x) => round(x, 1)),
      chats_rss_mb_peak_each: load.peakEachMb.map((x) => round(x, 1)),
      chats_load: {
        chats: load.chats, cross_institution: load.cross, students: STUDENTS, supporters_added: SUPPORTERS, capacity_each: CAPACITY,
        clients_in_bench_process: people, measured: 'VmRSS of the demo process and all its descendants, every 250 ms, from the first request to the last decrypted message',
      },
    });
    if (load.failures > 0 || load.chats < CHATS) process.exitCode = 1;
  } finally {
    await demo?.stop('SIGINT');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
// Stopped matrix-js-sdk clients (their Rust crypto, keep-alive sockets to the stopped demo) can keep
// the event loop alive after the figures are written: the benchmark stops by itself.
process.exit(process.exitCode ?? 0);
