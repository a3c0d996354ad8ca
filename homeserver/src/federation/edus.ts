// EDUs received in transactions (spec "EDUs"): typing notifications and read receipts are applied
// here, for the sending server's own users in rooms they are joined to and whose server ACL admits
// the sender; presence is accepted and ignored; other types (`m.device_list_update`,
// `m.signing_key_update`, `m.direct_to_device`, …) go to handlers other modules register with
// `onEdu`. Unregistered types are ignored, as the spec expects of unknown EDUs.
import type { Logger } from '../logger.ts';
import type { JsonObject } from '../core/pdu.ts';
import { isValidRoomId, isValidUserId, serverNameOf } from '../core/ids.ts';

/** Handles one EDU of a type; `origin` is the authenticated server that sent it. */
export type EduHandler = (origin: string, content: JsonObject) => void | Promise<void>;

const registries = new WeakMap<object, Map<string, EduHandler>>();

/** Registers the handler of an EDU type for one homeserver (the last registration wins). */
export function onEdu(s: object, eduType: string, handler: EduHandler): void {
  let m = registries.get(s);
  if (!m) {
    m = new Map();
    registries.set(s, m);
  }
  m.set(eduType, handler);
}

/** The handler registered for an EDU type, if any. */
export function eduHandlerOf(s: object, eduType: string): EduHandler | undefined {
  return registries.get(s)?.get(eduType);
}

/** How long a remote user shows as typing without a new EDU (Synapse's federation timeout). */
export const REMOTE_TYPING_TIMEOUT_MS = 60_000;

export interface IncomingEduOptions {
  logger: Logger;
  now: () => number;
  /** Whether we hold the room at all. */
  roomKnown: (roomId: string) => boolean;
  /** Whether the room's server ACL admits `origin`. */
  aclAllows: (roomId: string, origin: string) => boolean;
  isJoined: (roomId: string, userId: string) => boolean;
  setTyping: (roomId: string, userId: string, typing: boolean, timeoutMs: number) => void;
  storeReceipt: (roomId: string, userId: string, eventId: string, threadId: string, ts: number) => Promise<void>;
  handler: (eduType: string) => EduHandler | undefined;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export class IncomingEdus {
  private readonly o: IncomingEduOptions;

  constructor(o: IncomingEduOptions) {
    this.o = o;
  }

  /** Applies the EDUs of one transaction from `origin`; a malformed or refused EDU is skipped, never fatal. */
  async process(origin: string, edus: readonly unknown[]): Promise<void> {
    for (const edu of edus) {
      if (!isObject(edu) || typeof edu['edu_type'] !== 'string' || !isObject(edu['content'])) {
        this.o.logger.info('ignoring a malformed EDU', { origin });
        continue;
      }
      const type = edu['edu_type'];
      const content = edu['content'];
      try {
        if (type === 'm.typing') this.typing(origin, content);
        else if (type === 'm.receipt') await this.receipts(origin, content);
        else if (type === 'm.presence') continue; // presence is not implemented: accepted and ignored
        else await this.o.handler(type)?.(origin, content);
      } catch (e) {
        this.o.logger.warn('processing an EDU failed', { origin, edu_type: type, error: (e as Error).message });
      }
    }
  }

  /** Whether `userId` is a user of `origin` joined to a room we hold whose ACL admits `origin`. */
  private mayActFor(origin: string, roomId: string, userId: string): boolean {
    return isValidUserId(userId) && serverNameOf(userId) === origin && this.o.isJoined(roomId, userId);
  }

  private roomOpenTo(origin: string, roomId: string): boolean {
    return isValidRoomId(roomId) && this.o.roomKnown(roomId) && this.o.aclAllows(roomId, origin);
  }

  private typing(origin: string, c: JsonObject): void {
    const roomId = c['room_id'];
    const userId = c['user_id'];
    const typing = c['typing'];
    if (typeof roomId !== 'string' || typeof userId !== 'string' || typeof typing !== 'boolean') {
      this.o.logger.info('ignoring a malformed m.typing EDU', { origin });
      return;
    }
    if (!this.roomOpenTo(origin, roomId) || !this.mayActFor(origin, roomId, userId)) {
      this.o.logger.info('ignoring an m.typing EDU for a user or room the sender may not speak for', { origin, room_id: roomId });
      return;
    }
    this.o.setTyping(roomId, userId, typing, REMOTE_TYPING_TIMEOUT_MS);
  }

  private async receipts(origin: string, c: JsonObject): Promise<void> {
    const writes: Promise<void>[] = [];
    let refused = 0;
    for (const [roomId, byType] of Object.entries(c)) {
      // All receipts of a room the sender may not take part in are ignored (spec: server ACLs).
      if (!isObject(byType) || !this.roomOpenTo(origin, roomId)) {
        refused++;
        continue;
      }
      const reads = byType['m.read'];
      if (!isObject(reads)) continue;
      for (const [userId, receipt] of Object.entries(reads)) {
        if (!isObject(receipt) || !this.mayActFor(origin, roomId, userId)) {
          refused++;
          continue;
        }
        const ids = receipt['event_ids'];
        const eventId = Array.isArray(ids) ? ids.find((x): x is string => typeof x === 'string' && x.startsWith('$')) : undefined;
        if (!eventId) {
          refused++;
          continue;
        }
        const data = isObject(receipt['data']) ? receipt['data'] : {};
        const ts = Number.isSafeInteger(data['ts']) ? (data['ts'] as number) : this.o.now();
        const thread = typeof data['thread_id'] === 'string' ? data['thread_id'] : '';
        // As for local receipts: the main timeline is stored as unthreaded.
        writes.push(this.o.storeReceipt(roomId, userId, eventId, thread === 'main' ? '' : thread, ts));
      }
    }
    if (refused > 0) this.o.logger.info('ignored receipts the sender may not send', { origin, refused });
    await Promise.all(writes);
  }
}
