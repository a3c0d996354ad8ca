// PostgreSQL for the bridge: a connection pool shared by the stores, named migrations applied once
// across replicas (under an advisory lock), and transactions that retry on deadlock or
// serialization failure. Several bridge replicas may open the same database at once.
import pg from 'pg';

export interface PgMigration {
  /** Unique, stable name: `<domain>/<NNN>-<what>` — never renamed once released. */
  name: string;
  sql: string;
}

/** Query runner: the pool, or one client inside a transaction. */
export interface PgQueryable {
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Rows changed by an INSERT/UPDATE/DELETE. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
}

// BIGINT (int8) and COUNT come back as strings by default; the bridge's values (ms timestamps,
// sequence numbers, counters) stay far below 2^53, so numbers are exact and simpler for callers.
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

/** Advisory-lock keys (one namespace per purpose; any 64-bit integers unique to the bridge). */
export const LOCK_MIGRATIONS = 7_401_001;
export const LOCK_AUDIT_CHAIN = 7_401_002;

const RETRYABLE = new Set(['40001', '40P01']);

function wrap(client: pg.Pool | pg.PoolClient): PgQueryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await client.query(sql, params as unknown[])).rows as T[];
    },
    async execute(sql: string, params: readonly unknown[] = []): Promise<number> {
      return (await client.query(sql, params as unknown[])).rowCount ?? 0;
    },
  };
}

export class PgDatabase implements PgQueryable {
  readonly pool: pg.Pool;
  private readonly direct: PgQueryable;
  private closed = false;

  constructor(connectionString: string, opts: { maxConnections?: number } = {}) {
    this.pool = new pg.Pool({ connectionString, max: opts.maxConnections ?? 10, types: typeParsers, idleTimeoutMillis: 30_000 });
    // An idle client's connection dropping (server restart) must not crash the process; the next
    // query reconnects.
    this.pool.on('error', () => undefined);
    this.direct = wrap(this.pool);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.direct.query<T>(sql, params);
  }

  execute(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.direct.execute(sql, params);
  }

  /**
   * Runs `fn` in one transaction (READ COMMITTED) on one connection and commits; rolls back and
   * rethrows when it throws. Retried from the start on deadlock or serialization failure, so `fn`
   * must not have effects outside the database.
   */
  async tx<T>(fn: (q: PgQueryable) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('database is closed');
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const value = await fn(wrap(client));
        await client.query('COMMIT');
        return value;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        const code = (e as { code?: string }).code;
        if (code !== undefined && RETRYABLE.has(code) && attempt < 5) continue;
        throw e;
      } finally {
        client.release(broken);
      }
    }
  }

  /** Applies migrations not yet applied, in order, each in its own transaction; one replica at a time. */
  async migrate(migrations: readonly PgMigration[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [LOCK_MIGRATIONS]);
      try {
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_ts BIGINT NOT NULL)');
        const applied = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
        for (const m of migrations) {
          if (applied.has(m.name)) continue;
          await client.query('BEGIN');
          try {
            await client.query(m.sql);
            await client.query('INSERT INTO schema_migrations (name, applied_ts) VALUES ($1, $2)', [m.name, Date.now()]);
            await client.query('COMMIT');
          } catch (e) {
            await client.query('ROLLBACK');
            throw new Error(`migration ${m.name} failed: ${(e as Error).message}`, { cause: e });
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [LOCK_MIGRATIONS]);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
