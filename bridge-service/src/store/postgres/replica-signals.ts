// Wake-ups across bridge replicas: a long-poll held by one replica (a supporter waiting for offers,
// a student waiting for a match) must end when another replica changes what it waits for. PostgreSQL
// carries them with LISTEN/NOTIFY on one dedicated connection; a lost notification costs one poll
// interval, never data — the store stays the truth and a woken waiter re-reads it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ReplicaSignals } from '../store.ts';

const CHANNEL = 'peerline_wakeups';
const RECONNECT_MS = 2_000;

export class PgReplicaSignals implements ReplicaSignals {
  /** Tells our own notifications apart from other replicas'. */
  private readonly origin = randomBytes(6).toString('hex');
  private readonly listeners = new Set<(key: string) => void>();
  private client: pg.Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  private readonly url: string;
  private readonly publisher: { execute(sql: string, params: readonly unknown[]): Promise<number> };

  constructor(url: string, publisher: { execute(sql: string, params: readonly unknown[]): Promise<number> }) {
    this.url = url;
    this.publisher = publisher;
  }

  /** Connects the listening connection; later drops reconnect by themselves. */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (n) => {
      const payload = n.payload ?? '';
      const space = payload.indexOf(' ');
      if (space < 0 || payload.slice(0, space) === this.origin) return;
      const key = payload.slice(space + 1);
      for (const fn of this.listeners) fn(key);
    });
    const lost = (): void => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.start().catch(() => this.scheduleReconnect());
    }, RECONNECT_MS);
    this.retry.unref();
  }

  publish(key: string): void {
    // Fire and forget: a waiter that misses it still wakes at its timeout.
    this.publisher.execute('SELECT pg_notify($1, $2)', [CHANNEL, `${this.origin} ${key}`]).catch(() => undefined);
  }

  subscribe(fn: (key: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
