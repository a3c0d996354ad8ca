// SQLite (node:sqlite, WAL) for the bridge: opening, named migrations, cached statements, and group
// commit. Every write runs in `write(fn)`: the writes queued in one event-loop turn share one
// durable (fsynced) transaction, each in its own savepoint so a failing one rolls back alone.
import { DatabaseSync, type StatementSync } from 'node:sqlite';

export interface Migration {
  /** Unique and stable, `<domain>/<NNN>-<what>`; never renamed once released. */
  name: string;
  sql: string;
}

export type SqlValue = null | number | bigint | string | Uint8Array;

interface PendingWrite {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SqliteDatabase {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private closed = false;

  constructor(path: string, opts: { durable?: boolean } = {}) {
    this.db = new DatabaseSync(path);
    this.db.exec('PRAGMA journal_mode = WAL');
    // FULL fsyncs every commit so an acknowledged change survives a power cut; group commit keeps
    // that affordable.
    this.db.exec(`PRAGMA synchronous = ${opts.durable === false ? 'NORMAL' : 'FULL'}`);
    this.db.exec('PRAGMA foreign_keys = ON');
    this.db.exec('PRAGMA busy_timeout = 5000');
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Applies, in order, the migrations not applied yet, each in its own transaction. */
  migrate(migrations: readonly Migration[]): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_ts INTEGER NOT NULL)');
    const applied = new Set((this.db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name));
    for (const m of migrations) {
      if (applied.has(m.name)) continue;
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (name, applied_ts) VALUES (?, ?)').run(m.name, Date.now());
        this.db.exec('COMMIT');
      } catch (e) {
        this.db.exec('ROLLBACK');
        throw new Error(`migration ${m.name} failed: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  private stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  /** Only inside `write()` callbacks (or migrations/tests). */
  run(sql: string, ...params: SqlValue[]): { changes: number; lastInsertRowid: number } {
    const r = this.stmt(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** Raw statements for maintenance and tests (e.g. simulating tampering). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  /**
   * Runs `fn` (synchronous SQL) in the next group-committed transaction; resolves with its result
   * once durably committed. If `fn` throws, only its changes roll back and the promise rejects.
   */
  write<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    const results: { ok: boolean; value: unknown; w: PendingWrite }[] = [];
    for (const w of batch) {
      this.db.exec('SAVEPOINT w');
      try {
        const value = w.fn();
        this.db.exec('RELEASE w');
        results.push({ ok: true, value, w });
      } catch (e) {
        this.db.exec('ROLLBACK TO w');
        this.db.exec('RELEASE w');
        results.push({ ok: false, value: e, w });
      }
    }
    try {
      this.db.exec('COMMIT');
    } catch (e) {
      try { this.db.exec('ROLLBACK'); } catch { /* already rolled back */ }
      for (const r of results) r.w.reject(e);
      return;
    }
    for (const r of results) (r.ok ? r.w.resolve : r.w.reject)(r.value);
  }

  close(): void {
    if (this.closed) return;
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    this.db.close();
  }
}
