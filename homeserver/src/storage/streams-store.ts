// SQL for receipts, account data and filters: the small per-user streams /sync reads; and which
// rooms a user forgot.
import type { Database, Migration } from './database.ts';

/**
 * A forgotten room is recorded with the membership event that was forgotten: any later membership
 * (a new invite, a rejoin) makes the room remembered again without a write of its own.
 */
export const streamsMigrations: Migration[] = [{
  name: 'streams/001-forgotten-rooms',
  sql: `
    CREATE TABLE forgotten_rooms (
      user_id TEXT NOT NULL,
      room_id TEXT NOT NULL,
      membership_event_id TEXT NOT NULL,
      PRIMARY KEY (user_id, room_id)
    );
  `,
}];

export interface ReceiptRow {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  ts: number;
  stream_pos: number;
}

export interface AccountDataRow {
  user_id: string;
  room_id: string;
  type: string;
  content: string;
  stream_pos: number;
}

export class StreamsStore {
  private readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }

  upsertReceipt(r: ReceiptRow): void {
    this.db.run(
      `INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, ts, stream_pos) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (room_id, receipt_type, user_id, thread_id) DO UPDATE SET event_id = excluded.event_id, ts = excluded.ts, stream_pos = excluded.stream_pos`,
      r.room_id, r.receipt_type, r.user_id, r.thread_id, r.event_id, r.ts, r.stream_pos,
    );
  }

  receipt(roomId: string, type: string, userId: string, threadId: string): ReceiptRow | undefined {
    return this.db.get<ReceiptRow>('SELECT * FROM receipts WHERE room_id = ? AND receipt_type = ? AND user_id = ? AND thread_id = ?', roomId, type, userId, threadId);
  }

  receiptsSince(roomId: string, since: number, upTo: number): ReceiptRow[] {
    return this.db.all<ReceiptRow>('SELECT * FROM receipts WHERE room_id = ? AND stream_pos > ? AND stream_pos <= ?', roomId, since, upTo);
  }

  /** The newest m.read / m.read.private receipt position of a user in a room (for unread counts). */
  readUpTo(roomId: string, userId: string): string | undefined {
    return this.db.get<{ event_id: string }>(
      `SELECT r.event_id FROM receipts r JOIN events e ON e.event_id = r.event_id
       WHERE r.room_id = ? AND r.user_id = ? AND r.receipt_type IN ('m.read', 'm.read.private', 'm.fully_read')
       ORDER BY e.stream_pos DESC LIMIT 1`,
      roomId, userId,
    )?.event_id;
  }

  upsertAccountData(userId: string, roomId: string, type: string, content: string, pos: number): void {
    this.db.run(
      `INSERT INTO account_data (user_id, room_id, type, content, stream_pos) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, room_id, type) DO UPDATE SET content = excluded.content, stream_pos = excluded.stream_pos`,
      userId, roomId, type, content, pos,
    );
  }

  accountData(userId: string, roomId: string, type: string): string | undefined {
    return this.db.get<{ content: string }>('SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?', userId, roomId, type)?.content;
  }

  /** Erasure on deactivation: every account data entry of the user, global and per room. */
  deleteAccountData(userId: string): void {
    this.db.run('DELETE FROM account_data WHERE user_id = ?', userId);
  }

  accountDataSince(userId: string, since: number, upTo: number): AccountDataRow[] {
    return this.db.all<AccountDataRow>('SELECT * FROM account_data WHERE user_id = ? AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos', userId, since, upTo);
  }

  insertFilter(userId: string, json: string): number {
    const row = this.db.get<{ m: number | null }>('SELECT MAX(filter_id) AS m FROM filters WHERE user_id = ?', userId);
    const id = (row?.m ?? -1) + 1;
    this.db.run('INSERT INTO filters (user_id, filter_id, json) VALUES (?, ?, ?)', userId, id, json);
    return id;
  }

  filter(userId: string, filterId: number): string | undefined {
    return this.db.get<{ json: string }>('SELECT json FROM filters WHERE user_id = ? AND filter_id = ?', userId, filterId)?.json;
  }

  /** Records that `userId` forgot the room as of their membership event `membershipEventId`. */
  forgetRoom(userId: string, roomId: string, membershipEventId: string): void {
    this.db.run(
      `INSERT INTO forgotten_rooms (user_id, room_id, membership_event_id) VALUES (?, ?, ?)
       ON CONFLICT (user_id, room_id) DO UPDATE SET membership_event_id = excluded.membership_event_id`,
      userId, roomId, membershipEventId,
    );
  }

  /** Whether the user forgot the room and has not had another membership event there since. */
  isForgotten(userId: string, roomId: string, currentMembershipEventId: string): boolean {
    return this.db.get('SELECT 1 AS x FROM forgotten_rooms WHERE user_id = ? AND room_id = ? AND membership_event_id = ?', userId, roomId, currentMembershipEventId) !== undefined;
  }
}
