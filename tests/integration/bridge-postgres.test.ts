// The bridge on PostgreSQL, as docker-compose runs it: the store URL comes from
// PEERLINE_BRIDGE_DATABASE_URL (never from the config file, never printed), two bridge processes
// share one database as replicas (a session one issued is honoured by the other, a roster change
// through one is seen by the other), data survives a restart, and the admin CLI verifies the audit
// chain in PostgreSQL. Real processes: an embedded homeserver, two bridges, a throwaway cluster.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredUser, TestHomeserver } from '../helpers/homeserver.ts';
import { prepareBridge, signInToBridge, startBridge, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ADMIN_CLI = join(ROOT, 'bridge-service/src/cli/admin.ts');
const run = promisify(execFile);
const SECRET = 'not-for-logs-7Qe';

interface AdminPolicyView {
  policy: {
    topics: { id: string; needs_training: string[] }[];
    supporters: { training: { required: string[]; modules: { id: string; min_version: number }[] } };
  };
}

describe('bridge on PostgreSQL', () => {
  let pg: PostgresCluster;
  let dbUrl: string;
  let hs: TestHomeserver;
  let first: TestBridge;
  let second: TestBridge;
  let admin: RegisteredUser;
  let supporter: RegisteredUser;
  let topic: string;

  beforeAll(async () => {
    pg = await startPostgres();
    // The test cluster trusts loopback, so the password is accepted and ignored: it is only here to
    // prove that it never reaches output.
    const u = new URL(await pg.createDatabase());
    u.password = SECRET;
    dbUrl = u.toString();
    const env = { PEERLINE_BRIDGE_DATABASE_URL: dbUrl };
    const started = await startHomeserverWithBridge({ policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`], bridgeEnv: env });
    hs = started.hs;
    first = started.bridge;
    // A replica: its own port and data directory, the same appservice tokens, the same database.
    const prepared = await prepareBridge({ serverName: hs.serverName });
    copyFileSync(join(first.dataDir, 'appservice-tokens.json'), join(prepared.dataDir, 'appservice-tokens.json'));
    second = await startBridge({ homeserver: hs, policy: testPolicy(hs.serverName), prepared, admins: [`@admin:${hs.serverName}`], env });
    admin = await hs.registerUser('admin');
    supporter = await hs.registerUser('sup-pg');
    topic = (await first.api<{ topics: { id: string }[] }>('GET', '/v1/policy', { token: (await signInToBridge(first, hs, admin)).session_token })).body.topics[0]!.id;
  }, 120_000);

  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    await hs?.stop();
    second?.cleanup();
    first?.cleanup();
    hs?.cleanup();
    await pg?.stop();
  });

  it('keeps its store in PostgreSQL, says so when ready, and never prints the database password', async () => {
    for (const b of [first, second]) {
      expect(b.output()).toMatch(/peerline bridge ready: .* store=postgresql/);
      expect(existsSync(join(b.dataDir, 'bridge.sqlite'))).toBe(false);
      expect(b.output()).not.toContain(SECRET);
      const ready = await b.api<{ checks: { store: { ok: boolean } } }>('GET', '/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.checks.store.ok).toBe(true);
    }
  });

  it('lets replicas share sessions and the roster', async () => {
    const session = (await signInToBridge(first, hs, admin)).session_token;
    const put = await second.api('PUT', `/v1/admin/roster/supporters/${encodeURIComponent(supporter.userId)}`, {
      token: session, body: { topics: [topic], training: [], capacity: 2 },
    });
    expect(put.status).toBe(200);
    const seen = await first.api<{ user_id: string; topics: string[]; capacity: number }>('GET', `/v1/admin/roster/supporters/${encodeURIComponent(supporter.userId)}`, { token: session });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ user_id: supporter.userId, topics: [topic], capacity: 2 });
    // Signing out at one replica ends the session at both.
    expect((await second.api('DELETE', '/v1/session', { token: session })).status).toBeLessThan(300);
    expect((await first.api('GET', '/v1/admin/roster/supporters', { token: session })).status).toBe(401);
  });

  it('matches across replicas: asked at one, offered and accepted at the other, with one offer and one room', async () => {
    const adminSession = (await signInToBridge(first, hs, admin)).session_token;
    // Valid training for the topic, whatever modules the policy names.
    const policy = (await first.api<AdminPolicyView>('GET', '/v1/admin/policy', { token: adminSession })).body.policy;
    const needed = new Set([...policy.supporters.training.required, ...policy.topics.find((t) => t.id === topic)!.needs_training]);
    const today = new Date().toISOString().slice(0, 10);
    const training = policy.supporters.training.modules.filter((m) => needed.has(m.id)).map((m) => ({ module: m.id, version: m.min_version, completed: today }));
    expect((await first.api('PUT', `/v1/admin/roster/supporters/${encodeURIComponent(supporter.userId)}`, { token: adminSession, body: { topics: [topic], training } })).status).toBe(200);
    const student = await hs.registerUser('s-pg7k2q');
    const studentSession = (await signInToBridge(first, hs, student)).session_token;
    const supporterSession = (await signInToBridge(second, hs, supporter)).session_token;
    expect((await second.api('PUT', '/v1/supporters/me/availability', { token: supporterSession, body: { available: true } })).status).toBe(200);
    const created = await first.api<{ request_id: string }>('POST', '/v1/requests', { token: studentSession, body: { topic } });
    expect(created.status).toBe(201);
    let offers: { offer_id: string; request_id: string }[] = [];
    for (let i = 0; i < 10 && offers.length === 0; i++) {
      offers = (await second.api<{ offers: { offer_id: string; request_id: string }[] }>('GET', '/v1/offers?timeout_ms=3000', { token: supporterSession })).body.offers;
    }
    expect(offers.map((o) => o.request_id)).toEqual([created.body.request_id]);
    const accepted = await first.api<{ room_id: string | null }>('POST', `/v1/offers/${offers[0]!.offer_id}/accept`, { token: supporterSession });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.room_id).toMatch(/^!/);
    const view = await second.api<{ status: string; session: { room_id: string | null } | null }>('GET', `/v1/requests/${created.body.request_id}`, { token: studentSession });
    expect(view.body).toMatchObject({ status: 'matched', session: { room_id: accepted.body.room_id } });
    // Accepting again at the other replica finds it taken.
    expect((await second.api('POST', `/v1/offers/${offers[0]!.offer_id}/accept`, { token: supporterSession })).status).toBe(409);
  });

  it('keeps its data across a restart and the admin CLI verifies the audit chain there', async () => {
    await first.restart();
    const session = (await signInToBridge(first, hs, admin)).session_token;
    const list = await first.api<{ supporters: { user_id: string }[] }>('GET', '/v1/admin/roster/supporters', { token: session });
    expect(list.body.supporters.map((s) => s.user_id)).toEqual([supporter.userId]);
    const { stdout, stderr } = await run(process.execPath, ['--disable-warning=ExperimentalWarning', ADMIN_CLI, 'audit', 'verify', '--config', first.configFile], {
      cwd: ROOT, env: { ...process.env, PEERLINE_BRIDGE_DATABASE_URL: dbUrl },
    });
    expect(stdout).toMatch(/^audit chain intact \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+\): [1-9]\d* entries, head [0-9a-f]{64}\n$/);
    expect(stdout + stderr).not.toContain(SECRET);
  });

  it('refuses to start against an unreachable database, naming it without the password', async () => {
    const u = new URL(dbUrl);
    u.port = '9';
    const r = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'dist/bridge-service/src/main.js'), '--config', second.configFile], {
      cwd: ROOT, env: { ...process.env, PEERLINE_BRIDGE_DATABASE_URL: u.toString() },
    }).then(() => ({ code: 0, out: '' }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }));
    expect(r.code).toBe(1);
    expect(r.out).toContain('cannot open the bridge store at postgres://postgres@127.0.0.1:9/');
    expect(r.out).not.toContain(SECRET);
  });
});
