// Receiving transactions: limits, idempotency by (origin, txnId), per-PDU results keyed by event id,
// server ACLs, and the order PDUs of one room are placed in.
import { beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../storage/database.ts';
import { FederationQueueStore, federationQueueMigrations } from '../../storage/federation-queue-store.ts';
import { createLogger } from '../../logger.ts';
import { computeEventId } from '../../core/event-hash.ts';
import type { Pdu } from '../../core/pdu.ts';
import { MatrixError } from '../errors.ts';
import { IncomingTransactions, type IncomingTransactionsOptions } from './transactions.ts';

const logger = createLogger('error', {}, () => undefined);
let db: Database;
let received: { origin: string; body: string }[];
let edusSeen: { origin: string; edus: unknown[] }[];

function pdu(roomId: string, body: string): Pdu {
  return {
    room_id: roomId, type: 'm.room.message', sender: '@bob:b.example', content: { body }, depth: 5, origin_server_ts: 1,
    prev_events: [], auth_events: [], hashes: { sha256: 'x' }, signatures: {},
  } as unknown as Pdu;
}
const idOf = (p: Pdu): string => computeEventId(p, '10');

type OnePdu = (origin: string, raw: unknown) => Promise<{ eventId: string; rejected: string | null }>;
/** Adapts a per-PDU stand-in to the receiver's one-room-at-a-time batch interface. */
const perPdu = (one: OnePdu): IncomingTransactionsOptions['receivePdus'] => async (origin, raws) => {
  const out: ({ eventId: string; rejected: string | null } | { error: string })[] = [];
  for (const raw of raws) {
    try {
      out.push(await one(origin, raw));
    } catch (e) {
      out.push({ error: (e as Error).message });
    }
  }
  return out;
};

function receiver(over: Partial<IncomingTransactionsOptions> = {}): IncomingTransactions {
  return new IncomingTransactions({
    db, store: new FederationQueueStore(db), now: () => Date.now(), logger,
    receivePdus: perPdu(async (origin, raw) => {
      const p = raw as Pdu;
      received.push({ origin, body: String(p.content['body']) });
      if (p.content['body'] === 'refuse') throw new Error('signature check failed: no key');
      return { eventId: idOf(p), rejected: p.content['body'] === 'reject' ? 'not allowed by auth events' : null };
    }),
    roomVersion: (roomId) => (roomId.startsWith('!known') || roomId.startsWith('!acl') ? '10' : null),
    aclAllows: (roomId) => !roomId.startsWith('!acl'),
    processEdus: async (origin, edus) => { edusSeen.push({ origin, edus }); },
    ...over,
  });
}

const status = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof MatrixError ? `${e.status} ${e.errcode}` : 'other';
  }
};

beforeEach(() => {
  db = new Database(':memory:');
  db.migrate(federationQueueMigrations);
  received = [];
  edusSeen = [];
});

