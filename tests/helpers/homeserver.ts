// Starts real embedded homeserver processes on loopback ports for integration tests, and registers
// users through Synapse's shared-secret admin API (the same way provisioning scripts do).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './ports.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const SHARED_SECRET = 'test-shared-secret';

export interface RegisteredUser {
  userId: string;
  accessToken: string;
  deviceId: string;
  password: string;
}

export interface TestHomeserver {
  serverName: string;
  baseUrl: string;
  clientPort: number;
  federationPort: number;
  dataDir: string;
  /** Everything the process printed (stdout + stderr). */
  output(): string;
  /** The running process's pid (for memory readings). */
  pid(): number;
  registerUser(localpart: string, opts?: { password?: string; admin?: boolean }): Promise<RegisteredUser>;
  /** Stops with SIGTERM (clean) or SIGKILL (crash) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the process again on the same ports and data directory. */
  restart(): Promise<void>;
  /** Removes the data directory (call after stop). */
  cleanup(): void;
}

export interface StartOptions {
  serverName?: string;
  dataDir?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** Federation port to use (default: a free one). Pick it beforehand when peers must know the server name. */
  federationPort?: number;
}

export async function startHomeserver(opts: StartOptions = {}): Promise<TestHomeserver> {
  const clientPort = await freePort();
  const federationPort = opts.federationPort ?? await freePort();
  const serverName = opts.serverName ?? `localhost:${federationPort}`;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'peerline-hs-'));
  let proc: ChildProcess | null = null;
  let out = '';
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    const args = [
      '--disable-warning=ExperimentalWarning',
      // The runtime tuning of homeserver/bin/peerline-homeserver (keep the two the same).
      '--max-semi-space-size=4',
      // For profiling: PEERLINE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'
      ...(process.env['PEERLINE_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
      // The compiled build, as institutions run it (vitest's global setup builds it first).
      join(ROOT, 'dist/homeserver/src/main.js'),
      '--server-name', serverName, '--client-port', String(clientPort), '--federation-port', String(federationPort),
      '--data-dir', dataDir, '--registration-shared-secret', SHARED_SECRET, '--log-level', 'warn',
      ...(opts.extraArgs ?? []),
    ];
    const env = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=1048576', ...process.env, ...opts.env };
    const p = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    exited = new Promise((r) => p.once('exit', () => r()));
    // Only this launch's output counts: after a restart `out` already holds the previous "ready".
    const launchedAt = out.length;
    await new Promise<void>((resolveReady, reject) => {
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (out.indexOf('homeserver ready', launchedAt) >= 0) resolveReady();
      };
      p.stdout!.on('data', onData);
      p.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      p.once('exit', (code) => reject(new Error(`homeserver exited with ${code} before ready:\n${out}`)));
    });
  };
  await launch();

  const baseUrl = `http://127.0.0.1:${clientPort}`;
  const hs: TestHomeserver = {
    serverName, baseUrl, clientPort, federationPort, dataDir,
    output: () => out,
    pid: () => (proc as ChildProcess | null)?.pid ?? -1,
    async registerUser(localpart, o = {}) {
      const password = o.password ?? `pw-${localpart}-secret`;
      const nonceRes = await fetch(`${baseUrl}/_synapse/admin/v1/register`);
      const { nonce } = (await nonceRes.json()) as { nonce: string };
      const admin = o.admin ?? false;
      const mac = createHmac('sha1', SHARED_SECRET).update(`${nonce}\0${localpart}\0${password}\0${admin ? 'admin' : 'notadmin'}`).digest('hex');
      const res = await fetch(`${baseUrl}/_synapse/admin/v1/register`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ nonce, username: localpart, password, admin, mac }),
      });
      const body = (await res.json()) as { user_id: string; access_token: string; device_id: string };
      if (!res.ok) throw new Error(`register ${localpart} failed: ${res.status} ${JSON.stringify(body)}`);
      return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id, password };
    },
    async stop(signal = 'SIGTERM') {
      if (!proc || proc.exitCode !== null) return;
      proc.kill(signal);
      await exited;
    },
    async restart() {
      await hs.stop();
      await launch();
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return hs;
}

/** A small typed fetch for Client-Server calls in tests. */
export async function api<T = Record<string, unknown>>(hs: { baseUrl: string }, method: string, path: string, opts: { token?: string; body?: unknown; rawBody?: string } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${hs.baseUrl}${path}`, {
    method,
    headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), 'Content-Type': 'application/json' },
    ...(opts.rawBody !== undefined ? { body: opts.rawBody } : opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}
