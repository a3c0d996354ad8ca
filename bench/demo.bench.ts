// The `npm start` demo (two federated schools: two homeservers, two bridges, the web client server):
// cold start (fresh data) and warm start (same data) to its ready line, and the resident memory of
// all its processes together, idle and while 25 student–supporter pairs (50 people, half of the
// pairs across the two schools) chat in encrypted rooms. Writes bench/results/demo.json.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENCRYPTION_STATE, collectMessages, newClient, waitFor, type Client } from '../tests/helpers/client.ts';
import { processTree, startDemo, type DemoInfo, type RunningDemo } from '../tests/helpers/demo.ts';
import type { RegisteredUser } from '../tests/helpers/homeserver.ts';
import { median, report, round, rssMb, type Figure } from './stats.ts';

const quick = process.argv.includes('--quick');
const PAIRS = 25;
const MESSAGES_EACH = quick ? 2 : 3;
const STARTS = quick ? 1 : 3;

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

async function register(hs: DemoInfo['institutions']['school-a'], localpart: string): Promise<RegisteredUser> {
  const password = `bench-${localpart}-pw`;
  const { nonce } = (await (await fetch(`${hs.homeserver_url}/_synapse/admin/v1/register`)).json()) as { nonce: string };
  const mac = createHmac('sha1', hs.registration_shared_secret).update(`${nonce}\0${localpart}\0${password}\0notadmin`).digest('hex');
  const res = await fetch(`${hs.homeserver_url}/_synapse/admin/v1/register`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ nonce, username: localpart, password, admin: false, mac }),
  });
  const body = (await res.json()) as { user_id: string; access_token: string; device_id: string };
  if (!res.ok) throw new Error(`register ${localpart}: ${res.status}`);
  return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id, password };
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map((t, j) => fn(t, i + j)))));
  return out;
}

/** 25 pairs chatting: students at A, supporters at A (even pairs) or B (odd pairs, across federation). */
async function chatLoad(demo: RunningDemo): Promise<{ peakMb: number; decrypted: number; failures: number; seconds: number }> {
  const info = demo.info();
  const a = info.institutions['school-a'];
  const b = info.institutions['school-b'];
  const run = Date.now().toString(36);
  const pairs = Array.from({ length: PAIRS }, (_, i) => i);
  const students = await inBatches(pairs, 4, (i) => register(a, `bench-s${run}-${i}`));
  const supporters = await inBatches(pairs, 4, (i) => register(i % 2 ? b : a, `bench-p${run}-${i}`));
  let peakMb = demoRss(demo).total;
  const sampler = setInterval(() => { peakMb = Math.max(peakMb, demoRss(demo).total); }, 250);
  const clients: Client[] = [];
  const t0 = performance.now();
  let decrypted = 0;
  let failures = 0;
  try {
    const cs = await inBatches(students, 5, (u) => newClient(a.homeserver_url, u));
    const cp = await inBatches(supporters, 5, (u, i) => newClient(i % 2 ? b.homeserver_url : a.homeserver_url, u));
    clients.push(...cs, ...cp);
    const rooms = await inBatches(pairs, 5, async (i) => {
      const { room_id: roomId } = await cs[i]!.createRoom({ invite: [supporters[i]!.userId], initial_state: [ENCRYPTION_STATE] });
      await waitFor('the invite', () => cp[i]!.getRoom(roomId)?.getMyMembership() === 'invite', 60_000);
      await cp[i]!.joinRoom(roomId);
      await waitFor('the join', () => cs[i]!.getRoom(roomId)?.getMember(supporters[i]!.userId)?.membership === 'join', 60_000);
      return roomId;
    });
    // Every pair at once: each side sends a few messages; each waits to decrypt the other's.
    await Promise.all(pairs.map(async (i) => {
      const roomId = rooms[i]!;
      const atStudent = collectMessages(cs[i]!, roomId);
      const atSupporter = collectMessages(cp[i]!, roomId);
      for (let m = 0; m < MESSAGES_EACH; m++) {
        await cs[i]!.sendTextMessage(roomId, `s${i}-${m}`);
        await cp[i]!.sendTextMessage(roomId, `p${i}-${m}`);
      }
      const got = (c: { bodies: string[] }, prefix: string): number => c.bodies.filter((x) => x.startsWith(prefix)).length;
      await waitFor(`pair ${i} to decrypt each other`, () => got(atSupporter, `s${i}-`) >= MESSAGES_EACH && got(atStudent, `p${i}-`) >= MESSAGES_EACH, 120_000);
      decrypted += got(atSupporter, `s${i}-`) + got(atStudent, `p${i}-`);
      failures += atStudent.failures.length + atSupporter.failures.length;
    }));
    peakMb = Math.max(peakMb, demoRss(demo).total);
  } finally {
    clearInterval(sampler);
    for (const c of clients) c.stopClient();
  }
  return { peakMb, decrypted, failures, seconds: (performance.now() - t0) / 1000 };
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
    const figures: Figure[] = [
      { name: 'cold start (fresh data) to ready, median', value: round(median(cold), 0), unit: 'ms', reference: `${STARTS} run(s); TypeScript already compiled` },
      { name: 'warm start (same data) to ready, median', value: round(median(warm), 0), unit: 'ms' },
      { name: 'resident memory of the whole demo, idle', value: round(idle.total, 1), unit: 'MB', reference: `${idle.each.length} processes` },
      { name: `resident memory under ${PAIRS * 2} people in ${PAIRS} encrypted chats, peak`, value: round(load.peakMb, 1), unit: 'MB', reference: 'half the pairs across the two schools' },
      { name: 'resident memory after the chats', value: round(after.total, 1), unit: 'MB' },
      { name: 'messages decrypted during the load', value: load.decrypted, unit: 'messages', reference: `${MESSAGES_EACH} each way per pair; ${load.failures} failures; ${round(load.seconds, 1)} s` },
    ];
    report('demo.json', 'npm start demo: start times and memory (two homeservers, two bridges, web server)', figures, {
      cold_ms: cold.map((x) => round(x, 0)), warm_ms: warm.map((x) => round(x, 0)), idle_rss_mb_each: idle.each.map((x) => round(x, 1)),
    });
    if (load.failures > 0) process.exitCode = 1;
  } finally {
    await demo?.stop('SIGINT');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
