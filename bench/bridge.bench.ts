// Bridge benchmark: a real homeserver and the real bridge process on loopback.
// - request → room: a student asks for support, the matcher offers it to a waiting supporter (long
//   poll), who accepts at once; the bot creates the encrypted room and invites both (the time ends
//   when the accept answers, which is after the room exists with both invited);
// - matching 1,000 waiting requests against 200 supporters: the pure matcher, and a whole pass of the
//   engine over a durable SQLite store (reads, matcher, offers written in one commit);
// - authenticated reads: GET /v1/requests/{id} of waiting requests by signed-in students, 32 at a time.
// Writes bench/results/bridge.json.
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHomeserverWithBridge, signInToBridge, testPolicy, type TestBridge } from '../tests/helpers/bridge.ts';
import { agent, benchConfig, registerMany } from './harness.ts';
import { median, percentile, report, round, type Figure } from './stats.ts';
import { matchQueue, type Candidate, type QueuedRequest } from '../bridge-service/src/matching/matcher.ts';
import { MatchingEngine } from '../bridge-service/src/matching/engine.ts';
import { Wakeups } from '../bridge-service/src/matching/wakeups.ts';
import { DEFAULT_TIMINGS, MatchingMetrics, type MatchingContext, type MatchingHomeserver } from '../bridge-service/src/matching/context.ts';
import { openSqliteStore } from '../bridge-service/src/store/sqlite/index.ts';
import { AuditService } from '../bridge-service/src/services/audit.ts';
import { Metrics } from '../bridge-service/src/services/metrics.ts';
import { createLogger } from '../bridge-service/src/logger.ts';
import { systemClock } from '../bridge-service/src/core/clock.ts';
import type { InstitutionPolicy } from '../protocol/src/policy.ts';
import type { SupporterRecord } from '../bridge-service/src/store/store.ts';

const quick = process.argv.includes('--quick');
const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const TRAINING = [
  { module: 'active-listening', version: 1, completed: day(-30), expires: null },
  { module: 'boundaries-confidentiality', version: 1, completed: day(-30), expires: null },
  { module: 'risk-and-escalation', version: 1, completed: day(-30), expires: null },
  { module: 'group-moderation', version: 1, completed: day(-30), expires: null },
];

