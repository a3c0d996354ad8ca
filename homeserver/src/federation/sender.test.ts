// The outgoing transaction machinery against a scripted destination: batching, one transaction in
// flight, retries with the same id, backoff, independence of destinations, restarts, give-ups.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../storage/database.ts';
import { FederationQueueStore, federationQueueMigrations } from '../storage/federation-queue-store.ts';
import { createLogger } from '../logger.ts';
import type { JsonObject } from '../core/pdu.ts';
import { FederationSender, type TransactionBody, type Transmit } from './sender.ts';
import { classifyFailure, retryDelayMs } from './sender-backoff.ts';
import { FederationDeniedError, FederationRequestError } from './federation-client.ts';
import { FederationTransportError } from './transport.ts';

interface Sent { destination: string; txnId: string; body: TransactionBody }

const logger = createLogger('error', {}, () => undefined);
let dir: string;
let db: Database;
let senders: FederationSender[];

function open(): Database {
  const d = new Database(join(dir, 'hs.db'));
  d.migrate(federationQueueMigrations);
  return d;
}

/** A sender whose destinations answer with `answer` (throw to fail); records every attempt. */
function makeSender(answer: (s: Sent, attempt: number) => unknown | Promise<unknown>, opts: { allowed?: (d: string) => boolean; initialMs?: number; maxMs?: number; database?: Database } = {}): { sender: FederationSender; sent: Sent[] } {
  const sent: Sent[] = [];
  const transmit: Transmit = async (destination, txnId, body, signal) => {
    const s = { destination, txnId, body: structuredClone(body) };
    sent.push(s);
    return await Promise.race([
      Promise.resolve().then(() => answer(s, sent.filter((x) => x.destination === destination).length)),
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    ]);
  };
  const database = opts.database ?? db;
  const sender = new FederationSender({
    db: database, store: new FederationQueueStore(database), serverName: 'a.example', now: () => Date.now(), logger,
    isAllowed: opts.allowed ?? (() => true), transmit, retry: { initialMs: opts.initialMs ?? 10, maxMs: opts.maxMs ?? 40 }, random: () => 0.5,
  });
  senders.push(sender);
  return { sender, sent };
}

const ok = (): unknown => ({ pdus: {} });
const pdu = (i: number): JsonObject => ({ type: 'm.room.message', room_id: '!r:a.example', content: { i } });
const idsOf = (s: Sent): unknown[] => s.body.pdus.map((p) => (p['content'] as { i: number }).i);
const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'peerline-sender-'));
  db = open();
  senders = [];
});

