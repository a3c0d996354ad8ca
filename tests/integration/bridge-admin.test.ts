// What an institution admin does with a running bridge, against real processes: edit the policy
// file (picked up without a restart; an invalid edit is reported at the admin endpoint and the old
// policy stays), manage the roster, and verify the audit log — including with the
// `verify-audit` command after someone tampered with the database.
import { execFile } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, waitFor, type TestBridge } from '../helpers/bridge.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const enc = encodeURIComponent;

interface PublicPolicy { topics: { id: string }[]; retention_days: { peer: number } }
interface AdminPolicy { policy: { retention_days: { peer: number } }; status: { version: number; last_rejected: null | { problems: { path: string; message: string }[] } } }

describe('bridge administration', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;
  let admin: RegisteredUser;
  let student: RegisteredUser;
  let adminToken: string;
  let studentToken: string;
  let policy: Record<string, unknown>;

  beforeAll(async () => {
    const started = await startHomeserverWithBridge({ policy: (name) => (policy = testPolicy(name)), admins: (name) => [`@admin:${name}`] });
    hs = started.hs;
    bridge = started.bridge;
    admin = await hs.registerUser('admin');
    student = await hs.registerUser('s-9wq3zz');
    adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    studentToken = (await signInToBridge(bridge, hs, student)).session_token;
  });

  afterAll(async () => {
    await bridge?.stop();
    await hs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
  });

  const publicPolicy = async (): Promise<PublicPolicy> => (await bridge.api<PublicPolicy>('GET', '/v1/policy', { token: studentToken })).body;
  const adminPolicy = async (): Promise<AdminPolicy> => (await bridge.api<AdminPolicy>('GET', '/v1/admin/policy', { token: adminToken })).body;

  it('picks up a policy edit without a restart', async () => {
    const pid = bridge.pid();
    const edited = structuredClone(policy) as { topics: { id: string; label: string; needs_training: string[] }[]; retention_days: { peer: number } };
    edited.topics.push({ id: 'sleep', label: 'Sleep', needs_training: ['active-listening'] });
    edited.retention_days.peer = 21;
    bridge.writePolicy(edited);
    await waitFor('edited policy in force', async () => (await publicPolicy()).topics.some((t) => t.id === 'sleep'));
    expect((await publicPolicy()).retention_days.peer).toBe(21);
    expect((await adminPolicy()).status.version).toBe(2);
    expect(bridge.pid()).toBe(pid);
    policy = edited as unknown as Record<string, unknown>;
  });

  it('reports an invalid edit at the admin endpoint and keeps the policy in force', async () => {
    const broken = structuredClone(policy) as { retention_days: Record<string, unknown> };
    broken.retention_days['peer'] = 'a month';
    bridge.writePolicy(broken);
    await waitFor('rejection reported', async () => (await adminPolicy()).status.last_rejected !== null);
    const status = await adminPolicy();
    expect(status.status.last_rejected!.problems).toEqual([{ path: '$.retention_days.peer', message: 'expected a whole number from 1 to 3650 (days peer rooms are kept), found "a month"' }]);
    expect(status.policy.retention_days.peer).toBe(21);
    expect((await publicPolicy()).retention_days.peer).toBe(21);
    expect(bridge.output()).toContain('policy change rejected; the previous policy stays in force');
    const metrics = await fetch(`${bridge.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain('bridge_policy_reloads_total{result="rejected"} 1');
    expect(metrics).toContain('bridge_policy_reloads_total{result="applied"} 1');
    // Still ready: a valid policy is in force.
    expect((await bridge.api('GET', '/ready')).status).toBe(200);
    bridge.writePolicy(policy);
    await waitFor('rejection cleared', async () => (await adminPolicy()).status.last_rejected === null);
  });

  it('refuses to start on an invalid policy, naming the file, the path and the expectation', async () => {
    await bridge.stop();
    const broken = structuredClone(policy) as { institution: Record<string, unknown> };
    delete broken.institution['name'];
    bridge.writePolicy(broken);
    const err = await run(process.execPath, [join(ROOT, 'dist/bridge-service/src/main.js'), '--config', bridge.configFile], { cwd: ROOT }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain(bridge.policyFile);
    expect(err?.stderr).toContain('at $.institution.name: is required');
    bridge.writePolicy(policy);
    await bridge.restart();
  });

  it('audits roster changes and policy versions in a chain the admin endpoint verifies', async () => {
    adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    const sup = `@sup-1:${hs.serverName}`;
    const put = await bridge.api('PUT', `/v1/admin/roster/supporters/${enc(sup)}`, {
      token: adminToken,
      body: { topics: ['exam-stress'], training: [{ module: 'active-listening', version: 1, completed: '2026-01-05' }, { module: 'boundaries-confidentiality', version: 1, completed: '2026-01-05' }], capacity: 3 },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ user_id: sup, effective_capacity: 3 });
    expect((await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(`@coun-1:${hs.serverName}`)}`, { token: adminToken, body: { team: 'wellbeing' } })).status).toBe(200);
    expect((await bridge.api('PUT', `/v1/admin/roster/admins/${enc(`@deputy:${hs.serverName}`)}`, { token: adminToken, body: {} })).status).toBe(200);
    const log = await bridge.api<{ entries: { action: string; actor: string; subject: string }[]; chain: { ok: boolean; length: number } }>('GET', '/v1/admin/audit', { token: adminToken });
    expect(log.body.chain.ok).toBe(true);
    const actions = log.body.entries.map((e) => e.action);
    expect(actions.slice(0, 3)).toEqual(['roster.admin.add', 'roster.counsellor.add', 'roster.supporter.add']);
    expect(actions.filter((a) => a === 'policy.applied').length).toBeGreaterThanOrEqual(1);
    expect(log.body.entries[0]).toMatchObject({ actor: admin.userId, subject: `@deputy:${hs.serverName}` });
  });

  it('verify-audit reports an intact chain, then the first broken link after tampering', async () => {
    const cli = (): Promise<{ code: number; stdout: string }> => run(process.execPath, [join(ROOT, 'dist/bridge-service/src/main.js'), 'verify-audit', '--config', bridge.configFile], { cwd: ROOT })
      .then((r) => ({ code: 0, stdout: r.stdout }), (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }));
    const ok = await cli();
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/audit chain intact: \d+ entries/);
    await bridge.stop();
    const db = new DatabaseSync(join(bridge.dataDir, 'bridge.sqlite'));
    const target = db.prepare("SELECT seq FROM audit_log WHERE action = 'roster.counsellor.add'").get() as { seq: number };
    db.exec('DROP TRIGGER audit_log_append_only_update');
    db.prepare("UPDATE audit_log SET subject = '@someone-else:elsewhere' WHERE seq = ?").run(target.seq);
    db.close();
    const broken = await cli();
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`audit chain BROKEN at entry ${target.seq}`);
    await bridge.restart();
    const token = (await signInToBridge(bridge, hs, admin)).session_token;
    const log = await bridge.api<{ chain: { ok: boolean; first_break: { seq: number } } }>('GET', '/v1/admin/audit', { token });
    expect(log.body.chain).toMatchObject({ ok: false, first_break: { seq: target.seq } });
  });
});
