// Supervision in SQLite: review flags (one unreviewed flag per session, enforced by a partial unique
// index), wellbeing breaks (one row per supporter), debriefs, and the caseload read from the
// matching and escalation tables — selecting metadata columns only, never the student or a room.
import type { AuditDraft } from '../../core/audit-chain.ts';
import {
  DuplicateFlagError, type CaseloadSessionRow, type DebriefRecord, type DebriefRoomRetention, type ReviewFlagRecord, type SupervisionStore, type WellbeingBreakRecord,
} from '../supervision-store.ts';
import type { Migration, SqliteDatabase } from './database.ts';
import type { SqliteAuditStore } from './audit-store.ts';

export const supervisionMigrations: Migration[] = [{
  name: 'supervision/001-tables',
  sql: `
    CREATE TABLE supervision_flags (
      flag_id TEXT PRIMARY KEY,
      session_id TEXT NOT NULL,
      supporter TEXT NOT NULL,
      reason_code TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      reviewed_ts INTEGER,
      reviewed_by TEXT
    );
    CREATE UNIQUE INDEX supervision_flags_open ON supervision_flags(session_id) WHERE reviewed_ts IS NULL;
    CREATE INDEX supervision_flags_by_time ON supervision_flags(created_ts);
    CREATE TABLE supervision_breaks (
      user_id TEXT PRIMARY KEY,
      started_ts INTEGER NOT NULL,
      until_ts INTEGER
    );
    CREATE TABLE supervision_debriefs (
      debrief_id TEXT PRIMARY KEY,
      supporter TEXT NOT NULL,
      supervisor TEXT NOT NULL,
      session_id TEXT,
      room_id TEXT,
      status TEXT NOT NULL,
      created_ts INTEGER NOT NULL
    );
    CREATE INDEX supervision_debriefs_supporter ON supervision_debriefs(supporter, created_ts);
    CREATE INDEX supervision_debriefs_supervisor ON supervision_debriefs(supervisor, created_ts);
  `,
}];

/** The caseload's columns: what a supervisor may see of a session, and nothing else. */
export const CASELOAD_SELECT = `
  SELECT s.id AS session_id, s.supporter, s.topic, s.role, s.status, s.created_ts, s.ended_ts, s.outcome, s.checkin_status AS check_in_status,
    EXISTS (SELECT 1 FROM escalations e WHERE e.request_id = s.request_id) AS escalated
  FROM matching_sessions s`;

type CaseloadDbRow = Omit<CaseloadSessionRow, 'escalated'> & { escalated: number | boolean };
const caseloadRow = (r: CaseloadDbRow): CaseloadSessionRow => ({ ...r, escalated: r.escalated === true || r.escalated === 1 });

export class SqliteSupervisionStore implements SupervisionStore {
  private readonly db: SqliteDatabase;
  private readonly audit: SqliteAuditStore;

