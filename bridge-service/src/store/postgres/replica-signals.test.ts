// Wake-ups between bridge replicas over PostgreSQL LISTEN/NOTIFY: a long-poll waiting in one replica
// ends when another replica wakes its key, and a replica is not woken twice by its own signal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresCluster } from '../../../../tests/helpers/postgres.ts';
import { openPostgresStore, type PostgresCoreStore } from './index.ts';
import { Wakeups } from '../../matching/wakeups.ts';

describe('replica signals on PostgreSQL', () => {
  let cluster: PostgresCluster;
  let replicas: PostgresCoreStore[];

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase();
    replicas = await Promise.all([0, 1].map(() => openPostgresStore(url, { maxConnections: 2, replicaSignals: true })));
  });

  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.close()));
    await cluster?.stop();
  });

  it('ends a long-poll in one replica when another wakes its key', async () => {
    const [a, b] = replicas.map((r) => new Wakeups(r.signals)) as [Wakeups, Wakeups];
    const stop = new AbortController();
    let otherEnded = false;
    const waiting = b.wait('@sup:a.example', 60_000);
    const other = b.wait('@other:a.example', 60_000, stop.signal).then(() => { otherEnded = true; });
    a.wake('@sup:a.example');
    await waiting;
    // Only the woken key: the other waiter is still there.
    expect(otherEnded).toBe(false);
    expect(b.size).toBe(1);
    stop.abort();
    await other;
    expect(b.size).toBe(0);
  });

  it('does not deliver a replica its own signal', async () => {
    const seen: string[] = [];
    const [a, b] = replicas as [PostgresCoreStore, PostgresCoreStore];
    const offA = a.signals!.subscribe((k) => seen.push(`a:${k}`));
    const offB = b.signals!.subscribe((k) => seen.push(`b:${k}`));
    a.signals!.publish('r-1');
    b.signals!.publish('r-2');
    const end = Date.now() + 10_000;
    while (seen.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    // Give a stray self-delivery the time to arrive before looking.
    await new Promise((r) => setTimeout(r, 200));
    offA();
    offB();
    expect(seen.sort()).toEqual(['a:r-2', 'b:r-1']);
  });

  it('has no signals when opened without them (tools, tests)', async () => {
    const url = await cluster.createDatabase();
    const store = await openPostgresStore(url, { maxConnections: 1 });
    try {
      expect(store.signals).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
