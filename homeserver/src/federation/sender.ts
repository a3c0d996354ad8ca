// Outgoing federation (spec "Transactions"): PDUs and EDUs are queued per destination in SQLite
// and sent in transactions of at most 50 PDUs and 100 EDUs, one in flight per destination, retried
// with the same transaction id until answered 200. The queue survives restarts; `start()` resumes
// every destination with something queued.
import { randomBytes } from 'node:crypto';
import type { Database, WriteTx } from '../storage/database.ts';
import type { FederationQueueStore, QueuedItem } from '../storage/federation-queue-store.ts';
import type { Logger } from '../logger.ts';
import type { JsonObject, Pdu } from '../core/pdu.ts';
import { isValidServerName } from '../core/ids.ts';
import type { RetrySettings } from './sender-backoff.ts';
import { DestinationQueue, type DestinationDeps, type Edu, type Transmit } from './sender-destination.ts';

export type { Edu, TransactionBody, Transmit } from './sender-destination.ts';

/** Spec limits of one transaction. */
export const MAX_PDUS_PER_TXN = 50;
export const MAX_EDUS_PER_TXN = 100;
/**
 * Size budget of one outgoing transaction: well under the request-body limits servers apply (ours
 * defaults to 1 MiB), so that a backlog of large events is never refused as a whole.
 */
export const MAX_TXN_BYTES = 512 * 1024;

/** How long an EDU waits for an unreachable destination before it is dropped, unless told otherwise. */
export const DEFAULT_EDU_TTL_MS = 7 * 24 * 3600_000;

export interface EduOptions {
  /** A newer EDU with the same key replaces a queued one not yet sent (e.g. typing of one user in one room). */
  key?: string;
  /** Drop the EDU if it is still unsent after this long; null keeps it until delivered. */
  ttlMs?: number | null;
}

export interface FederationSenderOptions {
  db: Database;
  store: FederationQueueStore;
  serverName: string;
  now: () => number;
  logger: Logger;
  isAllowed: (serverName: string) => boolean;
  transmit: Transmit;
  retry: RetrySettings;
  random?: () => number;
  /** Size budget of one transaction (default MAX_TXN_BYTES). */
  maxTxnBytes?: number;
}

export interface DestinationStatus {
  queued: number;
  failures: number;
  /** When the next attempt is due while backing off. */
  retryAt: number | null;
  inFlight: boolean;
}

export class FederationSender {
  private readonly o: FederationSenderOptions;
  private readonly deps: DestinationDeps;
  private readonly queues = new Map<string, DestinationQueue>();
  private started = false;
  private stopped = false;
  private txnCounter = 0;

  constructor(o: FederationSenderOptions) {
    this.o = o;
    this.deps = {
      db: o.db, store: o.store, serverName: o.serverName, now: o.now, logger: o.logger, isAllowed: o.isAllowed,
      transmit: o.transmit, retry: o.retry, random: o.random ?? Math.random,
      limits: { maxPdus: MAX_PDUS_PER_TXN, maxEdus: MAX_EDUS_PER_TXN, maxBytes: o.maxTxnBytes ?? MAX_TXN_BYTES },
      // Unique per destination across restarts: the time, a counter, and randomness for clock steps back.
      newTxnId: () => `${o.now()}.${++this.txnCounter}.${randomBytes(3).toString('hex')}`,
    };
  }

  /** The servers of `destinations` we send to: valid names, not ourselves, allowed, each once. */
  targets(destinations: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const d of destinations) {
      if (d === this.o.serverName || !isValidServerName(d) || !this.o.isAllowed(d)) continue;
      out.add(d);
    }
    return [...out];
  }

  /** Queues a PDU for `destinations` inside an existing write; sending starts after the commit. */
  queuePduInTx(tx: WriteTx, destinations: Iterable<string>, pdu: Pdu | JsonObject): string[] {
    const targets = this.targets(destinations);
    if (targets.length === 0) return targets;
    const json = JSON.stringify(pdu);
    this.queueInTx(tx, targets, { kind: 'pdu', json });
    return targets;
  }

  /** Queues an EDU for `destinations` inside an existing write; sending starts after the commit. */
  queueEduInTx(tx: WriteTx, destinations: Iterable<string>, eduType: string, content: JsonObject, opts: EduOptions = {}): string[] {
    const targets = this.targets(destinations);
    if (targets.length === 0) return targets;
    const edu: Edu = { edu_type: eduType, content };
    const ttl = opts.ttlMs === undefined ? DEFAULT_EDU_TTL_MS : opts.ttlMs;
    const key = opts.key === undefined ? null : `${eduType}\u0000${opts.key}`;
    this.queueInTx(tx, targets, { kind: 'edu', json: JSON.stringify(edu), eduKey: key, expiresTs: ttl === null ? null : this.o.now() + ttl });
    return targets;
  }

  /** Queues a PDU for `destinations`; resolves once it is durably queued. */
  async enqueuePdu(destinations: Iterable<string>, pdu: Pdu | JsonObject): Promise<void> {
    const list = [...destinations];
    await this.o.db.write((tx) => this.queuePduInTx(tx, list, pdu));
  }

  /**
   * Queues an EDU (`m.device_list_update`, `m.signing_key_update`, `m.direct_to_device`, …) for
   * `destinations`; resolves once it is durably queued. Sent in the next transaction to each.
   */
  async sendEdu(destinations: Iterable<string>, eduType: string, content: JsonObject, opts: EduOptions = {}): Promise<void> {
    const list = [...destinations];
    await this.o.db.write((tx) => this.queueEduInTx(tx, list, eduType, content, opts));
  }

  private queueInTx(tx: WriteTx, targets: string[], item: QueuedItem): void {
    const now = this.o.now();
    for (const d of targets) this.o.store.enqueue(d, item, now);
    tx.afterCommit(() => {
      for (const d of targets) this.kick(d);
    });
  }

  private queue(destination: string): DestinationQueue {
    let q = this.queues.get(destination);
    if (!q) {
      q = new DestinationQueue(destination, this.deps);
      this.queues.set(destination, q);
    }
    return q;
  }

  private kick(destination: string): void {
    if (!this.started || this.stopped) return;
    this.queue(destination).kick();
  }

  /** Starts sending: every destination with something queued (from before a restart too) is resumed. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const pending = this.o.store.destinationsWithWork();
    if (pending.length > 0) this.o.logger.info('resuming federation queues', { destinations: pending.length });
    for (const d of pending) this.kick(d);
  }

  /** `destination` is up (it just made a request to us): retry at once instead of waiting out a backoff. */
  wake(destination: string): void {
    if (!this.started || this.stopped) return;
    const q = this.queues.get(destination);
    if (q) q.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.queues.values()].map((q) => q.stop()));
  }

  status(destination: string): DestinationStatus {
    const q = this.queues.get(destination);
    return { queued: this.o.store.queuedCount(destination), failures: q?.failures ?? 0, retryAt: q?.retryAt ?? null, inFlight: q?.inFlight ?? false };
  }
}
