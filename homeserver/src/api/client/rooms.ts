// Room endpoints: creation, membership, sending, state, single events, context, pagination, members,
// redaction, aliases and the room directory.
import type { Router, RequestContext, Auth } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { MatrixError, badJson, forbidden, notFound, invalidParam } from '../errors.ts';
import { isObject, optArray, optBool, optObject, optString, optStringArray, queryInt, requireObject, reqString } from '../validate.ts';
import type { JsonObject } from '../../core/pdu.ts';
import { isValidRoomAlias, isValidRoomId, isValidUserId } from '../../core/ids.ts';
import { formatSyncToken, parseSyncToken } from '../../services/sync/sync.ts';
import { parseSyncFilter, passesEventFilter } from '../../services/sync/sync-filter.ts';
import { getAppserviceHooks } from '../../services/appservice/hooks.ts';
import type { EventRow } from '../../storage/events-store.ts';
import { scopedTxnId } from '../../services/rooms/rooms.ts';

type Ctx = RequestContext & { auth: Auth };

/** Pages of history one /messages request reads at most to fill its limit. */
const MESSAGES_SCAN_ROUNDS = 10;

export function register(router: Router, s: HomeserverServices): void {
  const roomIdParam = (ctx: Ctx): string => {
    const id = ctx.params['roomId']!;
    if (!isValidRoomId(id)) throw invalidParam(`'${id}' is not a valid room id`);
    return id;
  };
  const visibleRow = (ctx: Ctx, row: EventRow): boolean => {
    // Rejected, soft-failed and outlier events are not part of the room as clients see it.
    if (row.rejected !== null || row.outlier !== 0) return false;
    const membership = s.rooms.membershipOf(row.room_id, ctx.auth.userId);
    return s.rooms.canSee(ctx.auth.userId, row, membership);
  };
  const requireCanRead = (ctx: Ctx, roomId: string): void => {
    const m = s.eventsStore.membership(roomId, ctx.auth.userId);
    if (m?.membership === 'join') return;
    // May read up to when they left (visibility checks per event), until they forget the room.
    if ((m?.membership === 'leave' || m?.membership === 'ban') && !s.streamsStore.isForgotten(ctx.auth.userId, roomId, m.event_id)) return;
    throw forbidden(`user ${ctx.auth.userId} is not in room ${roomId}`);
  };
  /** The state the user may read (current, or as they left: spec GET /state), or 403. */
  const readableState = (ctx: Ctx, roomId: string, atPos?: number): Map<string, string> => {
    requireCanRead(ctx, roomId);
    const state = s.rooms.stateVisibleTo(roomId, ctx.auth.userId, atPos);
    if (!state) throw forbidden(`user ${ctx.auth.userId} is not in room ${roomId}`);
    return state;
  };
  const resolveRoom = (idOrAlias: string): string => {
    if (isValidRoomId(idOrAlias)) return idOrAlias;
    if (isValidRoomAlias(idOrAlias)) {
      const a = s.eventsStore.getAlias(idOrAlias);
      if (!a) throw notFound(`room alias ${idOrAlias} is not known`);
      return a.room_id;
    }
    throw invalidParam(`'${idOrAlias}' is neither a room id nor a room alias`);
  };

  /** POST /_matrix/client/v3/createRoom */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/createRoom', auth: 'required', rateLimited: true,
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const preset = optString(body, 'preset');
      if (preset !== undefined && !['private_chat', 'public_chat', 'trusted_private_chat'].includes(preset)) throw badJson(`'preset' must be private_chat, public_chat or trusted_private_chat, not '${preset}'`);
      const visibility = optString(body, 'visibility');
      if (visibility !== undefined && visibility !== 'public' && visibility !== 'private') throw badJson("'visibility' must be public or private");
      const aliasName = optString(body, 'room_alias_name');
      if (aliasName !== undefined) getAppserviceHooks(s)?.checkAliasNotExclusive(`#${aliasName}:${s.config.server_name}`, ctx.auth);
      const pl = optObject(body, 'power_level_content_override');
      const { roomId } = await s.rooms.createRoom(ctx.auth.userId, {
        ...(preset ? { preset: preset as 'private_chat' } : {}),
        ...(visibility ? { visibility: visibility as 'public' } : {}),
        ...(optString(body, 'room_version') !== undefined ? { room_version: optString(body, 'room_version')! } : {}),
        ...(optString(body, 'name') !== undefined ? { name: optString(body, 'name')! } : {}),
        ...(optString(body, 'topic') !== undefined ? { topic: optString(body, 'topic')! } : {}),
        ...(aliasName !== undefined ? { room_alias_name: aliasName } : {}),
        invite: optStringArray(body, 'invite') ?? [],
        is_direct: optBool(body, 'is_direct') ?? false,
        initial_state: s.rooms.validateInitialState(body['initial_state']) ?? [],
        creation_content: optObject(body, 'creation_content') ?? {},
        ...(pl ? { power_level_content_override: pl } : {}),
      });
      return { room_id: roomId };
    },
  });

  const joinHandler = async (ctx: Ctx, idOrAlias: string): Promise<unknown> => {
    const via = [...ctx.query.getAll('via'), ...ctx.query.getAll('server_name')];
    let roomId: string;
    if (isValidRoomAlias(idOrAlias) && !idOrAlias.endsWith(`:${s.config.server_name}`) && !s.eventsStore.getAlias(idOrAlias)) {
      const remote = await s.resolveRemoteAlias?.(idOrAlias);
      if (!remote) throw notFound(`room alias ${idOrAlias} could not be resolved`);
      roomId = remote.roomId;
      via.push(...remote.servers);
    } else {
      roomId = resolveRoom(idOrAlias);
    }
    const body = ctx.body === undefined ? {} : requireObject(ctx.body, 'request body');
    const reason = optString(body, 'reason');
    await s.rooms.join(roomId, ctx.auth.userId, reason ? { reason } : {}, via);
    return { room_id: roomId };
  };
  /** POST /_matrix/client/v3/join/{roomIdOrAlias} */
  router.add({ method: 'POST', path: '/_matrix/client/v3/join/:roomIdOrAlias', auth: 'required', rateLimited: true, handler: (ctx) => joinHandler(ctx, ctx.params['roomIdOrAlias']!) });
  /** POST /_matrix/client/v3/rooms/{roomId}/join */
  router.add({ method: 'POST', path: '/_matrix/client/v3/rooms/:roomId/join', auth: 'required', rateLimited: true, handler: (ctx) => joinHandler(ctx, roomIdParam(ctx)) });

  const targetAction = (name: 'invite' | 'kick' | 'ban' | 'unban'): void => {
    router.add({
      method: 'POST', path: `/_matrix/client/v3/rooms/:roomId/${name}`, auth: 'required', rateLimited: true,
      handler: async (ctx) => {
        const roomId = roomIdParam(ctx);
        const body = requireObject(ctx.body, 'request body');
        const target = reqString(body, 'user_id');
        if (!isValidUserId(target)) throw invalidParam(`'user_id' ${target} is not a valid user id`);
        const reason = optString(body, 'reason');
        s.rooms.requireJoined(roomId, ctx.auth.userId);
        if (name === 'invite') await s.rooms.invite(roomId, ctx.auth.userId, target, reason, optBool(body, 'is_direct') ?? false);
        else if (name === 'kick') await s.rooms.kick(roomId, ctx.auth.userId, target, reason);
        else if (name === 'ban') await s.rooms.ban(roomId, ctx.auth.userId, target, reason);
        else await s.rooms.unban(roomId, ctx.auth.userId, target, reason);
        return {};
      },
    });
  };
  /** POST /_matrix/client/v3/rooms/{roomId}/invite|kick|ban|unban */
  for (const a of ['invite', 'kick', 'ban', 'unban'] as const) targetAction(a);

  /** POST /_matrix/client/v3/rooms/{roomId}/leave */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/rooms/:roomId/leave', auth: 'required', rateLimited: true,
    handler: async (ctx) => {
      const body = ctx.body === undefined ? {} : requireObject(ctx.body, 'request body');
      await s.rooms.leave(roomIdParam(ctx), ctx.auth.userId, optString(body, 'reason'));
      return {};
    },
  });

  /** POST /_matrix/client/v3/rooms/{roomId}/forget */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/rooms/:roomId/forget', auth: 'required',
    handler: async (ctx) => {
      const roomId = roomIdParam(ctx);
      const m = s.eventsStore.membership(roomId, ctx.auth.userId);
      if (m?.membership === 'join' || m?.membership === 'invite' || m?.membership === 'knock') throw new MatrixError(400, 'M_UNKNOWN', 'you must leave the room before forgetting it');
      if (m) await s.db.write(() => s.streamsStore.forgetRoom(ctx.auth.userId, roomId, m.event_id));
      return {};
    },
  });

  /** GET /_matrix/client/v3/joined_rooms */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/joined_rooms', auth: 'required',
    handler: (ctx) => ({ joined_rooms: s.eventsStore.membershipsOfUser(ctx.auth.userId).filter((m) => m.membership === 'join').map((m) => m.room_id) }),
  });

  /** PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId} */
  router.add({
    method: 'PUT', path: '/_matrix/client/v3/rooms/:roomId/send/:eventType/:txnId', auth: 'required', rateLimited: true,
    handler: async (ctx) => {
      const roomId = roomIdParam(ctx);
      const content = requireObject(ctx.body, 'event content');
      const type = ctx.params['eventType']!;
      if (type.length > 255) throw badJson('event type is longer than 255 characters');
      const txn = { user: ctx.auth.userId, device: ctx.auth.deviceId ?? '', id: scopedTxnId(['send', roomId, type], ctx.params['txnId']!) };
      const existing = s.eventsStore.eventIdForTxn(txn.user, txn.device, txn.id);
      if (existing) return { event_id: existing };
      s.rooms.requireJoined(roomId, ctx.auth.userId);
      const redacts = type === 'm.room.redaction' && typeof content['redacts'] === 'string' ? content['redacts'] : undefined;
      const eventId = await s.rooms.send(roomId, ctx.auth.userId, type, content, { txn, ...(redacts ? { redacts } : {}) });
      return { event_id: eventId };
    },
  });

  /** PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId} */
  router.add({
    method: 'PUT', path: '/_matrix/client/v3/rooms/:roomId/redact/:eventId/:txnId', auth: 'required', rateLimited: true,
    handler: async (ctx) => {
      const roomId = roomIdParam(ctx);
      const body = requireObject(ctx.body, 'request body');
      const reason = optString(body, 'reason');
      const target = ctx.params['eventId']!;
      const txn = { user: ctx.auth.userId, device: ctx.auth.deviceId ?? '', id: scopedTxnId(['redact', roomId, target], ctx.params['txnId']!) };
      const existing = s.eventsStore.eventIdForTxn(txn.user, txn.device, txn.id);
      if (existing) return { event_id: existing };
      s.rooms.requireJoined(roomId, ctx.auth.userId);
      const row = s.rooms.eventRow(target);
      if (!row || row.room_id !== roomId) throw notFound(`event ${target} is not in room ${roomId}`);
      const version = s.rooms.roomVersion(roomId);
      // Room version 11 carries `redacts` in content; older versions at the top level (set by the persister).
      const content: JsonObject = { ...(reason ? { reason } : {}), ...(version === '11' ? { redacts: target } : {}) };
      const eventId = await s.rooms.send(roomId, ctx.auth.userId, 'm.room.redaction', content, { txn, redacts: target });
      return { event_id: eventId };
    },
  });

  const putState = async (ctx: Ctx): Promise<unknown> => {
    const roomId = roomIdParam(ctx);
    const content = requireObject(ctx.body, 'state event content');
    const type = ctx.params['eventType']!;
    const stateKey = ctx.params['stateKey'] ?? '';
    s.rooms.requireJoined(roomId, ctx.auth.userId);
    if (type === 'm.room.member') {
      // Membership through the state API gets what the membership endpoints do (as in Synapse):
      // invites go through the invite path (remote users, profile fields); the auth rules judge the rest.
      if (!isValidUserId(stateKey)) throw badJson(`state key '${stateKey}' of an m.room.member event must be a user id`);
      const membership = content['membership'];
      if (membership === 'invite') {
        const reason = typeof content['reason'] === 'string' ? content['reason'] : undefined;
        await s.rooms.invite(roomId, ctx.auth.userId, stateKey, reason, content['is_direct'] === true);
        return { event_id: s.rooms.currentState(roomId).get(`m.room.member\u0000${stateKey}`) };
      }
      if (membership !== 'join' && membership !== 'leave' && membership !== 'ban') throw badJson("'membership' must be invite, join, leave or ban");
      if (membership === 'join' && stateKey !== ctx.auth.userId) throw forbidden('only the user themself can join');
      const eventId = await s.persister.send({ roomId, type, sender: ctx.auth.userId, stateKey, content });
      return { event_id: eventId };
    }
    if (type === 'm.room.canonical_alias') {
      // Spec: aliases already in the current event are not validated again (they may since have been deleted).
      const current = s.rooms.stateEvent(roomId, type, stateKey)?.content;
      const present = new Set([current?.['alias'], ...(Array.isArray(current?.['alt_aliases']) ? current['alt_aliases'] : [])]);
      for (const a of [content['alias'], ...(Array.isArray(content['alt_aliases']) ? content['alt_aliases'] : [])]) {
        if (a === undefined || a === null || present.has(a)) continue;
        if (typeof a !== 'string' || !isValidRoomAlias(a)) throw new MatrixError(400, 'M_INVALID_PARAM', `'${String(a)}' is not a valid room alias`);
        const known = s.eventsStore.getAlias(a);
        if (!known || known.room_id !== roomId) throw new MatrixError(400, 'M_BAD_ALIAS', `room alias ${a} does not point to this room`);
      }
    }
    const eventId = await s.rooms.send(roomId, ctx.auth.userId, type, content, { stateKey });
    return { event_id: eventId };
  };
  /** PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} */
  router.add({ method: 'PUT', path: '/_matrix/client/v3/rooms/:roomId/state/:eventType/:stateKey?', auth: 'required', rateLimited: true, handler: putState });

  /** GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/rooms/:roomId/state/:eventType/:stateKey?', auth: 'required',
    handler: (ctx) => {
      const roomId = roomIdParam(ctx);
      const type = ctx.params['eventType']!;
      const stateKey = ctx.params['stateKey'] ?? '';
      const id = readableState(ctx, roomId).get(`${type}\u0000${stateKey}`);
      const row = id ? s.rooms.eventRow(id) : undefined;
      if (!row) throw notFound(`no ${type} state with key '${stateKey}' in room ${roomId}`);
      const ev = s.rooms.toClientEvent(row);
      return ctx.query.get('format') === 'event' ? ev : ev.content;
    },
  });

  /** GET /_matrix/client/v3/rooms/{roomId}/state */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/rooms/:roomId/state', auth: 'required',
    handler: (ctx) => {
      const roomId = roomIdParam(ctx);
      return [...readableState(ctx, roomId).values()].map((id) => s.rooms.toClientEvent(s.rooms.eventRow(id)!));
    },
  });

  /** GET /_matrix/client/v3/rooms/{roomId}/event/{eventId} */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/rooms/:roomId/event/:eventId', auth: 'required',
    handler: (ctx) => {
      const roomId = roomIdParam(ctx);
      const row = s.rooms.eventRow(ctx.params['eventId']!);
      const m = s.eventsStore.membership(roomId, ctx.auth.userId);
      const forgotten = !!m && m.membership !== 'join' && s.streamsStore.isForgotten(ctx.auth.userId, roomId, m.event_id);
      if (!row || row.room_id !== roomId || forgotten || !visibleRow(ctx, row)) throw notFound(`event ${ctx.params['eventId']} not found`);
      return s.rooms.toClientEvent(row, ctx.auth);
    },
  });

  const membersOf = (ctx: Ctx, roomId: string, atPos?: number): EventRow[] =>
    [...readableState(ctx, roomId, atPos).entries()].filter(([k]) => k.startsWith('m.room.member\u0000')).map(([, id]) => s.rooms.eventRow(id)!);

  /** GET /_matrix/client/v3/rooms/{roomId}/members */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/rooms/:roomId/members', auth: 'required',
    handler: (ctx) => {
      const roomId = roomIdParam(ctx);
      const only = ctx.query.get('membership');
      const not = ctx.query.get('not_membership');
      const at = ctx.query.get('at');
      // Spec: given together, the two parameters are an 'or': membership is `only` or is not `not`.
      const matches = (m: unknown): boolean => (only && not ? m === only || m !== not : (!only || m === only) && (!not || m !== not));
      const chunk = membersOf(ctx, roomId, at ? parseSyncToken(at).pos : undefined)
        .map((r) => s.rooms.toClientEvent(r))
        .filter((e) => matches(e.content['membership']));
      return { chunk };
    },
  });

  /** GET /_matrix/client/v3/rooms/{roomId}/joined_members */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/rooms/:roomId/joined_members', auth: 'required',
    handler: (ctx) => {
      const roomId = roomIdParam(ctx);
      s.rooms.requireJoined(roomId, ctx.auth.userId);
      const joined: Record<string, JsonObject> = {};
      for (const r of membersOf(ctx, roomId)) {
        const e = s.rooms.toClientEvent(r);
        if (e.content['membership'] !== 'join') continue;
        joined[e.state_key!] = { display_name: (e.content['displayname'] as string | undefined) ?? null, avatar_url: (e.content['avatar_url'] as string | undefined) ?? null };
      }
      return { joined };
    },
  });

  const parseFilterParam = (ctx: Ctx): ReturnType<typeof parseSyncFilter>['timeline'] & { lazy: boolean } => {
    const raw = ctx.query.get('filter');
    if (!raw) return { limit: 10, lazy: false };
    let f: unknown;
    try {
      f = JSON.parse(raw);
    } catch {
      throw invalidParam("query parameter 'filter' is not valid JSON");
    }
    if (!isObject(f)) throw invalidParam("query parameter 'filter' must be a JSON object");
    const parsed = parseSyncFilter({ room: { timeline: { ...f, limit: typeof f['limit'] === 'number' ? f['limit'] : 10 }, state: { lazy_load_members: f['lazy_load_members'] === true } } });
    return { ...parsed.timeline, lazy: parsed.lazyLoadMembers };
  };

  const lazyMembers = (roomId: string, rows: EventRow[], exclude: Set<string>): JsonObject[] => {
    const senders = new Set(rows.map((r) => r.sender));
    const out: JsonObject[] = [];
    const state = s.rooms.currentState(roomId);
    for (const u of senders) {
      if (exclude.has(u)) continue;
      const id = state.get(`m.room.member\u0000${u}`);
      const row = id ? s.rooms.eventRow(id) : undefined;
      if (row) out.push(s.rooms.toClientEvent(row) as unknown as JsonObject);
    }
    return out;
  };

  /** GET /_matrix/client/v3/rooms/{roomId}/messages */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/rooms/:roomId/messages', auth: 'required',
    handler: (ctx) => {
      const roomId = roomIdParam(ctx);
      requireCanRead(ctx, roomId);
      const dir = ctx.query.get('dir') ?? 'b';
      if (dir !== 'b' && dir !== 'f') throw invalidParam("query parameter 'dir' must be 'b' or 'f'");
      const limit = queryInt(ctx.query, 'limit', 10, 1, 1000);
      const filter = parseFilterParam(ctx);
      const fromRaw = ctx.query.get('from');
      const toRaw = ctx.query.get('to');
      const membership = s.eventsStore.membership(roomId, ctx.auth.userId);
      // A user who left sees nothing after leaving.
      const ceiling = membership && membership.membership !== 'join' ? membership.stream_pos : s.streams.current;
      let from = fromRaw ? parseSyncToken(fromRaw).pos : dir === 'b' ? ceiling : -Infinity;
      if (dir === 'b') from = Math.min(from, ceiling);
      const to = toRaw ? parseSyncToken(toRaw).pos : dir === 'b' ? -Infinity : ceiling;
      // Events the filter (or history visibility) hides do not count against `limit`: read on, a
      // bounded number of pages, until `limit` events pass (Synapse filters in its query).
      const chunkRows: EventRow[] = [];
      let cursor = from;
      let exhausted = false;
      for (let round = 0; round < MESSAGES_SCAN_ROUNDS && !exhausted && chunkRows.length < limit; round++) {
        const n = round === 0 ? limit : Math.max(limit - chunkRows.length, 100);
        const rows = dir === 'b'
          ? s.eventsStore.roomEventsBackward(roomId, cursor, to, n)
          : s.eventsStore.roomEventsForward(roomId, cursor, Math.min(to, ceiling), n);
        exhausted = rows.length < n;
        for (const r of rows) {
          cursor = dir === 'b' ? r.stream_pos - 1 : r.stream_pos;
          if (passesEventFilter(filter, r.type, r.sender) && visibleRow(ctx, r)) chunkRows.push(r);
          if (chunkRows.length === limit) {
            // Stopped inside the page: what follows is still to be read.
            if (r !== rows[rows.length - 1]) exhausted = false;
            break;
          }
        }
      }
      const body: JsonObject = {
        chunk: chunkRows.map((r) => s.rooms.toClientEvent(r, ctx.auth) as unknown as JsonObject),
        start: fromRaw ?? formatSyncToken({ pos: Number.isFinite(from) ? from : 0, typing: 0 }),
      };
      if (!exhausted && Number.isFinite(cursor)) body['end'] = formatSyncToken({ pos: cursor, typing: 0 });
      if (filter.lazy) body['state'] = lazyMembers(roomId, chunkRows, new Set());
      return body;
    },
  });

  /** GET /_matrix/client/v3/rooms/{roomId}/context/{eventId} */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/rooms/:roomId/context/:eventId', auth: 'required',
    handler: (ctx) => {
      const roomId = roomIdParam(ctx);
      requireCanRead(ctx, roomId);
      const row = s.rooms.eventRow(ctx.params['eventId']!);
      if (!row || row.room_id !== roomId || !visibleRow(ctx, row)) throw notFound(`event ${ctx.params['eventId']} not found`);
      const limit = queryInt(ctx.query, 'limit', 10, 0, 100);
      const filter = parseFilterParam(ctx);
      const before = s.eventsStore.roomEventsBackward(roomId, row.stream_pos - 1, -Infinity, Math.floor(limit / 2)).filter((r) => visibleRow(ctx, r) && passesEventFilter(filter, r.type, r.sender));
      const after = s.eventsStore.roomEventsForward(roomId, row.stream_pos, s.streams.current, Math.ceil(limit / 2)).filter((r) => visibleRow(ctx, r) && passesEventFilter(filter, r.type, r.sender));
      const stateMap = s.rooms.stateAfter(after[after.length - 1] ?? row);
      const state = [...stateMap.entries()]
        .filter(([k]) => !filter.lazy || !k.startsWith('m.room.member\u0000'))
        .map(([, id]) => s.rooms.eventRow(id)).filter((r): r is EventRow => !!r).map((r) => s.rooms.toClientEvent(r));
      if (filter.lazy) state.push(...(lazyMembers(roomId, [row, ...before, ...after], new Set()) as unknown as typeof state));
      return {
        event: s.rooms.toClientEvent(row, ctx.auth),
        events_before: before.map((r) => s.rooms.toClientEvent(r, ctx.auth)),
        events_after: after.map((r) => s.rooms.toClientEvent(r, ctx.auth)),
        start: formatSyncToken({ pos: (before[before.length - 1]?.stream_pos ?? row.stream_pos) - 1, typing: 0 }),
        end: formatSyncToken({ pos: after[after.length - 1]?.stream_pos ?? row.stream_pos, typing: 0 }),
        state,
      };
    },
  });

  /** PUT /_matrix/client/v3/directory/room/{roomAlias} */
  router.add({
    method: 'PUT', path: '/_matrix/client/v3/directory/room/:roomAlias', auth: 'required',
    handler: async (ctx) => {
      const alias = ctx.params['roomAlias']!;
      if (!isValidRoomAlias(alias) || !alias.endsWith(`:${s.config.server_name}`)) throw invalidParam(`'${alias}' is not a valid alias on this server`);
      const body = requireObject(ctx.body, 'request body');
      const roomId = reqString(body, 'room_id');
      if (!s.rooms.roomVersion(roomId)) throw notFound(`room ${roomId} is not known`);
      getAppserviceHooks(s)?.checkAliasNotExclusive(alias, ctx.auth);
      const ok = await s.db.write(() => s.eventsStore.insertAlias(alias, roomId, ctx.auth.userId));
      if (!ok) throw new MatrixError(409, 'M_UNKNOWN', `room alias ${alias} already exists`);
      return {};
    },
  });
  /** GET /_matrix/client/v3/directory/room/{roomAlias} */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/directory/room/:roomAlias', auth: 'optional',
    handler: (ctx) => {
      const a = s.eventsStore.getAlias(ctx.params['roomAlias']!);
      if (!a) throw notFound(`room alias ${ctx.params['roomAlias']} is not known`);
      return { room_id: a.room_id, servers: [s.config.server_name] };
    },
  });
  /** DELETE /_matrix/client/v3/directory/room/{roomAlias} */
  router.add({
    method: 'DELETE', path: '/_matrix/client/v3/directory/room/:roomAlias', auth: 'required',
    handler: async (ctx) => {
      const alias = ctx.params['roomAlias']!;
      const a = s.eventsStore.getAlias(alias);
      if (!a) throw notFound(`room alias ${alias} is not known`);
      if (a.creator !== ctx.auth.userId && !s.accounts.isAdmin(ctx.auth.userId)) throw forbidden('only the alias creator or a server admin may delete it');
      await s.db.write(() => s.eventsStore.deleteAlias(alias));
      return {};
    },
  });
  /** GET /_matrix/client/v3/rooms/{roomId}/aliases */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/rooms/:roomId/aliases', auth: 'required',
    handler: (ctx) => {
      const roomId = roomIdParam(ctx);
      s.rooms.requireJoined(roomId, ctx.auth.userId);
      return { aliases: s.eventsStore.aliasesForRoom(roomId) };
    },
  });

  const publicRooms = (ctx: RequestContext, limitIn: number | undefined, sinceIn: string | undefined): unknown => {
    const limit = Math.min(Math.max(limitIn ?? 100, 1), 500);
    const offset = sinceIn && /^\d+$/.test(sinceIn) ? Number(sinceIn) : 0;
    const rows = s.eventsStore.publicRooms(limit + 1, offset);
    const chunk = rows.slice(0, limit).map((r) => {
      const name = s.rooms.stateEvent(r.room_id, 'm.room.name', '')?.content['name'];
      const topic = s.rooms.stateEvent(r.room_id, 'm.room.topic', '')?.content['topic'];
      const alias = s.rooms.stateEvent(r.room_id, 'm.room.canonical_alias', '')?.content['alias'];
      const joinRule = s.rooms.stateEvent(r.room_id, 'm.room.join_rules', '')?.content['join_rule'] ?? 'invite';
      return {
        room_id: r.room_id, num_joined_members: s.eventsStore.membersOfRoom(r.room_id, 'join').length,
        world_readable: false, guest_can_join: false, join_rule: joinRule,
        ...(name ? { name } : {}), ...(topic ? { topic } : {}), ...(alias ? { canonical_alias: alias } : {}),
      };
    });
    void ctx;
    return { chunk, total_room_count_estimate: chunk.length + offset, ...(rows.length > limit ? { next_batch: String(offset + limit) } : {}) };
  };
  /** GET /_matrix/client/v3/publicRooms */
  router.add({ method: 'GET', path: '/_matrix/client/v3/publicRooms', auth: 'optional', handler: (ctx) => publicRooms(ctx, queryInt(ctx.query, 'limit', 100, 1, 500), ctx.query.get('since') ?? undefined) });
  /** POST /_matrix/client/v3/publicRooms */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/publicRooms', auth: 'required',
    handler: (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const limit = body['limit'];
      if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit))) throw badJson("'limit' must be an integer");
      void optArray;
      return publicRooms(ctx, limit as number | undefined, optString(body, 'since'));
    },
  });
  /** GET /_matrix/client/v3/directory/list/room/{roomId} */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/directory/list/room/:roomId', auth: 'none',
    handler: (ctx) => {
      const r = s.eventsStore.getRoom(ctx.params['roomId']!);
      if (!r) throw notFound(`room ${ctx.params['roomId']} is not known`);
      return { visibility: r.is_public ? 'public' : 'private' };
    },
  });
  /** PUT /_matrix/client/v3/directory/list/room/{roomId} */
  router.add({
    method: 'PUT', path: '/_matrix/client/v3/directory/list/room/:roomId', auth: 'required',
    handler: async (ctx) => {
      const roomId = roomIdParam(ctx);
      const body = requireObject(ctx.body, 'request body');
      const v = optString(body, 'visibility') ?? 'public';
      if (v !== 'public' && v !== 'private') throw badJson("'visibility' must be public or private");
      s.rooms.requireJoined(roomId, ctx.auth.userId);
      await s.db.write(() => s.eventsStore.setRoomPublic(roomId, v === 'public'));
      return {};
    },
  });
}
