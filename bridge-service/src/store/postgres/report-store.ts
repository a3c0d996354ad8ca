// Reads for the evaluation report in PostgreSQL. The index is a read path for a year's window
// (escalations_by_created and escalations_by_claimed exist already).
import type { ReportEscalationFact, ReportRequestFact, ReportStore } from '../report-store.ts';
import type { PgDatabase, PgMigration } from './database.ts';

export const pgReportMigrations: PgMigration[] = [{
  name: 'report/001-indexes',
  sql: 'CREATE INDEX matching_requests_by_created ON matching_requests(origin, created_ts);',
}];

export class PgReportStore implements ReportStore {
  private readonly db: PgDatabase;

  constructor(db: PgDatabase) {
    this.db = db;
  }

  async requestFacts(fromTs: number, toTs: number): Promise<ReportRequestFact[]> {
    return this.db.query<ReportRequestFact>(
      "SELECT created_ts, topic, student FROM matching_requests WHERE origin = 'local' AND created_ts >= $1 AND created_ts < $2",
      [fromTs, toTs],
    );
  }

  async escalationFacts(fromTs: number, toTs: number): Promise<ReportEscalationFact[]> {
    return this.db.query<ReportEscalationFact>(
      `SELECT topic, severity, created_ts, due_ts, claimed_ts FROM escalations WHERE created_ts >= $1 AND created_ts < $2
       UNION ALL
       SELECT topic, severity, created_ts, due_ts, claimed_ts FROM escalations
       WHERE claimed_ts >= $1 AND claimed_ts < $2 AND NOT (created_ts >= $1 AND created_ts < $2)`,
      [fromTs, toTs],
    );
  }
}
