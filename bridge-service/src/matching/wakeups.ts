// Long-poll support: a caller waits on a key (a supporter's user id, a request id) until something
// about it changes or its timeout passes. In memory, plus the store's replica signals when several
// bridge processes share a database: a missed wake-up costs one poll interval, never data — the store
// is the truth, and a waiter re-reads it when woken.
import type { ReplicaSignals } from '../store/store.ts';

export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly signals: ReplicaSignals | undefined;

  constructor(signals?: ReplicaSignals) {
    this.signals = signals;
    signals?.subscribe((key) => this.wakeHere(key));
  }

  /** Resolves on `wake(key)`, after `ms`, or when `signal` aborts — whichever comes first. */
  wait(key: string, ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, set = new Set());
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const s = this.waiters.get(key);
        s?.delete(done);
        if (s?.size === 0) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  /** Wakes the waiters on `key` here and in the other replicas. */
  wake(key: string): void {
    this.wakeHere(key);
    this.signals?.publish(key);
  }

  private wakeHere(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    for (const fn of [...set]) fn();
  }

  /** Waiting callers, for tests and metrics. */
  get size(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }
}

