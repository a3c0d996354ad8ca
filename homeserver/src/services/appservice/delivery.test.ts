// Event delivery to appservices against a real (in-memory) database and real rooms: which events an
// appservice receives, in what order and batches, and that retries — also after a restart — repeat
// the same transaction id with the same events so a deduplicating appservice sees each event once.
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from '../../storage/database.ts';
import { allMigrations, streamTables } from '../../storage/migrations.ts';
import { AppserviceStore, appserviceMigrations } from '../../storage/appservice-store.ts';
import { StreamCounter } from '../../storage/streams.ts';
import { EventsStore } from '../../storage/events-store.ts';
import { UsersStore } from '../../storage/users-store.ts';
import { RoomCache } from '../rooms/room-cache.ts';
import { EventPersister } from '../rooms/event-persister.ts';
import { RoomsService } from '../rooms/rooms.ts';
import { generateSigningKey } from '../../core/signing.ts';
import { createLogger } from '../../logger.ts';
import { Appservice, parseRegistration } from './registration.ts';
import { AppserviceQueue } from './queue.ts';
import { AppservicePusher, type FetchLike } from './pusher.ts';

const SERVER = 'hs.example';
const ALICE = `@alice:${SERVER}`;
const GHOST = `@_bridge_ghost:${SERVER}`;
const logger = createLogger('error', {}, () => {});

interface Sent {
  url: string;
  txnId: string;
  auth: string | undefined;
  body: { events: { event_id: string; room_id: string; type: string; sender: string; content: Record<string, unknown> }[]; ephemeral?: unknown[] };
}

function bridge(extra: Record<string, unknown> = {}): Appservice {
  return new Appservice(parseRegistration({
    id: 'bridge', url: 'http://as.test', as_token: 'as-tok', hs_token: 'hs-tok', sender_localpart: '_bridge_bot',
    namespaces: { users: [{ exclusive: true, regex: '@_bridge_.*' }] }, ...extra,
  }, 'bridge.yaml'), SERVER);
}

function setup(db = new Database(':memory:')) {
  db.migrate([...allMigrations, ...appserviceMigrations]);
  const streams = new StreamCounter(db, streamTables);
  const events = new EventsStore(db);
  const users = new UsersStore(db);
  const cache = new RoomCache(events);
  const clock = { now: () => Date.now() };
  const persister = new EventPersister({ db, store: events, cache, streams, clock, serverName: SERVER, signingKey: generateSigningKey() });
  const rooms = new RoomsService({ db, store: events, users, cache, persister, clock, serverName: SERVER });
  const store = new AppserviceStore(db);
  return { db, events, persister, rooms, store };
}

type Env = ReturnType<typeof setup>;

/** A fake appservice endpoint: `respond` decides each answer; every request is recorded. */
function fakeAppservice(respond: (n: number) => 'ok' | 'fail' | 'down' | 'hang' = () => 'ok') {
  const requests: Sent[] = [];
  const fetch: FetchLike = async (url, init) => {
    const n = requests.length;
    requests.push({ url, txnId: decodeURIComponent(url.split('/').pop()!), auth: init.headers['Authorization'], body: JSON.parse(init.body) as Sent['body'] });
    const mode = respond(n);
    if (mode === 'down') throw new TypeError('fetch failed: connect ECONNREFUSED');
    if (mode === 'hang') {
      await new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    return { ok: mode === 'ok', status: mode === 'ok' ? 200 : 500, arrayBuffer: async () => new ArrayBuffer(0) };
  };
  return { requests, fetch };
}

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

function startDelivery(env: Env, as: Appservice, fetch: FetchLike, backoff = { initialMs: 10, maxMs: 40 }) {
  const pusher = new AppservicePusher({ appservice: as, db: env.db, store: env.store, rooms: env.rooms, logger, backoff, fetch });
  const queue = new AppserviceQueue({ db: env.db, store: env.store, events: env.events, logger, appservices: [as], onEnqueued: () => pusher.wake() });
  queue.init();
  env.persister.onPersisted(() => queue.trigger());
  pusher.start();
  running.push(queue, pusher);
  return { pusher, queue };
}

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const delivered = (reqs: Sent[]): string[] => {
  // What a deduplicating appservice keeps: the events of each transaction id, once.
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of reqs) {
    if (seen.has(r.txnId)) continue;
    seen.add(r.txnId);
    out.push(...r.body.events.map((e) => e.event_id));
  }
  return out;
};

