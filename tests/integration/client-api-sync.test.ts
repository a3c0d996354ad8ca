// Client-Server API against a real homeserver process, part 3: /sync — long-polling, filters,
// full_state, the join/invite/leave sections, limited timelines and prev_batch, typing, receipts
// (public and private), read markers, account data and unread notification counts (spec v1.12).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredUser, TestHomeserver } from '../helpers/homeserver.ts';
import { V3, as, createRoom, enc, join, roomPath, sendText, startRelaxedHomeserver, type ClientEvent, type Json } from './client-api-shared.ts';

interface JoinedRoom {
  timeline: { events: ClientEvent[]; limited: boolean; prev_batch: string };
  state: { events: ClientEvent[] };
  ephemeral: { events: { type: string; content: Json }[] };
  account_data: { events: { type: string; content: Json }[] };
  unread_notifications: { notification_count: number; highlight_count: number };
  summary?: Json;
}
interface SyncBody {
  next_batch: string;
  rooms: {
    join: Record<string, JoinedRoom>;
    invite: Record<string, { invite_state: { events: { type: string; state_key: string; sender: string; content: Json }[] } }>;
    leave: Record<string, { timeline: { events: ClientEvent[] }; state: { events: ClientEvent[] } }>;
  };
  account_data: { events: { type: string; content: Json }[] };
}