  constructor(db: SqliteDatabase, audit: SqliteAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  insertFlag(f: ReviewFlagRecord, audit: AuditDraft): Promise<void> {
    return this.db.write(() => {
      if (this.db.get('SELECT 1 AS x FROM supervision_flags WHERE session_id = ? AND reviewed_ts IS NULL', f.session_id)) throw new DuplicateFlagError();
      this.db.run(
        'INSERT INTO supervision_flags (flag_id, session_id, supporter, reason_code, created_ts, reviewed_ts, reviewed_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
        f.flag_id, f.session_id, f.supporter, f.reason_code, f.created_ts, f.reviewed_ts, f.reviewed_by,
      );
      this.audit.appendInWrite(audit, f.created_ts);
    });
  }

  async flag(id: string): Promise<ReviewFlagRecord | undefined> {
    return this.db.get<ReviewFlagRecord>('SELECT * FROM supervision_flags WHERE flag_id = ?', id);
  }

  async flags(opts: { open: boolean; supporter?: string; limit: number }): Promise<ReviewFlagRecord[]> {
    const where = [opts.open ? 'reviewed_ts IS NULL' : '1 = 1', opts.supporter !== undefined ? 'supporter = ?' : '1 = 1'].join(' AND ');
    const params = opts.supporter !== undefined ? [opts.supporter, opts.limit] : [opts.limit];
    return this.db.all<ReviewFlagRecord>(`SELECT * FROM supervision_flags WHERE ${where} ORDER BY created_ts DESC, rowid DESC LIMIT ?`, ...params);
  }

  reviewFlag(id: string, by: string, now: number, audit: AuditDraft): Promise<boolean> {
    return this.db.write(() => {
      const { changes } = this.db.run('UPDATE supervision_flags SET reviewed_ts = ?, reviewed_by = ? WHERE flag_id = ? AND reviewed_ts IS NULL', now, by, id);
      if (changes === 0) return false;
      this.audit.appendInWrite(audit, now);
      return true;
    });
  }

  async wellbeingBreak(userId: string): Promise<WellbeingBreakRecord | undefined> {
    return this.db.get<WellbeingBreakRecord>('SELECT user_id, started_ts, until_ts FROM supervision_breaks WHERE user_id = ?', userId);
  }

  async breaksAt(now: number): Promise<WellbeingBreakRecord[]> {
    return this.db.all<WellbeingBreakRecord>('SELECT user_id, started_ts, until_ts FROM supervision_breaks WHERE until_ts IS NULL OR until_ts > ? ORDER BY user_id', now);
  }

  putBreak(b: WellbeingBreakRecord, audit: AuditDraft): Promise<void> {
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO supervision_breaks (user_id, started_ts, until_ts) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET started_ts = excluded.started_ts, until_ts = excluded.until_ts`,
        b.user_id, b.started_ts, b.until_ts,
      );
      this.audit.appendInWrite(audit, b.started_ts);
    });
  }

  endBreak(userId: string, now: number, audit: AuditDraft): Promise<boolean> {
    return this.db.write(() => {
      // A break that already ran out is removed without counting as an end.
      const { changes } = this.db.run('DELETE FROM supervision_breaks WHERE user_id = ? AND (until_ts IS NULL OR until_ts > ?)', userId, now);
      this.db.run('DELETE FROM supervision_breaks WHERE user_id = ?', userId);
      if (changes === 0) return false;
      this.audit.appendInWrite(audit, now);
      return true;
    });
  }

  insertDebrief(d: DebriefRecord, audit: AuditDraft): Promise<void> {
    return this.db.write(() => {
      this.db.run(
        'INSERT INTO supervision_debriefs (debrief_id, supporter, supervisor, session_id, room_id, status, created_ts) VALUES (?, ?, ?, ?, ?, ?, ?)',
        d.debrief_id, d.supporter, d.supervisor, d.session_id, d.room_id, d.status, d.created_ts,
      );
      this.audit.appendInWrite(audit, d.created_ts);
    });
  }

  openDebrief(id: string, roomId: string, retention: DebriefRoomRetention): Promise<DebriefRecord | undefined> {
    return this.db.write(() => {
      const { changes } = this.db.run("UPDATE supervision_debriefs SET room_id = ?, status = 'open' WHERE debrief_id = ? AND status = 'opening'", roomId, id);
      if (changes === 0) return undefined;
      this.db.run(
        "INSERT INTO matching_rooms (room_id, kind, ref_id, institutions, created_ts, purge_after_ts, purged_ts) VALUES (?, 'debrief', ?, ?, ?, ?, NULL)",
        roomId, id, JSON.stringify(retention.institutions), retention.created_ts, retention.purge_after_ts,
      );
      return this.db.get<DebriefRecord>('SELECT * FROM supervision_debriefs WHERE debrief_id = ?', id);
    });
  }

  failDebrief(id: string): Promise<boolean> {
    return this.db.write(() => this.db.run("UPDATE supervision_debriefs SET status = 'failed' WHERE debrief_id = ? AND status = 'opening'", id).changes > 0);
  }

  async debrief(id: string): Promise<DebriefRecord | undefined> {
    return this.db.get<DebriefRecord>('SELECT * FROM supervision_debriefs WHERE debrief_id = ?', id);
  }

  async debriefsOf(userId: string, limit: number): Promise<DebriefRecord[]> {
    return this.db.all<DebriefRecord>(
      'SELECT * FROM supervision_debriefs WHERE supporter = ? OR supervisor = ? ORDER BY created_ts DESC, rowid DESC LIMIT ?', userId, userId, limit,
    );
  }

  async caseloadSessions(supporter: string, sinceTs: number, limit: number): Promise<CaseloadSessionRow[]> {
    return this.db.all<CaseloadDbRow>(`${CASELOAD_SELECT} WHERE s.supporter = ? AND s.created_ts >= ? ORDER BY s.created_ts DESC, s.id DESC LIMIT ?`, supporter, sinceTs, limit)
      .map(caseloadRow);
  }

  async caseloadSession(sessionId: string): Promise<CaseloadSessionRow | undefined> {
    const r = this.db.get<CaseloadDbRow>(`${CASELOAD_SELECT} WHERE s.id = ?`, sessionId);
    return r && caseloadRow(r);
  }

  async sessionsStartedSince(sinceTs: number): Promise<Map<string, number>> {
    const rows = this.db.all<{ supporter: string; n: number }>(
      "SELECT supporter, COUNT(*) AS n FROM matching_sessions WHERE created_ts >= ? AND status <> 'failed' GROUP BY supporter", sinceTs,
    );
    return new Map(rows.map((r) => [r.supporter, Number(r.n)]));
  }
}
