// Starts the real bridge process (the compiled build, as institutions run it) on a free loopback
// port for integration tests, registered as an application service of a real homeserver:
//
//   const prepared = await prepareBridge({ serverName });            // port, data dir, registration
//   const hs = await startHomeserver({ federationPort, extraArgs: ['--appservice', prepared.registrationFile] });
//   const bridge = await startBridge({ homeserver: hs, policy: testPolicy(hs.serverName), prepared });
//
// or in one go: `startHomeserverWithBridge({ policy: (serverName) => testPolicy(serverName) })`.
// The registration is produced by the bridge's own `generate-registration` command.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { freePort } from './ports.ts';
import { startHomeserver, type StartOptions, type TestHomeserver } from './homeserver.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist/bridge-service/src/main.js');
const run = promisify(execFile);

export interface PreparedBridge {
  serverName: string;
  port: number;
  url: string;
  dataDir: string;
  configFile: string;
  policyFile: string;
  registrationFile: string;
  asToken: string;
  hsToken: string;
  senderLocalpart: string;
  appserviceId: string;
}

export interface BridgeConfigExtras {
  admins?: string[];
  /** server name → federation base URL (self-signed accepted), besides the bridge's own homeserver. */
  federationEndpoints?: Record<string, string>;
  session?: { ttl_seconds?: number; max_lifetime_seconds?: number };
}

export interface TestBridge extends PreparedBridge {
  /** Everything the process printed (stdout + stderr) since it was first started. */
  output(): string;
  pid(): number;
  /** Replaces the policy file (an object is written as YAML, a string as is). */
  writePolicy(doc: unknown): void;
  /** JSON request to the bridge. */
  api<T = Record<string, unknown>>(method: string, path: string, opts?: { token?: string; body?: unknown; rawBody?: string }): Promise<{ status: number; body: T }>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  cleanup(): void;
}

function writeConfig(p: PreparedBridge, homeserverUrl: string, extras: BridgeConfigExtras & { endpoints?: Record<string, { url: string; accept_self_signed: boolean }> }): void {
  writeFileSync(p.configFile, stringify({
    server_name: p.serverName,
    homeserver_url: homeserverUrl,
    listen: { address: '127.0.0.1', port: p.port },
    data_dir: p.dataDir,
    policy_file: p.policyFile,
    appservice: { id: p.appserviceId, url: p.url, sender_localpart: p.senderLocalpart },
    admins: extras.admins ?? [],
    log_level: 'info',
    ...(extras.session ? { session: extras.session } : {}),
    development: { federation_endpoints: extras.endpoints ?? {} },
  }));
}

/** Allocates the bridge's port and data directory and writes its appservice registration. */
export async function prepareBridge(opts: { serverName: string; appserviceId?: string; senderLocalpart?: string }): Promise<PreparedBridge> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'peerline-bridge-'));
  const p: PreparedBridge = {
    serverName: opts.serverName, port, url: `http://127.0.0.1:${port}`, dataDir,
    configFile: join(dataDir, 'bridge.yaml'), policyFile: join(dataDir, 'policy.yaml'), registrationFile: join(dataDir, 'registration.yaml'),
    asToken: '', hsToken: '', senderLocalpart: opts.senderLocalpart ?? 'peerline-bot', appserviceId: opts.appserviceId ?? 'peerline-bridge',
  };
  // The homeserver URL is not known yet; generate-registration does not contact it.
  writeConfig(p, 'http://127.0.0.1:9', {});
  const { stdout } = await run(process.execPath, [MAIN, 'generate-registration', '--config', p.configFile], { cwd: ROOT });
  writeFileSync(p.registrationFile, stdout);
  const reg = parse(stdout) as { as_token: string; hs_token: string };
  return { ...p, asToken: reg.as_token, hsToken: reg.hs_token };
}

export async function startBridge(opts: { homeserver: TestHomeserver; policy: unknown; prepared: PreparedBridge; env?: Record<string, string> } & BridgeConfigExtras): Promise<TestBridge> {
  const p = opts.prepared;
  const hs = opts.homeserver;
  const endpoints: Record<string, { url: string; accept_self_signed: boolean }> = {
    [hs.serverName]: { url: `https://127.0.0.1:${hs.federationPort}`, accept_self_signed: true },
  };
  for (const [name, url] of Object.entries(opts.federationEndpoints ?? {})) endpoints[name] = { url, accept_self_signed: true };
  writeConfig(p, hs.baseUrl, { ...opts, endpoints });
  const writePolicy = (doc: unknown): void => writeFileSync(p.policyFile, typeof doc === 'string' ? doc : stringify(doc));
  writePolicy(opts.policy);

  let proc: ChildProcess | null = null;
  let out = '';
  let exited: Promise<void> = Promise.resolve();
  const launch = async (): Promise<void> => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, '--config', p.configFile], {
      cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc = child;
    exited = new Promise((r) => child.once('exit', () => r()));
    const from = out.length;
    await new Promise<void>((ready, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.indexOf('peerline bridge ready', from) >= 0) ready();
      });
      child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      child.once('exit', (code) => reject(new Error(`bridge exited with ${code} before ready:\n${out.slice(from)}`)));
    });
  };
  await launch();

  const bridge: TestBridge = {
    ...p,
    output: () => out,
    pid: () => (proc as ChildProcess | null)?.pid ?? -1,
    writePolicy,
    async api<T>(method: string, path: string, o: { token?: string; body?: unknown; rawBody?: string } = {}) {
      const res = await fetch(`${p.url}${path}`, {
        method,
        headers: { ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}), 'Content-Type': 'application/json' },
        ...(o.rawBody !== undefined ? { body: o.rawBody } : o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = { text };
      }
      return { status: res.status, body: body as T };
    },
    async stop(signal = 'SIGTERM') {
      const child = proc as ChildProcess | null;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
    async restart() {
      await bridge.stop();
      await launch();
    },
    cleanup() {
      rmSync(p.dataDir, { recursive: true, force: true });
    },
  };
  return bridge;
}

