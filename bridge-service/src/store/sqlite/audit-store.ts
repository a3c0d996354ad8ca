// The audit log in SQLite: append-only (triggers refuse UPDATE and DELETE), each row sealed onto
// the chain inside the same transaction as the change it records.
import type { AuditStore } from '../store.ts';
import { sealAuditEntry, type AuditDraft, type AuditEntry } from '../../core/audit-chain.ts';
import { canonicalJson } from '../../../../protocol/src/canonical-json.ts';
import type { Migration, SqliteDatabase } from './database.ts';

export const auditMigrations: Migration[] = [{
  name: 'audit/001-log',
  sql: `
    CREATE TABLE audit_log (
      seq INTEGER PRIMARY KEY,
      ts INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      subject TEXT,
      details TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  `,
}];

interface AuditRow {
  seq: number;
  ts: number;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

function toEntry(r: AuditRow): AuditEntry {
  return { seq: r.seq, ts: r.ts, actor: r.actor, action: r.action, subject: r.subject, details: JSON.parse(r.details) as AuditEntry['details'], prev_hash: r.prev_hash, hash: r.hash };
}

export class SqliteAuditStore implements AuditStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  /** Appends inside a running `write()`; other SQLite stores call it to audit their changes atomically. */
  appendInWrite(draft: AuditDraft, now: number): AuditEntry {
    const prev = this.db.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1') ?? null;
    const entry = sealAuditEntry(draft, now, prev);
    this.db.run(
      'INSERT INTO audit_log (seq, ts, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      entry.seq, entry.ts, entry.actor, entry.action, entry.subject, canonicalJson(entry.details), entry.prev_hash, entry.hash,
    );
    return entry;
  }

  append(draft: AuditDraft, now: number): Promise<AuditEntry> {
    return this.db.write(() => this.appendInWrite(draft, now));
  }

  async range(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    return this.db.all<AuditRow>('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?', fromSeq, limit).map(toEntry);
  }

  async latest(limit: number, beforeSeq?: number): Promise<AuditEntry[]> {
    return this.db.all<AuditRow>('SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?', beforeSeq ?? Number.MAX_SAFE_INTEGER, limit).map(toEntry);
  }

  async head(): Promise<{ seq: number; hash: string } | null> {
    return this.db.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1') ?? null;
  }
}
