// Opens the SQLite implementation of the bridge store: one database file in the data directory,
// migrated on open.
import { join } from 'node:path';
import type { Store } from '../store.ts';
import { SqliteDatabase, type Migration } from './database.ts';
import { SqliteAuditStore, auditMigrations } from './audit-store.ts';
import { SqliteRosterStore, rosterMigrations } from './roster-store.ts';
import { SqliteSessionStore, sessionMigrations } from './session-store.ts';
import { SqliteAppserviceStore, appserviceMigrations } from './appservice-store.ts';
import { SqliteEscalationStore, escalationMigrations } from './escalation-store.ts';
import { SqliteFiguresStore, figuresMigrations } from './figures-store.ts';
import { SqliteMatchingStore } from './matching-store.ts';
import { matchingMigrations } from './matching-schema.ts';
import { SqliteModerationStore, moderationMigrations } from './moderation-store.ts';
import { SqliteSupervisionStore, supervisionMigrations } from './supervision-store.ts';
import { SqliteFeedbackStore, feedbackMigrations } from './feedback-store.ts';
import { SqliteReportStore, reportMigrations } from './report-store.ts';

export const bridgeMigrations: readonly Migration[] = [...auditMigrations, ...rosterMigrations, ...sessionMigrations, ...appserviceMigrations,
  ...escalationMigrations, ...figuresMigrations, ...matchingMigrations, ...moderationMigrations, ...feedbackMigrations, ...reportMigrations, ...supervisionMigrations];

export interface SqliteStore extends Store {
  /** For modules adding their own SQLite stores (and tests). */
  readonly db: SqliteDatabase;
  readonly auditAppender: SqliteAuditStore;
}

/** `path` is a file, or ':memory:' for tests. */
export function openSqliteStore(path: string, opts: { durable?: boolean } = {}): SqliteStore {
  const db = new SqliteDatabase(path, opts);
  db.migrate(bridgeMigrations);
  const audit = new SqliteAuditStore(db);
  return {
    db,
    auditAppender: audit,
    audit,
    roster: new SqliteRosterStore(db, audit),
    sessions: new SqliteSessionStore(db),
    appservice: new SqliteAppserviceStore(db),
    escalation: new SqliteEscalationStore(db, audit),
    figures: new SqliteFiguresStore(db),
    matching: new SqliteMatchingStore(db, audit),
    moderation: new SqliteModerationStore(db, audit),
    supervision: new SqliteSupervisionStore(db, audit),
    feedback: new SqliteFeedbackStore(db),
    report: new SqliteReportStore(db),
    async ping() {
      if (!db.isOpen) throw new Error('store is closed');
      db.get('SELECT 1');
    },
    async close() {
      db.close();
    },
  };
}

export const DATABASE_FILE = 'bridge.sqlite';

export function openDataDirStore(dataDir: string): SqliteStore {
  return openSqliteStore(join(dataDir, DATABASE_FILE));
}