function bridgeJson<T = Record<string, unknown>>(bridge: TestBridge, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest({
      host: '127.0.0.1', port: bridge.port, method, path, agent,
      headers: { Authorization: `Bearer ${token}`, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as T }));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

function expectStatus(r: { status: number; body: unknown }, status: number, what: string): void {
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
}

// ── request → room ────────────────────────────────────────────────────────────────────────────────

async function requestToRoom(): Promise<{ roomMs: number[]; offerMs: number[]; readsPerSec: number; reads: number }> {
  const { hs, bridge } = await startHomeserverWithBridge({
    policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`], homeserver: { extraArgs: ['--config', benchConfig()] },
  });
  try {
    const samples = quick ? 20 : 60;
    const warmUp = 3;
    const admin = await hs.registerUser('admin');
    const [supporter] = await registerMany(hs, 'supporter', 1);
    const students = await registerMany(hs, 's-bench-', samples + warmUp);
    const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    expectStatus(await bridgeJson(bridge, 'PUT', `/v1/admin/roster/supporters/${encodeURIComponent(supporter!.userId)}`, adminToken, { topics: ['exam-stress'], training: TRAINING }), 200, 'roster');
    const supToken = (await signInToBridge(bridge, hs, supporter!)).session_token;
    expectStatus(await bridgeJson(bridge, 'PUT', '/v1/supporters/me/availability', supToken, { available: true }), 200, 'availability');
    const tokens = await Promise.all(students.map(async (s) => (await signInToBridge(bridge, hs, s)).session_token));

    const roomMs: number[] = [];
    const offerMs: number[] = [];
    for (let i = 0; i < students.length; i++) {
      const poll = bridgeJson<{ offers: { offer_id: string }[] }>(bridge, 'GET', '/v1/offers?timeout_ms=10000', supToken);
      // Let the long poll reach the bridge before the clock starts: the supporter is already waiting.
      await new Promise((r) => setTimeout(r, 5));
      const t0 = performance.now();
      const created = await bridgeJson<{ request_id: string }>(bridge, 'POST', '/v1/requests', tokens[i]!, { topic: 'exam-stress' });
      expectStatus(created, 201, 'request');
      let offers = (await poll).body.offers;
      while (offers.length === 0) offers = (await bridgeJson<{ offers: { offer_id: string }[] }>(bridge, 'GET', '/v1/offers?timeout_ms=10000', supToken)).body.offers;
      const t1 = performance.now();
      const accepted = await bridgeJson<{ session_id: string; room_id: string }>(bridge, 'POST', `/v1/offers/${offers[0]!.offer_id}/accept`, supToken);
      const t2 = performance.now();
      expectStatus(accepted, 200, 'accept');
      if (i >= warmUp) {
        roomMs.push(t2 - t0);
        offerMs.push(t1 - t0);
      }
      if (i === 0) {
        // Once, outside the clock: the room exists and both are invited when the accept answers.
        const members = await fetch(`${hs.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(accepted.body.room_id)}/members`, { headers: { Authorization: `Bearer ${bridge.asToken}` } });
        const chunk = ((await members.json()) as { chunk: { state_key: string; content: { membership: string } }[] }).chunk;
        const invited = chunk.filter((m) => m.content.membership === 'invite').map((m) => m.state_key).sort();
        if (JSON.stringify(invited) !== JSON.stringify([students[0]!.userId, supporter!.userId].sort())) throw new Error(`both should be invited, found ${JSON.stringify(invited)}`);
      }
      expectStatus(await bridgeJson(bridge, 'POST', `/v1/sessions/${accepted.body.session_id}/end`, supToken, {}), 200, 'end');
    }

    // Authenticated reads, 32 in flight: students read requests that are waiting (the dearer view:
    // place in the queue and expected wait are worked out at each read).
    expectStatus(await bridgeJson(bridge, 'PUT', '/v1/supporters/me/availability', supToken, { available: false }), 200, 'pause');
    const ids = await Promise.all(tokens.map(async (t) => {
      const r = await bridgeJson<{ request_id: string }>(bridge, 'POST', '/v1/requests', t, { topic: 'exam-stress' });
      expectStatus(r, 201, 'request to read');
      return r.body.request_id;
    }));
    const seconds = quick ? 2 : 5;
    let reads = 0;
    const end = performance.now() + seconds * 1000;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 32 }, async (_, w) => {
      for (let k = w; performance.now() < end; k++) {
        const i = k % tokens.length;
        const r = await bridgeJson(bridge, 'GET', `/v1/requests/${ids[i]}`, tokens[i]!);
        if (r.status !== 200) throw new Error(`read failed: ${r.status} ${JSON.stringify(r.body)}`);
        reads++;
      }
    }));
    return { roomMs, offerMs, readsPerSec: reads / ((performance.now() - t0) / 1000), reads };
  } finally {
    await bridge.stop();
    await hs.stop();
    bridge.cleanup();
    hs.cleanup();
  }
}

// ── matching 1,000 × 200 ──────────────────────────────────────────────────────────────────────────

const POLICY = testPolicy('bench.localhost') as unknown as InstitutionPolicy;
const TOPICS = POLICY.topics.map((t) => t.id);

function supporterRecord(i: number): SupporterRecord {
  return { user_id: `@sup${i}:bench.localhost`, topics: TOPICS.filter((_, k) => (i + k) % 3 !== 0), training: TRAINING, capacity: null, active: true, updated_ts: 0, updated_by: 'bench' };
}

function pureMatcher(): number[] {
  const now = Date.now();
  const candidates: Candidate[] = Array.from({ length: 200 }, (_, i) => ({
    kind: 'supporter', record: supporterRecord(i), topics: null, languages: i % 5 === 0 ? ['cy'] : ['en'],
    active_sessions: i % 4 === 0 ? 1 : 0, pending_offers: 0, last_offer_ts: now - i * 1000,
  }));
  const queue: QueuedRequest[] = Array.from({ length: 1000 }, (_, i) => ({
    id: `rq_${String(i).padStart(6, '0')}`, topic: TOPICS[i % TOPICS.length]!, institution: 'bench.localhost', minor: i % 10 === 0,
    language: i % 7 === 0 ? 'cy' : 'en', queued_ts: now - (1000 - i) * 500, excluded: new Set(i % 13 === 0 ? [`@sup${i % 200}:bench.localhost`] : []),
  }));
  for (let i = 0; i < 10; i++) matchQueue(queue, candidates, POLICY, now);
  const times: number[] = [];
  for (let i = 0; i < (quick ? 30 : 100); i++) {
    const t0 = performance.now();
    const out = matchQueue(queue, candidates, POLICY, now);
    times.push(performance.now() - t0);
    if (out.length === 0) throw new Error('the matcher placed nothing');
  }
  return times;
}

async function enginePass(): Promise<{ times: number[]; offers: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'peerline-bench-matching-'));
  const store = openSqliteStore(join(dir, 'bridge.sqlite'));
  try {
    const now = Date.now();
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.roster.putSupporter(supporterRecord(i), { actor: 'bench', action: 'roster.supporter.put', subject: null, details: {} })));
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.matching.setAvailability({ user_id: `@sup${i}:bench.localhost`, available: true, topics: null, languages: ['en'], updated_ts: now, paused_reason: null })));
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.matching.insertRequest({
      id: `rq_${String(i).padStart(6, '0')}`, origin: 'local', student: `@s${i}:bench.localhost`, institution: 'bench.localhost', remote_id: null,
      topic: TOPICS[i % TOPICS.length]!, language: 'en', region: null, minor: false, status: 'waiting', created_ts: now - i, queued_ts: now - (1000 - i) * 500,
      updated_ts: now, expires_ts: now + 3600_000, matched_ts: null, closed_ts: null, close_reason: null, session_id: null,
    })));
    const noop = (): void => {};
    const c: MatchingContext = {
      store: store.matching, roster: store.roster, audit: new AuditService({ store: store.audit, clock: systemClock }), policy: () => POLICY, clock: systemClock,
      logger: createLogger('error', {}), homeserver: {} as MatchingHomeserver, serverName: 'bench.localhost', timings: DEFAULT_TIMINGS,
      wakeups: new Wakeups(), metrics: new MatchingMetrics(new Metrics()), signals: { kick: noop, availabilityChanged: noop, flushOutbox: noop },
    };
    const engine = new MatchingEngine(c, { openHostRoom: () => { throw new Error('not in this benchmark'); } });
    const times: number[] = [];
    let offers = 0;
    for (let i = 0; i < (quick ? 5 : 15); i++) {
      const t0 = performance.now();
      offers = await engine.runOnce();
      times.push(performance.now() - t0);
      // Back to the same queue for the next pass.
      store.db.exec("DELETE FROM matching_offers; UPDATE matching_requests SET status = 'waiting';");
    }
    engine.stop();
    return { times, offers };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  const pure = pureMatcher();
  const pass = await enginePass();
  const flow = await requestToRoom();
  const figures: Figure[] = [
    { name: 'request → room created and both invited, p50 (supporter accepts at once)', value: round(median(flow.roomMs)), unit: 'ms', floor: '<= 150' },
    { name: 'request → room created and both invited, p95', value: round(percentile(flow.roomMs, 95)), unit: 'ms' },
    { name: 'request → offer delivered to the waiting supporter, p50', value: round(median(flow.offerMs)), unit: 'ms' },
    { name: 'matching 1,000 waiting requests × 200 supporters (pure matcher), p50', value: round(median(pure), 2), unit: 'ms', floor: '<= 50' },
    { name: 'matching 1,000 × 200 (pure matcher), max', value: round(Math.max(...pure), 2), unit: 'ms' },
    { name: `matching pass 1,000 × 200 with store reads and ${pass.offers} offers durably written, p50`, value: round(median(pass.times)), unit: 'ms' },
    { name: `authenticated reads GET /v1/requests/{id} of waiting requests (${flow.reads} requests, 32 in flight)`, value: round(flow.readsPerSec, 0), unit: 'requests/s', floor: '>= 2000' },
  ];
  report('bridge.json', `Bridge benchmark${quick ? ' (quick)' : ''}`, figures, {
    samples: { requestToRoomMs: flow.roomMs.map((x) => round(x)), matcherMs: pure.map((x) => round(x, 2)), enginePassMs: pass.times.map((x) => round(x)) },
  });
} finally {
  agent.destroy();
}
process.exit(0);
