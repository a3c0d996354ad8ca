// SQL for federation transactions: the outgoing queue per destination server (PDUs and EDUs, and
// the one transaction in flight with its id, so a retry resends exactly the same transaction), the
// position in the event stream up to which local events were queued (catch-up after a crash), and
// the responses to transactions we received (a repeated transaction is answered, not re-processed).
import type { Database, Migration } from './database.ts';

export const federationQueueMigrations: Migration[] = [
  {
    name: 'federation-queue/001-outbox',
    sql: `
      -- What we owe other servers, in the order it was queued (AUTOINCREMENT: ids are never reused).
      CREATE TABLE federation_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        destination TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('pdu', 'edu')),
        json TEXT NOT NULL,
        -- EDUs only: a newer EDU with the same key replaces a queued one not yet sent (typing, receipts)
        edu_key TEXT,
        -- EDUs only: dropped when still unsent at this time
        expires_ts INTEGER,
        -- the transaction the row was put in; NULL while waiting for one
        txn_id TEXT,
        queued_ts INTEGER NOT NULL
      );
      CREATE INDEX federation_outbox_waiting ON federation_outbox (destination, txn_id, kind, id);
      CREATE INDEX federation_outbox_key ON federation_outbox (destination, edu_key) WHERE edu_key IS NOT NULL;
      -- The transaction in flight to each destination: retried with the same id until answered 200.
      CREATE TABLE federation_outbox_txns (
        destination TEXT PRIMARY KEY,
        txn_id TEXT NOT NULL,
        origin_server_ts INTEGER NOT NULL
      );
      -- Local events up to this stream position have been queued (or needed no queueing).
      CREATE TABLE federation_sender_position (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        stream_pos INTEGER NOT NULL
      );
      -- Our answers to transactions received, by sender and transaction id.
      CREATE TABLE federation_received_txns (
        origin TEXT NOT NULL,
        txn_id TEXT NOT NULL,
        response_json TEXT NOT NULL,
        received_ts INTEGER NOT NULL,
        PRIMARY KEY (origin, txn_id)
      );
      CREATE INDEX federation_received_txns_ts ON federation_received_txns (received_ts);
    `,
  },
];

export interface OutboxRow {
  id: number;
  destination: string;
  kind: 'pdu' | 'edu';
  json: string;
  edu_key: string | null;
  expires_ts: number | null;
  txn_id: string | null;
  queued_ts: number;
}

export interface OutgoingBatch {
  txnId: string;
  originServerTs: number;
  /** PDUs then EDUs, each in queue order. */
  rows: OutboxRow[];
}

export interface BatchLimits {
  maxPdus: number;
  maxEdus: number;
  /** Rough size budget of one transaction (JSON characters of its items). */
  maxBytes: number;
}

export interface QueuedItem {
  kind: 'pdu' | 'edu';
  json: string;
  eduKey?: string | null;
  expiresTs?: number | null;
}

/** A room event row for the catch-up scan. */
export interface ScannedEvent {
  stream_pos: number;
  room_id: string;
  sender: string;
  json: string;
}

export class FederationQueueStore {
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  /** Queues one item for a destination (inside a write). A keyed EDU replaces its unsent predecessor. */
  enqueue(destination: string, item: QueuedItem, now: number): void {
    if (item.kind === 'edu' && item.eduKey) {
      this.db.run('DELETE FROM federation_outbox WHERE destination = ? AND edu_key = ? AND txn_id IS NULL', destination, item.eduKey);
    }
    this.db.run(
      'INSERT INTO federation_outbox (destination, kind, json, edu_key, expires_ts, txn_id, queued_ts) VALUES (?, ?, ?, ?, ?, NULL, ?)',
      destination, item.kind, item.json, item.kind === 'edu' ? (item.eduKey ?? null) : null, item.kind === 'edu' ? (item.expiresTs ?? null) : null, now,
    );
  }

  /**
   * The transaction to send to `destination` next (inside a write): the one in flight if there is
   * one, else a new one of the oldest waiting PDUs and EDUs (expired EDUs are dropped first),
   * within the limits (always at least one item). Null when nothing waits.
   */
  nextBatch(destination: string, now: number, limits: BatchLimits, newTxnId: () => string): OutgoingBatch | null {
    const pending = this.db.get<{ txn_id: string; origin_server_ts: number }>('SELECT txn_id, origin_server_ts FROM federation_outbox_txns WHERE destination = ?', destination);
    if (pending) {
      const rows = this.db.all<OutboxRow>("SELECT * FROM federation_outbox WHERE destination = ? AND txn_id = ? ORDER BY kind = 'edu', id", destination, pending.txn_id);
      if (rows.length > 0) return { txnId: pending.txn_id, originServerTs: pending.origin_server_ts, rows };
      this.db.run('DELETE FROM federation_outbox_txns WHERE destination = ?', destination);
    }
    this.db.run('DELETE FROM federation_outbox WHERE destination = ? AND txn_id IS NULL AND expires_ts IS NOT NULL AND expires_ts <= ?', destination, now);
    const pdus = this.db.all<OutboxRow>("SELECT * FROM federation_outbox WHERE destination = ? AND txn_id IS NULL AND kind = 'pdu' ORDER BY id LIMIT ?", destination, limits.maxPdus);
    const edus = this.db.all<OutboxRow>("SELECT * FROM federation_outbox WHERE destination = ? AND txn_id IS NULL AND kind = 'edu' ORDER BY id LIMIT ?", destination, limits.maxEdus);
    const rows: OutboxRow[] = [];
    let bytes = 0;
    for (const r of [...pdus, ...edus]) {
      if (rows.length > 0 && bytes + r.json.length > limits.maxBytes) break;
      rows.push(r);
      bytes += r.json.length;
    }
    if (rows.length === 0) return null;
    const txnId = newTxnId();
    for (const r of rows) {
      this.db.run('UPDATE federation_outbox SET txn_id = ? WHERE id = ?', txnId, r.id);
      r.txn_id = txnId;
    }
    this.db.run('INSERT INTO federation_outbox_txns (destination, txn_id, origin_server_ts) VALUES (?, ?, ?)', destination, txnId, now);
    return { txnId, originServerTs: now, rows };
  }

