// The small streams beside room events that /sync delivers: typing (in memory), receipts and read
// markers, account data, and stored filters. Each write wakes the users whose sync output it changes.
import type { Database } from '../../storage/database.ts';
import type { StreamsStore } from '../../storage/streams-store.ts';
import type { EventsStore } from '../../storage/events-store.ts';
import type { StreamCounter } from '../../storage/streams.ts';
import type { Notifier } from './notifier.ts';
import type { Clock } from '../users/accounts.ts';
import type { JsonObject } from '../../core/pdu.ts';

interface TypingEntry {
  expires: number;
}

/** A user started, refreshed (typing again while typing) or stopped typing, or their typing expired. */
export type TypingListener = (roomId: string, userId: string, typing: boolean) => void;

/** A receipt was stored (after the commit). */
export interface StoredReceipt {
  roomId: string;
  userId: string;
  type: string;
  eventId: string;
  threadId: string;
  ts: number;
}

/** Who is typing where. Serials start at the wall clock so they keep increasing across restarts. */
export class TypingService {
  private readonly rooms = new Map<string, Map<string, TypingEntry>>();
  private readonly roomSerial = new Map<string, number>();
  private serialValue: number;
  private readonly clock: Clock;
  private readonly onChange: (roomId: string) => void;
  private readonly listeners: TypingListener[] = [];

  constructor(clock: Clock, onChange: (roomId: string) => void) {
    this.clock = clock;
    this.serialValue = clock.now();
    this.onChange = onChange;
  }

  get serial(): number {
    return this.serialValue;
  }

  /** Federation sends local users' typing changes to the other servers in the room. */
  onTyping(fn: TypingListener): void {
    this.listeners.push(fn);
  }

  private tell(roomId: string, userId: string, typing: boolean): void {
    for (const l of this.listeners) l(roomId, userId, typing);
  }

  set(roomId: string, userId: string, typing: boolean, timeoutMs: number): void {
    let m = this.rooms.get(roomId);
    if (!m) {
      m = new Map();
      this.rooms.set(roomId, m);
    }
    const was = m.has(userId);
    if (typing) m.set(userId, { expires: this.clock.now() + Math.min(Math.max(timeoutMs, 0), 120_000) });
    else m.delete(userId);
    if (was !== typing || typing) {
      this.bump(roomId);
      this.tell(roomId, userId, typing);
    }
    if (typing) {
      const t = setTimeout(() => this.expire(roomId), Math.min(Math.max(timeoutMs, 0), 120_000) + 10);
      t.unref();
    }
  }

  private expire(roomId: string): void {
    const m = this.rooms.get(roomId);
    if (!m) return;
    const now = this.clock.now();
    const expired: string[] = [];
    for (const [u, e] of m) if (e.expires <= now) { m.delete(u); expired.push(u); }
    if (expired.length > 0) this.bump(roomId);
    for (const u of expired) this.tell(roomId, u, false);
  }

  private bump(roomId: string): void {
    this.serialValue++;
    this.roomSerial.set(roomId, this.serialValue);
    this.onChange(roomId);
  }

  /** Users typing in a room, if it changed after `since` (or always when since is null). */
  typingIfChanged(roomId: string, since: number | null): string[] | null {
    const s = this.roomSerial.get(roomId);
    if (s === undefined) return null;
    if (since !== null && s <= since) return null;
    const now = this.clock.now();
    return [...(this.rooms.get(roomId) ?? new Map<string, TypingEntry>()).entries()].filter(([, e]) => e.expires > now).map(([u]) => u);
  }

  changedSince(roomIds: Iterable<string>, since: number): boolean {
    for (const r of roomIds) if ((this.roomSerial.get(r) ?? 0) > since) return true;
    return false;
  }
}

export class UserStreamsService {
  private readonly db: Database;
  private readonly store: StreamsStore;
  private readonly events: EventsStore;
  private readonly streams: StreamCounter;
  private readonly notifier: Notifier;
  private readonly clock: Clock;
  /** Newest receipt position per room, to answer "anything new?" without a query. */
  readonly receiptPos = new Map<string, number>();
  /** Newest account-data position per user. */
  readonly accountDataPos = new Map<string, number>();
  private readonly receiptListeners: ((r: StoredReceipt) => void)[] = [];

  constructor(opts: { db: Database; store: StreamsStore; events: EventsStore; streams: StreamCounter; notifier: Notifier; clock: Clock }) {
    this.db = opts.db;
    this.store = opts.store;
    this.events = opts.events;
    this.streams = opts.streams;
    this.notifier = opts.notifier;
    this.clock = opts.clock;
  }

  private roomAudience(roomId: string): string[] {
    return this.events.membersOfRoom(roomId, 'join').map((m) => m.user_id);
  }

  /** Federation sends local users' public receipts to the other servers in the room. */
  onReceipt(fn: (r: StoredReceipt) => void): void {
    this.receiptListeners.push(fn);
  }

  /**
   * Stores a receipt; private receipts wake only their owner. `ts` is when it was read (now unless
   * given: receipts from other servers carry their own).
   */
  async setReceipt(roomId: string, userId: string, type: string, eventId: string, threadId: string, ts?: number): Promise<void> {
    const at = ts ?? this.clock.now();
    await this.db.write((tx) => {
      const pos = this.streams.next();
      this.store.upsertReceipt({ room_id: roomId, receipt_type: type, user_id: userId, thread_id: threadId, event_id: eventId, ts: at, stream_pos: pos });
      tx.afterCommit(() => {
        this.receiptPos.set(roomId, pos);
        this.notifier.notify(type === 'm.read.private' ? [userId] : this.roomAudience(roomId));
        for (const l of this.receiptListeners) l({ roomId, userId, type, eventId, threadId, ts: at });
      });
    });
  }

  async setAccountData(userId: string, roomId: string, type: string, content: JsonObject): Promise<void> {
    await this.db.write((tx) => {
      const pos = this.streams.next();
      this.store.upsertAccountData(userId, roomId, type, JSON.stringify(content), pos);
      tx.afterCommit(() => {
        this.accountDataPos.set(userId, pos);
        this.notifier.notify([userId]);
      });
    });
  }

  accountData(userId: string, roomId: string, type: string): JsonObject | undefined {
    const c = this.store.accountData(userId, roomId, type);
    return c === undefined ? undefined : (JSON.parse(c) as JsonObject);
  }

  async createFilter(userId: string, filter: JsonObject): Promise<string> {
    return String(await this.db.write(() => this.store.insertFilter(userId, JSON.stringify(filter))));
  }

  filter(userId: string, filterId: string): JsonObject | undefined {
    if (!/^\d+$/.test(filterId)) return undefined;
    const f = this.store.filter(userId, Number(filterId));
    return f === undefined ? undefined : (JSON.parse(f) as JsonObject);
  }
}