describe('Client-Server API: /sync', () => {
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;

  beforeAll(async () => {
    hs = await startRelaxedHomeserver('sync.localhost');
    alice = await hs.registerUser('alice');
    bob = await hs.registerUser('bob');
    carol = await hs.registerUser('carol');
  });

  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
  });

  const sync = async (user: RegisteredUser, query: Record<string, string> = {}): Promise<SyncBody & { ms: number }> => {
    const started = Date.now();
    const res = await as<SyncBody>(hs, user, 'GET', `${V3}/sync?${new URLSearchParams({ timeout: '0', ...query }).toString()}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { ...res.body, ms: Date.now() - started };
  };
  /** The sync token after everything so far (an incremental baseline). */
  const now = async (user: RegisteredUser): Promise<string> => (await sync(user)).next_batch;
  const bodies = (events: ClientEvent[]): unknown[] => events.map((e) => e.content['body'] ?? e.type);

  describe('long-polling', () => {
    let roomId: string;
    beforeAll(async () => {
      roomId = await createRoom(hs, alice, { preset: 'public_chat' });
      await join(hs, bob, roomId);
    });

    it('returns early, with the new event, when one arrives during the wait', async () => {
      const since = await now(bob);
      const waiting = sync(bob, { since, timeout: '20000' });
      await new Promise((r) => setTimeout(r, 300));
      const id = await sendText(hs, alice, roomId, 'wake up');
      const res = await waiting;
      expect(res.ms).toBeGreaterThanOrEqual(250);
      expect(res.ms).toBeLessThan(10_000);
      expect(res.rooms.join[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([id]);
      expect(res.next_batch).not.toBe(since);
    });

    it('returns after the timeout with no rooms when nothing happened', async () => {
      const since = await now(bob);
      const res = await sync(bob, { since, timeout: '1000' });
      expect(res.ms).toBeGreaterThanOrEqual(900);
      expect(res.rooms.join).toEqual({});
      expect(res.rooms.invite).toEqual({});
      expect(res.rooms.leave).toEqual({});
      // Nothing happened: the same position again is as good as a new one.
      const again = await sync(bob, { since: res.next_batch, timeout: '0' });
      expect(again.rooms.join).toEqual({});
    });

    it('does not wake for events in rooms the user is not in', async () => {
      const since = await now(carol);
      const waiting = sync(carol, { since, timeout: '1500' });
      await sendText(hs, alice, roomId, 'not for carol');
      const res = await waiting;
      expect(res.ms).toBeGreaterThanOrEqual(1300);
      expect(res.rooms.join).toEqual({});
    });
  });

  describe('timelines, filters and full_state', () => {
    let roomId: string;
    beforeAll(async () => {
      roomId = await createRoom(hs, alice, { preset: 'public_chat', name: 'Filters' });
      await join(hs, bob, roomId);
      for (let i = 1; i <= 5; i++) await sendText(hs, alice, roomId, `f${i}`);
      await as(hs, alice, 'PUT', `${roomPath(roomId)}/send/org.example.tick/t1`, {});
    });

    it('limits the timeline, with a prev_batch that /messages continues from', async () => {
      const filter = JSON.stringify({ room: { timeline: { limit: 2 } } });
      const res = await sync(bob, { filter });
      const room = res.rooms.join[roomId]!;
      expect(room.timeline.limited).toBe(true);
      expect(bodies(room.timeline.events)).toEqual(['f5', 'org.example.tick']);
      // State is as of the timeline's start: it includes the room name and both members.
      expect(room.state.events.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Filters' });
      const older = await as<{ chunk: ClientEvent[] }>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=3&from=${enc(room.timeline.prev_batch)}`);
      expect(bodies(older.body.chunk)).toEqual(['f4', 'f3', 'f2']);
    });

    it('applies a stored filter by id and the same filter inline', async () => {
      const def = { room: { rooms: [roomId], timeline: { limit: 3, types: ['m.room.message'] }, state: { types: ['m.room.name'] } }, account_data: { not_types: ['*'] } };
      const created = await as<{ filter_id: string }>(hs, bob, 'POST', `${V3}/user/${enc(bob.userId)}/filter`, def);
      for (const filter of [created.body.filter_id, JSON.stringify(def)]) {
        const res = await sync(bob, { filter });
        expect(Object.keys(res.rooms.join)).toEqual([roomId]);
        const room = res.rooms.join[roomId]!;
        expect(bodies(room.timeline.events)).toEqual(['f3', 'f4', 'f5']);
        expect(room.state.events.map((e) => e.type)).toEqual(['m.room.name']);
        expect(res.account_data.events).toEqual([]);
      }
      const unknown = await as<Json>(hs, bob, 'GET', `${V3}/sync?filter=987654`);
      expect([unknown.status, unknown.body['errcode']]).toEqual([404, 'M_NOT_FOUND']);
      const broken = await as<Json>(hs, bob, 'GET', `${V3}/sync?filter=${enc('{"room":')}`);
      expect([broken.status, broken.body['errcode']]).toEqual([400, 'M_INVALID_PARAM']);
    });

    it('lazy-loads only the members of the timeline\'s senders', async () => {
      const res = await sync(bob, { filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 1, types: ['m.room.message'] }, state: { lazy_load_members: true } } }) });
      const members = res.rooms.join[roomId]!.state.events.filter((e) => e.type === 'm.room.member').map((e) => e.state_key).sort();
      expect(members).toEqual([alice.userId, bob.userId].sort());
      const carolsRoom = await createRoom(hs, carol, { preset: 'public_chat' });
      await join(hs, bob, carolsRoom);
      await join(hs, alice, carolsRoom);
      await sendText(hs, carol, carolsRoom, 'only carol speaks');
      const lazy = await sync(bob, { filter: JSON.stringify({ room: { rooms: [carolsRoom], timeline: { limit: 1 }, state: { lazy_load_members: true } } }) });
      expect(lazy.rooms.join[carolsRoom]!.state.events.filter((e) => e.type === 'm.room.member').map((e) => e.state_key).sort()).toEqual([bob.userId, carol.userId].sort());
    });

    it('sends the whole state in an incremental sync only with full_state=true', async () => {
      const since = await now(bob);
      await sendText(hs, alice, roomId, 'f6');
      const plain = await sync(bob, { since });
      expect(plain.rooms.join[roomId]!.state.events).toEqual([]);
      const full = await sync(bob, { since, full_state: 'true' });
      const types = full.rooms.join[roomId]!.state.events.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['m.room.create', 'm.room.power_levels', 'm.room.join_rules', 'm.room.name', 'm.room.member']));
      expect(bodies(full.rooms.join[roomId]!.timeline.events)).toEqual(['f6']);
    });

    it('reports a gap as limited, with the state changes of the gap', async () => {
      const since = await now(bob);
      await as(hs, alice, 'PUT', `${roomPath(roomId)}/state/m.room.topic`, { topic: 'changed in the gap' });
      for (let i = 0; i < 4; i++) await sendText(hs, alice, roomId, `gap${i}`);
      const res = await sync(bob, { since, filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) });
      const room = res.rooms.join[roomId]!;
      expect(room.timeline.limited).toBe(true);
      expect(bodies(room.timeline.events)).toEqual(['gap2', 'gap3']);
      expect(room.state.events.map((e) => [e.type, e.content])).toEqual([['m.room.topic', { topic: 'changed in the gap' }]]);
      const gap = await as<{ chunk: ClientEvent[] }>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=10&from=${enc(room.timeline.prev_batch)}&to=${enc(since)}`);
      expect(bodies(gap.body.chunk)).toEqual(['gap1', 'gap0', 'm.room.topic']);
    });
  });

  describe('invite, join and leave sections', () => {
    it('moves a room from invite to join to leave, and include_leave shows it in an initial sync', async () => {
      const roomId = await createRoom(hs, alice, { preset: 'private_chat', name: 'Secret' });
      let since = await now(carol);
      await as(hs, alice, 'POST', `${roomPath(roomId)}/invite`, { user_id: carol.userId });
      const invited = await sync(carol, { since });
      const stripped = invited.rooms.invite[roomId]!.invite_state.events;
      expect(stripped.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Secret' });
      expect(stripped.find((e) => e.type === 'm.room.member' && e.state_key === carol.userId)).toMatchObject({ sender: alice.userId, content: { membership: 'invite' } });
      expect(stripped.find((e) => e.type === 'm.room.create')).toBeDefined();
      expect(invited.rooms.join[roomId]).toBeUndefined();

      since = invited.next_batch;
      await join(hs, carol, roomId);
      const joined = await sync(carol, { since });
      expect(joined.rooms.invite[roomId]).toBeUndefined();
      const room = joined.rooms.join[roomId]!;
      expect(room.timeline.events.map((e) => [e.type, e.state_key])).toContainEqual(['m.room.member', carol.userId]);
      // Newly joined: the state before the timeline comes in full.
      expect([...room.state.events, ...room.timeline.events].map((e) => e.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.power_levels', 'm.room.name']));
      expect(room.summary).toMatchObject({ 'm.joined_member_count': 2, 'm.heroes': [alice.userId] });

      since = joined.next_batch;
      await sendText(hs, alice, roomId, 'just before carol leaves');
      await as(hs, carol, 'POST', `${roomPath(roomId)}/leave`, {});
      await sendText(hs, alice, roomId, 'after carol left');
      const left = await sync(carol, { since });
      expect(left.rooms.join[roomId]).toBeUndefined();
      expect(bodies(left.rooms.leave[roomId]!.timeline.events)).toEqual(['just before carol leaves', 'm.room.member']);

      const initial = await sync(carol);
      expect(initial.rooms.leave[roomId]).toBeUndefined();
      const withLeave = await sync(carol, { filter: JSON.stringify({ room: { include_leave: true } }) });
      expect(withLeave.rooms.leave[roomId]).toBeDefined();
      // Forgetting removes it from include_leave too.
      await as(hs, carol, 'POST', `${roomPath(roomId)}/forget`, {});
      expect((await sync(carol, { filter: JSON.stringify({ room: { include_leave: true } }) })).rooms.leave[roomId]).toBeUndefined();
    });
  });

  describe('ephemeral events, markers and account data', () => {
    let roomId: string;
    let lastId: string;
    beforeAll(async () => {
      roomId = await createRoom(hs, alice, { preset: 'public_chat' });
      await join(hs, bob, roomId);
      lastId = await sendText(hs, alice, roomId, 'read me');
    });

    it('delivers typing notifications as they start and stop', async () => {
      let since = await now(bob);
      expect((await as(hs, alice, 'PUT', `${roomPath(roomId)}/typing/${enc(alice.userId)}`, { typing: true, timeout: 30000 })).status).toBe(200);
      let res = await sync(bob, { since, timeout: '5000' });
      expect(res.rooms.join[roomId]!.ephemeral.events).toContainEqual({ type: 'm.typing', content: { user_ids: [alice.userId] } });
      since = res.next_batch;
      await as(hs, alice, 'PUT', `${roomPath(roomId)}/typing/${enc(alice.userId)}`, { typing: false });
      res = await sync(bob, { since, timeout: '5000' });
      expect(res.rooms.join[roomId]!.ephemeral.events).toContainEqual({ type: 'm.typing', content: { user_ids: [] } });
      expect((await as(hs, alice, 'PUT', `${roomPath(roomId)}/typing/${enc(bob.userId)}`, { typing: true })).status).toBe(403);
    });

    it('shows m.read receipts to everyone and m.read.private only to its owner', async () => {
      const aliceSince = await now(alice);
      const bobSince = await now(bob);
      expect((await as(hs, bob, 'POST', `${roomPath(roomId)}/receipt/m.read/${enc(lastId)}`, {})).status).toBe(200);
      const seen = await sync(alice, { since: aliceSince, timeout: '5000' });
      const receipt = seen.rooms.join[roomId]!.ephemeral.events.find((e) => e.type === 'm.receipt')!;
      expect(((receipt.content[lastId] as Json)['m.read'] as Json)[bob.userId]).toMatchObject({ ts: expect.any(Number) });

      const aliceAfter = seen.next_batch;
      expect((await as(hs, bob, 'POST', `${roomPath(roomId)}/receipt/m.read.private/${enc(lastId)}`, {})).status).toBe(200);
      const bobView = await sync(bob, { since: bobSince });
      const own = bobView.rooms.join[roomId]!.ephemeral.events.find((e) => e.type === 'm.receipt')!;
      expect(((own.content[lastId] as Json)['m.read.private'] as Json)[bob.userId]).toBeDefined();
      const aliceView = await sync(alice, { since: aliceAfter, timeout: '1000' });
      expect(JSON.stringify(aliceView.rooms.join[roomId] ?? {})).not.toContain('m.read.private');

      // A receipt in the main thread is threaded ("main"), kept apart from the unthreaded one.
      const threadSince = await now(alice);
      expect((await as(hs, bob, 'POST', `${roomPath(roomId)}/receipt/m.read/${enc(lastId)}`, { thread_id: 'main' })).status).toBe(200);
      const threaded = (await sync(alice, { since: threadSince, timeout: '5000' })).rooms.join[roomId]!.ephemeral.events.find((e) => e.type === 'm.receipt')!;
      expect(((threaded.content[lastId] as Json)['m.read'] as Json)[bob.userId]).toMatchObject({ thread_id: 'main' });
      for (const [type, body] of [['m.read', { thread_id: '' }], ['m.read', { thread_id: 5 }], ['m.fully_read', { thread_id: 'main' }]] as const) {
        const res = await as<Json>(hs, bob, 'POST', `${roomPath(roomId)}/receipt/${type}/${enc(lastId)}`, body);
        expect([res.status, res.body['errcode']], JSON.stringify(body)).toEqual([400, 'M_INVALID_PARAM']);
      }
      const bad = await as<Json>(hs, bob, 'POST', `${roomPath(roomId)}/receipt/m.unread/${enc(lastId)}`, {});
      expect(bad.status).toBe(400);
      const unknown = await as<Json>(hs, bob, 'POST', `${roomPath(roomId)}/receipt/m.read/${enc('$missing')}`, {});
      expect(unknown.status).toBe(404);
    });

    it('stores the fully-read marker as m.fully_read room account data, readable and synced', async () => {
      const since = await now(bob);
      expect((await as(hs, bob, 'POST', `${roomPath(roomId)}/read_markers`, { 'm.fully_read': lastId, 'm.read': lastId })).status).toBe(200);
      const res = await sync(bob, { since });
      expect(res.rooms.join[roomId]!.account_data.events).toContainEqual({ type: 'm.fully_read', content: { event_id: lastId } });
      const got = await as<Json>(hs, bob, 'GET', `${V3}/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`);
      expect(got.body).toEqual({ event_id: lastId });
      // The server manages m.fully_read: clients set it through read_markers only.
      const direct = await as<Json>(hs, bob, 'PUT', `${V3}/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`, { event_id: lastId });
      expect([direct.status, direct.body['errcode']]).toEqual([405, 'M_BAD_JSON']);
    });

    it('stores global and per-room account data, delivered once in sync and readable by GET', async () => {
      const since = await now(bob);
      expect((await as(hs, bob, 'PUT', `${V3}/user/${enc(bob.userId)}/account_data/org.example.theme`, { dark: true })).status).toBe(200);
      expect((await as(hs, bob, 'PUT', `${V3}/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.tag`, { tags: { 'm.favourite': { order: 0.5 } } })).status).toBe(200);
      const res = await sync(bob, { since });
      expect(res.account_data.events).toContainEqual({ type: 'org.example.theme', content: { dark: true } });
      expect(res.rooms.join[roomId]!.account_data.events).toContainEqual({ type: 'm.tag', content: { tags: { 'm.favourite': { order: 0.5 } } } });
      const next = await sync(bob, { since: res.next_batch });
      expect(next.account_data.events).toEqual([]);
      expect((await as<Json>(hs, bob, 'GET', `${V3}/user/${enc(bob.userId)}/account_data/org.example.theme`)).body).toEqual({ dark: true });
      expect((await as<Json>(hs, bob, 'GET', `${V3}/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.tag`)).body).toEqual({ tags: { 'm.favourite': { order: 0.5 } } });
      // Room data stays in its room; global data is not room data.
      expect((await as(hs, bob, 'GET', `${V3}/user/${enc(bob.userId)}/account_data/m.tag`)).status).toBe(404);
      expect((await as(hs, alice, 'GET', `${V3}/user/${enc(bob.userId)}/account_data/org.example.theme`)).status).toBe(403);
      const badRoom = await as<Json>(hs, bob, 'PUT', `${V3}/user/${enc(bob.userId)}/rooms/not-a-room/account_data/m.tag`, {});
      expect([badRoom.status, badRoom.body['errcode']]).toEqual([400, 'M_INVALID_PARAM']);
      // A full initial sync carries the latest of each.
      const initial = await sync(bob);
      expect(initial.account_data.events).toContainEqual({ type: 'org.example.theme', content: { dark: true } });
    });

    it('counts unread notifications and highlights, and clears them with a read receipt', async () => {
      const r = await createRoom(hs, alice, { preset: 'public_chat' });
      await join(hs, bob, r);
      await sendText(hs, alice, r, 'one');
      await sendText(hs, alice, r, 'two');
      const mention = await sendText(hs, alice, r, 'hey bob, look');
      let res = await sync(bob, { filter: JSON.stringify({ room: { rooms: [r] } }) });
      expect(res.rooms.join[r]!.unread_notifications).toEqual({ notification_count: 3, highlight_count: 1 });
      // Her own messages do not count for alice.
      expect((await sync(alice, { filter: JSON.stringify({ room: { rooms: [r] } }) })).rooms.join[r]!.unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
      const since = res.next_batch;
      await as(hs, bob, 'POST', `${roomPath(r)}/receipt/m.read/${enc(mention)}`, {});
      res = await sync(bob, { since });
      expect(res.rooms.join[r]!.unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
      await sendText(hs, alice, r, 'three');
      res = await sync(bob, { since: res.next_batch });
      expect(res.rooms.join[r]!.unread_notifications).toEqual({ notification_count: 1, highlight_count: 0 });
      // A private receipt clears the count as well.
      const last = res.rooms.join[r]!.timeline.events[0]!.event_id;
      await as(hs, bob, 'POST', `${roomPath(r)}/receipt/m.read.private/${enc(last)}`, {});
      res = await sync(bob, { since: res.next_batch });
      expect(res.rooms.join[r]!.unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
      // Sending an event marks everything before it read (spec: "Receiving notifications"), receipt or not.
      await sendText(hs, alice, r, 'four');
      res = await sync(bob, { since: res.next_batch });
      expect(res.rooms.join[r]!.unread_notifications).toEqual({ notification_count: 1, highlight_count: 0 });
      await sendText(hs, bob, r, 'an answer');
      res = await sync(bob, { since: res.next_batch });
      expect(res.rooms.join[r]!.unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
    });
  });
  it('gives a newly joined member the room\'s current members when history visibility hides how they joined', async () => {
    // alice invites carol first (carol sees her own invite), then bob is invited and joins, then
    // carol joins: bob's join is before carol's and hidden from her, yet she must learn of it.
    const r = await createRoom(hs, alice, { initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
    expect((await as(hs, alice, 'POST', `${roomPath(r)}/invite`, { user_id: carol.userId })).status).toBe(200);
    expect((await as(hs, alice, 'POST', `${roomPath(r)}/invite`, { user_id: bob.userId })).status).toBe(200);
    await join(hs, bob, r);
    await join(hs, carol, r);
    const res = await sync(carol);
    const room = res.rooms.join[r]!;
    const membership = new Map<string, unknown>();
    for (const e of [...room.state.events, ...room.timeline.events]) {
      if (e.type === 'm.room.member' && e.state_key !== undefined) membership.set(e.state_key, e.content['membership']);
    }
    expect(membership.get(bob.userId)).toBe('join');
    expect(membership.get(carol.userId)).toBe('join');
    expect(membership.get(alice.userId)).toBe('join');
  });
});
