// Reads for aggregate figures in PostgreSQL: audit entries of given actions in a time window. The
// index is only a read path on the append-only audit table (its triggers guard changes to rows).
import type { AuditDetails } from '../../core/audit-chain.ts';
import type { AuditFact, FiguresStore } from '../figures-store.ts';
import type { PgDatabase, PgMigration } from './database.ts';

export const pgFiguresMigrations: PgMigration[] = [{
  name: 'figures/001-audit-by-action',
  sql: 'CREATE INDEX audit_log_by_action_ts ON audit_log(action, ts);',
}];

export class PgFiguresStore implements FiguresStore {
  private readonly db: PgDatabase;

  constructor(db: PgDatabase) {
    this.db = db;
  }

  async auditFacts(actions: readonly string[], fromTs: number, toTs: number): Promise<AuditFact[]> {
    if (actions.length === 0) return [];
    const rows = await this.db.query<{ ts: number; action: string; details: string }>(
      'SELECT ts, action, details FROM audit_log WHERE action = ANY($1::text[]) AND ts >= $2 AND ts < $3 ORDER BY seq',
      [[...actions], fromTs, toTs],
    );
    return rows.map((r) => ({ ts: r.ts, action: r.action, details: JSON.parse(r.details) as AuditDetails }));
  }
}
