// Pushes one appservice's queue to it (spec: PUT /_matrix/app/v1/transactions/{txnId}): one
// transaction in flight, up to 100 events each, in stream order. A transaction's id and events are
// fixed in the database before the first attempt, so every retry — also after a restart — repeats
// the same id with the same events, and an appservice that dedupes by id sees each event once.
// Events leave the queue only after a 2xx; failures back off exponentially.
import type { Database } from '../../storage/database.ts';
import type { AppserviceStore } from '../../storage/appservice-store.ts';
import type { EventRow } from '../../storage/events-store.ts';
import type { RoomsService, ClientEvent } from '../rooms/rooms.ts';
import type { Logger } from '../../logger.ts';
import type { JsonObject } from '../../core/pdu.ts';
import type { Appservice } from './registration.ts';

export const MAX_EVENTS_PER_TXN = 100;

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** Synapse-like: start at a second, double per failure, at most five minutes. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 5 * 60_000 };

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;

export class AppservicePusher {
  private readonly as: Appservice;
  private readonly db: Database;
  private readonly store: AppserviceStore;
  private readonly rooms: Pick<RoomsService, 'toClientEvent' | 'strippedState'>;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly requestTimeoutMs: number;
  private readonly fetch: FetchLike;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private stopped = false;
  private workPending = true;
  private wakeWaiter: (() => void) | null = null;
  private sleepCutter: (() => void) | null = null;
  /** Current retry delay; 0 while the appservice answers. */
  delayMs = 0;

  constructor(opts: {
    appservice: Appservice; db: Database; store: AppserviceStore; rooms: Pick<RoomsService, 'toClientEvent' | 'strippedState'>;
    logger: Logger; backoff?: Backoff; requestTimeoutMs?: number; fetch?: FetchLike;
  }) {
    this.as = opts.appservice;
    this.db = opts.db;
    this.store = opts.store;
    this.rooms = opts.rooms;
    this.logger = opts.logger.child({ appservice: opts.appservice.id });
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.fetch = opts.fetch ?? ((url, init) => fetch(url, init));
  }

  start(): void {
    if (this.as.reg.url === null || this.loop) return;
    this.loop = this.run();
  }

  /** New events were queued. */
  wake(): void {
    this.workPending = true;
    this.wakeWaiter?.();
  }

  /** The appservice is known to be reachable again (a ping worked): retry now instead of waiting. */
  retryNow(): void {
    this.delayMs = 0;
    this.sleepCutter?.();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wakeWaiter?.();
    this.sleepCutter?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.workPending = false;
      let txnId: number | undefined;
      try {
        txnId = await this.db.write(() => this.store.pendingTxn(this.as.id) ?? this.store.createTxn(this.as.id, MAX_EVENTS_PER_TXN));
      } catch (e) {
        if (this.stopped) break;
        this.logger.error('appservice transaction could not be prepared', { error: (e as Error).message });
        await this.sleep(this.backoff.initialMs);
        continue;
      }
      if (txnId === undefined) {
        await this.waitForWork();
        continue;
      }
      const events = this.store.txnEvents(this.as.id, txnId);
      const ok = events.length === 0 || await this.send(txnId, events);
      if (ok) {
        try {
          await this.db.write(() => this.store.completeTxn(this.as.id, txnId));
        } catch (e) {
          // Unrecorded success: the same transaction is sent again and the appservice dedupes it.
          this.logger.error('appservice transaction could not be marked done', { txn_id: txnId, error: (e as Error).message });
        }
        this.delayMs = 0;
        continue;
      }
      if (this.stopped) break;
      this.delayMs = this.delayMs === 0 ? this.backoff.initialMs : Math.min(this.delayMs * 2, this.backoff.maxMs);
      this.logger.info('appservice transaction will be retried', { txn_id: txnId, retry_in_ms: this.delayMs });
      await this.sleep(this.delayMs);
    }
  }

  private body(events: EventRow[]): JsonObject {
    const out: ClientEvent[] = events.map((row) => {
      const ev = this.rooms.toClientEvent(row);
      // Like Synapse, invites carry the stripped room state so a bridge can show the room at once.
      if (ev.type === 'm.room.member' && ev.content['membership'] === 'invite') {
        ev.unsigned = { ...ev.unsigned, invite_room_state: this.rooms.strippedState(ev.room_id, ev.event_id) };
      }
      return ev;
    });
    // `ephemeral` only for appservices that asked for it (as Synapse does); none is produced yet.
    return { events: out as unknown as JsonObject[], ...(this.as.reg.receiveEphemeral ? { ephemeral: [] } : {}) };
  }

  private async send(txnId: number, events: EventRow[]): Promise<boolean> {
    const url = `${this.as.reg.url!}/_matrix/app/v1/transactions/${encodeURIComponent(String(txnId))}`;
    let payload: string;
    try {
      payload = JSON.stringify(this.body(events));
    } catch (e) {
      this.logger.error('appservice transaction could not be built', { txn_id: txnId, error: (e as Error).message });
      return false;
    }
    try {
      const res = await this.fetch(url, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${this.as.reg.hsToken}`, 'Content-Type': 'application/json' },
        body: payload,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.requestTimeoutMs)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.logger.debug('appservice transaction sent', { txn_id: txnId, events: events.length });
        return true;
      }
      this.logger.warn('appservice rejected transaction', { txn_id: txnId, status: res.status });
      return false;
    } catch (e) {
      if (!this.stopped) this.logger.warn('appservice unreachable', { txn_id: txnId, error: (e as Error).message });
      return false;
    }
  }

  private waitForWork(): Promise<void> {
    if (this.workPending || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeWaiter = () => {
        this.wakeWaiter = null;
        resolve();
      };
    });
  }

  /** Waits `ms`, or less when stopped or told to retry now. New events do not cut it short. */
  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepCutter = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepCutter = done;
    });
  }
}
