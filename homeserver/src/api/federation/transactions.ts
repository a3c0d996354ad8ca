// Receiving transactions (spec "Transactions"): each PDU is checked and placed through the room
// layer, each EDU applied; a transaction is processed once per (origin, txnId) — a repeat, also
// one arriving while the first is still being processed, gets the same answer and changes nothing.
// Transactions of one origin are processed one at a time, in the order they arrive.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import type { Database } from '../../storage/database.ts';
import { FederationQueueStore, federationQueueMigrations } from '../../storage/federation-queue-store.ts';
import type { Logger } from '../../logger.ts';
import { badJson, invalidParam } from '../errors.ts';
import { DEFAULT_ROOM_VERSION, stateKeyOf, type Pdu, type RoomVersion } from '../../core/pdu.ts';
import { computeEventId } from '../../core/event-hash.ts';
import { roomFederationOf } from '../../federation/room-federation.ts';
import { ServerAclCache, serverAclAllows } from '../../federation/server-acl.ts';
import { IncomingEdus, eduHandlerOf } from '../../federation/edus.ts';
import { MAX_EDUS_PER_TXN, MAX_PDUS_PER_TXN } from '../../federation/sender.ts';
import { KeyedQueue } from '../../core/keyed-queue.ts';

/** Answers to received transactions are kept this long (a sender retries well within it). */
export const RECEIVED_TXN_RETENTION_MS = 24 * 3600_000;

export interface TransactionResponse {
  pdus: Record<string, { error?: string }>;
}