describe('appservice event delivery', () => {
  it('sends events of rooms where a namespace user is joined, from its join on, and nothing from other rooms', async () => {
    const env = setup();
    const as = bridge();
    const fake = fakeAppservice();
    startDelivery(env, as, fake.fetch);
    const { roomId } = await env.rooms.createRoom(ALICE, { preset: 'public_chat' });
    const before = await env.rooms.send(roomId, ALICE, 'm.room.message', { msgtype: 'm.text', body: 'before' });
    const join = await env.rooms.join(roomId, GHOST).then(() => env.events.membership(roomId, GHOST)!.event_id);
    const after = await env.rooms.send(roomId, ALICE, 'm.room.message', { msgtype: 'm.text', body: 'after' });
    const other = await env.rooms.createRoom(ALICE, { preset: 'public_chat' });
    await env.rooms.send(other.roomId, ALICE, 'm.room.message', { msgtype: 'm.text', body: 'elsewhere' });
    await until('the message after the join', () => delivered(fake.requests).includes(after));
    const ids = delivered(fake.requests);
    expect(ids).toEqual([join, after]);
    expect(ids).not.toContain(before);
    expect(fake.requests.every((r) => r.body.events.every((e) => e.room_id === roomId))).toBe(true);
  });

  it('puts the hs_token in the Authorization header and client-format events in the body, without ephemeral unless asked', async () => {
    const env = setup();
    const fake = fakeAppservice();
    startDelivery(env, bridge(), fake.fetch);
    const { roomId } = await env.rooms.createRoom(GHOST, { preset: 'private_chat' });
    await until('a transaction', () => fake.requests.length > 0);
    const r = fake.requests[0]!;
    expect(r.url).toBe(`http://as.test/_matrix/app/v1/transactions/${r.txnId}`);
    expect(r.auth).toBe('Bearer hs-tok');
    expect(r.body.ephemeral).toBeUndefined();
    const create = r.body.events[0]!;
    expect(create).toMatchObject({ type: 'm.room.create', room_id: roomId, sender: GHOST });
    expect(create).not.toHaveProperty('signatures');
    expect(create).not.toHaveProperty('prev_events');
  });

  it('sends an empty ephemeral list to appservices with receive_ephemeral', async () => {
    const env = setup();
    const fake = fakeAppservice();
    startDelivery(env, bridge({ receive_ephemeral: true }), fake.fetch);
    await env.rooms.createRoom(GHOST, {});
    await until('a transaction', () => fake.requests.length > 0);
    expect(fake.requests[0]!.body.ephemeral).toEqual([]);
  });

  it('sends the invite of a namespace user with the stripped room state', async () => {
    const env = setup();
    const fake = fakeAppservice();
    startDelivery(env, bridge(), fake.fetch);
    await env.db.write(() => env.db.run("INSERT INTO users (user_id, created_ts) VALUES (?, 0)", GHOST));
    const { roomId } = await env.rooms.createRoom(ALICE, { name: 'Bridged' });
    await env.rooms.invite(roomId, ALICE, GHOST);
    await until('the invite', () => fake.requests.length > 0);
    const invite = fake.requests[0]!.body.events.find((e) => e.type === 'm.room.member') as unknown as { unsigned: { invite_room_state: { type: string }[] } };
    expect(invite.unsigned.invite_room_state.map((e) => e.type)).toContain('m.room.name');
  });

  it('delivers many events once each, in order, at most 100 per transaction with increasing ids', async () => {
    const env = setup();
    const fake = fakeAppservice();
    startDelivery(env, bridge(), fake.fetch);
    const { roomId } = await env.rooms.createRoom(GHOST, { preset: 'public_chat' });
    const sent: string[] = [];
    await Promise.all(Array.from({ length: 250 }, async (_, i) => {
      sent[i] = await env.rooms.send(roomId, GHOST, 'm.room.message', { msgtype: 'm.text', body: `m${i}` });
    }));
    const ordered = env.db.all<{ event_id: string }>("SELECT event_id FROM events WHERE type = 'm.room.message' ORDER BY stream_pos").map((r) => r.event_id);
    await until('all messages', () => ordered.every((id) => delivered(fake.requests).includes(id)));
    const messages = delivered(fake.requests).filter((id) => ordered.includes(id));
    expect(messages).toEqual(ordered);
    expect(new Set(delivered(fake.requests)).size).toBe(delivered(fake.requests).length);
    expect(fake.requests.every((r) => r.body.events.length <= 100)).toBe(true);
    const txnIds = fake.requests.map((r) => Number(r.txnId));
    expect(txnIds).toEqual([...txnIds].sort((a, b) => a - b));
    expect(new Set(txnIds).size).toBe(txnIds.length);
    await until('an empty queue', () => env.store.queueLength('bridge') === 0);
  });

  it('retries a failed transaction with the same id and events, backing off exponentially up to the cap', async () => {
    const env = setup();
    const fake = fakeAppservice((n) => (n < 4 ? (n % 2 ? 'fail' : 'down') : 'ok'));
    const stamps: number[] = [];
    const timed: FetchLike = (url, init) => {
      stamps.push(performance.now());
      return fake.fetch(url, init);
    };
    const { pusher } = startDelivery(env, bridge(), timed, { initialMs: 40, maxMs: 100 });
    await env.rooms.createRoom(GHOST, {});
    await until('success after failures', () => fake.requests.length >= 5);
    await until('an empty queue', () => env.store.queueLength('bridge') === 0);
    const first = fake.requests[0]!;
    for (const r of fake.requests.slice(1, 5)) {
      expect(r.txnId).toBe(first.txnId);
      expect(r.body.events.map((e) => e.event_id)).toEqual(first.body.events.map((e) => e.event_id));
    }
    const gaps = stamps.slice(1, 5).map((t, i) => t - stamps[i]!);
    // 40, 80, then capped at 100 — timers never fire early.
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    expect(gaps[2]).toBeGreaterThanOrEqual(98);
    expect(gaps[3]).toBeGreaterThanOrEqual(98);
    expect(gaps[3]).toBeLessThan(400);
    expect(pusher.delayMs).toBe(0);
  });

  it('sends again after a restart the transaction that was in flight, with the same id and events', async () => {
    const env = setup();
    const as = bridge();
    const hanging = fakeAppservice(() => 'hang');
    const first = startDelivery(env, as, hanging.fetch);
    const { roomId } = await env.rooms.createRoom(GHOST, {});
    await until('a transaction in flight', () => hanging.requests.length === 1);
    await env.rooms.send(roomId, GHOST, 'm.room.message', { msgtype: 'm.text', body: 'later' });
    await first.queue.drain();
    await first.pusher.stop();
    await first.queue.stop();

    const fake = fakeAppservice();
    const pusher = new AppservicePusher({ appservice: as, db: env.db, store: env.store, rooms: env.rooms, logger, fetch: fake.fetch, backoff: { initialMs: 10, maxMs: 10 } });
    running.push(pusher);
    pusher.start();
    await until('the queue to drain', () => env.store.queueLength('bridge') === 0);
    expect(fake.requests[0]!.txnId).toBe(hanging.requests[0]!.txnId);
    expect(fake.requests[0]!.body.events.map((e) => e.event_id)).toEqual(hanging.requests[0]!.body.events.map((e) => e.event_id));
    expect(fake.requests.length).toBe(2);
    expect(fake.requests[1]!.body.events.map((e) => e.content['body'])).toEqual(['later']);
  });

  it('queues at start the events committed before a crash that never reached the queue', async () => {
    const env = setup();
    const as = bridge();
    // The appservice is known (has a position) but the process died before queueing these.
    new AppserviceQueue({ db: env.db, store: env.store, events: env.events, logger, appservices: [as], onEnqueued: () => {} }).init();
    const { roomId } = await env.rooms.createRoom(GHOST, {});
    const msg = await env.rooms.send(roomId, GHOST, 'm.room.message', { msgtype: 'm.text', body: 'lost?' });
    expect(env.store.queueLength('bridge')).toBe(0);
    const fake = fakeAppservice();
    const { queue } = startDelivery(env, as, fake.fetch);
    await queue.drain();
    await until('the message', () => delivered(fake.requests).includes(msg));
    expect(delivered(fake.requests)[0]).toBe(env.db.get<{ event_id: string }>("SELECT event_id FROM events WHERE type = 'm.room.create'")!.event_id);
  });

  it('starts a newly configured appservice at the newest event instead of replaying history', async () => {
    const env = setup();
    const { roomId } = await env.rooms.createRoom(GHOST, {});
    const fake = fakeAppservice();
    const { queue } = startDelivery(env, bridge(), fake.fetch);
    await queue.drain();
    expect(env.store.queueLength('bridge')).toBe(0);
    const msg = await env.rooms.send(roomId, GHOST, 'm.room.message', { msgtype: 'm.text', body: 'new' });
    await until('the new message', () => delivered(fake.requests).includes(msg));
    expect(delivered(fake.requests)).toEqual([msg]);
  });

  it('still sends events from before a namespace user left, even when the leave is queued in the same scan', async () => {
    const env = setup();
    const as = bridge();
    const { roomId } = await env.rooms.createRoom(ALICE, { preset: 'public_chat' });
    await env.rooms.join(roomId, GHOST);
    const queue = new AppserviceQueue({ db: env.db, store: env.store, events: env.events, logger, appservices: [as], onEnqueued: () => {} });
    queue.init();
    const bye = await env.rooms.send(roomId, ALICE, 'm.room.message', { msgtype: 'm.text', body: 'bye' });
    await env.rooms.leave(roomId, GHOST);
    const gone = await env.rooms.send(roomId, ALICE, 'm.room.message', { msgtype: 'm.text', body: 'after leave' });
    await queue.drain();
    const queued = env.db.all<{ event_id: string }>('SELECT e.event_id FROM appservice_queue q JOIN events e ON e.stream_pos = q.stream_pos ORDER BY q.stream_pos').map((r) => r.event_id);
    expect(queued[0]).toBe(bye);
    expect(queued).toHaveLength(2); // the message and the leave
    expect(queued).not.toContain(gone);
  });

  it('sends nothing to an appservice without a url, and stops promptly while backing off', async () => {
    const env = setup();
    const none = fakeAppservice();
    startDelivery(env, bridge({ url: null }), none.fetch);
    const down = fakeAppservice(() => 'down');
    const env2 = setup();
    const { pusher } = startDelivery(env2, bridge(), down.fetch, { initialMs: 60_000, maxMs: 60_000 });
    await env.rooms.createRoom(GHOST, {});
    await env2.rooms.createRoom(GHOST, {});
    await until('a failed attempt', () => down.requests.length === 1);
    const t = performance.now();
    await pusher.stop();
    expect(performance.now() - t).toBeLessThan(1_000);
    expect(none.requests).toHaveLength(0);
  });
});
