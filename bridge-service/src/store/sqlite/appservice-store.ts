// Application-service bookkeeping in SQLite: which transactions were fully processed (so a replay
// is acknowledged without processing), which events' handlers ran (so an event redelivered in
// another transaction, or after a crash mid-transaction, is not handled twice), and dead letters.
import type { AppserviceEventRef, AppserviceStats, AppserviceTxnStore } from '../store.ts';
import type { Migration, SqliteDatabase } from './database.ts';

export const appserviceMigrations: Migration[] = [{
  name: 'appservice/001-txns',
  sql: `
    CREATE TABLE appservice_txns (
      txn_id TEXT PRIMARY KEY,
      first_seen_ts INTEGER NOT NULL,
      completed_ts INTEGER,
      deliveries INTEGER NOT NULL,
      event_count INTEGER
    );
    CREATE TABLE appservice_events (
      event_id TEXT PRIMARY KEY,
      room_id TEXT NOT NULL,
      type TEXT NOT NULL,
      txn_id TEXT NOT NULL,
      handled_ts INTEGER,
      handled_count INTEGER NOT NULL DEFAULT 0,
      failures INTEGER NOT NULL DEFAULT 0,
      dead_lettered INTEGER NOT NULL DEFAULT 0,
      last_error TEXT
    );
  `,
}];

export class SqliteAppserviceStore implements AppserviceTxnStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  noteDelivery(txnId: string, now: number): Promise<'new' | 'completed'> {
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO appservice_txns (txn_id, first_seen_ts, deliveries) VALUES (?, ?, 1)
         ON CONFLICT (txn_id) DO UPDATE SET deliveries = deliveries + 1`,
        txnId, now,
      );
      const row = this.db.get<{ completed_ts: number | null }>('SELECT completed_ts FROM appservice_txns WHERE txn_id = ?', txnId);
      return row?.completed_ts != null ? 'completed' : 'new';
    });
  }

  completeTxn(txnId: string, eventCount: number, now: number): Promise<void> {
    return this.db.write(() => {
      this.db.run('UPDATE appservice_txns SET completed_ts = ?, event_count = ? WHERE txn_id = ? AND completed_ts IS NULL', now, eventCount, txnId);
    });
  }

  async eventDone(eventId: string): Promise<boolean> {
    const row = this.db.get<{ handled_count: number; dead_lettered: number }>('SELECT handled_count, dead_lettered FROM appservice_events WHERE event_id = ?', eventId);
    return row !== undefined && (row.handled_count > 0 || row.dead_lettered === 1);
  }

  markEventHandled(ev: AppserviceEventRef, txnId: string, now: number): Promise<void> {
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO appservice_events (event_id, room_id, type, txn_id, handled_ts, handled_count) VALUES (?, ?, ?, ?, ?, 1)
         ON CONFLICT (event_id) DO UPDATE SET handled_count = handled_count + 1, handled_ts = excluded.handled_ts`,
        ev.event_id, ev.room_id, ev.type, txnId, now,
      );
    });
  }

  recordEventFailure(ev: AppserviceEventRef, txnId: string, error: string, maxAttempts: number, now: number): Promise<{ failures: number; deadLettered: boolean }> {
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO appservice_events (event_id, room_id, type, txn_id, failures, last_error) VALUES (?, ?, ?, ?, 1, ?)
         ON CONFLICT (event_id) DO UPDATE SET failures = failures + 1, last_error = excluded.last_error`,
        ev.event_id, ev.room_id, ev.type, txnId, error.slice(0, 500),
      );
      const row = this.db.get<{ failures: number }>('SELECT failures FROM appservice_events WHERE event_id = ?', ev.event_id)!;
      const dead = row.failures >= maxAttempts;
      if (dead) this.db.run('UPDATE appservice_events SET dead_lettered = 1, handled_ts = ? WHERE event_id = ?', now, ev.event_id);
      return { failures: row.failures, deadLettered: dead };
    });
  }

  async stats(): Promise<AppserviceStats> {
    const t = this.db.get<{ completed: number; redeliveries: number }>(
      `SELECT COUNT(completed_ts) AS completed, COALESCE(SUM(deliveries - 1), 0) AS redeliveries FROM appservice_txns`,
    )!;
    const e = this.db.get<{ handled: number; twice: number; dead: number }>(
      `SELECT COALESCE(SUM(handled_count > 0), 0) AS handled, COALESCE(SUM(handled_count > 1), 0) AS twice,
              COALESCE(SUM(dead_lettered), 0) AS dead FROM appservice_events`,
    )!;
    return {
      transactions_completed: t.completed, redeliveries: t.redeliveries,
      events_handled: e.handled, events_handled_more_than_once: e.twice, dead_letters: e.dead,
    };
  }
}