/** A homeserver with the bridge registered, and the bridge started against it. */
export async function startHomeserverWithBridge(opts: {
  policy: (serverName: string) => unknown;
  admins?: (serverName: string) => string[];
  homeserver?: Omit<StartOptions, 'federationPort' | 'serverName'>;
  bridgeEnv?: Record<string, string>;
  /** Extra federation endpoints; a function sees the homeserver (e.g. to point another name at it). */
  federationEndpoints?: Record<string, string> | ((hs: TestHomeserver) => Record<string, string>);
} & Omit<BridgeConfigExtras, 'admins' | 'federationEndpoints'>): Promise<{ hs: TestHomeserver; bridge: TestBridge }> {
  const federationPort = await freePort();
  const serverName = `localhost:${federationPort}`;
  const prepared = await prepareBridge({ serverName });
  const hs = await startHomeserver({
    ...opts.homeserver, federationPort, serverName,
    extraArgs: [...(opts.homeserver?.extraArgs ?? []), '--appservice', prepared.registrationFile],
  });
  const bridge = await startBridge({
    homeserver: hs, prepared, policy: opts.policy(serverName), admins: opts.admins?.(serverName) ?? [],
    ...(opts.federationEndpoints ? { federationEndpoints: typeof opts.federationEndpoints === 'function' ? opts.federationEndpoints(hs) : opts.federationEndpoints } : {}),
    ...(opts.session ? { session: opts.session } : {}),
    ...(opts.bridgeEnv ? { env: opts.bridgeEnv } : {}),
  });
  return { hs, bridge };
}

/**
 * A valid policy for `serverName`, open around the clock (tests must not depend on the hour), with
 * limits high enough for tests. Based on the shipped sample of School A.
 */
export function testPolicy(serverName: string, partners: string[] = []): Record<string, unknown> {
  const doc = parse(readFileSync(join(ROOT, 'bridge-service/policies/school-a.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  const allDay = [{ start: '00:00', end: '24:00' }];
  const week = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, allDay]));
  doc['institution']!['server_name'] = serverName;
  doc['partners'] = partners.map((s, i) => ({ server_name: s, institution_id: `partner-${i + 1}`, name: `Partner ${i + 1}` })) as never;
  doc['support_hours'] = { time_zone: 'UTC', weekly: week } as never;
  (doc['escalation'] as Record<string, unknown>)['on_duty'] = { time_zone: 'UTC', weekly: week };
  doc['rate_limits'] = { support_requests_per_hour: 100, api_requests_per_minute: 100_000, session_creations_per_minute: 100_000 } as never;
  // The policy is written elsewhere: its training module files are named by absolute path.
  for (const m of ((doc['supporters'] as { training: { modules: { file?: string }[] } }).training.modules)) {
    if (m.file !== undefined) m.file = join(ROOT, 'bridge-service/policies', m.file);
  }
  return doc;
}

/** Signs a user of a homeserver in to a bridge with a fresh OpenID token. */
export async function openIdToken(hs: { baseUrl: string }, user: { userId: string; accessToken: string }): Promise<{ access_token: string; matrix_server_name: string; token_type: string; expires_in: number }> {
  const res = await fetch(`${hs.baseUrl}/_matrix/client/v3/user/${encodeURIComponent(user.userId)}/openid/request_token`, {
    method: 'POST', headers: { Authorization: `Bearer ${user.accessToken}`, 'Content-Type': 'application/json' }, body: '{}',
  });
  if (!res.ok) throw new Error(`openid request_token failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { access_token: string; matrix_server_name: string; token_type: string; expires_in: number };
}

export async function signInToBridge(bridge: TestBridge, hs: { baseUrl: string }, user: { userId: string; accessToken: string }): Promise<{ session_token: string; roles: string[]; user_id: string }> {
  const token = await openIdToken(hs, user);
  const res = await bridge.api<{ session_token: string; roles: string[]; user_id: string }>('POST', '/v1/session', { body: token });
  if (res.status !== 200) throw new Error(`bridge sign-in of ${user.userId} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