export interface IncomingTransactionsOptions {
  db: Database;
  store: FederationQueueStore;
  now: () => number;
  logger: Logger;
  /** The room layer: checks and places one PDU; throws with the reason it was refused. */
  /** Places one room's PDUs in order; one result per PDU. */
  receivePdus: (origin: string, pdus: unknown[]) => Promise<({ eventId: string; rejected: string | null } | { error: string })[]>;
  /** The version of a room we hold, or null when we do not hold it. */
  roomVersion: (roomId: string) => RoomVersion | null;
  aclAllows: (roomId: string, origin: string) => boolean;
  processEdus: (origin: string, edus: unknown[]) => Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class IncomingTransactions {
  private readonly o: IncomingTransactionsOptions;
  private readonly inProgress = new Map<string, Promise<TransactionResponse>>();
  private readonly originQueues = new KeyedQueue();
  private lastPrune = 0;

  constructor(o: IncomingTransactionsOptions) {
    this.o = o;
  }

  /** Validates the body (400 when malformed or over the spec's limits) and processes it once. */
  async handle(origin: string, txnId: string, body: unknown): Promise<TransactionResponse> {
    if (!isObject(body)) throw badJson('request body must be a transaction object');
    const pdus = body['pdus'] ?? [];
    const edus = body['edus'] ?? [];
    if (!Array.isArray(pdus)) throw badJson("'pdus' must be a list of PDUs");
    if (!Array.isArray(edus)) throw badJson("'edus' must be a list of EDUs");
    if (pdus.length > MAX_PDUS_PER_TXN) throw badJson(`transaction holds ${pdus.length} PDUs, more than the limit of ${MAX_PDUS_PER_TXN}`);
    if (edus.length > MAX_EDUS_PER_TXN) throw badJson(`transaction holds ${edus.length} EDUs, more than the limit of ${MAX_EDUS_PER_TXN}`);
    if (body['origin'] !== undefined && body['origin'] !== origin) {
      throw invalidParam(`transaction 'origin' ${JSON.stringify(body['origin'])} is not the server that signed the request (${origin})`);
    }
    const key = `${origin}\u0000${txnId}`;
    const running = this.inProgress.get(key);
    if (running) return running;
    const stored = this.o.store.receivedResponse(origin, txnId);
    if (stored !== undefined) return JSON.parse(stored) as TransactionResponse;
    const p = this.originQueues.run(origin, () => this.process(origin, txnId, pdus, edus)).finally(() => this.inProgress.delete(key));
    this.inProgress.set(key, p);
    return p;
  }



  private async process(origin: string, txnId: string, pdus: unknown[], edus: unknown[]): Promise<TransactionResponse> {
    // Another request for the same id may have finished while this one waited its turn.
    const stored = this.o.store.receivedResponse(origin, txnId);
    if (stored !== undefined) return JSON.parse(stored) as TransactionResponse;
    const results: TransactionResponse['pdus'] = {};
    // One room's PDUs are placed in the order sent; rooms proceed side by side.
    const byRoom = new Map<string, { eventId: string; raw: unknown }[]>();
    for (const raw of pdus) {
      const roomId = isObject(raw) && typeof raw['room_id'] === 'string' ? raw['room_id'] : null;
      const version = (roomId !== null ? this.o.roomVersion(roomId) : null) ?? DEFAULT_ROOM_VERSION;
      const eventId = isObject(raw) ? eventIdOf(raw, version) : null;
      if (eventId === null || roomId === null) {
        this.o.logger.info('ignoring a PDU without a computable event id or room', { origin, txn_id: txnId });
        continue;
      }
      if (this.o.roomVersion(roomId) === null) {
        results[eventId] = { error: `room ${roomId} is not known to this server` };
        continue;
      }
      if (!this.o.aclAllows(roomId, origin)) {
        results[eventId] = { error: `the server ACL of room ${roomId} does not admit ${origin}` };
        continue;
      }
      let list = byRoom.get(roomId);
      if (!list) byRoom.set(roomId, (list = []));
      list.push({ eventId, raw });
    }
    await Promise.all([...byRoom.values()].map(async (list) => {
      // One room's PDUs in order, committed together.
      const outcomes = await this.o.receivePdus(origin, list.map((x) => x.raw));
      list.forEach(({ eventId }, i) => {
        const r = outcomes[i];
        if (!r) results[eventId] = { error: 'not processed' };
        else if ('error' in r) results[eventId] = { error: r.error };
        else results[eventId] = r.rejected !== null && r.rejected !== 'soft-failed' ? { error: `rejected: ${r.rejected}` } : {};
      });
    }));
    await this.o.processEdus(origin, edus);
    const response: TransactionResponse = { pdus: results };
    const now = this.o.now();
    await this.o.db.write(() => {
      this.o.store.storeReceived(origin, txnId, JSON.stringify(response), now);
      if (now - this.lastPrune > 3600_000) {
        this.lastPrune = now;
        this.o.store.pruneReceived(now - RECEIVED_TXN_RETENTION_MS);
      }
    });
    const refused = Object.values(results).filter((r) => r.error !== undefined).length;
    this.o.logger.debug('transaction processed', { origin, txn_id: txnId, pdus: pdus.length, edus: edus.length, refused });
    return response;
  }
}

function eventIdOf(raw: Record<string, unknown>, version: RoomVersion): string | null {
  try {
    return computeEventId(raw as unknown as Pdu, version);
  } catch {
    return null;
  }
}

const built = new WeakMap<object, IncomingTransactions>();

/** The homeserver's transaction receiver (migrating its tables on first use). */
export function incomingTransactionsOf(s: HomeserverServices): IncomingTransactions {
  let it = built.get(s);
  if (it) return it;
  s.db.migrate(federationQueueMigrations);
  const store = new FederationQueueStore(s.db);
  const rooms = roomFederationOf(s);
  const logger = s.logger.child({ module: 'federation-txn' });
  const acls = new ServerAclCache();
  const aclAllows = (roomId: string, origin: string): boolean => {
    const id = s.roomCache.head(roomId)?.state.get(stateKeyOf('m.room.server_acl', ''));
    const ev = id ? s.rooms.stateEvent(roomId, 'm.room.server_acl', '') : undefined;
    return !id || !ev || serverAclAllows(acls.get(id, ev.content), origin);
  };
  const roomVersion = (roomId: string): RoomVersion | null => s.roomCache.head(roomId)?.version ?? null;
  const edus = new IncomingEdus({
    logger, now: () => s.clock.now(),
    roomKnown: (roomId) => roomVersion(roomId) !== null,
    aclAllows,
    isJoined: (roomId, userId) => s.eventsStore.membership(roomId, userId)?.membership === 'join',
    setTyping: (roomId, userId, typing, timeoutMs) => s.typing.set(roomId, userId, typing, timeoutMs),
    storeReceipt: (roomId, userId, eventId, threadId, ts) => s.userStreams.setReceipt(roomId, userId, 'm.read', eventId, threadId, ts),
    handler: (type) => eduHandlerOf(s, type),
  });
  it = new IncomingTransactions({
    db: s.db, store, now: () => s.clock.now(), logger,
    receivePdus: (origin, pdus) => rooms.remoteEvents.receiveBatch(origin, pdus),
    roomVersion, aclAllows,
    processEdus: (origin, list) => edus.process(origin, list),
  });
  built.set(s, it);
  return it;
}

export function register(router: Router, s: HomeserverServices): void {
  // Built now: its tables are migrated at start, not during a request.
  const incoming = incomingTransactionsOf(s);
  /** PUT /_matrix/federation/v1/send/{txnId} */
  router.add({
    method: 'PUT', path: '/_matrix/federation/v1/send/:txnId', auth: 'federation',
    handler: (ctx) => incoming.handle(ctx.origin!, ctx.params['txnId']!, ctx.body),
  });
}
