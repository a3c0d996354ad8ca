// Wakes long-polling /sync requests. Writers call notify() after their commit with the users whose
// sync output changed; each waiting request resolves and recomputes its response.

type Waiter = () => void;

export class Notifier {
  private readonly waiters = new Map<string, Set<Waiter>>();

  /** Resolves when `userId` is notified, the timeout passes, or the signal aborts. */
  wait(userId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(userId);
      if (!set) {
        set = new Set();
        this.waiters.set(userId, set);
      }
      const s = set;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        s.delete(done);
        if (s.size === 0 && this.waiters.get(userId) === s) this.waiters.delete(userId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      s.add(done);
    });
  }

  notify(userIds: Iterable<string>): void {
    for (const u of userIds) {
      const set = this.waiters.get(u);
      if (!set) continue;
      for (const w of [...set]) w();
    }
  }

  /** Number of requests currently waiting (for metrics and benchmarks). */
  get waiting(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }
}
