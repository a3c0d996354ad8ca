// The send loop of one destination server: at most one transaction in flight; the transaction is
// persisted before it is sent and resent unchanged (same txnId, same PDUs and EDUs) until the
// destination answers 200; failures back off exponentially. Each destination has its own loop and
// timers, so a slow or dead server never holds up another.
import type { Database } from '../storage/database.ts';
import type { BatchLimits, FederationQueueStore, OutgoingBatch } from '../storage/federation-queue-store.ts';
import type { Logger } from '../logger.ts';
import type { JsonObject } from '../core/pdu.ts';
import { classifyFailure, retryDelayMs, type RetrySettings } from './sender-backoff.ts';

export interface Edu {
  edu_type: string;
  content: JsonObject;
}

/** The body of `PUT /_matrix/federation/v1/send/{txnId}`. */
export interface TransactionBody {
  origin: string;
  origin_server_ts: number;
  pdus: JsonObject[];
  edus: Edu[];
}

/** Sends one transaction; resolves with the destination's 200 response, rejects otherwise. */
export type Transmit = (destination: string, txnId: string, body: TransactionBody, signal: AbortSignal) => Promise<unknown>;

export interface DestinationDeps {
  db: Database;
  store: FederationQueueStore;
  serverName: string;
  now: () => number;
  logger: Logger;
  isAllowed: (serverName: string) => boolean;
  transmit: Transmit;
  retry: RetrySettings;
  random: () => number;
  newTxnId: () => string;
  limits: BatchLimits;
}

export class DestinationQueue {
  readonly destination: string;
  private readonly d: DestinationDeps;
  /** Failed attempts since the last success. */
  failures = 0;
  /** When the next attempt is due while backing off; null otherwise. */
  retryAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private dirty = false;
  private abort: AbortController | null = null;
  private stopped = false;

  constructor(destination: string, deps: DestinationDeps) {
    this.destination = destination;
    this.d = deps;
  }

  get inFlight(): boolean {
    return this.abort !== null;
  }

  /** Something was queued: send it now, unless a transaction is in flight or we are backing off. */
  kick(): void {
    if (this.stopped) return;
    if (this.timer) return; // the retry takes everything queued meanwhile
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = this.loop()
      .catch((e: unknown) => {
        // Only database trouble gets here; the next kick (or start) tries again.
        this.d.logger.error('federation send loop failed', { destination: this.destination, error: (e as Error).message });
      })
      .finally(() => {
        this.running = null;
        if (this.dirty) {
          this.dirty = false;
          this.kick();
        }
      });
  }

  /** The destination showed it is up (it sent us a request): stop backing off and send now. */
  wake(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.retryAt = null;
      this.failures = 0;
    }
    this.kick();
  }

  /** Stops sending; a transaction in flight is abandoned and resent (same id) after the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.dirty = false;
      if (!this.d.isAllowed(this.destination)) {
        const n = await this.d.db.write(() => this.d.store.dropDestination(this.destination));
        this.d.logger.warn('dropped the federation queue of a server we no longer federate with', { destination: this.destination, items: n });
        return;
      }
      const batch = await this.d.db.write(() => this.d.store.nextBatch(this.destination, this.d.now(), this.d.limits, this.d.newTxnId));
      if (!batch || this.stopped) return;
      const outcome = await this.send(batch);
      if (outcome === 'stop') return;
      if (outcome === 'denied') {
        const n = await this.d.db.write(() => this.d.store.dropDestination(this.destination));
        this.d.logger.warn('dropped the federation queue of a server we no longer federate with', { destination: this.destination, items: n });
        return;
      }
      if (outcome === 'retry') {
        this.scheduleRetry();
        return;
      }
      // Sent (or refused for good): the next batch goes at once.
      await this.d.db.write(() => this.d.store.completeTxn(this.destination, batch.txnId));
    }
  }

  private async send(batch: OutgoingBatch): Promise<'sent' | 'dropped' | 'retry' | 'denied' | 'stop'> {
    const pdus: JsonObject[] = [];
    const edus: Edu[] = [];
    for (const r of batch.rows) {
      if (r.kind === 'pdu') pdus.push(JSON.parse(r.json) as JsonObject);
      else edus.push(JSON.parse(r.json) as Edu);
    }
    const body: TransactionBody = { origin: this.d.serverName, origin_server_ts: batch.originServerTs, pdus, edus };
    const abort = new AbortController();
    this.abort = abort;
    const fields = { destination: this.destination, txn_id: batch.txnId, pdus: pdus.length, edus: edus.length };
    try {
      const res = await this.d.transmit(this.destination, batch.txnId, body, abort.signal);
      this.failures = 0;
      this.logRefusedPdus(batch.txnId, res);
      this.d.logger.debug('federation transaction sent', fields);
      return 'sent';
    } catch (e) {
      if (this.stopped) return 'stop';
      const verdict = classifyFailure(e);
      if (verdict === 'drop') {
        this.d.logger.warn('federation transaction refused by the destination: dropped', { ...fields, error: (e as Error).message });
        return 'dropped';
      }
      if (verdict === 'denied') return 'denied';
      this.failures++;
      this.d.logger.info('federation transaction failed: will retry', { ...fields, failures: this.failures, error: (e as Error).message });
      return 'retry';
    } finally {
      this.abort = null;
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delay = retryDelayMs(this.failures, this.d.retry, this.d.random);
    this.retryAt = this.d.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.retryAt = null;
      this.kick();
    }, delay);
    // Pending retries must not keep a stopping process alive.
    this.timer.unref();
  }

  /** The destination accepted the transaction but may have refused single PDUs: worth a log line. */
  private logRefusedPdus(txnId: string, res: unknown): void {
    const pdus = typeof res === 'object' && res !== null ? (res as { pdus?: unknown }).pdus : undefined;
    if (typeof pdus !== 'object' || pdus === null) return;
    const refused = Object.entries(pdus as Record<string, unknown>).filter(([, v]) => typeof v === 'object' && v !== null && 'error' in v);
    if (refused.length > 0) {
      this.d.logger.info('destination refused PDUs of a transaction', {
        destination: this.destination, txn_id: txnId, refused: refused.length,
        event_ids: refused.slice(0, 10).map(([id]) => id),
        reasons: refused.slice(0, 3).map(([, v]) => String((v as { error: unknown }).error).slice(0, 200)),
      });
    }
  }
}
