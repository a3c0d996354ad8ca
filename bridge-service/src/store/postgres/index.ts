// Opens the PostgreSQL implementation of the bridge store, shared by several bridge replicas, and
// migrates it on open. The bridge uses it when PEERLINE_BRIDGE_DATABASE_URL (or database.url) is set
// (store/open.ts); with `replicaSignals` it also listens for the other replicas' wake-ups.
import type { Store } from '../store.ts';
import { PgDatabase, type PgMigration } from './database.ts';
import { PgReplicaSignals } from './replica-signals.ts';
import { PgAuditStore, pgAuditMigrations } from './audit-store.ts';
import { PgRosterStore, pgRosterMigrations } from './roster-store.ts';
import { PgSessionStore, pgSessionMigrations } from './session-store.ts';
import { PgAppserviceStore, pgAppserviceMigrations } from './appservice-store.ts';
import { PgModerationStore, pgModerationMigrations } from './moderation-store.ts';
import { PgFiguresStore, pgFiguresMigrations } from './figures-store.ts';
import { PgEscalationStore, pgEscalationMigrations } from './escalation-store.ts';
import { PgMatchingStore } from './matching-store.ts';
import { pgMatchingMigrations } from './matching-schema.ts';
import { PgSupervisionStore, pgSupervisionMigrations } from './supervision-store.ts';
import { PgFeedbackStore, pgFeedbackMigrations } from './feedback-store.ts';
import { PgReportStore, pgReportMigrations } from './report-store.ts';

export const pgBridgeMigrations: readonly PgMigration[] = [...pgAuditMigrations, ...pgRosterMigrations, ...pgSessionMigrations, ...pgAppserviceMigrations,
  ...pgModerationMigrations, ...pgFiguresMigrations, ...pgEscalationMigrations, ...pgMatchingMigrations, ...pgFeedbackMigrations, ...pgReportMigrations, ...pgSupervisionMigrations];

export type PostgresCoreStore = Pick<Store, 'signals' | 'roster' | 'sessions' | 'audit' | 'appservice' | 'moderation' | 'figures' | 'escalation' | 'matching' | 'supervision' | 'feedback' | 'report' | 'ping' | 'close'> & {
  /** For modules adding their own PostgreSQL stores (and tests). */
  readonly db: PgDatabase;
  readonly auditAppender: PgAuditStore;
};

/** `url`: `postgres://user:password@host:port/database` (libpq-style parameters accepted). */
export async function openPostgresStore(url: string, opts: { maxConnections?: number; replicaSignals?: boolean } = {}): Promise<PostgresCoreStore> {
  const db = new PgDatabase(url, opts);
  // A bridge process listens for other replicas' wake-ups; tools and tests need not.
  const signals = opts.replicaSignals ? new PgReplicaSignals(url, db) : undefined;
  try {
    await db.migrate(pgBridgeMigrations);
    await signals?.start();
  } catch (e) {
    await signals?.close();
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
    moderation: new PgModerationStore(db, audit),
    figures: new PgFiguresStore(db),
    escalation: new PgEscalationStore(db, audit),
    matching: new PgMatchingStore(db, audit),
    supervision: new PgSupervisionStore(db, audit),
    feedback: new PgFeedbackStore(db),
    report: new PgReportStore(db),
    async ping() {
      if (!db.isOpen) throw new Error('store is closed');
      await db.query('SELECT 1');
    },
    ...(signals ? { signals } : {}),
    async close() {
      await signals?.close();
      await db.close();
    },
  };
}
