// Reads for aggregate figures: audit entries of given actions in a time window. The index is only a
// read path on the append-only audit table (its triggers guard UPDATE and DELETE, not indexes).
import type { AuditDetails } from '../../core/audit-chain.ts';
import type { AuditFact, FiguresStore } from '../figures-store.ts';
import type { Migration, SqliteDatabase } from './database.ts';

export const figuresMigrations: Migration[] = [{
  name: 'figures/001-audit-by-action',
  sql: 'CREATE INDEX audit_log_by_action_ts ON audit_log(action, ts);',
}];

export class SqliteFiguresStore implements FiguresStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  async auditFacts(actions: readonly string[], fromTs: number, toTs: number): Promise<AuditFact[]> {
    if (actions.length === 0) return [];
    return this.db.all<{ ts: number; action: string; details: string }>(
      `SELECT ts, action, details FROM audit_log
       WHERE action IN (${actions.map(() => '?').join(', ')}) AND ts >= ? AND ts < ?
       ORDER BY seq`,
      ...actions, fromTs, toTs,
    ).map((r) => ({ ts: r.ts, action: r.action, details: JSON.parse(r.details) as AuditDetails }));
  }
}
