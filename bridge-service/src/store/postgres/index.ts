// Opens the PostgreSQL implementation of the bridge store, shared by several bridge replicas, and
// migrates it on open. Implemented so far: roster, sessions, audit, appservice transactions — the
// domain stores (matching, escalation, figures, moderation) still run on SQLite only, so the bridge
// does not offer PostgreSQL in its configuration yet.
import type { Store } from '../store.ts';
import { PgDatabase, type PgMigration } from './database.ts';
import { PgAuditStore, pgAuditMigrations } from './audit-store.ts';
import { PgRosterStore, pgRosterMigrations } from './roster-store.ts';
import { PgSessionStore, pgSessionMigrations } from './session-store.ts';
import { PgAppserviceStore, pgAppserviceMigrations } from './appservice-store.ts';

export const pgBridgeMigrations: readonly PgMigration[] = [...pgAuditMigrations, ...pgRosterMigrations, ...pgSessionMigrations, ...pgAppserviceMigrations];

export type PostgresCoreStore = Pick<Store, 'roster' | 'sessions' | 'audit' | 'appservice' | 'ping' | 'close'> & {
  /** For modules adding their own PostgreSQL stores (and tests). */
  readonly db: PgDatabase;
  readonly auditAppender: PgAuditStore;
};

/** `url`: `postgres://user:password@host:port/database` (libpq-style parameters accepted). */
export async function openPostgresStore(url: string, opts: { maxConnections?: number } = {}): Promise<PostgresCoreStore> {
  const db = new PgDatabase(url, opts);
  try {
    await db.migrate(pgBridgeMigrations);
  } catch (e) {
    await db.close();
    throw e;
  }
  const audit = new PgAuditStore(db);
  return {
    db,
    auditAppender: audit,
    audit,
    roster: new PgRosterStore(db, audit),
    sessions: new PgSessionStore(db),
    appservice: new PgAppserviceStore(db),
    async ping() {
      if (!db.isOpen) throw new Error('store is closed');
      await db.query('SELECT 1');
    },
    close: () => db.close(),
  };
}
