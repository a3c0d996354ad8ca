// The demo's child processes (homeservers and bridges): started with the runtime tuning of
// homeserver/bin/peerline-homeserver, their output kept in a log file, "ready" read from stdout,
// and stopped with SIGTERM. Each child also watches its IPC channel to the demo (parent-watch.ts),
// so a demo killed hard (SIGKILL, a crashed terminal) leaves no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

export interface ChildSpec {
  /** A short name for messages ("homeserver school-a"). */
  name: string;
  /** The compiled script to run. */
  script: string;
  args: string[];
  /** Written to stdout once the child serves. */
  readyText: string;
  logFile: string;
  env?: Record<string, string>;
  cwd: string;
}

export interface RunningChild {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const PARENT_WATCH = pathToFileURL(join(import.meta.dirname, 'parent-watch.js')).href;

/** Starts a child and resolves once it printed its ready line (rejects if it exits first or times out). */
export function startChild(spec: ChildSpec, timeoutMs = 60_000): Promise<RunningChild> {
  const log = createWriteStream(spec.logFile, { flags: 'w', mode: 0o600 });
  const child: ChildProcess = spawn(process.execPath, [
    '--disable-warning=ExperimentalWarning', '--max-semi-space-size=4', '--import', PARENT_WATCH, spec.script, ...spec.args,
  ], {
    cwd: spec.cwd,
    env: { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=1048576', ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? -1);
    });
  });
  // The IPC channel exists for parent-watch only; it must not keep the demo alive on its own.
  child.channel?.unref();
  child.stderr!.pipe(log, { end: false });
  const running: RunningChild = {
    name: spec.name, pid: child.pid ?? -1, logFile: spec.logFile, exited,
    hasExited: () => done,
    async stop(graceMs = 10_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
  return new Promise((resolve, reject) => {
    let seen = '';
    let ready = false;
    const timer = setTimeout(() => {
      if (ready) return;
      child.kill('SIGKILL');
      reject(new Error(`${spec.name} was not ready within ${timeoutMs / 1000} s (log: ${spec.logFile})`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      log.write(d);
      if (ready) return;
      seen = (seen + d.toString()).slice(-4096);
      if (seen.includes(spec.readyText)) {
        ready = true;
        clearTimeout(timer);
        resolve(running);
      }
    });
    void exited.then((code) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited (${code}) before it was ready (log: ${spec.logFile})`));
    });
  });
}
