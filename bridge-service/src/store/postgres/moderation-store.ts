// Message reports in PostgreSQL. One member reports one event once (UNIQUE — two replicas racing
// with one report get one row and one DuplicateReportError), every change is written with its audit
// entry in one transaction, and expired reports are deleted.
import type { AuditDraft } from '../../core/audit-chain.ts';
import { DuplicateReportError, type ModerationStore, type ReportRecord } from '../moderation-store.ts';
import type { PgDatabase, PgMigration } from './database.ts';
import type { PgAuditStore } from './audit-store.ts';

export const pgModerationMigrations: PgMigration[] = [{
  name: 'moderation/001-reports',
  sql: `
    CREATE TABLE moderation_reports (
      report_id TEXT PRIMARY KEY,
      -- Insertion order: the tie-break among reports of one millisecond (SQLite's rowid).
      seq BIGINT GENERATED ALWAYS AS IDENTITY,
      group_id TEXT NOT NULL,
      room_id TEXT NOT NULL,
      event_id TEXT NOT NULL,
      reported_user_id TEXT NOT NULL,
      reporter TEXT NOT NULL,
      reason_code TEXT NOT NULL,
      shared_text TEXT,
      created_ts BIGINT NOT NULL,
      closed_ts BIGINT,
      closed_by TEXT,
      purge_after_ts BIGINT NOT NULL,
      UNIQUE (event_id, reporter)
    );
    CREATE INDEX moderation_reports_by_group ON moderation_reports(group_id, created_ts);
    CREATE INDEX moderation_reports_due ON moderation_reports(purge_after_ts);
  `,
}];

const COLUMNS = `report_id, group_id, room_id, event_id, reported_user_id, reporter, reason_code, shared_text,
  created_ts, closed_ts, closed_by, purge_after_ts`;

const UNIQUE_VIOLATION = '23505';

export class PgModerationStore implements ModerationStore {
  private readonly db: PgDatabase;
  private readonly audit: PgAuditStore;

  constructor(db: PgDatabase, audit: PgAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  async insertReport(r: ReportRecord, audit: AuditDraft): Promise<void> {
    try {
      await this.db.tx(async (q) => {
        // The unique constraint decides: a concurrent insert of the same (event, reporter) waits for
        // the first to commit and then fails, whichever replica it came from.
        await q.execute(
          `INSERT INTO moderation_reports (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [r.report_id, r.group_id, r.room_id, r.event_id, r.reported_user_id, r.reporter, r.reason_code, r.shared_text,
            r.created_ts, r.closed_ts, r.closed_by, r.purge_after_ts],
        );
        await this.audit.appendInTx(q, audit, r.created_ts);
      });
    } catch (e) {
      const err = e as { code?: string; constraint?: string };
      if (err.code === UNIQUE_VIOLATION && err.constraint === 'moderation_reports_event_id_reporter_key') throw new DuplicateReportError();
      throw e;
    }
  }

  async report(id: string): Promise<ReportRecord | undefined> {
    return (await this.db.query<ReportRecord>(`SELECT ${COLUMNS} FROM moderation_reports WHERE report_id = $1`, [id]))[0];
  }

  reportsOfGroup(groupId: string, opts: { open: boolean; limit: number }): Promise<ReportRecord[]> {
    return this.db.query<ReportRecord>(
      `SELECT ${COLUMNS} FROM moderation_reports WHERE group_id = $1 ${opts.open ? 'AND closed_ts IS NULL' : ''}
       ORDER BY created_ts DESC, seq DESC LIMIT $2`,
      [groupId, opts.limit],
    );
  }

  closeReport(id: string, by: string, now: number, audit: AuditDraft): Promise<boolean> {
    return this.db.tx(async (q) => {
      // A concurrent close waits on the row lock, re-checks closed_ts and changes nothing.
      const changed = await q.execute('UPDATE moderation_reports SET closed_ts = $1, closed_by = $2 WHERE report_id = $3 AND closed_ts IS NULL', [now, by, id]);
      if (changed === 0) return false;
      await this.audit.appendInTx(q, audit, now);
      return true;
    });
  }

  purgeReports(now: number, audit: (count: number) => AuditDraft): Promise<number> {
    return this.db.tx(async (q) => {
      const deleted = await q.execute('DELETE FROM moderation_reports WHERE purge_after_ts <= $1', [now]);
      if (deleted > 0) await this.audit.appendInTx(q, audit(deleted), now);
      return deleted;
    });
  }
}
