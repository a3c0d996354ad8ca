// The roster in PostgreSQL: supporters (with topics and training records in their own tables, so
// the matcher can select by topic), counsellors and admins. Every change is audited in its
// transaction.
import type { AdminRecord, CounsellorRecord, RosterStore, SupporterRecord, TrainingRecord } from '../store.ts';
import type { AuditDraft, AuditEntry } from '../../core/audit-chain.ts';
import type { Schedule } from '../../../../protocol/src/policy.ts';
import type { PgDatabase, PgMigration } from './database.ts';
import type { PgAuditStore } from './audit-store.ts';

export const pgRosterMigrations: PgMigration[] = [{
  name: 'roster/001-tables',
  sql: `
    CREATE TABLE roster_supporters (
      user_id TEXT PRIMARY KEY,
      capacity INTEGER,
      active BOOLEAN NOT NULL,
      updated_ts BIGINT NOT NULL,
      updated_by TEXT NOT NULL
    );
    CREATE TABLE roster_supporter_topics (
      user_id TEXT NOT NULL REFERENCES roster_supporters(user_id) ON DELETE CASCADE,
      topic TEXT NOT NULL,
      PRIMARY KEY (user_id, topic)
    );
    CREATE INDEX roster_supporter_topics_by_topic ON roster_supporter_topics(topic);
    CREATE TABLE roster_training (
      user_id TEXT NOT NULL REFERENCES roster_supporters(user_id) ON DELETE CASCADE,
      module TEXT NOT NULL,
      version INTEGER NOT NULL,
      completed TEXT NOT NULL,
      expires TEXT,
      PRIMARY KEY (user_id, module, version, completed)
    );
    CREATE TABLE roster_counsellors (
      user_id TEXT PRIMARY KEY,
      team TEXT NOT NULL,
      on_duty TEXT,
      active BOOLEAN NOT NULL,
      updated_ts BIGINT NOT NULL,
      updated_by TEXT NOT NULL
    );
    CREATE TABLE roster_admins (
      user_id TEXT PRIMARY KEY,
      added_ts BIGINT NOT NULL,
      added_by TEXT NOT NULL
    );
  `,
}, {
  name: 'roster/002-training-score',
  sql: 'ALTER TABLE roster_training ADD COLUMN score INTEGER',
}];

interface SupporterRow {
  user_id: string; capacity: number | null; active: boolean; updated_ts: number; updated_by: string; topics: string[];
  training: (Omit<TrainingRecord, 'score'> & { score: number | null })[];
}
interface CounsellorRow { user_id: string; team: string; on_duty: string | null; active: boolean; updated_ts: number; updated_by: string }
// One statement per read, so a supporter's topics and training come from the same snapshot as
// the row. `COLLATE "C"` keeps the byte order SQLite uses, whatever the database's locale.
const SUPPORTERS = `
  SELECT s.user_id, s.capacity, s.active, s.updated_ts, s.updated_by,
    COALESCE((SELECT json_agg(t.topic ORDER BY t.topic COLLATE "C") FROM roster_supporter_topics t WHERE t.user_id = s.user_id), '[]') AS topics,
    COALESCE((SELECT json_agg(json_build_object('module', r.module, 'version', r.version, 'completed', r.completed, 'expires', r.expires, 'score', r.score)
                ORDER BY r.module COLLATE "C", r.completed COLLATE "C")
              FROM roster_training r WHERE r.user_id = s.user_id), '[]') AS training
  FROM roster_supporters s`;

export class PgRosterStore implements RosterStore {
  private readonly db: PgDatabase;
  private readonly audit: PgAuditStore;

