// Message reports in SQLite. One member reports one event once (UNIQUE), every change is written
// with its audit entry in one transaction, and expired reports are deleted (secure_delete is on, so
// the shared text does not linger in free pages).
import type { AuditDraft } from '../../core/audit-chain.ts';
import { DuplicateReportError, type ModerationStore, type ReportRecord } from '../moderation-store.ts';
import type { Migration, SqliteDatabase } from './database.ts';
import type { SqliteAuditStore } from './audit-store.ts';

export const moderationMigrations: Migration[] = [{
  name: 'moderation/001-reports',
  sql: `
    CREATE TABLE moderation_reports (
      report_id TEXT PRIMARY KEY,
      group_id TEXT NOT NULL,
      room_id TEXT NOT NULL,
      event_id TEXT NOT NULL,
      reported_user_id TEXT NOT NULL,
      reporter TEXT NOT NULL,
      reason_code TEXT NOT NULL,
      shared_text TEXT,
      created_ts INTEGER NOT NULL,
      closed_ts INTEGER,
      closed_by TEXT,
      purge_after_ts INTEGER NOT NULL,
      UNIQUE (event_id, reporter)
    );
    CREATE INDEX moderation_reports_by_group ON moderation_reports(group_id, created_ts);
    CREATE INDEX moderation_reports_due ON moderation_reports(purge_after_ts);
  `,
}];

export class SqliteModerationStore implements ModerationStore {
  private readonly db: SqliteDatabase;
  private readonly audit: SqliteAuditStore;

  constructor(db: SqliteDatabase, audit: SqliteAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  insertReport(r: ReportRecord, audit: AuditDraft): Promise<void> {
    return this.db.write(() => {
      const dup = this.db.get('SELECT 1 AS x FROM moderation_reports WHERE event_id = ? AND reporter = ?', r.event_id, r.reporter);
      if (dup) throw new DuplicateReportError();
      this.db.run(
        `INSERT INTO moderation_reports (report_id, group_id, room_id, event_id, reported_user_id, reporter, reason_code, shared_text,
           created_ts, closed_ts, closed_by, purge_after_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.report_id, r.group_id, r.room_id, r.event_id, r.reported_user_id, r.reporter, r.reason_code, r.shared_text,
        r.created_ts, r.closed_ts, r.closed_by, r.purge_after_ts,
      );
      this.audit.appendInWrite(audit, r.created_ts);
    });
  }

  async report(id: string): Promise<ReportRecord | undefined> {
    return this.db.get<ReportRecord>('SELECT * FROM moderation_reports WHERE report_id = ?', id);
  }

  async reportsOfGroup(groupId: string, opts: { open: boolean; limit: number }): Promise<ReportRecord[]> {
    return this.db.all<ReportRecord>(
      `SELECT * FROM moderation_reports WHERE group_id = ? ${opts.open ? 'AND closed_ts IS NULL' : ''} ORDER BY created_ts DESC, rowid DESC LIMIT ?`,
      groupId, opts.limit,
    );
  }

  closeReport(id: string, by: string, now: number, audit: AuditDraft): Promise<boolean> {
    return this.db.write(() => {
      const { changes } = this.db.run('UPDATE moderation_reports SET closed_ts = ?, closed_by = ? WHERE report_id = ? AND closed_ts IS NULL', now, by, id);
      if (changes === 0) return false;
      this.audit.appendInWrite(audit, now);
      return true;
    });
  }

  purgeReports(now: number, audit: (count: number) => AuditDraft): Promise<number> {
    return this.db.write(() => {
      const { changes } = this.db.run('DELETE FROM moderation_reports WHERE purge_after_ts <= ?', now);
      if (changes > 0) this.audit.appendInWrite(audit(changes), now);
      return changes;
    });
  }
}
