// Token-bucket rate limiting keyed by user id or client IP. State is in memory (a restart forgets it,
// as Synapse's does); stale buckets are swept so the map stays small.

export interface Bucket {
  tokens: number;
  updated: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(perSecond: number, burst: number, now: () => number = Date.now) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.now = now;
  }

  /** Takes one token for `key`; returns 0 when allowed, else the ms to wait before retrying. */
  take(key: string): number {
    const t = this.now();
    if (t - this.lastSweep > 60_000) this.sweep(t);
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, updated: t };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.updated) / 1000) * this.perSecond);
    b.updated = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.perSecond) * 1000);
  }

  private sweep(t: number): void {
    this.lastSweep = t;
    const full = (this.burst / this.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (t - b.updated > full) this.buckets.delete(k);
  }
}