  constructor(db: PgDatabase, audit: PgAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  private supporterFrom(r: SupporterRow): SupporterRecord {
    return {
      user_id: r.user_id, topics: r.topics,
      training: r.training.map((t) => ({ module: t.module, version: t.version, completed: t.completed, expires: t.expires, ...(t.score !== null ? { score: t.score } : {}) })),
      capacity: r.capacity, active: r.active, updated_ts: r.updated_ts, updated_by: r.updated_by,
    };
  }

  async supporter(userId: string): Promise<SupporterRecord | undefined> {
    const [row] = await this.db.query<SupporterRow>(`${SUPPORTERS} WHERE s.user_id = $1`, [userId]);
    return row ? this.supporterFrom(row) : undefined;
  }

  async supporters(): Promise<SupporterRecord[]> {
    return (await this.db.query<SupporterRow>(`${SUPPORTERS} ORDER BY s.user_id COLLATE "C"`)).map((r) => this.supporterFrom(r));
  }

  putSupporter(rec: SupporterRecord, audit: AuditDraft): Promise<AuditEntry> {
    return this.db.tx(async (q) => {
      await q.execute(
        `INSERT INTO roster_supporters (user_id, capacity, active, updated_ts, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET capacity = excluded.capacity, active = excluded.active,
           updated_ts = excluded.updated_ts, updated_by = excluded.updated_by`,
        [rec.user_id, rec.capacity, rec.active, rec.updated_ts, rec.updated_by],
      );
      await q.execute('DELETE FROM roster_supporter_topics WHERE user_id = $1', [rec.user_id]);
      for (const t of new Set(rec.topics)) await q.execute('INSERT INTO roster_supporter_topics (user_id, topic) VALUES ($1, $2)', [rec.user_id, t]);
      await q.execute('DELETE FROM roster_training WHERE user_id = $1', [rec.user_id]);
      for (const t of rec.training) {
        await q.execute(
          `INSERT INTO roster_training (user_id, module, version, completed, expires, score) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (user_id, module, version, completed) DO UPDATE SET expires = excluded.expires, score = excluded.score`,
          [rec.user_id, t.module, t.version, t.completed, t.expires, t.score ?? null],
        );
      }
      return this.audit.appendInTx(q, audit, rec.updated_ts);
    });
  }

  recordTraining(userId: string, t: TrainingRecord, audit: AuditDraft, now: number, by: string): Promise<AuditEntry | undefined> {
    return this.db.tx(async (q) => {
      // The supporter's row locked first: a concurrent putSupporter replaces training after us, not in between.
      const changed = await q.execute('UPDATE roster_supporters SET updated_ts = $1, updated_by = $2 WHERE user_id = $3', [now, by, userId]);
      if (changed === 0) return undefined;
      await q.execute('DELETE FROM roster_training WHERE user_id = $1 AND module = $2', [userId, t.module]);
      await q.execute(
        'INSERT INTO roster_training (user_id, module, version, completed, expires, score) VALUES ($1, $2, $3, $4, $5, $6)',
        [userId, t.module, t.version, t.completed, t.expires, t.score ?? null],
      );
      return this.audit.appendInTx(q, audit, now);
    });
  }

  private removeFrom(table: string, userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined> {
    return this.db.tx(async (q) => {
      const changes = await q.execute(`DELETE FROM ${table} WHERE user_id = $1`, [userId]);
      return changes > 0 ? this.audit.appendInTx(q, audit, now) : undefined;
    });
  }

  removeSupporter(userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined> {
    return this.removeFrom('roster_supporters', userId, audit, now);
  }

  private counsellorFrom(r: CounsellorRow): CounsellorRecord {
    return {
      user_id: r.user_id, team: r.team, on_duty: r.on_duty === null ? null : JSON.parse(r.on_duty) as Schedule,
      active: r.active, updated_ts: r.updated_ts, updated_by: r.updated_by,
    };
  }

  async counsellor(userId: string): Promise<CounsellorRecord | undefined> {
    const [row] = await this.db.query<CounsellorRow>('SELECT * FROM roster_counsellors WHERE user_id = $1', [userId]);
    return row ? this.counsellorFrom(row) : undefined;
  }

  async counsellors(): Promise<CounsellorRecord[]> {
    return (await this.db.query<CounsellorRow>('SELECT * FROM roster_counsellors ORDER BY user_id COLLATE "C"')).map((r) => this.counsellorFrom(r));
  }

  putCounsellor(rec: CounsellorRecord, audit: AuditDraft): Promise<AuditEntry> {
    return this.db.tx(async (q) => {
      await q.execute(
        `INSERT INTO roster_counsellors (user_id, team, on_duty, active, updated_ts, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET team = excluded.team, on_duty = excluded.on_duty, active = excluded.active,
           updated_ts = excluded.updated_ts, updated_by = excluded.updated_by`,
        [rec.user_id, rec.team, rec.on_duty === null ? null : JSON.stringify(rec.on_duty), rec.active, rec.updated_ts, rec.updated_by],
      );
      return this.audit.appendInTx(q, audit, rec.updated_ts);
    });
  }

  removeCounsellor(userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined> {
    return this.removeFrom('roster_counsellors', userId, audit, now);
  }

  async admin(userId: string): Promise<AdminRecord | undefined> {
    return (await this.db.query<AdminRecord>('SELECT user_id, added_ts, added_by FROM roster_admins WHERE user_id = $1', [userId]))[0];
  }

  async admins(): Promise<AdminRecord[]> {
    return this.db.query<AdminRecord>('SELECT user_id, added_ts, added_by FROM roster_admins ORDER BY user_id COLLATE "C"');
  }

  putAdmin(rec: AdminRecord, audit: AuditDraft): Promise<AuditEntry> {
    return this.db.tx(async (q) => {
      await q.execute(
        'INSERT INTO roster_admins (user_id, added_ts, added_by) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING',
        [rec.user_id, rec.added_ts, rec.added_by],
      );
      return this.audit.appendInTx(q, audit, rec.added_ts);
    });
  }

  removeAdmin(userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined> {
    return this.removeFrom('roster_admins', userId, audit, now);
  }
}
