// Client-Server API against a real homeserver process, part 2: room creation (presets, initial
// state, invites, power level overrides, room versions), membership changes and their errors,
// sending with transaction ids, state, single events, /context, /messages, /members,
// /joined_members and redaction in room versions 10 and 11 (spec v1.12).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredUser, TestHomeserver } from '../helpers/homeserver.ts';
import { V3, as, createRoom, enc, join, roomPath, sendText, startRelaxedHomeserver, type ClientEvent, type Json } from './client-api-shared.ts';

interface Messages { chunk: ClientEvent[]; start: string; end?: string; state?: ClientEvent[] }
interface Context { event: ClientEvent; events_before: ClientEvent[]; events_after: ClientEvent[]; start: string; end: string; state: ClientEvent[] }

describe('Client-Server API: rooms', () => {
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let outsider: RegisteredUser;

  beforeAll(async () => {
    hs = await startRelaxedHomeserver('rooms.localhost');
    alice = await hs.registerUser('alice');
    bob = await hs.registerUser('bob');
    carol = await hs.registerUser('carol');
    outsider = await hs.registerUser('outsider');
  });

  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
  });

  const state = async (user: RegisteredUser, roomId: string): Promise<Map<string, ClientEvent>> => {
    const res = await as<ClientEvent[]>(hs, user, 'GET', `${roomPath(roomId)}/state`);
    expect(res.status).toBe(200);
    return new Map(res.body.map((e) => [`${e.type}|${e.state_key}`, e]));
  };
  const stateContent = (user: RegisteredUser, roomId: string, type: string, key = '') =>
    as<Json>(hs, user, 'GET', `${roomPath(roomId)}/state/${enc(type)}/${enc(key)}`);
  const membership = async (roomId: string, userId: string): Promise<unknown> => (await stateContent(alice, roomId, 'm.room.member', userId)).body['membership'];
  const errOf = (res: { status: number; body: unknown }): [number, unknown] => [res.status, (res.body as Json)['errcode']];

  describe('createRoom', () => {
    it('private_chat: invite-only, shared history, guests may join, invites need power 0, creator has 100', async () => {
      const roomId = await createRoom(hs, alice, { preset: 'private_chat', name: 'Private', topic: 'Quiet' });
      const s = await state(alice, roomId);
      expect(s.get('m.room.join_rules|')?.content).toEqual({ join_rule: 'invite' });
      expect(s.get('m.room.history_visibility|')?.content).toEqual({ history_visibility: 'shared' });
      expect(s.get('m.room.guest_access|')?.content).toEqual({ guest_access: 'can_join' });
      expect(s.get('m.room.name|')?.content).toEqual({ name: 'Private' });
      expect(s.get('m.room.topic|')?.content).toEqual({ topic: 'Quiet' });
      const pl = s.get('m.room.power_levels|')!.content;
      expect(pl).toMatchObject({ users: { [alice.userId]: 100 }, invite: 0, kick: 50, ban: 50, redact: 50, state_default: 50, events_default: 0, users_default: 0 });
      expect(s.get(`m.room.member|${alice.userId}`)?.content).toMatchObject({ membership: 'join', displayname: 'alice' });
      expect((await as<ClientEvent[]>(hs, alice, 'GET', `${roomPath(roomId)}/state`)).body.find((e) => e.type === 'm.room.create')?.sender).toBe(alice.userId);
      const denied = await as(hs, outsider, 'POST', `${V3}/join/${enc(roomId)}`, {});
      expect(errOf(denied)).toEqual([403, 'M_FORBIDDEN']);
    });

    it('trusted_private_chat: invitees are invited and get the creator\'s power level', async () => {
      const roomId = await createRoom(hs, alice, { preset: 'trusted_private_chat', invite: [bob.userId], is_direct: true });
      const s = await state(alice, roomId);
      expect(s.get(`m.room.member|${bob.userId}`)?.content).toMatchObject({ membership: 'invite', is_direct: true, displayname: 'bob' });
      expect(s.get('m.room.power_levels|')!.content['users']).toEqual({ [alice.userId]: 100, [bob.userId]: 100 });
      expect(s.get('m.room.join_rules|')?.content).toEqual({ join_rule: 'invite' });
      await join(hs, bob, roomId);
      expect(await membership(roomId, bob.userId)).toBe('join');
    });

    it('public_chat: anyone may join, guests may not, and inviting needs power 50 (as Synapse)', async () => {
      const roomId = await createRoom(hs, alice, { preset: 'public_chat', visibility: 'public', name: 'Lobby' });
      const s = await state(alice, roomId);
      expect(s.get('m.room.join_rules|')?.content).toEqual({ join_rule: 'public' });
      expect(s.get('m.room.history_visibility|')?.content).toEqual({ history_visibility: 'shared' });
      // Absent m.room.guest_access means forbidden.
      expect(s.get('m.room.guest_access|')?.content['guest_access'] ?? 'forbidden').toBe('forbidden');
      expect(s.get('m.room.power_levels|')!.content['invite']).toBe(50);
      await join(hs, outsider, roomId);
      expect(await membership(roomId, outsider.userId)).toBe('join');
      expect(errOf(await as(hs, outsider, 'POST', `${roomPath(roomId)}/invite`, { user_id: carol.userId }))).toEqual([403, 'M_FORBIDDEN']);
      const listed = await as<{ chunk: { room_id: string; name?: string; join_rule?: string }[] }>(hs, outsider, 'GET', `${V3}/publicRooms`);
      expect(listed.body.chunk.find((r) => r.room_id === roomId)).toMatchObject({ name: 'Lobby', join_rule: 'public' });
      // Visibility public without a preset means the public_chat preset.
      const implied = await createRoom(hs, alice, { visibility: 'public' });
      expect((await state(alice, implied)).get('m.room.join_rules|')?.content).toEqual({ join_rule: 'public' });
    });

    it('applies initial_state over the preset and keeps custom state keys', async () => {
      const roomId = await createRoom(hs, alice, {
        preset: 'public_chat',
        initial_state: [
          { type: 'm.room.history_visibility', content: { history_visibility: 'joined' } },
          { type: 'org.example.settings', state_key: 'k1', content: { colour: 'teal' } },
          { type: 'org.example.settings', content: { colour: 'none' } },
        ],
      });
      const s = await state(alice, roomId);
      expect(s.get('m.room.history_visibility|')?.content).toEqual({ history_visibility: 'joined' });
      expect(s.get('m.room.join_rules|')?.content).toEqual({ join_rule: 'public' });
      expect(s.get('org.example.settings|k1')?.content).toEqual({ colour: 'teal' });
      expect(s.get('org.example.settings|')?.content).toEqual({ colour: 'none' });
      // Only one history visibility event was sent: the preset's was replaced, not overridden later.
      const all = await as<Messages>(hs, alice, 'GET', `${roomPath(roomId)}/messages?dir=f&limit=50`);
      expect(all.body.chunk.filter((e) => e.type === 'm.room.history_visibility')).toHaveLength(1);
      const bad = await as(hs, alice, 'POST', `${V3}/createRoom`, { initial_state: [{ type: 'm.room.topic' }] });
      expect(errOf(bad)).toEqual([400, 'M_BAD_JSON']);
    });

    it('merges power_level_content_override over the defaults', async () => {
      const roomId = await createRoom(hs, alice, { power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 60 }, events_default: 10, events: { 'm.room.topic': 0 } } });
      const pl = (await stateContent(alice, roomId, 'm.room.power_levels')).body;
      expect(pl['users']).toEqual({ [alice.userId]: 100, [bob.userId]: 60 });
      expect(pl['events_default']).toBe(10);
      expect(pl['events']).toEqual({ 'm.room.topic': 0 });
      expect(pl['kick']).toBe(50);
    });

    it('creates rooms of version 10 (creator in m.room.create) and 11 (no creator), and refuses unknown versions', async () => {
      for (const version of ['10', '11']) {
        const roomId = await createRoom(hs, alice, { room_version: version });
        const create = (await stateContent(alice, roomId, 'm.room.create')).body;
        expect(create['room_version']).toBe(version);
        if (version === '10') expect(create['creator']).toBe(alice.userId);
        else expect(create).not.toHaveProperty('creator');
      }
      for (const version of ['9', '12345', 'not-a-version']) {
        const res = await as(hs, alice, 'POST', `${V3}/createRoom`, { room_version: version });
        expect(errOf(res), version).toEqual([400, 'M_UNSUPPORTED_ROOM_VERSION']);
      }
    });
  });

  describe('membership', () => {
    let roomId: string;

    beforeAll(async () => {
      roomId = await createRoom(hs, alice, { preset: 'private_chat' });
    });

    it('invites, lets the invitee join, and lists the room in joined_rooms', async () => {
      expect((await as(hs, alice, 'POST', `${roomPath(roomId)}/invite`, { user_id: bob.userId, reason: 'welcome' })).status).toBe(200);
      expect(await membership(roomId, bob.userId)).toBe('invite');
      expect((await stateContent(alice, roomId, 'm.room.member', bob.userId)).body['reason']).toBe('welcome');
      // Spec: inviting someone already invited succeeds.
      expect((await as(hs, alice, 'POST', `${roomPath(roomId)}/invite`, { user_id: bob.userId })).status).toBe(200);
      const viaRoom = await as<{ room_id: string }>(hs, bob, 'POST', `${roomPath(roomId)}/join`, {});
      expect(viaRoom.body).toEqual({ room_id: roomId });
      expect((await as<{ joined_rooms: string[] }>(hs, bob, 'GET', `${V3}/joined_rooms`)).body.joined_rooms).toContain(roomId);
      // Joining again changes nothing and succeeds.
      expect((await as(hs, bob, 'POST', `${V3}/join/${enc(roomId)}`, {})).status).toBe(200);
    });

    it('refuses invites from non-members, of joined users, and of malformed user ids', async () => {
      expect(errOf(await as(hs, outsider, 'POST', `${roomPath(roomId)}/invite`, { user_id: carol.userId }))).toEqual([403, 'M_FORBIDDEN']);
      expect(errOf(await as(hs, alice, 'POST', `${roomPath(roomId)}/invite`, { user_id: bob.userId }))).toEqual([403, 'M_FORBIDDEN']);
      expect((await as(hs, alice, 'POST', `${roomPath(roomId)}/invite`, { user_id: 'not-a-user' })).status).toBe(400);
      expect(errOf(await as(hs, alice, 'POST', `${roomPath(roomId)}/invite`, {}))).toEqual([400, 'M_MISSING_PARAM']);
    });

    it('refuses to join an unknown room with 404 M_NOT_FOUND', async () => {
      expect(errOf(await as(hs, bob, 'POST', `${V3}/join/${enc('!nowhere:rooms.localhost')}`, {}))).toEqual([404, 'M_NOT_FOUND']);
      expect(errOf(await as(hs, bob, 'POST', `${V3}/join/${enc('#nowhere:rooms.localhost')}`, {}))).toEqual([404, 'M_NOT_FOUND']);
    });

    it('lets only users with kick power kick, and records the reason', async () => {
      expect(errOf(await as(hs, bob, 'POST', `${roomPath(roomId)}/kick`, { user_id: alice.userId }))).toEqual([403, 'M_FORBIDDEN']);
      await as(hs, alice, 'POST', `${roomPath(roomId)}/invite`, { user_id: carol.userId });
      await join(hs, carol, roomId);
      expect((await as(hs, alice, 'POST', `${roomPath(roomId)}/kick`, { user_id: carol.userId, reason: 'spam' })).status).toBe(200);
      const ev = await as<ClientEvent>(hs, alice, 'GET', `${roomPath(roomId)}/state/m.room.member/${enc(carol.userId)}?format=event`);
      expect(ev.body).toMatchObject({ sender: alice.userId, state_key: carol.userId, content: { membership: 'leave', reason: 'spam' } });
      expect((await as<{ joined_rooms: string[] }>(hs, carol, 'GET', `${V3}/joined_rooms`)).body.joined_rooms).not.toContain(roomId);
      // Kicked from an invite-only room: joining again needs a new invite.
      expect(errOf(await as(hs, carol, 'POST', `${V3}/join/${enc(roomId)}`, {}))).toEqual([403, 'M_FORBIDDEN']);
    });

    it('bans and unbans: a banned user can neither join nor be invited, unban leaves them out', async () => {
      expect(errOf(await as(hs, bob, 'POST', `${roomPath(roomId)}/ban`, { user_id: carol.userId }))).toEqual([403, 'M_FORBIDDEN']);
      expect((await as(hs, alice, 'POST', `${roomPath(roomId)}/ban`, { user_id: carol.userId, reason: 'again' })).status).toBe(200);
      expect(await membership(roomId, carol.userId)).toBe('ban');
      expect(errOf(await as(hs, carol, 'POST', `${V3}/join/${enc(roomId)}`, {}))).toEqual([403, 'M_FORBIDDEN']);
      expect(errOf(await as(hs, alice, 'POST', `${roomPath(roomId)}/invite`, { user_id: carol.userId }))).toEqual([403, 'M_FORBIDDEN']);
      expect(errOf(await as(hs, bob, 'POST', `${roomPath(roomId)}/unban`, { user_id: carol.userId }))).toEqual([403, 'M_FORBIDDEN']);
      expect((await as(hs, alice, 'POST', `${roomPath(roomId)}/unban`, { user_id: carol.userId })).status).toBe(200);
      expect(await membership(roomId, carol.userId)).toBe('leave');
      expect(errOf(await as(hs, alice, 'POST', `${roomPath(roomId)}/unban`, { user_id: carol.userId }))).toEqual([403, 'M_FORBIDDEN']);
      // Users who were never in the room can be banned pre-emptively.
      expect((await as(hs, alice, 'POST', `${roomPath(roomId)}/ban`, { user_id: outsider.userId })).status).toBe(200);
      expect(await membership(roomId, outsider.userId)).toBe('ban');
    });

    it('leaves (rejecting an invite too), and a second leave changes nothing', async () => {
      const dana = await hs.registerUser('dana');
      await as(hs, alice, 'POST', `${roomPath(roomId)}/invite`, { user_id: dana.userId });
      expect((await as(hs, dana, 'POST', `${roomPath(roomId)}/leave`, {})).status).toBe(200);
      expect(await membership(roomId, dana.userId)).toBe('leave');
      const before = (await as<ClientEvent>(hs, alice, 'GET', `${roomPath(roomId)}/state/m.room.member/${enc(dana.userId)}?format=event`)).body.event_id;
      expect((await as(hs, dana, 'POST', `${roomPath(roomId)}/leave`, {})).status).toBe(200);
      const after = (await as<ClientEvent>(hs, alice, 'GET', `${roomPath(roomId)}/state/m.room.member/${enc(dana.userId)}?format=event`)).body.event_id;
      expect(after).toBe(before);
      // Never in the room at all: not allowed.
      const stranger = await createRoom(hs, alice);
      expect(errOf(await as(hs, dana, 'POST', `${roomPath(stranger)}/leave`, {}))).toEqual([403, 'M_FORBIDDEN']);
    });

    it('forgets only left rooms, and a forgotten room\'s history is no longer readable', async () => {
      const r = await createRoom(hs, alice, { preset: 'public_chat' });
      await join(hs, bob, r);
      await sendText(hs, alice, r, 'before forgetting');
      expect(errOf(await as(hs, bob, 'POST', `${roomPath(r)}/forget`, {}))).toEqual([400, 'M_UNKNOWN']);
      expect((await as(hs, bob, 'POST', `${roomPath(r)}/leave`, {})).status).toBe(200);
      // Left but not forgotten: history up to leaving is readable.
      const readable = await as<Messages>(hs, bob, 'GET', `${roomPath(r)}/messages?dir=b&limit=10`);
      expect(readable.status).toBe(200);
      expect(readable.body.chunk.map((e) => e.content['body'])).toContain('before forgetting');
      const old = readable.body.chunk.find((e) => e.content['body'] === 'before forgetting')!.event_id;
      expect((await as(hs, bob, 'POST', `${roomPath(r)}/forget`, {})).status).toBe(200);
      expect(errOf(await as(hs, bob, 'GET', `${roomPath(r)}/messages?dir=b&limit=10`))).toEqual([403, 'M_FORBIDDEN']);
      expect(errOf(await as(hs, bob, 'GET', `${roomPath(r)}/state`))).toEqual([403, 'M_FORBIDDEN']);
      expect(errOf(await as(hs, bob, 'GET', `${roomPath(r)}/event/${enc(old)}`))).toEqual([404, 'M_NOT_FOUND']);
      expect(errOf(await as(hs, bob, 'GET', `${roomPath(r)}/context/${enc(old)}`))).toEqual([403, 'M_FORBIDDEN']);
      // Rejoining makes it a room like any other again.
      await join(hs, bob, r);
      expect((await as(hs, bob, 'GET', `${roomPath(r)}/messages?dir=b&limit=10`)).status).toBe(200);
    });
  });

  describe('sending and state', () => {
    let roomId: string;

    beforeAll(async () => {
      roomId = await createRoom(hs, alice, { preset: 'public_chat' });
      await join(hs, bob, roomId);
    });

    it('sends once per transaction id and device, and tells only the sending device its transaction id', async () => {
      const path = `${roomPath(roomId)}/send/m.room.message/txn-1`;
      const first = await as<{ event_id: string }>(hs, alice, 'PUT', path, { msgtype: 'm.text', body: 'once' });
      const retry = await as<{ event_id: string }>(hs, alice, 'PUT', path, { msgtype: 'm.text', body: 'once' });
      expect(first.status).toBe(200);
      expect(retry.body.event_id).toBe(first.body.event_id);
      const otherDevice = await as<{ access_token: string }>(hs, null, 'POST', `${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: alice.password });
      const fromOther = await as<{ event_id: string }>(hs, { accessToken: otherDevice.body.access_token }, 'PUT', path, { msgtype: 'm.text', body: 'once' });
      expect(fromOther.body.event_id).not.toBe(first.body.event_id);
      const msgs = await as<Messages>(hs, alice, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=5`);
      expect(msgs.body.chunk.filter((e) => e.event_id === first.body.event_id)).toHaveLength(1);
      expect(msgs.body.chunk.find((e) => e.event_id === first.body.event_id)?.unsigned?.['transaction_id']).toBe('txn-1');
      // The same transaction id in another room or for another event type is another request.
      const otherRoom = await createRoom(hs, alice);
      const elsewhere = await as<{ event_id: string }>(hs, alice, 'PUT', `${roomPath(otherRoom)}/send/m.room.message/txn-1`, { msgtype: 'm.text', body: 'once' });
      const otherType = await as<{ event_id: string }>(hs, alice, 'PUT', `${roomPath(roomId)}/send/org.example.ping/txn-1`, {});
      expect(new Set([first.body.event_id, elsewhere.body.event_id, otherType.body.event_id]).size).toBe(3);
      expect((await as<ClientEvent>(hs, alice, 'GET', `${roomPath(otherRoom)}/event/${enc(elsewhere.body.event_id)}`)).body.room_id).toBe(otherRoom);
      const seenByBob = await as<ClientEvent>(hs, bob, 'GET', `${roomPath(roomId)}/event/${enc(first.body.event_id)}`);
      expect(seenByBob.body.unsigned?.['transaction_id']).toBeUndefined();
      expect(seenByBob.body).toMatchObject({ type: 'm.room.message', sender: alice.userId, room_id: roomId, content: { msgtype: 'm.text', body: 'once' } });
      expect(errOf(await as(hs, outsider, 'PUT', `${roomPath(roomId)}/send/m.room.message/x`, { body: 'x' }))).toEqual([403, 'M_FORBIDDEN']);
    });

    it('puts and gets state with and without a trailing slash for the empty state key', async () => {
      expect((await as(hs, alice, 'PUT', `${roomPath(roomId)}/state/m.room.topic`, { topic: 'no slash' })).status).toBe(200);
      expect((await as<Json>(hs, bob, 'GET', `${roomPath(roomId)}/state/m.room.topic`)).body).toEqual({ topic: 'no slash' });
      const put = await as<{ event_id: string }>(hs, alice, 'PUT', `${roomPath(roomId)}/state/m.room.topic/`, { topic: 'slash' });
      expect(put.body.event_id).toMatch(/^\$/);
      expect((await as<Json>(hs, bob, 'GET', `${roomPath(roomId)}/state/m.room.topic/`)).body).toEqual({ topic: 'slash' });
      const ev = await as<ClientEvent>(hs, bob, 'GET', `${roomPath(roomId)}/state/m.room.topic?format=event`);
      expect(ev.body).toMatchObject({ event_id: put.body.event_id, type: 'm.room.topic', state_key: '', sender: alice.userId, room_id: roomId, content: { topic: 'slash' } });
      expect(ev.body.unsigned?.['prev_content']).toEqual({ topic: 'no slash' });
      expect((await as<Json>(hs, bob, 'GET', `${roomPath(roomId)}/state/m.room.topic?format=content`)).body).toEqual({ topic: 'slash' });
    });

    it('changes membership through the state API as through the membership endpoints', async () => {
      const r = await createRoom(hs, alice, { preset: 'private_chat' });
      const put = (user: RegisteredUser, target: string, content: Json) => as<{ event_id: string }>(hs, user, 'PUT', `${roomPath(r)}/state/m.room.member/${enc(target)}`, content);
      const invited = await put(alice, carol.userId, { membership: 'invite', reason: 'via state' });
      expect(invited.status).toBe(200);
      expect(invited.body.event_id).toMatch(/^\$/);
      expect((await stateContent(alice, r, 'm.room.member', carol.userId)).body).toMatchObject({ membership: 'invite', reason: 'via state', displayname: 'carol' });
      await join(hs, carol, r);
      // A profile change of one's own join event.
      expect((await put(carol, carol.userId, { membership: 'join', displayname: 'Carol in this room' })).status).toBe(200);
      expect((await stateContent(alice, r, 'm.room.member', carol.userId)).body).toEqual({ membership: 'join', displayname: 'Carol in this room' });
      expect(errOf(await put(carol, alice.userId, { membership: 'leave' }))).toEqual([403, 'M_FORBIDDEN']);
      expect(errOf(await put(carol, alice.userId, { membership: 'join' }))).toEqual([403, 'M_FORBIDDEN']);
      expect((await put(alice, carol.userId, { membership: 'ban', reason: 'via state' })).status).toBe(200);
      expect(await membership(r, carol.userId)).toBe('ban');
      expect(errOf(await put(alice, carol.userId, { membership: 'knock-knock' }))).toEqual([400, 'M_BAD_JSON']);
    });

    it('creates a room alias with the room, joins through it, and refuses a taken one with M_ROOM_IN_USE', async () => {
      const r = await createRoom(hs, alice, { preset: 'public_chat', room_alias_name: 'commons' });
      expect((await stateContent(alice, r, 'm.room.canonical_alias')).body).toEqual({ alias: '#commons:rooms.localhost' });
      expect((await as<Json>(hs, outsider, 'GET', `${V3}/directory/room/${enc('#commons:rooms.localhost')}`)).body).toEqual({ room_id: r, servers: ['rooms.localhost'] });
      const viaAlias = await as<{ room_id: string }>(hs, outsider, 'POST', `${V3}/join/${enc('#commons:rooms.localhost')}`, {});
      expect(viaAlias.body).toEqual({ room_id: r });
      expect(errOf(await as(hs, bob, 'POST', `${V3}/createRoom`, { room_alias_name: 'commons' }))).toEqual([400, 'M_ROOM_IN_USE']);
      // New aliases in m.room.canonical_alias must point to the room; ones already there are not checked again.
      await createRoom(hs, bob, { room_alias_name: 'elsewhere' });
      const canonical = (body: Json) => as(hs, alice, 'PUT', `${roomPath(r)}/state/m.room.canonical_alias`, body);
      expect(errOf(await canonical({ alias: '#commons:rooms.localhost', alt_aliases: ['#elsewhere:rooms.localhost'] }))).toEqual([400, 'M_BAD_ALIAS']);
      expect(errOf(await canonical({ alias: '#not valid' }))).toEqual([400, 'M_INVALID_PARAM']);
      expect((await as(hs, alice, 'DELETE', `${V3}/directory/room/${enc('#commons:rooms.localhost')}`)).status).toBe(200);
      expect((await canonical({ alias: '#commons:rooms.localhost', alt_aliases: [] })).status).toBe(200);
    });

    it('keeps state keys apart, answers 404 for missing state, 403 for outsiders and for too little power', async () => {
      await as(hs, alice, 'PUT', `${roomPath(roomId)}/state/org.example.pin/a`, { n: 1 });
      await as(hs, alice, 'PUT', `${roomPath(roomId)}/state/org.example.pin/b`, { n: 2 });
      expect((await stateContent(bob, roomId, 'org.example.pin', 'a')).body).toEqual({ n: 1 });
      expect((await stateContent(bob, roomId, 'org.example.pin', 'b')).body).toEqual({ n: 2 });
      expect(errOf(await stateContent(bob, roomId, 'org.example.pin', 'c'))).toEqual([404, 'M_NOT_FOUND']);
      expect(errOf(await stateContent(bob, roomId, 'org.example.pin'))).toEqual([404, 'M_NOT_FOUND']);
      expect(errOf(await stateContent(outsider, roomId, 'm.room.topic'))).toEqual([403, 'M_FORBIDDEN']);
      expect(errOf(await as(hs, outsider, 'GET', `${roomPath(roomId)}/state`))).toEqual([403, 'M_FORBIDDEN']);
      expect(errOf(await as(hs, bob, 'PUT', `${roomPath(roomId)}/state/m.room.topic`, { topic: 'mine' }))).toEqual([403, 'M_FORBIDDEN']);
    });

    it('serves a left user the state and members as they were when they left', async () => {
      const r = await createRoom(hs, alice, { preset: 'public_chat', topic: 'old topic' });
      await join(hs, carol, r);
      await as(hs, carol, 'POST', `${roomPath(r)}/leave`, {});
      await as(hs, alice, 'PUT', `${roomPath(r)}/state/m.room.topic`, { topic: 'new topic' });
      await join(hs, bob, r);
      expect((await stateContent(carol, r, 'm.room.topic')).body).toEqual({ topic: 'old topic' });
      const all = await as<ClientEvent[]>(hs, carol, 'GET', `${roomPath(r)}/state`);
      expect(all.status).toBe(200);
      expect(all.body.find((e) => e.type === 'm.room.topic')?.content).toEqual({ topic: 'old topic' });
      const members = await as<{ chunk: ClientEvent[] }>(hs, carol, 'GET', `${roomPath(r)}/members`);
      expect(members.body.chunk.map((e) => [e.state_key, e.content['membership']]).sort()).toEqual([[alice.userId, 'join'], [carol.userId, 'leave']].sort());
      expect(errOf(await as(hs, carol, 'GET', `${roomPath(r)}/joined_members`))).toEqual([403, 'M_FORBIDDEN']);
    });
  });

  describe('reading history', () => {
    let roomId: string;
    const ids: string[] = [];

    beforeAll(async () => {
      roomId = await createRoom(hs, alice, { preset: 'public_chat' });
      await join(hs, bob, roomId);
      for (let i = 1; i <= 6; i++) {
        ids.push(await sendText(hs, i % 3 === 0 ? bob : alice, roomId, `m${i}`));
        if (i === 3) ids.push((await as<{ event_id: string }>(hs, alice, 'PUT', `${roomPath(roomId)}/send/org.example.note/n1`, { note: 'n' })).body.event_id);
      }
    });
    const bodies = (chunk: ClientEvent[]): unknown[] => chunk.map((e) => e.content['body'] ?? e.type);

    it('pages backwards with from, limit and end until the room\'s beginning, where end is left out', async () => {
      const seen: ClientEvent[] = [];
      let from: string | undefined;
      for (let page = 0; page < 20; page++) {
        const res = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=3${from ? `&from=${enc(from)}` : ''}`);
        expect(res.status).toBe(200);
        if (from) expect(res.body.start).toBe(from);
        expect(res.body.chunk.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.chunk);
        if (!res.body.end) break;
        from = res.body.end;
      }
      expect(seen[0]?.event_id).toBe(ids[ids.length - 1]);
      expect(seen[seen.length - 1]?.type).toBe('m.room.create');
      expect(new Set(seen.map((e) => e.event_id)).size).toBe(seen.length);
      const forward = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=f&limit=100`);
      expect(forward.body.chunk.map((e) => e.event_id)).toEqual(seen.map((e) => e.event_id).reverse());
    });

    it('pages forwards from a backward page\'s end, and stops at to', async () => {
      const newest = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=2`);
      expect(bodies(newest.body.chunk)).toEqual(['m6', 'm5']);
      const forward = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=f&from=${enc(newest.body.end!)}&limit=10`);
      expect(bodies(forward.body.chunk)).toEqual(['m5', 'm6']);
      const older = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&from=${enc(newest.body.end!)}&limit=3`);
      expect(bodies(older.body.chunk)).toEqual(['m4', 'org.example.note', 'm3']);
      const bounded = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=50&to=${enc(older.body.end!)}`);
      expect(bodies(bounded.body.chunk)).toEqual(['m6', 'm5', 'm4', 'org.example.note', 'm3']);
      const boundedForward = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=f&from=${enc(older.body.end!)}&to=${enc(newest.body.end!)}&limit=50`);
      expect(bodies(boundedForward.body.chunk)).toEqual(['m3', 'org.example.note', 'm4']);
    });

    it('filters /messages by type and sender, and lazy-loads only the senders\' members', async () => {
      const onlyMessages = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=7&filter=${enc(JSON.stringify({ types: ['m.room.message'] }))}`);
      expect(bodies(onlyMessages.body.chunk)).toEqual(['m6', 'm5', 'm4', 'm3', 'm2', 'm1']);
      const notBob = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=7&filter=${enc(JSON.stringify({ types: ['m.room.message'], not_senders: [bob.userId] }))}`);
      expect(bodies(notBob.body.chunk)).toEqual(['m5', 'm4', 'm2', 'm1']);
      // Filtered-out events do not use up the limit.
      const note = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=1&filter=${enc(JSON.stringify({ types: ['org.example.note'] }))}`);
      expect(bodies(note.body.chunk)).toEqual(['org.example.note']);
      const afterNote = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=1&from=${enc(note.body.end!)}&filter=${enc(JSON.stringify({ types: ['org.example.note'] }))}`);
      expect(afterNote.body.chunk).toEqual([]);
      expect(afterNote.body.end).toBeUndefined();
      const wildcard = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=7&filter=${enc(JSON.stringify({ not_types: ['m.room.*'] }))}`);
      expect(bodies(wildcard.body.chunk)).toEqual(['org.example.note']);
      const lazy = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=1&filter=${enc(JSON.stringify({ lazy_load_members: true }))}`);
      expect(bodies(lazy.body.chunk)).toEqual(['m6']);
      expect(lazy.body.state?.map((e) => [e.type, e.state_key])).toEqual([['m.room.member', bob.userId]]);
      const bad = await as(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&filter=${enc('{nope')}`);
      expect(errOf(bad)).toEqual([400, 'M_INVALID_PARAM']);
      expect(errOf(await as(hs, outsider, 'GET', `${roomPath(roomId)}/messages?dir=b`))).toEqual([403, 'M_FORBIDDEN']);
    });

    it('serves single events, with 404 for unknown events and for outsiders', async () => {
      const ev = await as<ClientEvent>(hs, bob, 'GET', `${roomPath(roomId)}/event/${enc(ids[0]!)}`);
      expect(ev.body).toMatchObject({ event_id: ids[0], type: 'm.room.message', content: { body: 'm1' }, sender: alice.userId, room_id: roomId });
      expect(ev.body.unsigned?.['age']).toEqual(expect.any(Number));
      expect(errOf(await as(hs, bob, 'GET', `${roomPath(roomId)}/event/${enc('$unknown')}`))).toEqual([404, 'M_NOT_FOUND']);
      expect(errOf(await as(hs, outsider, 'GET', `${roomPath(roomId)}/event/${enc(ids[0]!)}`))).toEqual([404, 'M_NOT_FOUND']);
      // An event of another room is not found through this one.
      const other = await createRoom(hs, bob);
      expect(errOf(await as(hs, bob, 'GET', `${roomPath(other)}/event/${enc(ids[0]!)}`))).toEqual([404, 'M_NOT_FOUND']);
    });

    it('serves /context around an event with tokens that continue in both directions', async () => {
      const middle = ids[4]!; // m4 (ids: m1 m2 m3 note m4 m5 m6)
      const res = await as<Context>(hs, bob, 'GET', `${roomPath(roomId)}/context/${enc(middle)}?limit=4`);
      expect(res.status).toBe(200);
      expect(res.body.event.content['body']).toBe('m4');
      expect(bodies(res.body.events_before)).toEqual(['org.example.note', 'm3']);
      expect(bodies(res.body.events_after)).toEqual(['m5', 'm6']);
      expect(res.body.state.find((e) => e.type === 'm.room.create')).toBeDefined();
      expect(res.body.state.filter((e) => e.type === 'm.room.member').map((e) => e.state_key).sort()).toEqual([alice.userId, bob.userId].sort());
      const back = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&from=${enc(res.body.start)}&limit=2`);
      expect(bodies(back.body.chunk)).toEqual(['m2', 'm1']);
      const fwd = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=f&from=${enc(res.body.end)}&limit=2`);
      expect(fwd.body.chunk).toEqual([]);
      const lazy = await as<Context>(hs, bob, 'GET', `${roomPath(roomId)}/context/${enc(ids[0]!)}?limit=0&filter=${enc(JSON.stringify({ lazy_load_members: true }))}`);
      expect(lazy.body.events_before).toEqual([]);
      expect(lazy.body.state.filter((e) => e.type === 'm.room.member').map((e) => e.state_key)).toEqual([alice.userId]);
      expect(errOf(await as(hs, bob, 'GET', `${roomPath(roomId)}/context/${enc('$unknown')}`))).toEqual([404, 'M_NOT_FOUND']);
    });

    it('lists members with membership and not_membership (either matching), and joined members with profiles', async () => {
      const r = await createRoom(hs, alice, { preset: 'public_chat' });
      await join(hs, bob, r);
      await join(hs, carol, r);
      await as(hs, carol, 'POST', `${roomPath(r)}/leave`, {});
      await as(hs, alice, 'POST', `${roomPath(r)}/invite`, { user_id: outsider.userId });
      const members = async (q: string): Promise<string[]> =>
        (await as<{ chunk: ClientEvent[] }>(hs, bob, 'GET', `${roomPath(r)}/members${q}`)).body.chunk.map((e) => `${e.state_key}=${e.content['membership']}`).sort();
      expect(await members('')).toEqual([`${alice.userId}=join`, `${bob.userId}=join`, `${carol.userId}=leave`, `${outsider.userId}=invite`].sort());
      expect(await members('?membership=join')).toEqual([`${alice.userId}=join`, `${bob.userId}=join`].sort());
      expect(await members('?not_membership=leave')).toEqual([`${alice.userId}=join`, `${bob.userId}=join`, `${outsider.userId}=invite`].sort());
      // Spec: given together, an event matches when it has `membership` OR lacks `not_membership`.
      expect(await members('?membership=leave&not_membership=join')).toEqual([`${carol.userId}=leave`, `${outsider.userId}=invite`].sort());
      const joined = await as<{ joined: Record<string, Json> }>(hs, bob, 'GET', `${roomPath(r)}/joined_members`);
      expect(joined.body.joined).toEqual({ [alice.userId]: { display_name: 'alice', avatar_url: null }, [bob.userId]: { display_name: 'bob', avatar_url: null } });
      expect(errOf(await as(hs, carol, 'GET', `${roomPath(r)}/joined_members`))).toEqual([403, 'M_FORBIDDEN']);
      expect(errOf(await as(hs, outsider, 'GET', `${roomPath(r)}/members`))).toEqual([403, 'M_FORBIDDEN']);
    });

    it('lists the members at a sync token with `at`', async () => {
      const r = await createRoom(hs, alice, { preset: 'public_chat' });
      const sync = await as<{ rooms: { join: Record<string, { timeline: { prev_batch: string } }> }; next_batch: string }>(hs, alice, 'GET', `${V3}/sync?timeout=0`);
      const before = sync.body.next_batch;
      await join(hs, bob, r);
      const at = await as<{ chunk: ClientEvent[] }>(hs, alice, 'GET', `${roomPath(r)}/members?at=${enc(before)}`);
      expect(at.body.chunk.map((e) => e.state_key)).toEqual([alice.userId]);
      const now = await as<{ chunk: ClientEvent[] }>(hs, alice, 'GET', `${roomPath(r)}/members`);
      expect(now.body.chunk.map((e) => e.state_key).sort()).toEqual([alice.userId, bob.userId].sort());
    });
  });

  describe('redaction', () => {
    for (const version of ['10', '11']) {
      it(`redacts in room version ${version}: content stripped everywhere, redacts where v${version} puts it, power checked`, async () => {
        const roomId = await createRoom(hs, alice, { preset: 'public_chat', room_version: version });
        await join(hs, bob, roomId);
        const target = await sendText(hs, alice, roomId, 'regret');
        const bobs = await sendText(hs, bob, roomId, 'bob says');
        expect(errOf(await as(hs, bob, 'PUT', `${roomPath(roomId)}/redact/${enc(target)}/r1`, {}))).toEqual([403, 'M_FORBIDDEN']);
        const red = await as<{ event_id: string }>(hs, alice, 'PUT', `${roomPath(roomId)}/redact/${enc(target)}/r1`, { reason: 'typo' });
        expect(red.status).toBe(200);
        const again = await as<{ event_id: string }>(hs, alice, 'PUT', `${roomPath(roomId)}/redact/${enc(target)}/r1`, { reason: 'typo' });
        expect(again.body.event_id).toBe(red.body.event_id);
        // The sending device sees its own transaction id, as it sent it.
        expect((await as<ClientEvent>(hs, alice, 'GET', `${roomPath(roomId)}/event/${enc(red.body.event_id)}`)).body.unsigned?.['transaction_id']).toBe('r1');
        const redaction = (await as<ClientEvent>(hs, bob, 'GET', `${roomPath(roomId)}/event/${enc(red.body.event_id)}`)).body;
        expect(redaction).toMatchObject({ type: 'm.room.redaction', sender: alice.userId, content: { reason: 'typo' } });
        if (version === '10') expect(redaction.redacts).toBe(target);
        else expect(redaction.content['redacts']).toBe(target);
        const stripped = (await as<ClientEvent>(hs, bob, 'GET', `${roomPath(roomId)}/event/${enc(target)}`)).body;
        expect(stripped.content).toEqual({});
        expect(stripped.type).toBe('m.room.message');
        expect((stripped.unsigned?.['redacted_because'] as ClientEvent | undefined)?.event_id).toBe(red.body.event_id);
        const msgs = await as<Messages>(hs, bob, 'GET', `${roomPath(roomId)}/messages?dir=b&limit=5`);
        expect(msgs.body.chunk.find((e) => e.event_id === target)?.content).toEqual({});
        const ctx = await as<Context>(hs, bob, 'GET', `${roomPath(roomId)}/context/${enc(target)}`);
        expect(ctx.body.event.content).toEqual({});
        // A moderator (power 50 for redact; alice has 100) may redact others' events.
        expect((await as(hs, alice, 'PUT', `${roomPath(roomId)}/redact/${enc(bobs)}/r2`, {})).status).toBe(200);
        expect((await as<ClientEvent>(hs, bob, 'GET', `${roomPath(roomId)}/event/${enc(bobs)}`)).body.content).toEqual({});
        // Redacting a state event keeps the keys its type protects.
        const pl = (await as<ClientEvent>(hs, alice, 'GET', `${roomPath(roomId)}/state/m.room.join_rules?format=event`)).body;
        expect((await as(hs, alice, 'PUT', `${roomPath(roomId)}/redact/${enc(pl.event_id)}/r3`, {})).status).toBe(200);
        expect((await as<ClientEvent>(hs, bob, 'GET', `${roomPath(roomId)}/event/${enc(pl.event_id)}`)).body.content).toEqual({ join_rule: 'public' });
        expect(errOf(await as(hs, alice, 'PUT', `${roomPath(roomId)}/redact/${enc('$nope')}/r4`, {}))).toEqual([404, 'M_NOT_FOUND']);
      });
    }
  });
});
