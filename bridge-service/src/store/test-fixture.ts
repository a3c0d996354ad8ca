// Shared by the store tests (excluded from the build): the same tests run against every store
// implementation. SQLite opens in memory; PostgreSQL gets a throwaway cluster per test file (started
// on first use) with one database, and a fresh schema per store, so each test starts empty as with
// SQLite.
import { afterAll, afterEach } from 'vitest';
import { isolatedSchema, startPostgres } from '../../../tests/helpers/postgres.ts';
import type { Store } from './store.ts';
import { openSqliteStore } from './sqlite/index.ts';
import { openPostgresStore } from './postgres/index.ts';

/** The stores every implementation provides so far. */
export type CoreStore = Pick<Store, 'roster' | 'sessions' | 'audit' | 'appservice' | 'ping' | 'close'>;

export interface TestStore {
  store: CoreStore;
  /** Raw SQL for tests that look behind the store (tampering, what is stored); no parameters. */
  sql<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

export interface StoreBackend {
  name: 'SQLite' | 'PostgreSQL';
  open(): Promise<TestStore>;
  /** `n` stores opened at once on one fresh database (bridge replicas starting together); PostgreSQL only. */
  openReplicas?(n: number): Promise<TestStore[]>;
}

/** Call once at the top of a test file; closes what tests opened and stops the cluster afterwards. */
export function storeBackends(): StoreBackend[] {
  let cluster: ReturnType<typeof startPostgres> | undefined;
  let database: Promise<string> | undefined;
  let schemas = 0;
  const open: CoreStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    if (cluster) await (await cluster).stop();
  });

  async function freshSchema(): Promise<string> {
    cluster ??= startPostgres();
    database ??= cluster.then((c) => c.createDatabase());
    return isolatedSchema(await database, `store_${++schemas}`);
  }

  async function pgAt(url: string): Promise<TestStore> {
    const store = await openPostgresStore(url, { maxConnections: 5 });
    open.push(store);
    return { store, sql: (sql) => store.db.query(sql) };
  }

  return [
    {
      name: 'SQLite',
      async open() {
        const store = openSqliteStore(':memory:', { durable: false });
        open.push(store);
        // SQLite's calls are synchronous: a refused statement throws here, so wrap it as a rejection.
        return { store, sql: async <T>(sql: string) => (/^\s*select/i.test(sql) ? store.db.all<T>(sql) : (store.db.exec(sql), [])) };
      },
    },
    {
      name: 'PostgreSQL',
      async open() {
        return pgAt(await freshSchema());
      },
      async openReplicas(n) {
        const url = await freshSchema();
        return Promise.all(Array.from({ length: n }, () => pgAt(url)));
      },
    },
  ];
}
