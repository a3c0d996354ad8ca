// The federation queue tables: per-destination order, the persisted transaction in flight, keyed and
// expiring EDUs, the catch-up position, and the answers to received transactions.
import { beforeEach, describe, expect, it } from 'vitest';
import { Database } from './database.ts';
import { allMigrations } from './migrations.ts';
import { FederationQueueStore, federationQueueMigrations } from './federation-queue-store.ts';

let db: Database;
let store: FederationQueueStore;
let n = 0;
const txnId = (): string => `txn${++n}`;
const w = <T>(fn: () => T): Promise<T> => db.write(fn);
const pdu = (i: number): { kind: 'pdu'; json: string } => ({ kind: 'pdu', json: JSON.stringify({ i }) });
const edu = (i: number, extra: { eduKey?: string; expiresTs?: number } = {}): { kind: 'edu'; json: string; eduKey?: string; expiresTs?: number } => ({ kind: 'edu', json: JSON.stringify({ edu_type: 'x', content: { i } }), ...extra });
const payloads = (rows: { json: string }[]): unknown[] => rows.map((r) => JSON.parse(r.json) as unknown);

beforeEach(() => {
  db = new Database(':memory:');
  db.migrate(allMigrations);
  db.migrate(federationQueueMigrations);
  store = new FederationQueueStore(db);
});

describe('federation queue store', () => {
  it('batches the oldest waiting PDUs and EDUs of one destination, PDUs first, each in queue order', async () => {
    await w(() => {
      store.enqueue('b.example', edu(1), 0);
      for (let i = 1; i <= 4; i++) store.enqueue('b.example', pdu(i), 0);
      store.enqueue('c.example', pdu(99), 0);
      store.enqueue('b.example', edu(2), 0);
    });
    const batch = await w(() => store.nextBatch('b.example', 1000, { maxPdus: 3, maxEdus: 10, maxBytes: 1e9 }, txnId));
    expect(batch?.originServerTs).toBe(1000);
    expect(payloads(batch!.rows)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }, { edu_type: 'x', content: { i: 1 } }, { edu_type: 'x', content: { i: 2 } }]);
    expect(store.pendingTxnId('b.example')).toBe(batch!.txnId);
    expect(store.queuedCount('c.example')).toBe(1);
  });

  it('hands out the transaction in flight again, unchanged, until it is completed', async () => {
    await w(() => { for (let i = 1; i <= 3; i++) store.enqueue('b.example', pdu(i), 0); });
    const first = await w(() => store.nextBatch('b.example', 1000, { maxPdus: 2, maxEdus: 10, maxBytes: 1e9 }, txnId));
    await w(() => store.enqueue('b.example', pdu(4), 0));
    const again = await w(() => store.nextBatch('b.example', 5000, { maxPdus: 2, maxEdus: 10, maxBytes: 1e9 }, txnId));
    expect(again).toEqual(first);
    await w(() => store.completeTxn('b.example', first!.txnId));
    const next = await w(() => store.nextBatch('b.example', 6000, { maxPdus: 2, maxEdus: 10, maxBytes: 1e9 }, txnId));
    expect(next!.txnId).not.toBe(first!.txnId);
    expect(payloads(next!.rows)).toEqual([{ i: 3 }, { i: 4 }]);
    await w(() => store.completeTxn('b.example', next!.txnId));
    expect(await w(() => store.nextBatch('b.example', 7000, { maxPdus: 2, maxEdus: 10, maxBytes: 1e9 }, txnId))).toBeNull();
    expect(store.destinationsWithWork()).toEqual([]);
  });

  it('keeps a batch within its size budget, but always sends at least one item', async () => {
    const big = (i: number): { kind: 'pdu'; json: string } => ({ kind: 'pdu', json: JSON.stringify({ i, pad: 'x'.repeat(100) }) });
    await w(() => { for (let i = 1; i <= 5; i++) store.enqueue('b.example', big(i), 0); });
    const limits = { maxPdus: 50, maxEdus: 100, maxBytes: 250 };
    const first = await w(() => store.nextBatch('b.example', 0, limits, txnId));
    expect(first!.rows.map((r) => (JSON.parse(r.json) as { i: number }).i)).toEqual([1, 2]);
    await w(() => store.completeTxn('b.example', first!.txnId));
    const tiny = await w(() => store.nextBatch('b.example', 0, { ...limits, maxBytes: 10 }, txnId));
    expect(tiny!.rows).toHaveLength(1);
  });

  it('replaces a queued keyed EDU that is not sent yet, but never one already in a transaction', async () => {
    await w(() => store.enqueue('b.example', edu(1, { eduKey: 'k' }), 0));
    await w(() => store.enqueue('b.example', edu(2, { eduKey: 'k' }), 0));
    expect(payloads(store.queued('b.example'))).toEqual([{ edu_type: 'x', content: { i: 2 } }]);
    const batch = await w(() => store.nextBatch('b.example', 0, { maxPdus: 50, maxEdus: 100, maxBytes: 1e9 }, txnId));
    await w(() => store.enqueue('b.example', edu(3, { eduKey: 'k' }), 0));
    expect(payloads(store.queued('b.example'))).toEqual([{ edu_type: 'x', content: { i: 2 } }, { edu_type: 'x', content: { i: 3 } }]);
    expect(store.queued('b.example')[0]!.txn_id).toBe(batch!.txnId);
  });

  it('drops EDUs that expired before they could be sent', async () => {
    await w(() => {
      store.enqueue('b.example', edu(1, { expiresTs: 100 }), 0);
      store.enqueue('b.example', edu(2, { expiresTs: 300 }), 0);
      store.enqueue('b.example', edu(3), 0);
    });
    const batch = await w(() => store.nextBatch('b.example', 200, { maxPdus: 50, maxEdus: 100, maxBytes: 1e9 }, txnId));
    expect(payloads(batch!.rows)).toEqual([{ edu_type: 'x', content: { i: 2 } }, { edu_type: 'x', content: { i: 3 } }]);
  });

  it('drops everything queued for a destination', async () => {
    await w(() => { store.enqueue('b.example', pdu(1), 0); store.enqueue('b.example', pdu(2), 0); });
    await w(() => store.nextBatch('b.example', 0, { maxPdus: 1, maxEdus: 1, maxBytes: 1e9 }, txnId));
    expect(await w(() => store.dropDestination('b.example'))).toBe(2);
    expect(store.pendingTxnId('b.example')).toBeUndefined();
    expect(store.queuedCount('b.example')).toBe(0);
  });

  it('keeps the catch-up position moving forward only', async () => {
    expect(store.position()).toBeUndefined();
    await w(() => store.setPosition(10));
    await w(() => store.setPosition(7));
    expect(store.position()).toBe(10);
  });

  it('answers a received transaction id with the stored response, per origin, and prunes old ones', async () => {
    await w(() => store.storeReceived('b.example', 't1', '{"pdus":{}}', 100));
    await w(() => store.storeReceived('b.example', 't1', '{"pdus":{"$x":{}}}', 200));
    expect(store.receivedResponse('b.example', 't1')).toBe('{"pdus":{}}');
    expect(store.receivedResponse('c.example', 't1')).toBeUndefined();
    await w(() => store.storeReceived('b.example', 't2', '{}', 500));
    expect(await w(() => store.pruneReceived(300))).toBe(1);
    expect(store.receivedResponse('b.example', 't1')).toBeUndefined();
    expect(store.receivedResponse('b.example', 't2')).toBe('{}');
  });
});
