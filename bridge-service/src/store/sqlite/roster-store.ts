// The roster in SQLite: supporters (with topics and training records in their own tables, so the
// matcher can select by topic), counsellors and admins. Every change is audited in its transaction.
import type { AdminRecord, CounsellorRecord, RosterStore, SupporterRecord, TrainingRecord } from '../store.ts';
import type { AuditDraft, AuditEntry } from '../../core/audit-chain.ts';
import type { Schedule } from '../../../../protocol/src/policy.ts';
import type { Migration, SqliteDatabase } from './database.ts';
import type { SqliteAuditStore } from './audit-store.ts';

export const rosterMigrations: Migration[] = [{
  name: 'roster/001-tables',
  sql: `
    CREATE TABLE roster_supporters (
      user_id TEXT PRIMARY KEY,
      capacity INTEGER,
      active INTEGER NOT NULL,
      updated_ts INTEGER NOT NULL,
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
      active INTEGER NOT NULL,
      updated_ts INTEGER NOT NULL,
      updated_by TEXT NOT NULL
    );
    CREATE TABLE roster_admins (
      user_id TEXT PRIMARY KEY,
      added_ts INTEGER NOT NULL,
      added_by TEXT NOT NULL
    );
  `,
}, {
  name: 'roster/002-training-score',
  sql: 'ALTER TABLE roster_training ADD COLUMN score INTEGER',
}];

interface SupporterRow { user_id: string; capacity: number | null; active: number; updated_ts: number; updated_by: string }
interface CounsellorRow { user_id: string; team: string; on_duty: string | null; active: number; updated_ts: number; updated_by: string }

export class SqliteRosterStore implements RosterStore {
  private readonly db: SqliteDatabase;
  private readonly audit: SqliteAuditStore;

