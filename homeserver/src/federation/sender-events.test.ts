// Where local events go, and the catch-up of local events committed but not queued before a crash.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../storage/database.ts';
import { allMigrations } from '../storage/migrations.ts';
import { FederationQueueStore, federationQueueMigrations } from '../storage/federation-queue-store.ts';
import { createLogger } from '../logger.ts';
import type { Pdu } from '../core/pdu.ts';
import { FederationSender } from './sender.ts';
import { LocalEventFeed, destinationsForEvent } from './sender-events.ts';

const logger = createLogger('error', {}, () => undefined);
const ROOM = '!r:a.example';
let db: Database;
let store: FederationQueueStore;
let sender: FederationSender;
let pos = 0;

function makeFeed(): LocalEventFeed {
  return new LocalEventFeed({ db, store, sender, serverName: 'a.example', serversInRoom: (r) => (r === ROOM ? ['b.example'] : []), logger });
}

function pdu(sender: string, body: string, room = ROOM): Pdu {
  return { room_id: room, type: 'm.room.message', sender, content: { body }, depth: 1, origin_server_ts: 1, prev_events: [], auth_events: [], hashes: { sha256: 'x' }, signatures: {} } as unknown as Pdu;
}

/** Stores an event row as the persister would, returning its position. */
function commit(p: Pdu, opts: { rejected?: string } = {}): number {
  pos++;
  db.run(
    'INSERT INTO events (stream_pos, event_id, room_id, type, sender, depth, origin_server_ts, json, rejected) VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?)',
    pos, `$e${pos}`, p.room_id, p.type, p.sender, JSON.stringify(p), opts.rejected ?? null,
  );
  return pos;
}

const queuedBodies = (dest: string): unknown[] => store.queued(dest).map((r) => (JSON.parse(r.json) as Pdu).content['body']);

beforeEach(() => {
  db = new Database(':memory:');
  db.migrate(allMigrations);
  db.migrate(federationQueueMigrations);
  store = new FederationQueueStore(db);
  sender = new FederationSender({
    db, store, serverName: 'a.example', now: () => Date.now(), logger, isAllowed: () => true,
    transmit: async () => ({}), retry: { initialMs: 10, maxMs: 10 },
  });
  pos = 0;
});

afterEach(() => db.close());

describe('destinations of a local event', () => {
  it('are the servers in the room', () => {
    expect(destinationsForEvent({ type: 'm.room.message' }, ['b.example', 'c.example'])).toEqual(['b.example', 'c.example']);
  });

  it('include the target\'s server for a member event (invite, kick, leave of its last member)', () => {
    expect(destinationsForEvent({ type: 'm.room.member', state_key: '@bob:d.example' }, ['b.example'])).toEqual(['b.example', 'd.example']);
    expect(destinationsForEvent({ type: 'm.room.member', state_key: '@bob:b.example' }, ['b.example'])).toEqual(['b.example']);
  });
});

describe('local event feed', () => {
  it('queues local events for the servers in their room and never sends remote events back', async () => {
    const feed = makeFeed();
    await feed.catchUp();
    const local = pdu('@alice:a.example', 'mine');
    feed.persisted({ origin: 'local', pdu: local, streamPos: commit(local), eventId: '$x' });
    const remote = pdu('@bob:b.example', 'theirs');
    feed.persisted({ origin: 'remote', pdu: remote, streamPos: commit(remote), eventId: '$y' });
    const lonely = pdu('@alice:a.example', 'alone', '!lonely:a.example');
    feed.persisted({ origin: 'local', pdu: lonely, streamPos: commit(lonely), eventId: '$z' });
    await feed.flush();
    expect(queuedBodies('b.example')).toEqual(['mine']);
    expect(store.destinationsWithWork()).toEqual(['b.example']);
    expect(store.position()).toBe(3);
  });

  it('starts from the newest event on a first start: history is not pushed to anyone', async () => {
    commit(pdu('@alice:a.example', 'old'));
    expect(await makeFeed().catchUp()).toBe(0);
    expect(store.position()).toBe(1);
    expect(store.destinationsWithWork()).toEqual([]);
  });

  it('queues, after a crash, the local events committed after the recorded position', async () => {
    const feed = makeFeed();
    await feed.catchUp();
    const first = pdu('@alice:a.example', 'queued');
    feed.persisted({ origin: 'local', pdu: first, streamPos: commit(first), eventId: '$1' });
    await feed.flush();
    // The process dies: these were committed but never queued.
    commit(pdu('@alice:a.example', 'missed'));
    commit(pdu('@bob:b.example', 'remote'));
    commit(pdu('@alice:a.example', 'rejected'), { rejected: 'not allowed' });
    commit(pdu('@alice:a.example', 'missed too'));
    const after = makeFeed();
    expect(await after.catchUp()).toBe(2);
    expect(queuedBodies('b.example')).toEqual(['queued', 'missed', 'missed too']);
    expect(store.position()).toBe(5);
    // A second start finds nothing more.
    expect(await makeFeed().catchUp()).toBe(0);
  });
});
