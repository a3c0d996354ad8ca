// Which servers a local event goes to, and queueing it for them once committed. The position of
// the newest event handled is recorded with each queueing (and at a clean stop), so that after a
// crash between an event's commit and its queueing, the next start queues what was missed. A
// queueing that fails (a full disk) is retried until it succeeds, and the recorded position never
// passes an event not yet queued, so that not even a restart in between loses it.
import type { Database } from '../storage/database.ts';
import type { FederationQueueStore } from '../storage/federation-queue-store.ts';
import type { Logger } from '../logger.ts';
import type { Pdu } from '../core/pdu.ts';
import { isValidUserId, serverNameOf } from '../core/ids.ts';
import type { FederationSender } from './sender.ts';

/** Events examined per write during the catch-up scan. */
const CATCH_UP_BATCH = 500;

/**
 * The servers a local event goes to: those with joined members now, plus for a member event the
 * target's server — an invite, kick or ban reaches the user's server, and a leave reaches the
 * server that was in the room before it (only the target's membership changed, so the servers in
 * the room before the event are those in it now plus the target's).
 */
export function destinationsForEvent(pdu: Pick<Pdu, 'type' | 'state_key'>, serversInRoom: readonly string[]): string[] {
  const out = new Set(serversInRoom);
  if (pdu.type === 'm.room.member' && typeof pdu.state_key === 'string' && isValidUserId(pdu.state_key)) out.add(serverNameOf(pdu.state_key));
  return [...out];
}

export interface LocalEventFeedOptions {
  db: Database;
  store: FederationQueueStore;
  sender: FederationSender;
  serverName: string;
  serversInRoom: (roomId: string) => string[];
  logger: Logger;
  /** First wait before queueing a failed event again, in ms (doubles per failure, up to a minute). */
  retryMs?: number;
}

interface PersistedLocal { pdu: Pdu; streamPos: number; eventId: string }

const MAX_RETRY_MS = 60_000;

export class LocalEventFeed {
  private readonly o: LocalEventFeedOptions;
  private lastSeen = 0;
  private readonly pending = new Set<Promise<unknown>>();
  /** Committed local events whose queueing failed, by stream position, waiting to be queued again. */
  private readonly failed = new Map<number, PersistedLocal>();
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;

  constructor(o: LocalEventFeedOptions) {
    this.o = o;
    this.retryDelay = o.retryMs ?? 1000;
  }

  /** The furthest position that may be recorded as handled: just before the first event not yet queued. */
  private safePosition(pos: number): number {
    let limit = pos;
    for (const p of this.failed.keys()) limit = Math.min(limit, p - 1);
    return limit;
  }

  private destinations(pdu: Pdu): string[] {
    return this.o.sender.targets(destinationsForEvent(pdu, this.o.serversInRoom(pdu.room_id)));
  }

  /** Called after each event commits, in commit order. Remote events are never sent back out. */
  persisted(e: { origin: 'local' | 'remote'; pdu: Pdu; streamPos: number; eventId: string }): void {
    this.lastSeen = Math.max(this.lastSeen, e.streamPos);
    if (e.origin !== 'local') return;
    const targets = this.destinations(e.pdu);
    if (targets.length === 0) return;
    this.queue(e, targets);
  }

  private queue(e: PersistedLocal, targets: string[]): void {
    const p = this.o.db.write((tx) => {
      // Marked at once (not when the promise settles), so that a write later in the same batch does
      // not record a position past this event.
      tx.onRollback(() => this.failed.set(e.streamPos, e));
      this.o.sender.queuePduInTx(tx, targets, e.pdu);
      this.o.store.setPosition(this.safePosition(e.streamPos));
    }).then(() => {
      this.failed.delete(e.streamPos);
    }, (err: unknown) => {
      // Committed and acknowledged to its sender: it must still reach the other servers.
      this.o.logger.error('queueing a local event for federation failed; trying again', { event_id: e.eventId, room_id: e.pdu.room_id, error: (err as Error).message });
      this.failed.set(e.streamPos, e);
      this.scheduleRetry();
    }).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.retryFailed();
    }, delay);
    this.retryTimer.unref();
  }

  /** Queues again, in commit order, the events whose queueing failed. */
  private retryFailed(): void {
    const events = [...this.failed.values()].sort((x, y) => x.streamPos - y.streamPos);
    if (events.length === 0) return;
    const p = this.o.db.write((tx) => {
      for (const e of events) {
        const targets = this.destinations(e.pdu);
        if (targets.length > 0) this.o.sender.queuePduInTx(tx, targets, e.pdu);
      }
    }).then(() => {
      for (const e of events) this.failed.delete(e.streamPos);
      this.retryDelay = this.o.retryMs ?? 1000;
      this.o.logger.info('queued local events for federation after a failure', { events: events.length });
      return this.o.db.write(() => this.o.store.setPosition(this.safePosition(this.lastSeen)));
    }, (err: unknown) => {
      this.o.logger.error('queueing local events for federation failed again', { events: events.length, error: (err as Error).message });
      this.scheduleRetry();
    }).catch(() => undefined).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /**
   * Queues local events committed after the recorded position (missed by a crash). A first start
   * begins at the newest event: history is not pushed to anyone.
   */
  async catchUp(): Promise<number> {
    let pos = this.o.store.position();
    if (pos === undefined) {
      const latest = this.o.store.latestEventPos();
      await this.o.db.write(() => this.o.store.setPosition(latest));
      this.lastSeen = Math.max(this.lastSeen, latest);
      return 0;
    }
    let queued = 0;
    for (;;) {
      const { events, last } = this.o.store.eventsAfter(pos, CATCH_UP_BATCH);
      if (last === undefined) break;
      queued += await this.o.db.write((tx) => {
        let n = 0;
        for (const ev of events) {
          if (serverNameOf(ev.sender) !== this.o.serverName) continue;
          const pdu = JSON.parse(ev.json) as Pdu;
          if (this.o.sender.queuePduInTx(tx, this.destinations(pdu), pdu).length > 0) n++;
        }
        this.o.store.setPosition(last);
        return n;
      });
      pos = last;
      this.lastSeen = Math.max(this.lastSeen, last);
    }
    if (queued > 0) this.o.logger.info('queued local events missed before a restart', { events: queued });
    return queued;
  }

  /** At a clean stop: waits for queueing in progress and records how far events were handled. */
  async flush(): Promise<void> {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    await Promise.all([...this.pending]);
    // What still could not be queued stays after the recorded position: the next start queues it.
    const seen = this.safePosition(this.lastSeen);
    if (seen > 0) await this.o.db.write(() => this.o.store.setPosition(seen)).catch(() => undefined);
  }
}