  constructor(db: SqliteDatabase, audit: SqliteAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  private supporterFrom(row: SupporterRow): SupporterRecord {
    const topics = this.db.all<{ topic: string }>('SELECT topic FROM roster_supporter_topics WHERE user_id = ? ORDER BY topic', row.user_id).map((r) => r.topic);
    const training = this.db.all<Omit<TrainingRecord, 'score'> & { score: number | null }>(
      'SELECT module, version, completed, expires, score FROM roster_training WHERE user_id = ? ORDER BY module, completed', row.user_id,
    ).map((t) => ({ module: t.module, version: t.version, completed: t.completed, expires: t.expires, ...(t.score !== null ? { score: t.score } : {}) }));
    return { user_id: row.user_id, topics, training, capacity: row.capacity, active: row.active === 1, updated_ts: row.updated_ts, updated_by: row.updated_by };
  }

  async supporter(userId: string): Promise<SupporterRecord | undefined> {
    const row = this.db.get<SupporterRow>('SELECT * FROM roster_supporters WHERE user_id = ?', userId);
    return row ? this.supporterFrom(row) : undefined;
  }

  async supporters(): Promise<SupporterRecord[]> {
    return this.db.all<SupporterRow>('SELECT * FROM roster_supporters ORDER BY user_id').map((r) => this.supporterFrom(r));
  }

  putSupporter(rec: SupporterRecord, audit: AuditDraft): Promise<AuditEntry> {
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO roster_supporters (user_id, capacity, active, updated_ts, updated_by) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET capacity = excluded.capacity, active = excluded.active,
           updated_ts = excluded.updated_ts, updated_by = excluded.updated_by`,
        rec.user_id, rec.capacity, rec.active ? 1 : 0, rec.updated_ts, rec.updated_by,
      );
      this.db.run('DELETE FROM roster_supporter_topics WHERE user_id = ?', rec.user_id);
      for (const t of new Set(rec.topics)) this.db.run('INSERT INTO roster_supporter_topics (user_id, topic) VALUES (?, ?)', rec.user_id, t);
      this.db.run('DELETE FROM roster_training WHERE user_id = ?', rec.user_id);
      for (const t of rec.training) {
        this.db.run(
          'INSERT OR REPLACE INTO roster_training (user_id, module, version, completed, expires, score) VALUES (?, ?, ?, ?, ?, ?)',
          rec.user_id, t.module, t.version, t.completed, t.expires, t.score ?? null,
        );
      }
      return this.audit.appendInWrite(audit, rec.updated_ts);
    });
  }

  private removeFrom(table: string, userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined> {
    return this.db.write(() => {
      const { changes } = this.db.run(`DELETE FROM ${table} WHERE user_id = ?`, userId);
      return changes > 0 ? this.audit.appendInWrite(audit, now) : undefined;
    });
  }

  removeSupporter(userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined> {
    return this.removeFrom('roster_supporters', userId, audit, now);
  }

  recordTraining(userId: string, t: TrainingRecord, audit: AuditDraft, now: number, by: string): Promise<AuditEntry | undefined> {
    return this.db.write(() => {
      const { changes } = this.db.run('UPDATE roster_supporters SET updated_ts = ?, updated_by = ? WHERE user_id = ?', now, by, userId);
      if (changes === 0) return undefined;
      this.db.run('DELETE FROM roster_training WHERE user_id = ? AND module = ?', userId, t.module);
      this.db.run(
        'INSERT INTO roster_training (user_id, module, version, completed, expires, score) VALUES (?, ?, ?, ?, ?, ?)',
        userId, t.module, t.version, t.completed, t.expires, t.score ?? null,
      );
      return this.audit.appendInWrite(audit, now);
    });
  }

  private counsellorFrom(r: CounsellorRow): CounsellorRecord {
    return {
      user_id: r.user_id, team: r.team, on_duty: r.on_duty === null ? null : JSON.parse(r.on_duty) as Schedule,
      active: r.active === 1, updated_ts: r.updated_ts, updated_by: r.updated_by,
    };
  }

  async counsellor(userId: string): Promise<CounsellorRecord | undefined> {
    const row = this.db.get<CounsellorRow>('SELECT * FROM roster_counsellors WHERE user_id = ?', userId);
    return row ? this.counsellorFrom(row) : undefined;
  }

  async counsellors(): Promise<CounsellorRecord[]> {
    return this.db.all<CounsellorRow>('SELECT * FROM roster_counsellors ORDER BY user_id').map((r) => this.counsellorFrom(r));
  }

  putCounsellor(rec: CounsellorRecord, audit: AuditDraft): Promise<AuditEntry> {
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO roster_counsellors (user_id, team, on_duty, active, updated_ts, updated_by) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET team = excluded.team, on_duty = excluded.on_duty, active = excluded.active,
           updated_ts = excluded.updated_ts, updated_by = excluded.updated_by`,
        rec.user_id, rec.team, rec.on_duty === null ? null : JSON.stringify(rec.on_duty), rec.active ? 1 : 0, rec.updated_ts, rec.updated_by,
      );
      return this.audit.appendInWrite(audit, rec.updated_ts);
    });
  }

  removeCounsellor(userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined> {
    return this.removeFrom('roster_counsellors', userId, audit, now);
  }

  async admin(userId: string): Promise<AdminRecord | undefined> {
    return this.db.get<AdminRecord>('SELECT user_id, added_ts, added_by FROM roster_admins WHERE user_id = ?', userId);
  }

  async admins(): Promise<AdminRecord[]> {
    return this.db.all<AdminRecord>('SELECT user_id, added_ts, added_by FROM roster_admins ORDER BY user_id');
  }

  putAdmin(rec: AdminRecord, audit: AuditDraft): Promise<AuditEntry> {
    return this.db.write(() => {
      this.db.run(
        'INSERT INTO roster_admins (user_id, added_ts, added_by) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING',
        rec.user_id, rec.added_ts, rec.added_by,
      );
      return this.audit.appendInWrite(audit, rec.added_ts);
    });
  }

  removeAdmin(userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined> {
    return this.removeFrom('roster_admins', userId, audit, now);
  }
}
