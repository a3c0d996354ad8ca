// JSON over node:http for the load run, each simulated person from their own loopback address
// (127.x.y.z), as each would come from their own device: the homeserver limits logins and the bridge
// limits sign-ins per client address. Every call is counted; an unexpected status is an error.
import { Agent } from 'node:http';
import { jsonRequest } from '../helpers/json-request.ts';
import type { Ledger } from './ledger.ts';

// A connection per call: a kept-alive socket the server is closing just as it is reused fails with
// "socket hang up", which browsers retry silently and these calls (not all idempotent) must not.
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

export interface HttpResult<T> { status: number; body: T }

/** A failure already counted in the ledger (callers must not count it again). */
export class BookedError extends Error {}

/** Books `err` unless it was booked where it happened. */
export function book(ledger: Ledger, label: string, err: unknown): void {
  if (!(err instanceof BookedError)) ledger.error(label, (err as Error).message);
}

/** The loopback address of person `k` of institution `side`. */
export function addressOf(side: 0 | 1, k: number): string {
  return `127.${20 + side}.${Math.floor(k / 200)}.${1 + (k % 200)}`;
}

export function destroyAgent(): void {
  agent.destroy();
}

/** A request whose answer is not `ok` counts as an error of `label` in the ledger (and throws). */
export async function call<T = Record<string, unknown>>(ledger: Ledger, label: string, url: string, method: string, opts: {
  token?: string; body?: unknown; from?: string; ok?: number[]; signal?: AbortSignal;
} = {}): Promise<HttpResult<T>> {
  ledger.httpCalls++;
  const ok = opts.ok ?? [200];
  let res: HttpResult<T>;
  try {
    res = await raw<T>(url, method, opts);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    ledger.error(label, `network: ${(err as Error).message}`);
    throw new BookedError(`${label}: ${(err as Error).message}`, { cause: err });
  }
  if (!ok.includes(res.status)) {
    const errcode = (res.body as { errcode?: string } | null)?.errcode ?? '';
    ledger.error(label, `HTTP ${res.status} ${errcode}`);
    throw new BookedError(`${label}: HTTP ${res.status} ${errcode}`);
  }
  return res;
}

function raw<T>(url: string, method: string, opts: { token?: string; body?: unknown; from?: string; signal?: AbortSignal }): Promise<HttpResult<T>> {
  return jsonRequest<T>(url, method, { ...opts, agent });
}
