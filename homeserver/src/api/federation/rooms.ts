// Room endpoints of the Server-Server API: joining and leaving through a resident server
// (make_join/send_join v2, make_leave/send_leave v2), invites (v2), and reading the room graph
// (event, state, state_ids, event_auth, backfill, get_missing_events).
import type { Router, RequestContext } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { MatrixError, badJson, forbidden, notFound, missingParam, invalidParam } from '../errors.ts';
import { isObject } from '../validate.ts';
import type { JsonObject, Pdu, RoomVersion } from '../../core/pdu.ts';
import { isSupportedRoomVersion, stateKeyOf, type StateKey } from '../../core/pdu.ts';
import { isValidRoomId, serverNameOf } from '../../core/ids.ts';
import { authStateKeysFor, checkEventAuth } from '../../services/events/auth-rules.ts';
import { roomFederationOf } from '../../federation/room-federation.ts';
import { federationSenderOf } from '../../federation/sender-wire.ts';
import { signJson } from '../../core/signing.ts';
import { computeEventId } from '../../core/event-hash.ts';
import { checkPduFormat } from '../../services/rooms/remote-events.ts';
import { ServerAclCache, serverAclAllows } from '../../federation/server-acl.ts';

type FedCtx = RequestContext & { origin?: string };

export function register(router: Router, s: HomeserverServices): void {
  const origin = (ctx: FedCtx): string => {
    if (!ctx.origin) throw new MatrixError(401, 'M_UNAUTHORIZED', 'request is not signed');
    return ctx.origin;
  };
  const roomOf = (roomId: string): RoomVersion => {
    if (!isValidRoomId(roomId)) throw invalidParam(`'${roomId}' is not a valid room id`);
    const v = s.rooms.roomVersion(roomId);
    if (!v) throw notFound(`room ${roomId} is not known to this server`);
    return v;
  };
  const acls = new ServerAclCache();
  /** Spec "Server Access Control Lists": a server the room's ACL denies gets 403 on the room endpoints. */
  const requireAclAllows = (roomId: string, server: string): void => {
    const id = s.roomCache.head(roomId)?.state.get(stateKeyOf('m.room.server_acl', ''));
    const ev = id ? pduOf(id) : undefined;
    if (id && ev && !serverAclAllows(acls.get(id, ev.content), server)) throw forbidden(`the server ACL of room ${roomId} denies ${server}`);
  };
  /** The origin may read the room when one of its users is (or was invited) in it, and the room's ACL admits it. */
  const requireServerInRoom = (roomId: string, server: string): void => {
    requireAclAllows(roomId, server);
    const inRoom = s.eventsStore.membersOfRoom(roomId).some((m) => serverNameOf(m.user_id) === server && (m.membership === 'join' || m.membership === 'invite'));
    if (!inRoom) throw forbidden(`server ${server} is not in room ${roomId}`);
  };
  const pduOf = (eventId: string): Pdu | undefined => s.roomCache.event(eventId);
  const authChainOf = (ids: Iterable<string>): string[] => {
    const out = new Set<string>();
    const stack = [...ids];
    while (stack.length) {
      const ev = pduOf(stack.pop()!);
      if (!ev) continue;
      for (const a of ev.auth_events) if (!out.has(a)) { out.add(a); stack.push(a); }
    }
    return [...out];
  };
  /** Events as served to other servers: what an erased account sent comes pruned (RoomsService.servedPdu). */
  const pdus = (ids: Iterable<string>): Pdu[] => [...ids].map(pduOf).filter((p): p is Pdu => !!p).map((p) => s.rooms.servedPdu(p));

  /** The template of a membership event the origin's user may send into the room (make_join/make_leave). */
  const makeMembership = (ctx: FedCtx, membership: 'join' | 'leave'): JsonObject => {
    const from = origin(ctx);
    const roomId = ctx.params['roomId']!;
    const userId = ctx.params['userId']!;
    const version = roomOf(roomId);
    requireAclAllows(roomId, from);
    if (serverNameOf(userId) !== from) throw forbidden(`server ${from} cannot make a membership event for ${userId}`);
    if (membership === 'join') {
      const vers = ctx.query.getAll('ver');
      if (!vers.includes(version)) {
        throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `room ${roomId} is version ${version}, which ${from} does not support`, { room_version: version });
      }
    }
    const head = s.roomCache.head(roomId)!;
    const partial = { type: 'm.room.member', sender: userId, state_key: userId, content: { membership } as JsonObject };
    const authIds: string[] = [];
    const authMap = new Map<StateKey, Pdu>();
    for (const k of authStateKeysFor(partial, version)) {
      const id = head.state.get(k);
      const ev = id ? pduOf(id) : undefined;
      if (id && ev) { authIds.push(id); authMap.set(k, ev); }
    }
    const template = {
      ...partial, room_id: roomId, origin_server_ts: s.clock.now(), depth: head.depth + 1,
      prev_events: head.extremities.slice(0, 10), auth_events: authIds,
    };
    // Refuse now what the auth rules would refuse later (spec: make_join 403).
    const check = checkEventAuth({ ...template, hashes: { sha256: '' }, signatures: {} } as Pdu, authMap, version);
    if (!check.ok) throw forbidden(check.reason);
    return { event: template, room_version: version };
  };

  /** Checks and places a signed membership event sent to us (send_join/send_leave). */
  const sendMembership = async (ctx: FedCtx, membership: 'join' | 'leave'): Promise<{ eventId: string; pdu: Pdu }> => {
    const from = origin(ctx);
    const roomId = ctx.params['roomId']!;
    const version = roomOf(roomId);
    requireAclAllows(roomId, from);
    const raw = ctx.body;
    const pdu = checkPduFormat(raw);
    if (typeof pdu === 'string') throw badJson(pdu);
    if (pdu.room_id !== roomId) throw badJson('event belongs to another room');
    if (pdu.type !== 'm.room.member' || pdu.state_key !== pdu.sender || pdu.content['membership'] !== membership) {
      throw badJson(`event is not a ${membership} membership event of its sender`);
    }
    if (serverNameOf(pdu.sender) !== from) throw forbidden(`server ${from} cannot send a membership event for ${pdu.sender}`);
    const eventId = computeEventId(pdu, version);
    if (eventId !== ctx.params['eventId']) throw badJson(`event id ${ctx.params['eventId']} does not match the event (${eventId})`);
    const result = await roomFederationOf(s).remoteEvents.receive(from, pdu).catch((e: unknown) => {
      throw forbidden(`event refused: ${(e as Error).message}`);
    });
    if (result.rejected) throw forbidden(`event refused: ${result.rejected}`);
    // As the resident server we pass the membership on to the other servers in the room.
    const others = roomFederationOf(s).serversInRoom(roomId).filter((x) => x !== from);
    if (others.length > 0) await federationSenderOf(s).enqueuePdu(others, pdu);
    return { eventId, pdu };
  };

  /** GET /_matrix/federation/v1/make_join/{roomId}/{userId} */
  router.add({ method: 'GET', path: '/_matrix/federation/v1/make_join/:roomId/:userId', auth: 'federation', handler: (ctx) => makeMembership(ctx, 'join') });
  /** GET /_matrix/federation/v1/make_leave/{roomId}/{userId} */
  router.add({ method: 'GET', path: '/_matrix/federation/v1/make_leave/:roomId/:userId', auth: 'federation', handler: (ctx) => makeMembership(ctx, 'leave') });

  /** PUT /_matrix/federation/v2/send_join/{roomId}/{eventId} */
  router.add({
    method: 'PUT', path: '/_matrix/federation/v2/send_join/:roomId/:eventId', auth: 'federation',
    handler: async (ctx) => {
      const { eventId } = await sendMembership(ctx, 'join');
      const row = s.eventsStore.getEvent(eventId)!;
      const stateIds = [...s.rooms.stateBefore(row).values()];
      const servers = new Set(s.eventsStore.membersOfRoom(row.room_id, 'join').map((m) => serverNameOf(m.user_id)));
      return {
        origin: s.config.server_name,
        state: pdus(stateIds),
        auth_chain: pdus(authChainOf(stateIds)),
        event: pduOf(eventId),
        members_omitted: false,
        servers_in_room: [...servers],
      };
    },
  });
  /** PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId} */
  router.add({ method: 'PUT', path: '/_matrix/federation/v2/send_leave/:roomId/:eventId', auth: 'federation', handler: async (ctx) => { await sendMembership(ctx, 'leave'); return {}; } });

  /** PUT /_matrix/federation/v2/invite/{roomId}/{eventId} */
  router.add({
    method: 'PUT', path: '/_matrix/federation/v2/invite/:roomId/:eventId', auth: 'federation',
    handler: async (ctx) => {
      const from = origin(ctx);
      if (!isObject(ctx.body)) throw badJson('request body must be an object');
      const version = ctx.body['room_version'];
      if (!isSupportedRoomVersion(version)) throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `room version ${String(version)} is not supported`, { room_version: version });
      const pdu = checkPduFormat(ctx.body['event']);
      if (typeof pdu === 'string') throw badJson(pdu);
      const roomId = ctx.params['roomId']!;
      // Only a room we hold has an ACL we know of.
      if (s.rooms.roomVersion(roomId)) requireAclAllows(roomId, from);
      if (pdu.room_id !== roomId || pdu.type !== 'm.room.member' || pdu.content['membership'] !== 'invite' || pdu.state_key === undefined) {
        throw badJson('event is not an invite into this room');
      }
      const target = pdu.state_key;
      if (serverNameOf(target) !== s.config.server_name || !s.accounts.userExists(target)) throw notFound(`user ${target} is not a user of this server`);
      if (serverNameOf(pdu.sender) !== from) throw forbidden(`server ${from} cannot send an invite for ${pdu.sender}`);
      const fed = roomFederationOf(s);
      const verdict = await fed.remoteEvents.checkPdu(pdu, version, roomId);
      if (!verdict.ok) throw forbidden(`invite refused: ${verdict.reason}`);
      if (verdict.eventId !== ctx.params['eventId']) throw badJson('event id does not match the event');
      const strippedRaw = ctx.body['invite_room_state'];
      const stripped = Array.isArray(strippedRaw) ? strippedRaw.filter(isObject).slice(0, 50) : [];
      // We countersign the invite: the inviting server needs our signature to send it into the room.
      const { signatures, ...unsignedPart } = verdict.pdu;
      const signed = signJson({ ...(unsignedPart as unknown as Record<string, unknown>), signatures }, s.config.server_name, s.signingKey) as unknown as Pdu;
      const countersigned: Pdu = { ...verdict.pdu, signatures: signed.signatures };
      if (!s.rooms.roomVersion(roomId) || s.rooms.membershipOf(roomId, target) !== 'join') {
        await s.db.write((tx) => {
          s.eventsStore.insertOutlier(verdict.eventId, roomId, JSON.stringify(countersigned), null);
          const inviteState = [...stripped, { type: pdu.type, state_key: target, content: pdu.content, sender: pdu.sender, event_id: verdict.eventId, origin_server_ts: pdu.origin_server_ts }];
          s.eventsStore.upsertRemoteInvite(roomId, target, verdict.eventId, version, JSON.stringify(inviteState));
          if (!s.rooms.roomVersion(roomId)) {
            const pos = s.streams.next();
            // The invite takes a place in the stream (as an outlier) so application services, which
            // read the stream, are told of it as Synapse tells them.
            s.eventsStore.setOutlierStreamPos(verdict.eventId, pos);
            s.eventsStore.setMembership({ room_id: roomId, user_id: target, membership: 'invite', event_id: verdict.eventId, stream_pos: pos });
            s.persister.announce(tx, { eventId: verdict.eventId, pdu: countersigned, streamPos: pos, prevMembership: undefined, origin: 'remote' });
          }
        });
      }
      return { event: countersigned };
    },
  });

  /** GET /_matrix/federation/v1/event/{eventId} */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/event/:eventId', auth: 'federation',
    handler: (ctx) => {
      const from = origin(ctx);
      const pdu = pduOf(ctx.params['eventId']!);
      if (!pdu) throw notFound(`event ${ctx.params['eventId']} not found`);
      requireServerInRoom(pdu.room_id, from);
      return { origin: s.config.server_name, origin_server_ts: s.clock.now(), pdus: [s.rooms.servedPdu(pdu)] };
    },
  });

  const stateAt = (ctx: FedCtx): { roomId: string; stateIds: string[] } => {
    const from = origin(ctx);
    const roomId = ctx.params['roomId']!;
    roomOf(roomId);
    requireServerInRoom(roomId, from);
    const eventId = ctx.query.get('event_id');
    if (!eventId) throw missingParam("query parameter 'event_id' is required");
    const row = s.eventsStore.getEvent(eventId);
    if (!row || row.room_id !== roomId) throw notFound(`event ${eventId} is not in room ${roomId}`);
    return { roomId, stateIds: [...s.rooms.stateBefore(row).values()] };
  };
  /** GET /_matrix/federation/v1/state/{roomId} */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/state/:roomId', auth: 'federation',
    handler: (ctx) => {
      const { stateIds } = stateAt(ctx);
      return { pdus: pdus(stateIds), auth_chain: pdus(authChainOf(stateIds)) };
    },
  });
  /** GET /_matrix/federation/v1/state_ids/{roomId} */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/state_ids/:roomId', auth: 'federation',
    handler: (ctx) => {
      const { stateIds } = stateAt(ctx);
      return { pdu_ids: stateIds, auth_chain_ids: authChainOf(stateIds) };
    },
  });
  /** GET /_matrix/federation/v1/event_auth/{roomId}/{eventId} */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/event_auth/:roomId/:eventId', auth: 'federation',
    handler: (ctx) => {
      const from = origin(ctx);
      const roomId = ctx.params['roomId']!;
      roomOf(roomId);
      requireServerInRoom(roomId, from);
      const pdu = pduOf(ctx.params['eventId']!);
      if (!pdu || pdu.room_id !== roomId) throw notFound(`event ${ctx.params['eventId']} is not in room ${roomId}`);
      return { auth_chain: pdus(authChainOf([ctx.params['eventId']!])) };
    },
  });

  /** Walks prev_events backwards from `from`, breadth first, stopping at `stop` ids and `limit` events. */
  const walkBack = (from: string[], stop: Set<string>, limit: number, minDepth: number): Pdu[] => {
    const seen = new Set<string>(from);
    const queue = [...from];
    const out: Pdu[] = [];
    while (queue.length && out.length < limit) {
      const id = queue.shift()!;
      const ev = pduOf(id);
      if (!ev) continue;
      for (const p of ev.prev_events) {
        if (seen.has(p) || stop.has(p)) continue;
        seen.add(p);
        const prev = pduOf(p);
        if (!prev || prev.depth < minDepth) continue;
        out.push(prev);
        queue.push(p);
        if (out.length >= limit) break;
      }
    }
    return out;
  };

  /** GET /_matrix/federation/v1/backfill/{roomId} */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/backfill/:roomId', auth: 'federation',
    handler: (ctx) => {
      const from = origin(ctx);
      const roomId = ctx.params['roomId']!;
      roomOf(roomId);
      requireServerInRoom(roomId, from);
      const v = ctx.query.getAll('v');
      if (v.length === 0) throw missingParam("query parameter 'v' is required");
      const limit = Math.min(Math.max(Number(ctx.query.get('limit') ?? 10) || 10, 1), 100);
      const start = v.filter((id) => pduOf(id)?.room_id === roomId);
      const events = [...pdus(start), ...walkBack(start, new Set(), limit, 0).map((e) => s.rooms.servedPdu(e))].slice(0, limit);
      return { origin: s.config.server_name, origin_server_ts: s.clock.now(), pdus: events };
    },
  });

  /** POST /_matrix/federation/v1/get_missing_events/{roomId} */
  router.add({
    method: 'POST', path: '/_matrix/federation/v1/get_missing_events/:roomId', auth: 'federation',
    handler: (ctx) => {
      const from = origin(ctx);
      const roomId = ctx.params['roomId']!;
      roomOf(roomId);
      requireServerInRoom(roomId, from);
      if (!isObject(ctx.body)) throw badJson('request body must be an object');
      const earliest = Array.isArray(ctx.body['earliest_events']) ? ctx.body['earliest_events'].filter((x): x is string => typeof x === 'string') : [];
      const latest = Array.isArray(ctx.body['latest_events']) ? ctx.body['latest_events'].filter((x): x is string => typeof x === 'string') : [];
      if (latest.length === 0) throw missingParam("'latest_events' is required");
      const limit = Math.min(Math.max(typeof ctx.body['limit'] === 'number' ? ctx.body['limit'] : 10, 1), 100);
      const minDepth = typeof ctx.body['min_depth'] === 'number' ? ctx.body['min_depth'] : 0;
      const events = walkBack(latest.filter((id) => pduOf(id)?.room_id === roomId), new Set(earliest), limit, minDepth);
      return { events: events.sort((a, b) => a.depth - b.depth).map((e) => s.rooms.servedPdu(e)) };
    },
  });
}
