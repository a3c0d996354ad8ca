// Rooms as clients see them: creation with presets, membership changes, sending, state, and what a
// user may read (membership and history visibility). Event creation itself is the persister's job.
import type { Database } from '../../storage/database.ts';
import type { EventsStore, EventRow } from '../../storage/events-store.ts';
import type { UsersStore } from '../../storage/users-store.ts';
import type { JsonObject, Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import { DEFAULT_ROOM_VERSION, isSupportedRoomVersion, stateKeyOf } from '../../core/pdu.ts';
import { isValidUserId, newRoomId, serverNameOf } from '../../core/ids.ts';
import { MatrixError, badJson, forbidden, invalidParam, notFound } from '../../api/errors.ts';
import type { EventPersister } from './event-persister.ts';
import type { RoomCache } from './room-cache.ts';
import type { Clock } from '../users/accounts.ts';
import { isObject } from '../../api/validate.ts';
import { powerLevelFor, userPowerLevel } from '../events/auth-rules.ts';
import { redactContent, redactEvent } from '../../core/redaction.ts';

export interface CreateRoomRequest {
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  visibility?: 'public' | 'private';
  room_version?: string;
  name?: string;
  topic?: string;
  room_alias_name?: string;
  invite?: string[];
  is_direct?: boolean;
  initial_state?: { type: string; state_key?: string; content: JsonObject }[];
  creation_content?: JsonObject;
  power_level_content_override?: JsonObject;
}

/** An event in the client-server format (spec: ClientEvent). */
export interface ClientEvent {
  type: string;
  content: JsonObject;
  event_id: string;
  sender: string;
  origin_server_ts: number;
  room_id: string;
  state_key?: string;
  redacts?: string;
  unsigned: JsonObject;
}

/**
 * A transaction id as stored: the spec scopes a client's transaction id to its device and the request
 * path (so reusing "t1" in another room or for another event type is a new request, as in Synapse).
 * The marker keeps ids stored before scoping (plain strings) readable.
 */
const TXN_SCOPE_MARK = '\u0001';

export function scopedTxnId(pathScope: string[], txnId: string): string {
  return TXN_SCOPE_MARK + JSON.stringify([...pathScope, txnId]);
}

/** The transaction id the client sent, from a stored one. */
export function clientTxnId(stored: string): string {
  if (!stored.startsWith(TXN_SCOPE_MARK)) return stored;
  const parts = JSON.parse(stored.slice(1)) as string[];
  return parts[parts.length - 1] ?? stored;
}

/** Membership changes that need another server (installed by the federation layer). */
export interface RemoteMembership {
  join(roomId: string, userId: string, via: string[], content: JsonObject): Promise<void>;
  invite(roomId: string, sender: string, target: string, content: JsonObject): Promise<void>;
  rejectInvite(roomId: string, userId: string, reason?: string): Promise<void>;
}

export class RoomsService {
  /** Set when federation is wired; without it, rooms on other servers cannot be joined. */
  remote: RemoteMembership | null = null;
  private readonly db: Database;
  private readonly store: EventsStore;
  private readonly users: UsersStore;
  private readonly cache: RoomCache;
  private readonly persister: EventPersister;
  private readonly clock: Clock;
  readonly serverName: string;
  /** Accounts that asked for erasure (loaded on first use; few, so kept in memory). */
  private erased: Set<string> | null = null;

  constructor(opts: { db: Database; store: EventsStore; users: UsersStore; cache: RoomCache; persister: EventPersister; clock: Clock; serverName: string }) {
    this.db = opts.db;
    this.store = opts.store;
    this.users = opts.users;
    this.cache = opts.cache;
    this.persister = opts.persister;
    this.clock = opts.clock;
    this.serverName = opts.serverName;
  }

  roomVersion(roomId: string): RoomVersion | undefined {
    return this.cache.head(roomId)?.version;
  }

  /** POST /createRoom: all initial events in one durable write. */
  async createRoom(creator: string, req: CreateRoomRequest): Promise<{ roomId: string }> {
    const version = req.room_version ?? DEFAULT_ROOM_VERSION;
    if (!isSupportedRoomVersion(version)) {
      throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `room version '${version}' is not supported (supported: 10, 11)`);
    }
    const preset = req.preset ?? (req.visibility === 'public' ? 'public_chat' : 'private_chat');
    if (!['private_chat', 'public_chat', 'trusted_private_chat'].includes(preset)) throw badJson(`unknown preset '${preset}'`);
    const invites = req.invite ?? [];
    for (const u of invites) if (!isValidUserId(u)) throw badJson(`invite: '${u}' is not a valid user id`);
    let alias: string | undefined;
    if (req.room_alias_name !== undefined) {
      alias = `#${req.room_alias_name}:${this.serverName}`;
      if (!/^[^:\s#]+$/.test(req.room_alias_name)) throw new MatrixError(400, 'M_INVALID_PARAM', `room_alias_name '${req.room_alias_name}' is not a valid alias localpart`);
      if (this.store.getAlias(alias)) throw new MatrixError(400, 'M_ROOM_IN_USE', `room alias ${alias} is already taken`);
    }
    const roomId = newRoomId(this.serverName);
    const profile = this.users.getProfile(creator);
    await this.db.write((tx) => {
      const send = (type: string, content: JsonObject, stateKey?: string): string =>
        this.persister.sendInTx(tx, { roomId, type, sender: creator, content, stateKey });
      const createContent: JsonObject = { ...(req.creation_content ?? {}), room_version: version };
      if (version === '10') createContent['creator'] = creator;
      else delete createContent['creator'];
      this.persister.createRoomInTx(tx, roomId, version, creator, createContent);
      send('m.room.member', { membership: 'join', ...(profile?.displayname ? { displayname: profile.displayname } : {}), ...(profile?.avatar_url ? { avatar_url: profile.avatar_url } : {}) }, creator);
      const users: Record<string, number> = { [creator]: 100 };
      if (preset === 'trusted_private_chat') for (const u of invites) users[u] = 100;
      const pl: JsonObject = {
        users, users_default: 0,
        events: {
          'm.room.name': 50, 'm.room.power_levels': 100, 'm.room.history_visibility': 100, 'm.room.canonical_alias': 50,
          'm.room.avatar': 50, 'm.room.tombstone': 100, 'm.room.server_acl': 100, 'm.room.encryption': 100,
        },
        // Synapse's presets: private rooms let any member invite, public ones need moderators.
        events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: preset === 'public_chat' ? 50 : 0,
        historical: 100,
      };
      const override = req.power_level_content_override ?? {};
      send('m.room.power_levels', { ...pl, ...override } as JsonObject, '');
      if (alias) {
        this.store.insertAlias(alias, roomId, creator);
        send('m.room.canonical_alias', { alias }, '');
      }
      const initialKeys = new Set((req.initial_state ?? []).map((e) => `${e.type}\u0000${e.state_key ?? ''}`));
      const presetState: [string, JsonObject][] = [
        ['m.room.join_rules', { join_rule: preset === 'public_chat' ? 'public' : 'invite' }],
        ['m.room.history_visibility', { history_visibility: 'shared' }],
      ];
      if (preset !== 'public_chat') presetState.push(['m.room.guest_access', { guest_access: 'can_join' }]);
      for (const [type, content] of presetState) if (!initialKeys.has(`${type}\u0000`)) send(type, content, '');
      for (const e of req.initial_state ?? []) send(e.type, e.content, e.state_key ?? '');
      if (req.name !== undefined) send('m.room.name', { name: req.name }, '');
      if (req.topic !== undefined) send('m.room.topic', { topic: req.topic }, '');
      for (const u of invites) {
        if (serverNameOf(u) !== this.serverName) continue;
        send('m.room.member', { membership: 'invite', ...(req.is_direct ? { is_direct: true } : {}), ...this.displayFields(u) }, u);
      }
      if (req.visibility === 'public') this.store.setRoomPublic(roomId, true);
    });
    // Users of other servers are invited through their server, which countersigns the invite.
    for (const u of invites) {
      if (serverNameOf(u) === this.serverName) continue;
      await this.invite(roomId, creator, u, undefined, req.is_direct ?? false);
    }
    return { roomId };
  }

  private displayFields(userId: string): JsonObject {
    const p = this.users.getProfile(userId);
    return { ...(p?.displayname ? { displayname: p.displayname } : {}), ...(p?.avatar_url ? { avatar_url: p.avatar_url } : {}) };
  }

  private requireRoom(roomId: string): void {
    if (!this.cache.head(roomId)) throw notFound(`room ${roomId} is not known to this server`);
  }

  /** Whether one of our users is joined to the room (so our copy of it is live). */
  isHostInRoom(roomId: string): boolean {
    if (!this.cache.head(roomId)) return false;
    return this.store.membersOfRoom(roomId, 'join').some((m) => serverNameOf(m.user_id) === this.serverName);
  }

  membershipOf(roomId: string, userId: string): string | undefined {
    return this.store.membership(roomId, userId)?.membership;
  }

  /** Throws M_FORBIDDEN unless `userId` is joined to the room. */
  requireJoined(roomId: string, userId: string): void {
    if (this.membershipOf(roomId, userId) !== 'join') throw forbidden(`user ${userId} is not joined to room ${roomId}`);
  }

  /** Sends a message or state event as a joined user. */
  async send(roomId: string, sender: string, type: string, content: JsonObject, opts: { stateKey?: string; txn?: { user: string; device: string; id: string }; redacts?: string } = {}): Promise<string> {
    this.requireRoom(roomId);
    if (type === 'm.room.create') throw forbidden('m.room.create cannot be sent into an existing room');
    if (type === 'm.room.member' && opts.stateKey !== undefined) throw forbidden('membership is changed through the membership endpoints');
    if (type === 'm.room.redaction' && opts.redacts !== undefined) this.checkLocalRedaction(roomId, sender, opts.redacts);
    return this.persister.send({ roomId, type, sender, content, stateKey: opts.stateKey, redacts: opts.redacts, txn: opts.txn });
  }

  /**
   * The auth rules let any member send a redaction (from room version 3 on, the check moved to
   * "before applying"), and the persister applies one from the target's own server. So a local user
   * may only redact their own events, or others' with the redact power level (as Synapse checks).
   */
  private checkLocalRedaction(roomId: string, sender: string, targetId: string): void {
    const target = this.store.getEvent(targetId);
    if (!target || target.room_id !== roomId) throw notFound(`event ${targetId} is not in room ${roomId}`);
    if (target.sender === sender) return;
    const authState = new Map<StateKey, Pdu>();
    for (const type of ['m.room.create', 'm.room.power_levels']) {
      const ev = this.stateEvent(roomId, type, '');
      if (ev) authState.set(stateKeyOf(type, ''), ev);
    }
    if (userPowerLevel(sender, authState, this.roomVersion(roomId)) < powerLevelFor('redact', authState)) {
      throw forbidden(`${sender} may not redact events of other users in room ${roomId}`);
    }
  }

  async join(roomId: string, userId: string, extra: JsonObject = {}, via: string[] = []): Promise<string> {
    // A room none of our users is in (or that we do not know) is joined through a resident server:
    // our copy of it may be stale or missing.
    if (this.remote && !this.isHostInRoom(roomId)) {
      await this.remote.join(roomId, userId, via, { ...extra, ...this.displayFields(userId) });
      return roomId;
    }
    this.requireRoom(roomId);
    const current = this.membershipOf(roomId, userId);
    if (current === 'join') {
      // Joining again when joined is allowed and changes nothing (spec: idempotent join).
      return roomId;
    }
    await this.persister.send({ roomId, type: 'm.room.member', sender: userId, stateKey: userId, content: { ...extra, membership: 'join', ...this.displayFields(userId) } });
    return roomId;
  }

  async invite(roomId: string, sender: string, target: string, reason?: string, isDirect = false): Promise<void> {
    this.requireRoom(roomId);
    if (!isValidUserId(target)) throw invalidParam(`'${target}' is not a valid user id`);
    if (serverNameOf(target) === this.serverName && !this.users.getUser(target)) throw notFound(`user ${target} does not exist`);
    const current = this.membershipOf(roomId, target);
    if (current === 'ban') throw forbidden(`${target} is banned from the room`);
    if (current === 'join') throw forbidden(`${target} is already in the room`);
    const content: JsonObject = { membership: 'invite', ...(reason ? { reason } : {}), ...(isDirect ? { is_direct: true } : {}), ...this.displayFields(target) };
    if (serverNameOf(target) !== this.serverName) {
      if (!this.remote) throw forbidden('this server does not federate');
      await this.remote.invite(roomId, sender, target, content);
      return;
    }
    await this.persister.send({ roomId, type: 'm.room.member', sender, stateKey: target, content });
  }

  async leave(roomId: string, userId: string, reason?: string): Promise<void> {
    if (!this.cache.head(roomId) && this.remote && this.store.membership(roomId, userId)?.membership === 'invite') {
      await this.remote.rejectInvite(roomId, userId, reason);
      return;
    }
    this.requireRoom(roomId);
    const current = this.store.membership(roomId, userId);
    // Leaving again after leaving changes nothing and succeeds (Synapse: a duplicate of the last
    // event); after a kick, the user is not in the room to leave it.
    if (current?.membership === 'leave' && this.cache.event(current.event_id)?.sender === userId) return;
    if (current === undefined || current.membership === 'leave') throw forbidden(`user ${userId} is not in room ${roomId}`);
    await this.persister.send({ roomId, type: 'm.room.member', sender: userId, stateKey: userId, content: { membership: 'leave', ...(reason ? { reason } : {}) } });
  }

  async kick(roomId: string, sender: string, target: string, reason?: string): Promise<void> {
    this.requireRoom(roomId);
    const current = this.membershipOf(roomId, target);
    if (current !== 'join' && current !== 'invite' && current !== 'knock') throw forbidden(`${target} is not in the room`);
    await this.persister.send({ roomId, type: 'm.room.member', sender, stateKey: target, content: { membership: 'leave', ...(reason ? { reason } : {}) } });
  }

  async ban(roomId: string, sender: string, target: string, reason?: string): Promise<void> {
    this.requireRoom(roomId);
    if (!isValidUserId(target)) throw invalidParam(`'${target}' is not a valid user id`);
    await this.persister.send({ roomId, type: 'm.room.member', sender, stateKey: target, content: { membership: 'ban', ...(reason ? { reason } : {}) } });
  }

  async unban(roomId: string, sender: string, target: string, reason?: string): Promise<void> {
    this.requireRoom(roomId);
    if (this.membershipOf(roomId, target) !== 'ban') throw forbidden(`${target} is not banned`);
    await this.persister.send({ roomId, type: 'm.room.member', sender, stateKey: target, content: { membership: 'leave', ...(reason ? { reason } : {}) } });
  }

  /** Current state of a room as (key → event id). */
  currentState(roomId: string): Map<StateKey, string> {
    const head = this.cache.head(roomId);
    if (!head) throw notFound(`room ${roomId} is not known to this server`);
    return head.state;
  }

  stateEvent(roomId: string, type: string, stateKey: string): Pdu | undefined {
    const id = this.currentState(roomId).get(stateKeyOf(type, stateKey));
    return id ? this.cache.event(id) : undefined;
  }

  event(eventId: string): Pdu | undefined {
    return this.cache.event(eventId);
  }

  eventRow(eventId: string): EventRow | undefined {
    return this.store.getEvent(eventId);
  }

  /** State of the room at (after) the given event, for /context and history checks. */
  stateAfter(row: EventRow): Map<StateKey, string> {
    return row.state_group_after !== null ? this.cache.stateGroup(row.state_group_after) : new Map();
  }

  stateBefore(row: EventRow): Map<StateKey, string> {
    return row.state_group_before !== null ? this.cache.stateGroup(row.state_group_before) : new Map();
  }

  /**
   * The room state a user may read (spec: GET /rooms/{roomId}/state, /members): the current state
   * while joined, the state as they left (or were banned) after leaving; undefined when they were
   * never in the room. `atPos` (a sync/pagination position) asks for an earlier point.
   */
  stateVisibleTo(roomId: string, userId: string, atPos?: number): Map<StateKey, string> | undefined {
    const m = this.store.membership(roomId, userId);
    if (!m || (m.membership !== 'join' && m.membership !== 'leave' && m.membership !== 'ban')) return undefined;
    const upTo = m.membership === 'join' ? atPos : Math.min(atPos ?? m.stream_pos, m.stream_pos);
    if (upTo === undefined) return this.currentState(roomId);
    const last = this.store.roomEventsBackward(roomId, upTo, -Infinity, 1)[0];
    return last ? this.stateAfter(last) : new Map();
  }

  /**
   * Whether `userId` may see an event, by the history visibility and the user's membership at that
   * event (spec: "History visibility"). `shared` lets current members read history from before they
   * joined; Peerline rooms set `joined`.
   */
  canSee(userId: string, row: EventRow, currentMembership: string | undefined): boolean {
    if (row.type === 'm.room.member' && row.state_key === userId) return true;
    // Fast path: joined since before this event, so joined at it.
    if (currentMembership === 'join') {
      const m = this.store.membership(row.room_id, userId);
      if (m && m.membership === 'join' && m.stream_pos < row.stream_pos) return true;
    }
    const state = this.stateBefore(row);
    const hvId = state.get(stateKeyOf('m.room.history_visibility', ''));
    const hv = hvId ? String(this.cache.event(hvId)?.content['history_visibility'] ?? 'shared') : 'shared';
    if (hv === 'world_readable') return true;
    const memId = state.get(stateKeyOf('m.room.member', userId));
    const memAt = row.state_key !== undefined && row.type === 'm.room.member' && row.state_key === userId
      ? 'join'
      : memId ? String(this.cache.event(memId)?.content['membership'] ?? 'leave') : 'leave';
    if (memAt === 'join') return true;
    if (hv === 'shared') return currentMembership === 'join';
    if (hv === 'invited') return memAt === 'invite';
    return false;
  }

  /** Whether `userId` deactivated with `erase: true`: their events are served pruned from then on. */
  isErased(userId: string): boolean {
    this.erased ??= new Set(this.users.erasedUsers());
    return this.erased.has(userId);
  }

  /** Records an erasure (the caller writes it to the database in the same step). */
  noteErased(userId: string): void {
    this.isErased(userId);
    this.erased!.add(userId);
  }

  /**
   * Whether `pdu` is served pruned: what an erased account said (non-state events) and its own
   * membership events (their display name and avatar). Other state it sent — the room's create,
   * encryption, power levels, join rules — stays whole: pruning m.room.encryption would make the
   * room look unencrypted to clients that join later, and a pruned m.room.create (v10) would lose
   * the room version for servers that join later.
   */
  private prunedForErasure(pdu: Pick<Pdu, 'sender' | 'type' | 'state_key'>): boolean {
    return this.isErased(pdu.sender) && (pdu.state_key === undefined || pdu.type === 'm.room.member');
  }

  /**
   * A PDU as it may be served over federation: pruned by the redaction algorithm when its sender
   * asked for erasure (signatures and hashes kept, so it still verifies as a redacted event).
   */
  servedPdu(pdu: Pdu): Pdu {
    if (!this.prunedForErasure(pdu)) return pdu;
    return redactEvent(pdu, this.roomVersion(pdu.room_id) ?? DEFAULT_ROOM_VERSION);
  }

  /** Formats a stored event for clients (spec: ClientEvent), with unsigned data for the viewer. */
  toClientEvent(row: EventRow | { event_id: string; pdu: Pdu; txn_user?: string | null; txn_device?: string | null; txn_id?: string | null; redacted_by?: string | null }, viewer?: { userId: string; deviceId: string | null }): ClientEvent {
    const pdu = 'json' in row ? (this.cache.event(row.event_id) ?? (JSON.parse(row.json) as Pdu)) : row.pdu;
    const unsigned: JsonObject = { age: Math.max(0, this.clock.now() - pdu.origin_server_ts) };
    if (viewer && row.txn_id && row.txn_user === viewer.userId && (row.txn_device === (viewer.deviceId ?? ''))) {
      unsigned['transaction_id'] = clientTxnId(row.txn_id);
    }
    if (row.redacted_by) {
      const r = this.cache.event(row.redacted_by);
      if (r) unsigned['redacted_because'] = this.toClientEvent({ event_id: row.redacted_by, pdu: r }) as unknown as JsonObject;
    }
    if (pdu.state_key !== undefined && 'json' in row && row.replaces_state) {
      const prevId = row.replaces_state;
      {
        const prev = this.cache.event(prevId);
        if (prev) {
          unsigned['prev_content'] = this.prunedForErasure(prev) ? redactContent(prev.type, prev.content, this.roomVersion(prev.room_id) ?? DEFAULT_ROOM_VERSION) : prev.content;
          unsigned['replaces_state'] = prevId;
          unsigned['prev_sender'] = prev.sender;
        }
      }
    }
    // Spec (deactivate, `erase`): those who ask after the erasure are served redacted copies.
    const content = this.prunedForErasure(pdu) ? redactContent(pdu.type, pdu.content, this.roomVersion(pdu.room_id) ?? DEFAULT_ROOM_VERSION) : pdu.content;
    const ev: ClientEvent = {
      type: pdu.type, content, event_id: row.event_id, sender: pdu.sender,
      origin_server_ts: pdu.origin_server_ts, room_id: pdu.room_id, unsigned,
    };
    if (pdu.state_key !== undefined) ev.state_key = pdu.state_key;
    if (pdu.type === 'm.room.redaction') {
      const r = pdu.redacts ?? (pdu.content['redacts'] as string | undefined);
      // v11 moved `redacts` into content; clients still read the top-level one, so serve both.
      if (r) {
        ev.redacts = r;
        if (!('redacts' in pdu.content)) ev.content = { ...pdu.content, redacts: r };
      }
    }
    return ev;
  }

  /** Stripped state shown to invitees (spec: m.room.member invite_room_state). */
  strippedState(roomId: string, inviteEventId: string): JsonObject[] {
    if (!this.cache.head(roomId)) {
      // An invite from another server to a room we are not in: the state its server gave us.
      const userId = this.cache.event(inviteEventId)?.state_key;
      const invite = userId ? this.store.remoteInvite(roomId, userId) : undefined;
      return invite ? (JSON.parse(invite.invite_state) as JsonObject[]) : [];
    }
    const state = this.currentState(roomId);
    const out: JsonObject[] = [];
    for (const type of ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic']) {
      const id = state.get(stateKeyOf(type, ''));
      const e = id ? this.cache.event(id) : undefined;
      if (e) out.push({ type: e.type, state_key: e.state_key ?? '', content: e.content, sender: e.sender });
    }
    const inv = this.cache.event(inviteEventId);
    if (inv) out.push({ type: inv.type, state_key: inv.state_key ?? '', content: inv.content, sender: inv.sender, event_id: inviteEventId, origin_server_ts: inv.origin_server_ts } as JsonObject);
    const inviter = inv ? state.get(stateKeyOf('m.room.member', inv.sender)) : undefined;
    const inviterEv = inviter ? this.cache.event(inviter) : undefined;
    if (inviterEv) out.push({ type: inviterEv.type, state_key: inviterEv.state_key ?? '', content: inviterEv.content, sender: inviterEv.sender });
    return out;
  }

  /** Updates display name / avatar in every room the user is joined to (as Synapse does). */
  async propagateProfile(userId: string): Promise<void> {
    const fields = this.displayFields(userId);
    for (const m of this.store.membershipsOfUser(userId)) {
      if (m.membership !== 'join') continue;
      const current = this.stateEvent(m.room_id, 'm.room.member', userId);
      const content: JsonObject = { ...(current?.content ?? {}), membership: 'join' };
      delete content['displayname'];
      delete content['avatar_url'];
      await this.persister.send({ roomId: m.room_id, type: 'm.room.member', sender: userId, stateKey: userId, content: { ...content, ...fields } }).catch(() => undefined);
    }
  }

  validateInitialState(v: unknown): CreateRoomRequest['initial_state'] {
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw badJson("'initial_state' must be an array");
    return v.map((e, i) => {
      if (!isObject(e) || typeof e['type'] !== 'string' || !isObject(e['content'])) throw badJson(`initial_state[${i}] needs a string 'type' and an object 'content'`);
      if (e['state_key'] !== undefined && typeof e['state_key'] !== 'string') throw badJson(`initial_state[${i}].state_key must be a string`);
      if (e['type'] === 'm.room.create' || e['type'] === 'm.room.member') throw badJson(`initial_state[${i}]: ${e['type']} cannot be given in initial_state`);
      return { type: e['type'], content: e['content'], ...(typeof e['state_key'] === 'string' ? { state_key: e['state_key'] } : {}) };
    });
  }
}
