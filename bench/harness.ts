// What the benchmarks share: a keep-alive HTTP client for many concurrent requests, a config
// without rate limits, and registering users at the pace password hashing allows.
import { request, Agent } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisteredUser, TestHomeserver } from '../tests/helpers/homeserver.ts';
import { sdk, waitFor, type Client } from '../tests/helpers/client.ts';

export const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

export function httpJson(hs: TestHomeserver, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port: hs.clientPort, method, path, agent, headers: { Authorization: `Bearer ${token}`, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** A homeserver config file without rate limits: benchmarks measure the server, not its limiter. */
export function benchConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'peerline-bench-cfg-')), 'homeserver.yaml');
  writeFileSync(file, 'rc_message: { per_second: 100000, burst_count: 100000 }\nrc_login: { per_second: 100000, burst_count: 100000 }\nrc_registration: { per_second: 100000, burst_count: 100000 }\n');
  return file;
}

/** Registers `n` users four at a time: password hashing runs on libuv's four threads, so more would only queue. */
export async function registerMany(hs: TestHomeserver, prefix: string, n: number): Promise<RegisteredUser[]> {
  const out: RegisteredUser[] = [];
  for (let i = 0; i < n; i += 4) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(4, n - i) }, (_, j) => hs.registerUser(`${prefix}${i + j}`)))));
  }
  return out;
}

/**
 * Sends `n` messages from `from` and times each from the send call to its decryption at `to`, after
 * a warm-up message that shares the Megolm session.
 */
export async function measureSendToDecrypt(from: Client, to: Client, roomId: string, n: number): Promise<number[]> {
  const arrived = new Map<string, number>();
  to.on(sdk.MatrixEventEvent.Decrypted, (ev) => {
    const body = ev.getContent()['body'];
    if (typeof body === 'string' && !arrived.has(body)) arrived.set(body, performance.now());
  });
  await from.sendTextMessage(roomId, 'warm-up');
  await waitFor('warm-up', () => arrived.has('warm-up'), 30_000);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = `latency-${i}`;
    const t0 = performance.now();
    await from.sendTextMessage(roomId, body);
    await waitFor(body, () => arrived.has(body), 10_000);
    samples.push(arrived.get(body)! - t0);
  }
  return samples;
}