afterEach(async () => {
  await Promise.all(senders.map((s) => s.stop()));
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('retry timing', () => {
  it('doubles the wait per failure from the initial wait up to the cap', () => {
    const s = { initialMs: 1000, maxMs: 3_600_000 };
    const mid = (): number => 0.5; // no spread
    expect([1, 2, 3, 4, 5].map((f) => retryDelayMs(f, s, mid))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(retryDelayMs(13, s, mid)).toBe(3_600_000);
    expect(retryDelayMs(500, s, mid)).toBe(3_600_000);
  });

  it('spreads waits by at most 20 % and never beyond the cap', () => {
    const s = { initialMs: 1000, maxMs: 5000 };
    expect(retryDelayMs(1, s, () => 0)).toBe(800);
    expect(retryDelayMs(1, s, () => 0.999999)).toBe(1200);
    expect(retryDelayMs(10, s, () => 0.999999)).toBe(5000);
  });

  it('retries unreachable and overloaded servers, drops what a server refuses for good', () => {
    const status = (n: number): FederationRequestError => new FederationRequestError('b.example', n, null, 'x', {});
    expect(classifyFailure(new FederationTransportError('refused', 'ECONNREFUSED'))).toBe('retry');
    expect([500, 502, 408, 429, 401, 403].map((n) => classifyFailure(status(n)))).toEqual(Array(6).fill('retry'));
    expect([400, 404, 413].map((n) => classifyFailure(status(n)))).toEqual(['drop', 'drop', 'drop']);
    expect(classifyFailure(new FederationDeniedError('b.example'))).toBe('denied');
  });
});

describe('federation sender', () => {
  it('sends queued PDUs in transactions of at most 50, in order, with our origin', async () => {
    const { sender, sent } = makeSender(ok);
    await db.write((tx) => { for (let i = 1; i <= 120; i++) sender.queuePduInTx(tx, ['b.example'], pdu(i)); });
    sender.start();
    await until(() => sender.status('b.example').queued === 0);
    expect(sent.map((s) => s.body.pdus.length)).toEqual([50, 50, 20]);
    expect(sent.flatMap(idsOf)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(new Set(sent.map((s) => s.txnId)).size).toBe(3);
    for (const s of sent) {
      expect(s.body.origin).toBe('a.example');
      expect(s.body.origin_server_ts).toBeGreaterThan(0);
      expect(s.body.edus).toEqual([]);
    }
  });

  it('puts at most 100 EDUs in a transaction beside the PDUs', async () => {
    const { sender, sent } = makeSender(ok);
    await db.write((tx) => {
      for (let i = 0; i < 150; i++) sender.queueEduInTx(tx, ['b.example'], 'm.test', { i });
      sender.queuePduInTx(tx, ['b.example'], pdu(1));
    });
    sender.start();
    await until(() => sender.status('b.example').queued === 0);
    expect(sent.map((s) => [s.body.pdus.length, s.body.edus.length])).toEqual([[1, 100], [0, 50]]);
    expect(sent[0]!.body.edus[0]).toEqual({ edu_type: 'm.test', content: { i: 0 } });
  });

  it('keeps one transaction in flight per destination and sends what queued meanwhile next', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let inFlight = 0;
    let maxInFlight = 0;
    const { sender, sent } = makeSender(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await gate;
      inFlight--;
      return ok();
    });
    sender.start();
    await sender.enqueuePdu(['b.example'], pdu(1));
    await until(() => sent.length === 1);
    for (let i = 2; i <= 4; i++) await sender.enqueuePdu(['b.example'], pdu(i));
    await new Promise((r) => setTimeout(r, 30));
    expect(sent).toHaveLength(1);
    release();
    await until(() => sender.status('b.example').queued === 0);
    expect(sent.map(idsOf)).toEqual([[1], [2, 3, 4]]);
    expect(maxInFlight).toBe(1);
  });

  it('resends the same transaction id and body after failures, then moves on', async () => {
    const { sender, sent } = makeSender((_s, attempt) => {
      if (attempt <= 2) throw new FederationTransportError('cannot reach b.example', 'ECONNREFUSED');
      return ok();
    });
    sender.start();
    await sender.enqueuePdu(['b.example'], pdu(1));
    await until(() => sent.length >= 2);
    await sender.enqueuePdu(['b.example'], pdu(2));
    await until(() => sender.status('b.example').queued === 0);
    expect(sent.map((s) => s.txnId)).toEqual([sent[0]!.txnId, sent[0]!.txnId, sent[0]!.txnId, sent[3]!.txnId]);
    expect(sent[3]!.txnId).not.toBe(sent[0]!.txnId);
    expect(sent[2]!.body).toEqual(sent[0]!.body);
    expect(sent.map(idsOf)).toEqual([[1], [1], [1], [2]]);
  });

  it('backs off longer after each failure and waits before trying again', async () => {
    const { sender, sent } = makeSender(() => { throw new FederationRequestError('b.example', 502, null, 'bad gateway', {}); }, { initialMs: 40, maxMs: 1000 });
    sender.start();
    const t0 = Date.now();
    await sender.enqueuePdu(['b.example'], pdu(1));
    await until(() => sender.status('b.example').failures === 1);
    const first = sender.status('b.example').retryAt! - Date.now();
    expect(first).toBeLessThanOrEqual(40);
    expect(sent).toHaveLength(1);
    await until(() => sender.status('b.example').failures === 2);
    const second = sender.status('b.example').retryAt! - Date.now();
    expect(second).toBeGreaterThan(40);
    expect(second).toBeLessThanOrEqual(80);
    await until(() => sender.status('b.example').failures === 3);
    // Three attempts took at least the two waits between them.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40 + 80 - 5);
  });

  it('stops backing off when the destination shows it is up', async () => {
    let down = true;
    const { sender, sent } = makeSender(() => {
      if (down) throw new FederationTransportError('down', 'ECONNREFUSED');
      return ok();
    }, { initialMs: 60_000, maxMs: 60_000 });
    sender.start();
    await sender.enqueuePdu(['b.example'], pdu(1));
    await until(() => sender.status('b.example').failures === 1);
    down = false;
    sender.wake('b.example');
    await until(() => sender.status('b.example').queued === 0);
    expect(sent).toHaveLength(2);
    expect(sender.status('b.example')).toMatchObject({ failures: 0, retryAt: null });
  });

  it('keeps sending to other destinations while one hangs or is down', async () => {
    const { sender, sent } = makeSender((s) => {
      if (s.destination === 'slow.example') return new Promise(() => undefined);
      if (s.destination === 'dead.example') throw new FederationTransportError('refused', 'ECONNREFUSED');
      return ok();
    });
    sender.start();
    await sender.enqueuePdu(['slow.example', 'dead.example', 'b.example'], pdu(1));
    await sender.enqueuePdu(['b.example'], pdu(2));
    await until(() => sender.status('b.example').queued === 0);
    expect(sent.filter((s) => s.destination === 'b.example').flatMap(idsOf)).toEqual([1, 2]);
    expect(sender.status('slow.example')).toMatchObject({ queued: 1, inFlight: true });
    expect(sender.status('dead.example').queued).toBe(1);
  });

  it('resumes after a restart with the transaction that was in flight, under the same id', async () => {
    const first = makeSender(() => new Promise(() => undefined));
    first.sender.start();
    await first.sender.enqueuePdu(['b.example'], pdu(1));
    await until(() => first.sent.length === 1);
    await first.sender.enqueuePdu(['b.example'], pdu(2));
    await first.sender.stop();
    db.close();

    db = open();
    const second = makeSender(ok);
    second.sender.start();
    await until(() => second.sender.status('b.example').queued === 0);
    expect(second.sent.map((s) => s.txnId)[0]).toBe(first.sent[0]!.txnId);
    expect(second.sent.map(idsOf)).toEqual([[1], [2]]);
  });

  it('drops a transaction the destination refuses for good and sends the next', async () => {
    const { sender, sent } = makeSender((_s, attempt) => {
      if (attempt === 1) throw new FederationRequestError('b.example', 400, 'M_BAD_JSON', 'no', {});
      return ok();
    });
    await sender.enqueuePdu(['b.example'], pdu(1));
    sender.start();
    await until(() => sent.length === 1);
    await sender.enqueuePdu(['b.example'], pdu(2));
    await until(() => sender.status('b.example').queued === 0);
    expect(sent.map(idsOf)).toEqual([[1], [2]]);
  });

  it('forgets the queue of a server it may no longer federate with', async () => {
    let allowed = true;
    const { sender, sent } = makeSender(ok, { allowed: () => allowed });
    await sender.enqueuePdu(['b.example'], pdu(1));
    allowed = false;
    sender.start();
    await until(() => sender.status('b.example').queued === 0);
    expect(sent).toEqual([]);
  });

  it('queues nothing for ourselves, for servers not allowed, or for invalid names, and each server once', async () => {
    const { sender } = makeSender(ok, { allowed: (d) => d !== 'no.example' });
    expect(sender.targets(['a.example', 'no.example', 'bad name', 'b.example', 'b.example', 'c.example:8448'])).toEqual(['b.example', 'c.example:8448']);
  });

  it('replaces an unsent EDU with a newer one of the same key and drops EDUs that expired unsent', async () => {
    const { sender, sent } = makeSender(ok);
    await sender.sendEdu(['b.example'], 'm.typing', { typing: true }, { key: 'r/u' });
    await sender.sendEdu(['b.example'], 'm.typing', { typing: false }, { key: 'r/u' });
    await sender.sendEdu(['b.example'], 'm.typing', { typing: true }, { key: 'r/other' });
    await sender.sendEdu(['b.example'], 'm.receipt', { r: 1 }, { key: 'r/u' });
    await sender.sendEdu(['b.example'], 'm.presence', { p: 1 }, { ttlMs: 1 });
    await new Promise((r) => setTimeout(r, 10));
    sender.start();
    await until(() => sender.status('b.example').queued === 0);
    expect(sent.flatMap((s) => s.body.edus)).toEqual([
      { edu_type: 'm.typing', content: { typing: false } },
      { edu_type: 'm.typing', content: { typing: true } },
      { edu_type: 'm.receipt', content: { r: 1 } },
    ]);
  });
});