describe('incoming transactions', () => {
  it('answers with a result for every PDU, keyed by its event id', async () => {
    const ok = pdu('!known:b.example', 'hello');
    const refused = pdu('!known:b.example', 'refuse');
    const rejected = pdu('!known:b.example', 'reject');
    const unknown = pdu('!nowhere:b.example', 'lost');
    const res = await receiver().handle('b.example', 't1', { origin: 'b.example', origin_server_ts: 1, pdus: [ok, refused, rejected, unknown], edus: [] });
    expect(res.pdus).toEqual({
      [idOf(ok)]: {},
      [idOf(refused)]: { error: 'signature check failed: no key' },
      [idOf(rejected)]: { error: 'rejected: not allowed by auth events' },
      [idOf(unknown)]: { error: 'room !nowhere:b.example is not known to this server' },
    });
    expect(received.map((r) => r.body)).toEqual(['hello', 'refuse', 'reject']);
  });

  it('processes a repeated transaction once and answers it with the first response', async () => {
    const r = receiver();
    const body = { origin: 'b.example', origin_server_ts: 1, pdus: [pdu('!known:b.example', 'once')], edus: [{ edu_type: 'm.typing', content: {} }] };
    const first = await r.handle('b.example', 't1', body);
    const again = await r.handle('b.example', 't1', body);
    // The answer is stored: a new receiver (a restarted server) gives it too.
    const afterRestart = await receiver().handle('b.example', 't1', body);
    expect(again).toEqual(first);
    expect(afterRestart).toEqual(first);
    expect(received).toHaveLength(1);
    expect(edusSeen).toHaveLength(1);
  });

  it('processes a transaction once when its repeat arrives while it is still being processed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const r = receiver({
      receivePdus: perPdu(async (origin, raw) => {
        received.push({ origin, body: 'x' });
        await gate;
        return { eventId: idOf(raw as Pdu), rejected: null };
      }),
    });
    const body = { pdus: [pdu('!known:b.example', 'slow')] };
    const a = r.handle('b.example', 't1', body);
    const b = r.handle('b.example', 't1', body);
    release();
    expect(await b).toEqual(await a);
    expect(received).toHaveLength(1);
  });

  it('keeps transaction ids of different servers apart', async () => {
    const r = receiver();
    await r.handle('b.example', 't1', { pdus: [pdu('!known:b.example', 'from b')] });
    await r.handle('c.example', 't1', { pdus: [pdu('!known:b.example', 'from c')] });
    expect(received).toEqual([{ origin: 'b.example', body: 'from b' }, { origin: 'c.example', body: 'from c' }]);
  });

  it('refuses transactions over the limits or malformed with 400, processing nothing', async () => {
    const r = receiver();
    const many = (n: number, f: (i: number) => unknown): unknown[] => Array.from({ length: n }, (_, i) => f(i));
    expect(await status(r.handle('b.example', 't1', { pdus: many(51, (i) => pdu('!known:b.example', String(i))) }))).toBe('400 M_BAD_JSON');
    expect(await status(r.handle('b.example', 't2', { pdus: [], edus: many(101, () => ({ edu_type: 'm.typing', content: {} })) }))).toBe('400 M_BAD_JSON');
    expect(await status(r.handle('b.example', 't3', { pdus: 'nope' }))).toBe('400 M_BAD_JSON');
    expect(await status(r.handle('b.example', 't4', []))).toBe('400 M_BAD_JSON');
    expect(await status(r.handle('b.example', 't5', { origin: 'c.example', pdus: [] }))).toBe('400 M_INVALID_PARAM');
    expect(await status(r.handle('b.example', 't6', { pdus: many(50, (i) => pdu('!known:b.example', String(i))), edus: [] }))).toBe('ok');
    expect(received).toHaveLength(50);
    // A refused transaction was not stored: sent again correctly, it is processed.
    expect(await status(r.handle('b.example', 't1', { pdus: [pdu('!known:b.example', 'fixed')] }))).toBe('ok');
    expect(received.at(-1)?.body).toBe('fixed');
  });

  it('ignores PDUs of rooms whose server ACL denies the sender, with an error entry', async () => {
    const denied = pdu('!acl:b.example', 'denied');
    const res = await receiver().handle('b.example', 't1', { pdus: [denied] });
    expect(res.pdus[idOf(denied)]?.error).toMatch(/server ACL/);
    expect(received).toEqual([]);
  });

  it('places the PDUs of one room in the order sent while other rooms proceed', async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstGate = new Promise<void>((resolve) => { releaseFirst = resolve; });
    const r = receiver({
      receivePdus: perPdu(async (_origin, raw) => {
        const p = raw as Pdu;
        const body = String(p.content['body']);
        if (body === 'r1-first') await firstGate;
        order.push(body);
        if (body === 'r2-only') releaseFirst();
        return { eventId: idOf(p), rejected: null };
      }),
    });
    await r.handle('b.example', 't1', { pdus: [pdu('!known1:b.example', 'r1-first'), pdu('!known1:b.example', 'r1-second'), pdu('!known2:b.example', 'r2-only')] });
    expect(order).toEqual(['r2-only', 'r1-first', 'r1-second']);
  });

  it('processes the transactions of one server one after the other', async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstGate = new Promise<void>((resolve) => { releaseFirst = resolve; });
    const r = receiver({
      receivePdus: perPdu(async (_origin, raw) => {
        const body = String((raw as Pdu).content['body']);
        if (body === 'txn1') await firstGate;
        order.push(body);
        return { eventId: idOf(raw as Pdu), rejected: null };
      }),
    });
    const one = r.handle('b.example', 't1', { pdus: [pdu('!known1:b.example', 'txn1')] });
    const two = r.handle('b.example', 't2', { pdus: [pdu('!known2:b.example', 'txn2')] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    releaseFirst();
    await Promise.all([one, two]);
    expect(order).toEqual(['txn1', 'txn2']);
  });

  it('hands the EDUs to the EDU processing with the authenticated origin', async () => {
    const edus = [{ edu_type: 'm.presence', content: { push: [] } }];
    await receiver().handle('b.example', 't1', { origin: 'b.example', pdus: [], edus });
    expect(edusSeen).toEqual([{ origin: 'b.example', edus }]);
  });
});
