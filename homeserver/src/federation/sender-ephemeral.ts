// Local users' typing notifications and public read receipts, sent as EDUs (spec "Typing
// Notifications", "Receipts") to the other servers in the room. Private receipts never leave.
import type { Logger } from '../logger.ts';
import type { JsonObject } from '../core/pdu.ts';
import type { StoredReceipt } from '../services/sync/user-streams.ts';
import type { EduOptions } from './sender.ts';

/** A user still typing is announced again this often (receiving servers time typing out, Synapse after 60 s). */
export const TYPING_KEEPALIVE_MS = 40_000;
/** A typing EDU not delivered within this time says nothing true any more. */
export const TYPING_EDU_TTL_MS = 60_000;
export const RECEIPT_EDU_TTL_MS = 24 * 3600_000;

export interface EphemeralForwarderOptions {
  isLocalUser: (userId: string) => boolean;
  serversInRoom: (roomId: string) => string[];
  sendEdu: (destinations: string[], eduType: string, content: JsonObject, opts: EduOptions) => Promise<void>;
  now: () => number;
  logger: Logger;
}

export class EphemeralForwarder {
  private readonly o: EphemeralForwarderOptions;
  /** When each (room, user) last had a typing=true EDU queued. */
  private readonly typingSent = new Map<string, number>();

  constructor(o: EphemeralForwarderOptions) {
    this.o = o;
  }

  /** From TypingService: a start, refresh, stop or expiry. Refreshes are sent only as keep-alives. */
  typingChanged(roomId: string, userId: string, typing: boolean): void {
    if (!this.o.isLocalUser(userId)) return;
    const key = `${roomId}\u0000${userId}`;
    const now = this.o.now();
    if (typing) {
      const last = this.typingSent.get(key);
      if (last !== undefined && now - last < TYPING_KEEPALIVE_MS) return;
      this.typingSent.set(key, now);
    } else {
      this.typingSent.delete(key);
    }
    const servers = this.o.serversInRoom(roomId);
    if (servers.length === 0) return;
    this.send(servers, 'm.typing', { room_id: roomId, user_id: userId, typing }, { key, ttlMs: TYPING_EDU_TTL_MS }, roomId);
  }

  /** From UserStreamsService: a stored receipt. Only local users' public `m.read` receipts are federated. */
  receiptStored(r: StoredReceipt): void {
    if (r.type !== 'm.read' || !this.o.isLocalUser(r.userId)) return;
    const servers = this.o.serversInRoom(r.roomId);
    if (servers.length === 0) return;
    const data: JsonObject = { ts: r.ts, ...(r.threadId !== '' ? { thread_id: r.threadId } : {}) };
    const content: JsonObject = { [r.roomId]: { 'm.read': { [r.userId]: { event_ids: [r.eventId], data } } } };
    // A newer receipt of the same user in the same thread makes an unsent older one pointless.
    this.send(servers, 'm.receipt', content, { key: `${r.roomId}\u0000${r.userId}\u0000${r.threadId}`, ttlMs: RECEIPT_EDU_TTL_MS }, r.roomId);
  }

  private send(servers: string[], type: string, content: JsonObject, opts: EduOptions, roomId: string): void {
    this.o.sendEdu(servers, type, content, opts).catch((e: unknown) => {
      this.o.logger.error('queueing an EDU failed', { edu_type: type, room_id: roomId, error: (e as Error).message });
    });
  }
}
