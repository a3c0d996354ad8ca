// The audit log in PostgreSQL: append-only (triggers refuse UPDATE, DELETE and TRUNCATE), each row
// sealed onto the chain inside the same transaction as the change it records. Several replicas
// append to one chain: a transaction-level advisory lock serialises appends, so each reads the
// head the previous one committed, and the primary key on seq refuses a fork should it ever race.
import type { AuditStore } from '../store.ts';
import { sealAuditEntry, type AuditDraft, type AuditEntry } from '../../core/audit-chain.ts';
import { canonicalJson } from '../../../../protocol/src/canonical-json.ts';
import { LOCK_AUDIT_CHAIN, type PgDatabase, type PgMigration, type PgQueryable } from './database.ts';

export const pgAuditMigrations: PgMigration[] = [{
  name: 'audit/001-log',
  sql: `
    CREATE TABLE audit_log (
      seq BIGINT PRIMARY KEY,
      ts BIGINT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      subject TEXT,
      details TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    );
    CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_log is append-only'; END;
    $$;
    CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
    CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
    CREATE TRIGGER audit_log_append_only_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
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

const HEAD = 'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1';

export class PgAuditStore implements AuditStore {
  private readonly db: PgDatabase;

  constructor(db: PgDatabase) {
    this.db = db;
  }

  /** Appends inside a running transaction; other PostgreSQL stores call it to audit their changes atomically. */
  async appendInTx(q: PgQueryable, draft: AuditDraft, now: number): Promise<AuditEntry> {
    // Held until the transaction ends: the next appender (any replica) waits and then sees this entry.
    await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_AUDIT_CHAIN]);
    const prev = (await q.query<{ seq: number; hash: string }>(HEAD))[0] ?? null;
    const entry = sealAuditEntry(draft, now, prev);
    await q.execute(
      'INSERT INTO audit_log (seq, ts, actor, action, subject, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [entry.seq, entry.ts, entry.actor, entry.action, entry.subject, canonicalJson(entry.details), entry.prev_hash, entry.hash],
    );
    return entry;
  }

  append(draft: AuditDraft, now: number): Promise<AuditEntry> {
    return this.db.tx((q) => this.appendInTx(q, draft, now));
  }

  async range(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    return (await this.db.query<AuditRow>('SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2', [fromSeq, limit])).map(toEntry);
  }

  async latest(limit: number, beforeSeq?: number): Promise<AuditEntry[]> {
    return (await this.db.query<AuditRow>('SELECT * FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2', [beforeSeq ?? Number.MAX_SAFE_INTEGER, limit])).map(toEntry);
  }

  async head(): Promise<{ seq: number; hash: string } | null> {
    return (await this.db.query<{ seq: number; hash: string }>(HEAD))[0] ?? null;
  }
}
