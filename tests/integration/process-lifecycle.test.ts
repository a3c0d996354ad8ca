// The homeserver process as an operator runs it (the compiled build): a bad setting stops it at once
// with a non-zero exit code and a message naming the setting; SIGTERM stops it cleanly with 0.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../helpers/ports.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist/homeserver/src/main.js');
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'peerline-proc-'));
  dirs.push(d);
  return d;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the homeserver; `onReady` is called once it printed its ready line. */
function run(args: string[], onReady?: (kill: (s: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let readySeen = false;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`homeserver did not exit in time:\n${stdout}\n${stderr}`));
    }, 60_000);
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!readySeen && stdout.includes('homeserver ready')) {
        readySeen = true;
        onReady?.((s) => p.kill(s));
      }
    });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

describe('homeserver process lifecycle', () => {
  it('exits non-zero naming a malformed port, without printing ready', async () => {
    const r = await run(['--server-name', 'proc.localhost', '--data-dir', dataDir(), '--client-port', 'eighty']);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain("'client_port'");
    expect(r.stdout).not.toContain('homeserver ready');
  });

  it('exits non-zero naming an unknown flag', async () => {
    const r = await run(['--server-name', 'proc.localhost', '--data-dir', dataDir(), '--enable-registrations']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("'--enable-registrations'");
  });

  it('exits non-zero naming a bad rate limit in the config file', async () => {
    const dir = dataDir();
    const file = join(dir, 'homeserver.yaml');
    writeFileSync(file, 'server_name: proc.localhost\nrc_message:\n  per_second: 5\n');
    const r = await run(['--config', file, '--data-dir', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("'rc_message'");
  });

  it('starts with good settings and exits 0 on SIGTERM', async () => {
    const clientPort = await freePort();
    const federationPort = await freePort();
    let ready = false;
    const r = await run(
      ['--server-name', 'proc.localhost', '--data-dir', dataDir(), '--client-port', String(clientPort), '--federation-port', String(federationPort), '--log-level', 'warn'],
      (kill) => {
        ready = true;
        // Prove it serves before asking it to stop.
        void fetch(`http://127.0.0.1:${clientPort}/_matrix/client/versions`).then((res) => {
          expect(res.status).toBe(200);
          kill('SIGTERM');
        });
      },
    );
    expect(ready).toBe(true);
    expect(r.stdout).toContain(`client=http://127.0.0.1:${clientPort}`);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
  });
});
