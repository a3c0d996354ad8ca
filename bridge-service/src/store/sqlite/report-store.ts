// Reads for the evaluation report in SQLite. The indexes are read paths for a year's window.
import type { ReportEscalationFact, ReportRequestFact, ReportStore } from '../report-store.ts';
import type { Migration, SqliteDatabase } from './database.ts';

export const reportMigrations: Migration[] = [{
  name: 'report/001-indexes',
  sql: `
    CREATE INDEX matching_requests_by_created ON matching_requests(origin, created_ts);
    CREATE INDEX escalations_by_claimed ON escalations(claimed_ts);
  `,
}];

export class SqliteReportStore implements ReportStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  async requestFacts(fromTs: number, toTs: number): Promise<ReportRequestFact[]> {
    return this.db.all<ReportRequestFact>(
      `SELECT created_ts, topic, student FROM matching_requests
       WHERE origin = 'local' AND created_ts >= ? AND created_ts < ?`,
      fromTs, toTs,
    );
  }

  async escalationFacts(fromTs: number, toTs: number): Promise<ReportEscalationFact[]> {
    return this.db.all<ReportEscalationFact>(
      `SELECT topic, severity, created_ts, due_ts, claimed_ts FROM escalations WHERE created_ts >= ? AND created_ts < ?
       UNION ALL
       SELECT topic, severity, created_ts, due_ts, claimed_ts FROM escalations
       WHERE claimed_ts >= ? AND claimed_ts < ? AND NOT (created_ts >= ? AND created_ts < ?)`,
      fromTs, toTs, fromTs, toTs, fromTs, toTs,
    );
  }
}
