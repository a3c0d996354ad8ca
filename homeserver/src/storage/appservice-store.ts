// SQL for application services: the per-appservice delivery queue of room events and the
// transactions carved out of it. A queue row names an event by its stream position; a row with a
// txn_id belongs to a transaction that was (or is being) sent, so a retry resends exactly it.
import type { Database, Migration } from './database.ts';
import type { EventRow } from './events-store.ts';

export const appserviceMigrations: Migration[] = [
  {
    name: 'appservice/001-queue',
    sql: `
      -- One row per configured appservice: the highest event stream position already considered
      -- for its queue, and the next transaction id to hand out.
      CREATE TABLE appservice_state (
        as_id TEXT PRIMARY KEY,
        scanned_pos INTEGER NOT NULL,
        next_txn_id INTEGER NOT NULL DEFAULT 1
      );
      CREATE TABLE appservice_queue (
        as_id TEXT NOT NULL,
        stream_pos INTEGER NOT NULL,
        txn_id INTEGER,
        PRIMARY KEY (as_id, stream_pos)
      );
      CREATE INDEX appservice_queue_txn ON appservice_queue (as_id, txn_id) WHERE txn_id IS NOT NULL;
    `,
  },
];

/** The columns of an event needed to decide whether an appservice is interested in it. */
export interface ScannedEvent {
  stream_pos: number;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
}

export interface MemberRow {
  user_id: string;
  membership: string;
  stream_pos: number;
}

export class AppserviceStore {
  private readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }

  scannedPositions(): Map<string, number> {
    const rows = this.db.all<{ as_id: string; scanned_pos: number }>('SELECT as_id, scanned_pos FROM appservice_state');
    return new Map(rows.map((r) => [r.as_id, r.scanned_pos]));
  }

  /** Registers an appservice that has never been seen, starting after the newest event. */
  ensureState(asId: string): void {
    const max = this.db.get<{ m: number | null }>('SELECT MAX(stream_pos) AS m FROM events')?.m ?? 0;
    this.db.run('INSERT OR IGNORE INTO appservice_state (as_id, scanned_pos) VALUES (?, ?)', asId, Math.max(0, max));
  }

  setScannedPos(asId: string, pos: number): void {
    this.db.run('UPDATE appservice_state SET scanned_pos = ? WHERE as_id = ? AND scanned_pos < ?', pos, asId, pos);
  }

  /**
   * Live (non-outlier, non-rejected) events after `from`, oldest first, and invites from other
   * servers to rooms we are not in (outliers given a stream position).
   */
  eventsAfter(from: number, limit: number): ScannedEvent[] {
    return this.db.all<ScannedEvent>(
      `SELECT stream_pos, room_id, type, state_key, sender FROM events
       WHERE stream_pos > ? AND (outlier = 0 OR (outlier = 1 AND stream_pos > 0)) AND rejected IS NULL ORDER BY stream_pos LIMIT ?`,
      from, limit,
    );
  }

  roomMembers(roomId: string): MemberRow[] {
    return this.db.all<MemberRow>('SELECT user_id, membership, stream_pos FROM room_memberships WHERE room_id = ?', roomId);
  }

  /** The membership of a user in a room as of stream position `pos` (after the event at `pos`). */
  membershipAt(roomId: string, userId: string, pos: number): string | undefined {
    const row = this.db.get<{ json: string }>(
      `SELECT json FROM events WHERE room_id = ? AND type = 'm.room.member' AND state_key = ? AND stream_pos <= ?
         AND outlier = 0 AND rejected IS NULL ORDER BY stream_pos DESC LIMIT 1`,
      roomId, userId, pos,
    );
    if (!row) return undefined;
    const content = (JSON.parse(row.json) as { content?: { membership?: unknown } }).content;
    return typeof content?.membership === 'string' ? content.membership : undefined;
  }

  enqueue(asId: string, streamPos: number): void {
    this.db.run('INSERT OR IGNORE INTO appservice_queue (as_id, stream_pos) VALUES (?, ?)', asId, streamPos);
  }

  /** The oldest transaction already carved out but not yet acknowledged. */
  pendingTxn(asId: string): number | undefined {
    return this.db.get<{ t: number | null }>('SELECT MIN(txn_id) AS t FROM appservice_queue WHERE as_id = ? AND txn_id IS NOT NULL', asId)?.t ?? undefined;
  }

  /** Assigns the oldest `limit` unassigned queued events to a new transaction; returns its id, or undefined when the queue is empty. */
  createTxn(asId: string, limit: number): number | undefined {
    const last = this.db.get<{ p: number | null }>(
      'SELECT MAX(stream_pos) AS p FROM (SELECT stream_pos FROM appservice_queue WHERE as_id = ? AND txn_id IS NULL ORDER BY stream_pos LIMIT ?)',
      asId, limit,
    )?.p;
    if (last === null || last === undefined) return undefined;
    const txnId = this.db.get<{ next_txn_id: number }>('SELECT next_txn_id FROM appservice_state WHERE as_id = ?', asId)?.next_txn_id ?? 1;
    this.db.run('UPDATE appservice_state SET next_txn_id = ? WHERE as_id = ?', txnId + 1, asId);
    this.db.run('UPDATE appservice_queue SET txn_id = ? WHERE as_id = ? AND txn_id IS NULL AND stream_pos <= ?', txnId, asId, last);
    return txnId;
  }

  /** The events of a transaction, oldest first. */
  txnEvents(asId: string, txnId: number): EventRow[] {
    return this.db.all<EventRow>(
      `SELECT e.* FROM appservice_queue q JOIN events e ON e.stream_pos = q.stream_pos
       WHERE q.as_id = ? AND q.txn_id = ? ORDER BY q.stream_pos`,
      asId, txnId,
    );
  }

  completeTxn(asId: string, txnId: number): void {
    this.db.run('DELETE FROM appservice_queue WHERE as_id = ? AND txn_id = ?', asId, txnId);
  }

  queueLength(asId: string): number {
    return this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM appservice_queue WHERE as_id = ?', asId)!.n;
  }
}
