// Application-service bookkeeping in PostgreSQL: which transactions were fully processed (so a
// replay is acknowledged without processing), which events' handlers ran (so an event redelivered
// in another transaction, to another replica, or after a crash is not handled twice), dead letters.
// Each step is one atomic upsert, so replicas sharing the database agree on every count.
import type { AppserviceEventRef, AppserviceStats, AppserviceTxnStore } from '../store.ts';
import type { PgDatabase, PgMigration } from './database.ts';

export const pgAppserviceMigrations: PgMigration[] = [{
  name: 'appservice/001-txns',
  sql: `
    CREATE TABLE appservice_txns (
      txn_id TEXT PRIMARY KEY,
      first_seen_ts BIGINT NOT NULL,
      completed_ts BIGINT,
      deliveries INTEGER NOT NULL,
      event_count INTEGER
    );
    CREATE TABLE appservice_events (
      event_id TEXT PRIMARY KEY,
      room_id TEXT NOT NULL,
      type TEXT NOT NULL,
      txn_id TEXT NOT NULL,
      handled_ts BIGINT,
      handled_count INTEGER NOT NULL DEFAULT 0,
      failures INTEGER NOT NULL DEFAULT 0,
      dead_lettered BOOLEAN NOT NULL DEFAULT FALSE,
      last_error TEXT
    );
  `,
}];

export class PgAppserviceStore implements AppserviceTxnStore {
  private readonly db: PgDatabase;

  constructor(db: PgDatabase) {
    this.db = db;
  }

  async noteDelivery(txnId: string, now: number): Promise<'new' | 'completed'> {
    const [row] = await this.db.query<{ completed_ts: number | null }>(
      `INSERT INTO appservice_txns (txn_id, first_seen_ts, deliveries) VALUES ($1, $2, 1)
       ON CONFLICT (txn_id) DO UPDATE SET deliveries = appservice_txns.deliveries + 1
       RETURNING completed_ts`,
      [txnId, now],
    );
    return row?.completed_ts != null ? 'completed' : 'new';
  }

  async completeTxn(txnId: string, eventCount: number, now: number): Promise<void> {
    await this.db.execute('UPDATE appservice_txns SET completed_ts = $1, event_count = $2 WHERE txn_id = $3 AND completed_ts IS NULL', [now, eventCount, txnId]);
  }

  async eventDone(eventId: string): Promise<boolean> {
    const [row] = await this.db.query<{ handled_count: number; dead_lettered: boolean }>(
      'SELECT handled_count, dead_lettered FROM appservice_events WHERE event_id = $1', [eventId],
    );
    return row !== undefined && (row.handled_count > 0 || row.dead_lettered);
  }

  async markEventHandled(ev: AppserviceEventRef, txnId: string, now: number): Promise<void> {
    await this.db.execute(
      `INSERT INTO appservice_events (event_id, room_id, type, txn_id, handled_ts, handled_count) VALUES ($1, $2, $3, $4, $5, 1)
       ON CONFLICT (event_id) DO UPDATE SET handled_count = appservice_events.handled_count + 1, handled_ts = excluded.handled_ts`,
      [ev.event_id, ev.room_id, ev.type, txnId, now],
    );
  }

  async recordEventFailure(ev: AppserviceEventRef, txnId: string, error: string, maxAttempts: number, now: number): Promise<{ failures: number; deadLettered: boolean }> {
    // One statement: the count and the dead-letter decision can't interleave with another replica's.
    const [row] = await this.db.query<{ failures: number; dead_lettered: boolean }>(
      `INSERT INTO appservice_events AS e (event_id, room_id, type, txn_id, failures, last_error, dead_lettered, handled_ts)
         VALUES ($1, $2, $3, $4, 1, $5, 1 >= $6, CASE WHEN 1 >= $6 THEN $7::BIGINT END)
       ON CONFLICT (event_id) DO UPDATE SET
         failures = e.failures + 1,
         last_error = excluded.last_error,
         dead_lettered = e.dead_lettered OR e.failures + 1 >= $6,
         handled_ts = CASE WHEN e.failures + 1 >= $6 THEN $7::BIGINT ELSE e.handled_ts END
       RETURNING failures, dead_lettered`,
      [ev.event_id, ev.room_id, ev.type, txnId, error.slice(0, 500), maxAttempts, now],
    );
    return { failures: row!.failures, deadLettered: row!.failures >= maxAttempts };
  }

  async stats(): Promise<AppserviceStats> {
    const [t] = await this.db.query<{ completed: number; redeliveries: number }>(
      'SELECT COUNT(completed_ts) AS completed, COALESCE(SUM(deliveries - 1), 0) AS redeliveries FROM appservice_txns',
    );
    const [e] = await this.db.query<{ handled: number; twice: number; dead: number }>(
      `SELECT COUNT(*) FILTER (WHERE handled_count > 0) AS handled, COUNT(*) FILTER (WHERE handled_count > 1) AS twice,
              COUNT(*) FILTER (WHERE dead_lettered) AS dead FROM appservice_events`,
    );
    return {
      transactions_completed: t!.completed, redeliveries: t!.redeliveries,
      events_handled: e!.handled, events_handled_more_than_once: e!.twice, dead_letters: e!.dead,
    };
  }
}
