// The operations CLI (`npm run admin -- …`) against a real homeserver and bridge: registration
// tokens, roster import from CSV, audit chain verification, figures export, backup and restore, and
// rotating the bridge's appservice tokens.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ADMIN_CLI = join(ROOT, 'bridge-service/src/cli/admin.ts');

interface CliResult { code: number; stdout: string; stderr: string }

describe('admin CLI', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;
  let admin: RegisteredUser;
  let work: string;
  let session: string;

  /** Runs `npm run admin -- args` as the admin (access token from the environment unless `env` says otherwise). */
  const cli = (args: string[], env: Record<string, string> = { PEERLINE_ADMIN_TOKEN: admin.accessToken }): Promise<CliResult> =>
    new Promise((done) => {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PEERLINE_')));
      execFile(process.execPath, ['--disable-warning=ExperimentalWarning', ADMIN_CLI, '--config', bridge.configFile, ...args], { cwd: ROOT, env: { ...clean, ...env }, timeout: 30_000 },
        (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });
  const expectNoSecrets = (r: CliResult): void => {
    expect(r.stdout + r.stderr).not.toContain(admin.accessToken);
    expect(r.stdout + r.stderr).not.toContain(admin.password);
  };

  beforeAll(async () => {
    ({ hs, bridge } = await startHomeserverWithBridge({
      policy: (sn) => testPolicy(sn),
      admins: (sn) => [`@ops-admin:${sn}`],
      homeserver: { extraArgs: ['--enable-registration'] },
    }));
    admin = await hs.registerUser('ops-admin', { admin: true });
    session = (await signInToBridge(bridge, hs, admin)).session_token;
    work = mkdtempSync(join(tmpdir(), 'peerline-admin-cli-'));
  });

  afterAll(async () => {
    await bridge?.stop();
    await hs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('creates a registration token a newcomer registers with, lists it as used up, and revokes it', async () => {
    // Password sign-in from the environment, as an operator without a token at hand would use it.
    const created = await cli(['registration-token', 'create', '--uses', '1', '--expires', '2099-12-31'], { PEERLINE_ADMIN_USER: 'ops-admin', PEERLINE_ADMIN_PASSWORD: admin.password });
    expect(created.code, created.stderr).toBe(0);
    expectNoSecrets(created);
    const token = created.stdout.split('\n')[0]!;
    // A letter or digit first, so the token never reads as an option on a command line.
    expect(token).toMatch(/^[A-Za-z0-9][A-Za-z0-9._~-]{15}$/);

    const body = { username: 'newcomer', password: 'pw-newcomer-secret' };
    const challenge = await api<{ session: string }>(hs, 'POST', '/_matrix/client/v3/register', { body });
    expect(challenge.status).toBe(401);
    const done = await api<{ user_id: string }>(hs, 'POST', '/_matrix/client/v3/register', { body: { ...body, auth: { type: 'm.login.registration_token', token, session: challenge.body.session } } });
    expect(done.status).toBe(200);
    expect(done.body.user_id).toBe(`@newcomer:${hs.serverName}`);

    const listed = await cli(['registration-token', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${token.replace(/[.~-]/g, '\\$&')}\\s+1\\s+1\\s+0\\s+2099-12-31T23:59:59.999Z\\s+used up`));

    const revoked = await cli(['registration-token', 'revoke', token]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await cli(['registration-token', 'list'])).stdout).not.toContain(token);
    const again = await cli(['registration-token', 'revoke', token]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no such registration token');

    // Tokens chosen by an admin may start with '-' (Synapse allows [A-Za-z0-9._~-]): revoke still takes it.
    const dashed = await api(hs, 'POST', '/_synapse/admin/v1/registration_tokens/new', { token: admin.accessToken, body: { token: '-H7-dash' } });
    expect(dashed.status).toBe(200);
    const revokedDashed = await cli(['registration-token', 'revoke', '-H7-dash']);
    expect(revokedDashed.code, revokedDashed.stderr).toBe(0);
    expect((await cli(['registration-token', 'list'])).stdout).not.toContain('-H7-dash');
  });

  it('imports a roster CSV after a dry run, and applies nothing from a file with errors, naming line and column', async () => {
    const sn = hs.serverName;
    const good = join(work, 'roster.csv');
    writeFileSync(good, [
      'user_id,role,topics,training,active,capacity,team',
      `@sup-one:${sn},supporter,exam-stress;friendships,active-listening:1:2026-01-10;boundaries-confidentiality:1:2026-01-12,true,3,`,
      `"@sup-two:${sn}",Supporter,low-mood,"active-listening:1:2026-02-01;boundaries-confidentiality:1:2026-02-01;risk-and-escalation:1:2026-02-02",yes,,`,
      `@couns-one:${sn},counsellor,,,true,,wellbeing`,
      '',
    ].join('\r\n'));
    const supporters = async (): Promise<string[]> =>
      (await bridge.api<{ supporters: { user_id: string }[] }>('GET', '/v1/admin/roster/supporters', { token: session })).body.supporters.map((s) => s.user_id).sort();

    const dry = await cli(['roster', 'import', good, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`line 2: supporter @sup-one:${sn} — would add`);
    expect(dry.stdout).toContain('dry run: 3 line(s) are valid; nothing was applied');
    expect(await supporters()).toEqual([]);

    const applied = await cli(['roster', 'import', good]);
    expect(applied.code, applied.stderr).toBe(0);
    expectNoSecrets(applied);
    expect(applied.stdout).toContain('applied 3 line(s)');
    expect(await supporters()).toEqual([`@sup-one:${sn}`, `@sup-two:${sn}`]);
    const one = await bridge.api<{ topics: string[]; capacity: number; training: { module: string; version: number; completed: string }[] }>('GET', `/v1/admin/roster/supporters/${encodeURIComponent(`@sup-one:${sn}`)}`, { token: session });
    expect(one.body).toMatchObject({ topics: ['exam-stress', 'friendships'], capacity: 3 });
    expect(one.body.training.map((t) => `${t.module}:${t.version}:${t.completed}`)).toEqual(['active-listening:1:2026-01-10', 'boundaries-confidentiality:1:2026-01-12']);
    const couns = await bridge.api<{ team: string; active: boolean }>('GET', `/v1/admin/roster/counsellors/${encodeURIComponent(`@couns-one:${sn}`)}`, { token: session });
    expect(couns.body).toMatchObject({ team: 'wellbeing', active: true });

    const bad = join(work, 'roster-bad.csv');
    writeFileSync(bad, [
      'user_id,role,topics,training,active',
      `@sup-three:${sn},supporter,exam-stress,active-listening:1:2026-01-10,true`,
      `@sup-four:${sn},teacher,exam-stress,,true`,
      `@sup-five:${sn},supporter,exam-stress,active-listening:1:2026-13-01,true`,
      `@sup-six:${sn},supporter,knitting,,maybe`,
      '',
    ].join('\n'));
    const refused = await cli(['roster', 'import', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('4 problems; nothing was applied');
    expect(refused.stderr).toContain("line 3, column 2 (role): expected 'supporter' or 'counsellor', found 'teacher'");
    expect(refused.stderr).toContain("line 4, column 4 (training): expected 'module:version:YYYY-MM-DD'");
    expect(refused.stderr).toContain("line 5, column 3 (topics): topic 'knitting' is not in the policy");
    expect(refused.stderr).toContain('line 5, column 5 (active): expected true or false');
    // The valid line 2 was not applied either.
    expect(await supporters()).toEqual([`@sup-one:${sn}`, `@sup-two:${sn}`]);
  });

  it('verifies the audit chain online and offline, and names the entry after a row of a copy is altered', async () => {
    const online = await cli(['audit', 'verify', '--online']);
    expect(online.code, online.stderr).toBe(0);
    expect(online.stdout).toMatch(/audit chain intact \(running bridge\): \d+ entries/);
    const offline = await cli(['audit', 'verify']);
    expect(offline.code, offline.stderr).toBe(0);
    const entries = Number(/: (\d+) entries/.exec(offline.stdout)![1]);
    expect(entries).toBeGreaterThanOrEqual(3);

    const copy = join(work, 'tampered.sqlite');
    const live = new DatabaseSync(join(bridge.dataDir, 'bridge.sqlite'));
    live.prepare('VACUUM INTO ?').run(copy);
    live.close();
    const db = new DatabaseSync(copy);
    db.exec('DROP TRIGGER audit_log_append_only_update');
    db.prepare("UPDATE audit_log SET subject = '@someone-else:elsewhere' WHERE seq = 2").run();
    db.close();
    const broken = await cli(['audit', 'verify', '--db', copy]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('audit chain BROKEN');
    expect(broken.stdout).toContain("at entry 2: hash does not match the entry's fields");
  });

  it('exports the aggregate figures as CSV with a header', async () => {
    const out = join(work, 'figures.csv');
    const r = await cli(['figures', 'export', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('week,topic,requests,matches,wait_median_ms,wait_p90_ms,sessions,escalations,response_median_ms,response_p90_ms');
    // Nothing happened yet: every count is a small count, so every cell stays suppressed.
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\d{4}-W\d{2},[a-z-]+(,suppressed){8}$/);
  });

  it('backs up a running installation and restores it into fresh data directories a homeserver starts on', async () => {
    const member = await hs.registerUser('member');
    const room = await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: member.accessToken, body: { name: 'Before the backup' } });
    expect(room.status).toBe(200);

    const out = join(work, 'backup');
    const b = await cli(['backup', '--out', out, '--homeserver-data', hs.dataDir, '--registration', bridge.registrationFile]);
    expect(b.code, b.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parts: Record<string, { files: { path: string }[]; config_files: { path: string }[] }> };
    expect(manifest.parts['homeserver']!.files.map((f) => f.path)).toEqual(expect.arrayContaining(['homeserver.db', 'signing.key']));
    expect(manifest.parts['bridge']!.files.map((f) => f.path)).toEqual(expect.arrayContaining(['bridge.sqlite', 'appservice-tokens.json']));
    expect(manifest.parts['bridge']!.config_files.map((f) => f.path)).toEqual(['bridge.yaml', 'policy.yaml', 'registration.yaml']);

    // The running installation's data is not overwritten.
    const refused = await cli(['restore', '--from', out, '--homeserver-data', hs.dataDir, '--bridge-data', join(work, 'unused-bridge')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is in use: the homeserver that owns .* is running/);
    expect(existsSync(join(work, 'unused-bridge'))).toBe(false);

    // A damaged backup is refused before anything is written.
    const damaged = join(work, 'backup-damaged');
    await cli(['backup', '--out', damaged]);
    writeFileSync(join(damaged, 'bridge', 'data', 'appservice-tokens.json'), '{}');
    const bad = await cli(['restore', '--from', damaged, '--bridge-data', join(work, 'never-written')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('does not match its checksum');
    expect(existsSync(join(work, 'never-written'))).toBe(false);

    const hsData = join(work, 'restored-hs');
    const bridgeData = join(work, 'restored-bridge');
    const restored = await cli(['restore', '--from', out, '--homeserver-data', hsData, '--bridge-data', bridgeData]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`homeserver: restored`);
    const audit = await cli(['audit', 'verify', '--db', join(bridgeData, 'bridge.sqlite')]);
    expect(audit.code, audit.stdout).toBe(0);

    const copy = await startHomeserver({ serverName: hs.serverName, dataDir: hsData });
    try {
      const login = await api<{ access_token: string }>(copy, 'POST', '/_matrix/client/v3/login', {
        body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'member' }, password: member.password },
      });
      expect(login.status).toBe(200);
      const rooms = await api<{ joined_rooms: string[] }>(copy, 'GET', '/_matrix/client/v3/joined_rooms', { token: login.body.access_token });
      expect(rooms.body.joined_rooms).toContain(room.body.room_id);
      const name = await api<{ name: string }>(copy, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room.body.room_id)}/state/m.room.name/`, { token: login.body.access_token });
      expect(name.body.name).toBe('Before the backup');
      // The same signing key: the server keeps its identity.
      const keys = await api<{ verify_keys: Record<string, unknown> }>(copy, 'GET', '/_matrix/key/v2/server');
      const original = await api<{ verify_keys: Record<string, unknown> }>(hs, 'GET', '/_matrix/key/v2/server');
      expect(keys.body.verify_keys).toEqual(original.body.verify_keys);
    } finally {
      await copy.stop();
    }
  });

  it('rotates the appservice tokens; after a restart the homeserver accepts only the new as_token', async () => {
    const before = parse(readFileSync(bridge.registrationFile, 'utf8')) as { as_token: string; hs_token: string };
    const r = await cli(['rotate-tokens', '--registration', bridge.registrationFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('restart now');
    const after = parse(readFileSync(bridge.registrationFile, 'utf8')) as { as_token: string; hs_token: string; id: string };
    expect(after.id).toBe(bridge.appserviceId);
    expect(after.as_token).not.toBe(before.as_token);
    expect(after.hs_token).not.toBe(before.hs_token);
    expect(r.stdout + r.stderr).not.toContain(after.as_token);
    expect(JSON.parse(readFileSync(join(bridge.dataDir, 'appservice-tokens.json'), 'utf8'))).toEqual({ as_token: after.as_token, hs_token: after.hs_token });

    await hs.restart();
    await bridge.restart();
    const whoami = (token: string) => api(hs, 'GET', '/_matrix/client/v3/account/whoami', { token });
    expect((await whoami(after.as_token)).status).toBe(200);
    expect((await whoami(before.as_token)).status).toBe(401);
    const ready = await bridge.api<{ ready: boolean }>('GET', '/ready');
    expect(ready.body.ready).toBe(true);
  });
});
