// A local event whose queueing for federation fails (the disk filled between its commit and its
// queueing) is not lost: it is queued again once that works, and the recorded position never passes
// it, so that a restart before then still finds it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../storage/database.ts';
import { allMigrations } from '../storage/migrations.ts';
import { FederationQueueStore, federationQueueMigrations } from '../storage/federation-queue-store.ts';
import { createLogger } from '../logger.ts';
import type { Pdu } from '../core/pdu.ts';
import { FederationSender } from './sender.ts';
import { LocalEventFeed } from './sender-events.ts';

const logger = createLogger('error', {}, () => undefined);
const ROOM = '!r:a.example';
let db: Database;
let store: FederationQueueStore;
let sender: FederationSender;
let pos = 0;
/** While set, queueing fails the way a full disk makes SQLite fail. */
let diskFull = false;

function makeFeed(): LocalEventFeed {
  return new LocalEventFeed({ db, store, sender, serverName: 'a.example', serversInRoom: (r) => (r === ROOM ? ['b.example'] : []), logger, retryMs: 5 });
}

function pdu(body: string): Pdu {
  return { room_id: ROOM, type: 'm.room.message', sender: '@alice:a.example', content: { body }, depth: 1, origin_server_ts: 1, prev_events: [], auth_events: [], hashes: { sha256: 'x' }, signatures: {} } as unknown as Pdu;
}

function commit(p: Pdu): number {
  pos++;
  db.run('INSERT INTO events (stream_pos, event_id, room_id, type, sender, depth, origin_server_ts, json) VALUES (?, ?, ?, ?, ?, 1, 1, ?)', pos, `$e${pos}`, p.room_id, p.type, p.sender, JSON.stringify(p));
  return pos;
}

function persist(feed: LocalEventFeed, body: string): number {
  const p = pdu(body);
  const at = commit(p);
  feed.persisted({ origin: 'local', pdu: p, streamPos: at, eventId: `$e${at}` });
  return at;
}

const queuedBodies = (): unknown[] => store.queued('b.example').map((r) => (JSON.parse(r.json) as Pdu).content['body']);
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

beforeEach(() => {
  db = new Database(':memory:');
  db.migrate(allMigrations);
  db.migrate(federationQueueMigrations);
  store = new FederationQueueStore(db);
  sender = new FederationSender({
    db, store, serverName: 'a.example', now: () => Date.now(), logger, isAllowed: () => true,
    transmit: () => new Promise(() => { /* never answers: the queue is what the tests read */ }), retry: { initialMs: 10_000, maxMs: 10_000 },
  });
  const queue = sender.queuePduInTx.bind(sender);
  sender.queuePduInTx = (tx, destinations, p) => {
    if (diskFull) throw Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 });
    return queue(tx, destinations, p);
  };
  diskFull = false;
  pos = 0;
});

afterEach(() => db.close());

describe('a local event whose queueing for federation fails', () => {
  it('is queued again once the disk has room, and the position never passes it meanwhile', async () => {
    const feed = makeFeed();
    await feed.catchUp();
    persist(feed, 'before');
    await settle();
    diskFull = true;
    const failedAt = persist(feed, 'while full');
    await settle();
    diskFull = false;
    // A later event queues fine — but must not record a position past the one still waiting.
    persist(feed, 'after');
    await settle();
    expect(store.position()).toBeLessThan(failedAt);
    const deadline = Date.now() + 5000;
    while (!queuedBodies().includes('while full') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect([...queuedBodies()].sort()).toEqual(['after', 'before', 'while full']);
    await feed.flush();
    expect(store.position()).toBe(pos);
  });

  it('is still queued by the next start when the process stops before the disk has room', async () => {
    const feed = makeFeed();
    await feed.catchUp();
    diskFull = true;
    const failedAt = persist(feed, 'while full');
    await settle();
    diskFull = false;
    persist(feed, 'after');
    diskFull = true;
    await feed.flush();
    diskFull = false;
    expect(store.position()).toBe(failedAt - 1);
    expect(await makeFeed().catchUp()).toBeGreaterThanOrEqual(1);
    expect(queuedBodies()).toContain('while full');
  });
});
