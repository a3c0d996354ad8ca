// SQLite (node:sqlite, WAL) for the Node services: opening, named migrations, cached statements and
// group commit. Every write runs inside `write()`, which batches the writes of one event-loop turn
// into one durable transaction, so an acknowledged write has been fsynced while many concurrent
// writers share one fsync; each write runs in its own savepoint, so a failing one rolls back alone.
import { DatabaseSync, type StatementSync } from 'node:sqlite';

export interface Migration {
  /** Unique, stable name: `<domain>/<NNN>-<what>` — never renamed once released. */
  name: string;
  sql: string;
}

export type SqlValue = null | number | bigint | string | Uint8Array;

/** A transaction handle passed to write callbacks. */
export interface WriteTx {
  /** Runs after the transaction has been durably committed (notifications, cache updates). */
  afterCommit(fn: () => void): void;
  /** Runs if the transaction is rolled back (undo in-memory changes made inside it). */
  onRollback(fn: () => void): void;
}

interface PendingWrite {
  fn: (tx: WriteTx) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class Database {
  readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private closed = false;
  private readonly rollbackListeners: (() => void)[] = [];

  constructor(path: string, options: { durable?: boolean } = {}) {
    this.db = new DatabaseSync(path);
    this.db.exec('PRAGMA journal_mode = WAL');
    // FULL: every commit is fsynced, so an acknowledged write survives a crash of the machine, not
    // only of the process. Group commit (below) keeps this affordable.
    this.db.exec(`PRAGMA synchronous = ${options.durable === false ? 'NORMAL' : 'FULL'}`);
    this.db.exec('PRAGMA foreign_keys = ON');
    // Overwrite deleted and replaced content (redactions, retention, erased accounts) instead of
    // leaving it in free pages of the file.
    this.db.exec('PRAGMA secure_delete = ON');
    this.db.exec('PRAGMA busy_timeout = 5000');
    this.db.exec('PRAGMA cache_size = -32000');
    this.db.exec('PRAGMA temp_store = MEMORY');
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Raw statements for maintenance and tests (e.g. simulating tampering). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** Called whenever any write rolls back: caches kept beside the tables drop what they hold. */
  onAnyRollback(fn: () => void): void {
    this.rollbackListeners.push(fn);
  }

  private notifyRollback(): void {
    for (const fn of this.rollbackListeners) fn();
  }

  /** Applies migrations not yet applied, in the order given, each in its own transaction. */
  migrate(migrations: readonly Migration[]): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_ts INTEGER NOT NULL)');
    const applied = new Set(
      (this.db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name),
    );
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

  /** A cached prepared statement. */
  stmt(sql: string): StatementSync {
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

  run(sql: string, ...params: SqlValue[]): { changes: number; lastInsertRowid: number } {
    const r = this.stmt(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /**
   * Queues `fn` to run inside the next group-committed transaction and resolves with its result once
   * the transaction is durably committed. If `fn` throws, only its own changes are rolled back (it
   * runs in a savepoint) and the promise rejects with that error.
   */
  write<T>(fn: (tx: WriteTx) => T): Promise<T> {
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
    const afterCommit: (() => void)[] = [];
    const rollbacks: (() => void)[] = [];
    const results: { ok: boolean; value: unknown; w: PendingWrite }[] = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    for (const w of batch) {
      const localAfter: (() => void)[] = [];
      const localRollback: (() => void)[] = [];
      const tx: WriteTx = { afterCommit: (f) => localAfter.push(f), onRollback: (f) => localRollback.push(f) };
      this.db.exec('SAVEPOINT w');
      try {
        const value = w.fn(tx);
        this.db.exec('RELEASE w');
        afterCommit.push(...localAfter);
        rollbacks.push(...localRollback);
        results.push({ ok: true, value, w });
      } catch (e) {
        this.db.exec('ROLLBACK TO w');
        this.db.exec('RELEASE w');
        for (const f of localRollback.reverse()) f();
        this.notifyRollback();
        results.push({ ok: false, value: e, w });
      }
    }
    try {
      this.db.exec('COMMIT');
    } catch (e) {
      try { this.db.exec('ROLLBACK'); } catch { /* already rolled back */ }
      for (const f of rollbacks.reverse()) f();
      this.notifyRollback();
      for (const r of results) r.w.reject(e);
      return;
    }
    for (const f of afterCommit) {
      try { f(); } catch (e) { process.emitWarning(`afterCommit hook failed: ${(e as Error).message}`); }
    }
    for (const r of results) (r.ok ? r.w.resolve : r.w.reject)(r.value);
  }

  /** Runs `fn` synchronously in its own transaction (start-up work, tests). */
  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const v = fn();
      this.db.exec('COMMIT');
      return v;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  close(): void {
    if (this.closed) return;
    if (this.pending.length) this.flush();
    this.closed = true;
    this.db.close();
  }
}
