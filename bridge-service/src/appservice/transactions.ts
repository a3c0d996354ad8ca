// Processing one appservice transaction (spec: PUT /_matrix/app/v1/transactions/{txnId}):
// - a transaction already completed — also before a restart — is acknowledged without processing;
//   a concurrent retry of one in progress waits for it;
// - to-device messages, then ephemeral data, before room events (so receipts/typing precede what
//   follows them); those are signals and are not retried;
// - room events in order within each room (rooms in parallel); an event whose handlers ran is
//   never handled again, even if redelivered in another transaction;
// - a failing handler fails the transaction (the homeserver retries it later) and holds back the
//   room's later events; after `maxAttempts` failures the event is dead-lettered and skipped;
// - the caller answers 200 only after this resolves.
import type { AppserviceTxnStore } from '../store/store.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../services/metrics.ts';
import type { AppserviceHandlers, EphemeralEvent, HandlerContext, RoomEvent, ToDeviceEvent } from './handlers.ts';

export interface TransactionBody {
  events: Record<string, unknown>[];
  ephemeral?: Record<string, unknown>[];
  'de.sorunome.msc2409.ephemeral'?: Record<string, unknown>[];
  to_device?: Record<string, unknown>[];
  'de.sorunome.msc2409.to_device'?: Record<string, unknown>[];
}

export class TransactionFailed extends Error {}

const isStr = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function asRoomEvent(v: Record<string, unknown>): RoomEvent | null {
  if (!isStr(v['event_id']) || !isStr(v['room_id']) || !isStr(v['type']) || !isStr(v['sender']) || !isObj(v['content'])) return null;
  return v as unknown as RoomEvent;
}

export class TransactionProcessor {
  private readonly store: AppserviceTxnStore;
  private readonly handlers: AppserviceHandlers;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly maxAttempts: number;
  private readonly inFlight = new Map<string, Promise<'processed' | 'replayed'>>();

  constructor(opts: { store: AppserviceTxnStore; handlers: AppserviceHandlers; logger: Logger; clock: Clock; metrics: Metrics; maxAttempts?: number }) {
    this.store = opts.store;
    this.handlers = opts.handlers;
    this.logger = opts.logger.child({ component: 'appservice' });
    this.clock = opts.clock;
    this.metrics = opts.metrics;
    this.maxAttempts = opts.maxAttempts ?? 5;
  }

  process(txnId: string, body: TransactionBody, logger: Logger = this.logger): Promise<'processed' | 'replayed'> {
    const running = this.inFlight.get(txnId);
    if (running) return running;
    const p = this.run(txnId, body, logger).finally(() => this.inFlight.delete(txnId));
    this.inFlight.set(txnId, p);
    return p;
  }

  private async run(txnId: string, body: TransactionBody, logger: Logger): Promise<'processed' | 'replayed'> {
    if (await this.store.noteDelivery(txnId, this.clock.now()) === 'completed') {
      this.metrics.appserviceTxns.inc({ result: 'replayed' });
      logger.info('appservice transaction replayed; acknowledged without processing', { txn_id: txnId });
      return 'replayed';
    }
    const ctx: HandlerContext = { txnId, logger };
    await this.signals(txnId, [...(body.to_device ?? []), ...(body['de.sorunome.msc2409.to_device'] ?? [])], 'to_device', ctx);
    await this.signals(txnId, [...(body.ephemeral ?? []), ...(body['de.sorunome.msc2409.ephemeral'] ?? [])], 'ephemeral', ctx);

    const byRoom = new Map<string, RoomEvent[]>();
    for (const raw of body.events) {
      const ev = asRoomEvent(raw);
      if (!ev) {
        this.metrics.appserviceEvents.inc({ kind: 'room', result: 'malformed' });
        logger.warn('appservice event without event_id/room_id/type/sender/content skipped', { txn_id: txnId });
        continue;
      }
      let list = byRoom.get(ev.room_id);
      if (!list) byRoom.set(ev.room_id, list = []);
      list.push(ev);
    }
    const outcomes = await Promise.all([...byRoom.values()].map((events) => this.roomInOrder(txnId, events, ctx)));
    if (outcomes.includes(false)) {
      this.metrics.appserviceTxns.inc({ result: 'failed' });
      throw new TransactionFailed(`transaction ${txnId} could not be processed completely; it will be retried`);
    }
    await this.store.completeTxn(txnId, body.events.length, this.clock.now());
    this.metrics.appserviceTxns.inc({ result: 'processed' });
    logger.debug('appservice transaction processed', { txn_id: txnId, events: body.events.length, rooms: byRoom.size });
    return 'processed';
  }

  private async signals(txnId: string, items: Record<string, unknown>[], kind: 'to_device' | 'ephemeral', ctx: HandlerContext): Promise<void> {
    for (const item of items) {
      if (!isStr(item['type'])) continue;
      const handlers = kind === 'to_device' ? this.handlers.toDeviceHandlersFor(item['type']) : this.handlers.ephemeralHandlersFor(item['type']);
      for (const h of handlers) {
        try {
          await (h.fn as (e: EphemeralEvent | ToDeviceEvent, c: HandlerContext) => unknown)(item as unknown as EphemeralEvent & ToDeviceEvent, ctx);
          this.metrics.appserviceEvents.inc({ kind, result: 'handled' });
        } catch (e) {
          this.metrics.appserviceEvents.inc({ kind, result: 'failed' });
          ctx.logger.error('appservice handler failed', { txn_id: txnId, handler: h.name, kind, type: item['type'], error: (e as Error).message });
        }
      }
    }
  }

  /** False when an event failed (and was not dead-lettered): the room's later events wait for the retry. */
  private async roomInOrder(txnId: string, events: RoomEvent[], ctx: HandlerContext): Promise<boolean> {
    for (const ev of events) {
      if (await this.store.eventDone(ev.event_id)) {
        this.metrics.appserviceEvents.inc({ kind: 'room', result: 'duplicate' });
        continue;
      }
      const ref = { event_id: ev.event_id, room_id: ev.room_id, type: ev.type };
      try {
        for (const h of this.handlers.roomHandlersFor(ev.type)) {
          try {
            await h.fn(ev, ctx);
          } catch (e) {
            throw new Error(`${h.name}: ${(e as Error).message}`, { cause: e });
          }
        }
      } catch (e) {
        const { failures, deadLettered } = await this.store.recordEventFailure(ref, txnId, (e as Error).message, this.maxAttempts, this.clock.now());
        ctx.logger.error(deadLettered ? 'appservice event dead-lettered after repeated failures' : 'appservice event handler failed; will retry', {
          txn_id: txnId, event_id: ev.event_id, room_id: ev.room_id, type: ev.type, failures, error: (e as Error).message,
        });
        this.metrics.appserviceEvents.inc({ kind: 'room', result: deadLettered ? 'dead_lettered' : 'failed' });
        if (deadLettered) continue;
        return false;
      }
      await this.store.markEventHandled(ref, txnId, this.clock.now());
      this.metrics.appserviceEvents.inc({ kind: 'room', result: 'handled' });
    }
    return true;
  }
}
