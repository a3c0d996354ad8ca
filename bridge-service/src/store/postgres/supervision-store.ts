// Supervision in PostgreSQL: review flags (one unreviewed flag per session — the partial unique index
// decides between replicas racing), wellbeing breaks, debriefs, and the caseload read from the
// matching and escalation tables — metadata columns only, never the student or a room.
import type { AuditDraft } from '../../core/audit-chain.ts';
import {
  DuplicateFlagError, type CaseloadSessionRow, type DebriefRecord, type DebriefRoomRetention, type ReviewFlagRecord, type SupervisionStore, type WellbeingBreakRecord,
} from '../supervision-store.ts';
import type { PgDatabase, PgMigration } from './database.ts';
import type { PgAuditStore } from './audit-store.ts';

export const pgSupervisionMigrations: PgMigration[] = [{
  name: 'supervision/001-tables',
  sql: `
    CREATE TABLE supervision_flags (
      flag_id TEXT PRIMARY KEY,
      -- Insertion order: the tie-break among flags of one millisecond (SQLite's rowid).
      seq BIGINT GENERATED ALWAYS AS IDENTITY,
      session_id TEXT NOT NULL,
      supporter TEXT NOT NULL,
      reason_code TEXT NOT NULL,
      created_ts BIGINT NOT NULL,
      reviewed_ts BIGINT,
      reviewed_by TEXT
    );
    CREATE UNIQUE INDEX supervision_flags_open ON supervision_flags(session_id) WHERE reviewed_ts IS NULL;
    CREATE INDEX supervision_flags_by_time ON supervision_flags(created_ts);
    CREATE TABLE supervision_breaks (
      user_id TEXT PRIMARY KEY,
      started_ts BIGINT NOT NULL,
      until_ts BIGINT
    );
    CREATE TABLE supervision_debriefs (
      debrief_id TEXT PRIMARY KEY,
      seq BIGINT GENERATED ALWAYS AS IDENTITY,
      supporter TEXT NOT NULL,
      supervisor TEXT NOT NULL,
      session_id TEXT,
      room_id TEXT,
      status TEXT NOT NULL,
      created_ts BIGINT NOT NULL
    );
    CREATE INDEX supervision_debriefs_supporter ON supervision_debriefs(supporter, created_ts);
    CREATE INDEX supervision_debriefs_supervisor ON supervision_debriefs(supervisor, created_ts);
  `,
}];

const FLAG_COLUMNS = 'flag_id, session_id, supporter, reason_code, created_ts, reviewed_ts, reviewed_by';
const DEBRIEF_COLUMNS = 'debrief_id, supporter, supervisor, session_id, room_id, status, created_ts';
const CASELOAD_SELECT = `
  SELECT s.id AS session_id, s.supporter, s.topic, s.role, s.status, s.created_ts, s.ended_ts, s.outcome, s.checkin_status AS check_in_status,
    EXISTS (SELECT 1 FROM escalations e WHERE e.request_id = s.request_id) AS escalated
  FROM matching_sessions s`;
const UNIQUE_VIOLATION = '23505';

export class PgSupervisionStore implements SupervisionStore {
  private readonly db: PgDatabase;
  private readonly audit: PgAuditStore;