  /** Forgets a transaction and what it carried (answered 200, or given up). Inside a write. */
  completeTxn(destination: string, txnId: string): void {
    this.db.run('DELETE FROM federation_outbox WHERE destination = ? AND txn_id = ?', destination, txnId);
    this.db.run('DELETE FROM federation_outbox_txns WHERE destination = ? AND txn_id = ?', destination, txnId);
  }

  /** Drops everything queued for a destination (we no longer federate with it). Inside a write. */
  dropDestination(destination: string): number {
    const n = this.db.run('DELETE FROM federation_outbox WHERE destination = ?', destination).changes;
    this.db.run('DELETE FROM federation_outbox_txns WHERE destination = ?', destination);
    return n;
  }

  /** Destinations with anything queued or in flight. */
  destinationsWithWork(): string[] {
    return this.db.all<{ destination: string }>('SELECT DISTINCT destination FROM federation_outbox').map((r) => r.destination);
  }

  /** How many items wait for (or are in flight to) a destination. */
  queuedCount(destination: string): number {
    return this.db.get<{ n: number }>('SELECT count(*) AS n FROM federation_outbox WHERE destination = ?', destination)?.n ?? 0;
  }

  queued(destination: string): OutboxRow[] {
    return this.db.all<OutboxRow>('SELECT * FROM federation_outbox WHERE destination = ? ORDER BY id', destination);
  }

  pendingTxnId(destination: string): string | undefined {
    return this.db.get<{ txn_id: string }>('SELECT txn_id FROM federation_outbox_txns WHERE destination = ?', destination)?.txn_id;
  }

  // --- the catch-up position -------------------------------------------------------------------

  position(): number | undefined {
    return this.db.get<{ stream_pos: number }>('SELECT stream_pos FROM federation_sender_position WHERE id = 1')?.stream_pos;
  }

  /** Moves the position forward (never back). Inside a write. */
  setPosition(pos: number): void {
    this.db.run(
      'INSERT INTO federation_sender_position (id, stream_pos) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET stream_pos = max(stream_pos, excluded.stream_pos)',
      pos,
    );
  }

  /** The newest position of any room event (where a first start begins). */
  latestEventPos(): number {
    return this.db.get<{ m: number | null }>('SELECT max(stream_pos) AS m FROM events')?.m ?? 0;
  }

  /** Accepted room events (not outliers) after `pos`, oldest first; `last` is the newest position looked at. */
  eventsAfter(pos: number, limit: number): { events: ScannedEvent[]; last: number | undefined } {
    const rows = this.db.all<ScannedEvent & { rejected: string | null; outlier: number }>(
      'SELECT stream_pos, room_id, sender, json, rejected, outlier FROM events WHERE stream_pos > ? ORDER BY stream_pos LIMIT ?', pos, limit,
    );
    return {
      events: rows.filter((r) => r.rejected === null && r.outlier === 0).map(({ stream_pos, room_id, sender, json }) => ({ stream_pos, room_id, sender, json })),
      last: rows.at(-1)?.stream_pos,
    };
  }

  // --- transactions received -------------------------------------------------------------------

  receivedResponse(origin: string, txnId: string): string | undefined {
    return this.db.get<{ response_json: string }>('SELECT response_json FROM federation_received_txns WHERE origin = ? AND txn_id = ?', origin, txnId)?.response_json;
  }

  /** Inside a write. */
  storeReceived(origin: string, txnId: string, responseJson: string, now: number): void {
    this.db.run(
      'INSERT INTO federation_received_txns (origin, txn_id, response_json, received_ts) VALUES (?, ?, ?, ?) ON CONFLICT (origin, txn_id) DO NOTHING',
      origin, txnId, responseJson, now,
    );
  }

  /** Forgets answers older than `before`. Inside a write. */
  pruneReceived(before: number): number {
    return this.db.run('DELETE FROM federation_received_txns WHERE received_ts < ?', before).changes;
  }
}
