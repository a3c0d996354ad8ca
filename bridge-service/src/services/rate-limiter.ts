// Token buckets keyed by who is asking (a user id or a client address), with the limits read from
// the policy in force at each call — a policy change applies at once. In memory: with several
// bridge instances each enforces its share (a shared limiter can follow with the PostgreSQL store).
import type { Clock } from '../core/clock.ts';

interface Bucket { tokens: number; updated: number }

export class RateLimiter {
  private readonly clock: Clock;
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;

  constructor(opts: { clock: Clock; maxKeys?: number }) {
    this.clock = opts.clock;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  /**
   * Takes one token from `key`'s bucket, which refills `perWindow` tokens per `windowMs` and holds
   * at most `perWindow`. Returns 0 when allowed, else the milliseconds until a token is available.
   */
  take(key: string, perWindow: number, windowMs: number): number {
    const now = this.clock.now();
    const rate = perWindow / windowMs;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.evictFull(now, rate, perWindow);
      b = { tokens: perWindow, updated: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(perWindow, b.tokens + (now - b.updated) * rate);
      b.updated = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / rate);
  }

  /** Drops buckets that have refilled completely (they carry no information). */
  private evictFull(now: number, rate: number, cap: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.updated) * rate >= cap) this.buckets.delete(k);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
