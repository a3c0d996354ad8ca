// When to try a destination again after a failed transaction, and which failures are worth trying
// again at all.
import { FederationDeniedError, FederationRequestError } from './federation-client.ts';

export interface RetrySettings {
  /** Wait after the first failure, in ms. */
  initialMs: number;
  /** Longest wait, in ms. */
  maxMs: number;
}

/**
 * Wait before attempt `failures + 1`: the initial wait doubled per further failure, up to the cap,
 * spread by ±20 % so that destinations failing together do not retry together.
 */
export function retryDelayMs(failures: number, settings: RetrySettings, random: () => number = Math.random): number {
  const base = settings.initialMs * 2 ** Math.max(0, Math.min(failures - 1, 52));
  const jitter = 0.8 + 0.4 * random();
  return Math.max(1, Math.round(Math.min(settings.maxMs, Math.min(base, settings.maxMs) * jitter)));
}

/**
 * What to do after a transaction failed:
 * - 'retry': the destination is unreachable, overloaded or not ready for us (no response, 5xx,
 *   408, 429, and 401/403, which a restarted server with a new key or a changed allow-list answers
 *   until it has caught up) — send the same transaction again later;
 * - 'drop': the destination understood the request and refused it for good (any other 4xx): the
 *   same transaction would be refused forever and must not block what follows;
 * - 'denied': we do not federate with it (allow-list) — forget its queue.
 */
export function classifyFailure(e: unknown): 'retry' | 'drop' | 'denied' {
  if (e instanceof FederationDeniedError) return 'denied';
  if (e instanceof FederationRequestError) {
    const s = e.status;
    if (s >= 500 || s === 408 || s === 429 || s === 401 || s === 403) return 'retry';
    if (s >= 400) return 'drop';
    return 'retry';
  }
  return 'retry';
}