  constructor(db: PgDatabase, audit: PgAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  async insertFlag(f: ReviewFlagRecord, audit: AuditDraft): Promise<void> {
    try {
      await this.db.tx(async (q) => {
        await q.execute(`INSERT INTO supervision_flags (${FLAG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [f.flag_id, f.session_id, f.supporter, f.reason_code, f.created_ts, f.reviewed_ts, f.reviewed_by]);
        await this.audit.appendInTx(q, audit, f.created_ts);
      });
    } catch (e) {
      const err = e as { code?: string; constraint?: string };
      if (err.code === UNIQUE_VIOLATION && err.constraint === 'supervision_flags_open') throw new DuplicateFlagError();
      throw e;
    }
  }

  async flag(id: string): Promise<ReviewFlagRecord | undefined> {
    return (await this.db.query<ReviewFlagRecord>(`SELECT ${FLAG_COLUMNS} FROM supervision_flags WHERE flag_id = $1`, [id]))[0];
  }

  flags(opts: { open: boolean; supporter?: string; limit: number }): Promise<ReviewFlagRecord[]> {
    return this.db.query<ReviewFlagRecord>(
      `SELECT ${FLAG_COLUMNS} FROM supervision_flags WHERE ($1::boolean = false OR reviewed_ts IS NULL) AND ($2::text IS NULL OR supporter = $2)
       ORDER BY created_ts DESC, seq DESC LIMIT $3`,
      [opts.open, opts.supporter ?? null, opts.limit],
    );
  }

  reviewFlag(id: string, by: string, now: number, audit: AuditDraft): Promise<boolean> {
    return this.db.tx(async (q) => {
      const changed = await q.execute('UPDATE supervision_flags SET reviewed_ts = $1, reviewed_by = $2 WHERE flag_id = $3 AND reviewed_ts IS NULL', [now, by, id]);
      if (changed === 0) return false;
      await this.audit.appendInTx(q, audit, now);
      return true;
    });
  }

  async wellbeingBreak(userId: string): Promise<WellbeingBreakRecord | undefined> {
    return (await this.db.query<WellbeingBreakRecord>('SELECT user_id, started_ts, until_ts FROM supervision_breaks WHERE user_id = $1', [userId]))[0];
  }

  breaksAt(now: number): Promise<WellbeingBreakRecord[]> {
    return this.db.query<WellbeingBreakRecord>('SELECT user_id, started_ts, until_ts FROM supervision_breaks WHERE until_ts IS NULL OR until_ts > $1 ORDER BY user_id', [now]);
  }

  putBreak(b: WellbeingBreakRecord, audit: AuditDraft): Promise<void> {
    return this.db.tx(async (q) => {
      await q.execute(
        `INSERT INTO supervision_breaks (user_id, started_ts, until_ts) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET started_ts = excluded.started_ts, until_ts = excluded.until_ts`,
        [b.user_id, b.started_ts, b.until_ts],
      );
      await this.audit.appendInTx(q, audit, b.started_ts);
    });
  }

  endBreak(userId: string, now: number, audit: AuditDraft): Promise<boolean> {
    return this.db.tx(async (q) => {
      const rows = await q.query<{ in_force: boolean }>(
        'DELETE FROM supervision_breaks WHERE user_id = $1 RETURNING (until_ts IS NULL OR until_ts > $2) AS in_force', [userId, now],
      );
      if (!rows[0]?.in_force) return false;
      await this.audit.appendInTx(q, audit, now);
      return true;
    });
  }

  insertDebrief(d: DebriefRecord, audit: AuditDraft): Promise<void> {
    return this.db.tx(async (q) => {
      await q.execute(`INSERT INTO supervision_debriefs (${DEBRIEF_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [d.debrief_id, d.supporter, d.supervisor, d.session_id, d.room_id, d.status, d.created_ts]);
      await this.audit.appendInTx(q, audit, d.created_ts);
    });
  }

  openDebrief(id: string, roomId: string, retention: DebriefRoomRetention): Promise<DebriefRecord | undefined> {
    return this.db.tx(async (q) => {
      const opened = (await q.query<DebriefRecord>(
        `UPDATE supervision_debriefs SET room_id = $1, status = 'open' WHERE debrief_id = $2 AND status = 'opening' RETURNING ${DEBRIEF_COLUMNS}`, [roomId, id],
      ))[0];
      if (!opened) return undefined;
      await q.execute(
        "INSERT INTO matching_rooms (room_id, kind, ref_id, institutions, created_ts, purge_after_ts, purged_ts) VALUES ($1, 'debrief', $2, $3, $4, $5, NULL)",
        [roomId, id, JSON.stringify(retention.institutions), retention.created_ts, retention.purge_after_ts],
      );
      return opened;
    });
  }

  async failDebrief(id: string): Promise<boolean> {
    return (await this.db.query<{ debrief_id: string }>(
      "UPDATE supervision_debriefs SET status = 'failed' WHERE debrief_id = $1 AND status = 'opening' RETURNING debrief_id", [id],
    )).length > 0;
  }

  async debrief(id: string): Promise<DebriefRecord | undefined> {
    return (await this.db.query<DebriefRecord>(`SELECT ${DEBRIEF_COLUMNS} FROM supervision_debriefs WHERE debrief_id = $1`, [id]))[0];
  }

  debriefsOf(userId: string, limit: number): Promise<DebriefRecord[]> {
    return this.db.query<DebriefRecord>(
      `SELECT ${DEBRIEF_COLUMNS} FROM supervision_debriefs WHERE supporter = $1 OR supervisor = $1 ORDER BY created_ts DESC, seq DESC LIMIT $2`, [userId, limit],
    );
  }

  caseloadSessions(supporter: string, sinceTs: number, limit: number): Promise<CaseloadSessionRow[]> {
    return this.db.query<CaseloadSessionRow>(`${CASELOAD_SELECT} WHERE s.supporter = $1 AND s.created_ts >= $2 ORDER BY s.created_ts DESC, s.id DESC LIMIT $3`, [supporter, sinceTs, limit]);
  }

  async caseloadSession(sessionId: string): Promise<CaseloadSessionRow | undefined> {
    return (await this.db.query<CaseloadSessionRow>(`${CASELOAD_SELECT} WHERE s.id = $1`, [sessionId]))[0];
  }

  async sessionsStartedSince(sinceTs: number): Promise<Map<string, number>> {
    const rows = await this.db.query<{ supporter: string; n: number }>(
      "SELECT supporter, COUNT(*) AS n FROM matching_sessions WHERE created_ts >= $1 AND status <> 'failed' GROUP BY supporter", [sinceTs],
    );
    return new Map(rows.map((r) => [r.supporter, Number(r.n)]));
  }
}
