// Runs the `npm start` demo for tests and benchmarks: as `npm start` (its own process group, as a
// terminal runs it, so Ctrl-C is a SIGINT to the group) or as node on the built entry, with its
// data in a temporary directory and any free ports; reads its demo.json; signs seeded people in.
//
//   const demo = await startDemo({ dataDir });
//   const info = demo.info();                     // URLs and accounts
//   const code = await demo.stop('SIGINT');       // the exit code
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DemoInfo } from '../../homeserver/src/cli/demo/state.ts';
import type { RegisteredUser } from './homeserver.ts';
import { openIdToken } from './bridge.ts';

export type { DemoInfo };
export const ROOT = resolve(import.meta.dirname, '..', '..');
export const READY = 'peerline demo ready';

export interface RunningDemo {
  proc: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  info(): DemoInfo;
  /** Pids of the demo's processes (the one started and all its descendants). */
  processes(): number[];
  /** Sends `signal` (to the process group when started through npm) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface DemoOptions {
  dataDir: string;
  /** The repository tree to run it from (default: this one). */
  tree?: string;
  /** `npm start` (builds first) instead of node on dist/homeserver/src/cli/demo.js. */
  viaNpm?: boolean;
  args?: string[];
  readyTimeoutMs?: number;
}

/** The pids of `pid` and all its descendants, from /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) in parentheses: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch { /* gone meanwhile */ }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Whether a process is still there (and not a zombie waiting for its parent). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function startDemo(opts: DemoOptions): Promise<RunningDemo> {
  const tree = opts.tree ?? ROOT;
  const env = {
    ...process.env, PEERLINE_DEMO_DIR: opts.dataDir, PEERLINE_DEMO_PORTS: 'auto',
    // npm and the scripts it runs find this Node first (the machine's own may be older).
    PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
  };
  const started = performance.now();
  const proc = opts.viaNpm
    ? spawn('npm', ['start', ...(opts.args?.length ? ['--', ...opts.args] : [])], { cwd: tree, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(process.execPath, ['--max-semi-space-size=4', join(tree, 'dist/homeserver/src/cli/demo.js'), ...(opts.args ?? [])], { cwd: tree, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`demo not ready within ${opts.readyTimeoutMs ?? 120_000} ms:\n${out.slice(-3000)}`)), opts.readyTimeoutMs ?? 120_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(READY)) {
        clearTimeout(timer);
        ready();
      }
    });
    proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`demo exited with ${code} before ready:\n${out.slice(-3000)}`));
    });
  });
  const readyMs = performance.now() - started;
  return {
    proc, readyMs,
    output: () => out,
    info: () => JSON.parse(readFileSync(join(opts.dataDir, 'demo.json'), 'utf8')) as DemoInfo,
    processes: () => processTree(proc.pid!),
    async stop(signal = 'SIGINT', timeoutMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      if (opts.viaNpm) process.kill(-proc.pid!, signal);
      else proc.kill(signal);
      const timer = setTimeout(() => { if (opts.viaNpm) process.kill(-proc.pid!, 'SIGKILL'); else proc.kill('SIGKILL'); }, timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Signs a seeded account in with its password (a new device), as the web client does. */
export async function signInWithPassword(homeserverUrl: string, userId: string, password: string): Promise<RegisteredUser & { status: number }> {
  const res = await fetch(`${homeserverUrl}/_matrix/client/v3/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password }),
  });
  const body = (await res.json()) as { user_id?: string; access_token?: string; device_id?: string };
  return { status: res.status, userId: body.user_id ?? userId, accessToken: body.access_token ?? '', deviceId: body.device_id ?? '', password };
}

/** A bridge session for a signed-in user (OpenID token from their homeserver). */
export async function bridgeSession(bridgeUrl: string, homeserverUrl: string, user: { userId: string; accessToken: string }): Promise<string> {
  const token = await openIdToken({ baseUrl: homeserverUrl }, user);
  const res = await fetch(`${bridgeUrl}/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(token) });
  const body = (await res.json()) as { session_token?: string };
  if (res.status !== 200 || !body.session_token) throw new Error(`bridge sign-in of ${user.userId} failed: ${res.status}`);
  return body.session_token;
}

/** JSON call to a bridge with a session token. */
export async function bridgeApi<T = Record<string, unknown>>(bridgeUrl: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${bridgeUrl}${path}`, {
    method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}
