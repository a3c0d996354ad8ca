// SQL for rooms, events, state groups, current state and memberships. Event JSON is stored as the
// PDU (after redaction when redacted); everything else is derived from it.
import type { Database } from './database.ts';
import type { Pdu, StateKey } from '../core/pdu.ts';
import { stateKeyOf } from '../core/pdu.ts';

export interface EventRow {
  stream_pos: number;
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  depth: number;
  origin_server_ts: number;
  json: string;
  state_group_before: number | null;
  state_group_after: number | null;
  redacted_by: string | null;
  txn_user: string | null;
  txn_device: string | null;
  txn_id: string | null;
  rejected: string | null;
  outlier: number;
  replaces_state: string | null;
}

export interface RoomRow {
  room_id: string;
  room_version: string;
  creator: string;
  created_ts: number;
  is_public: number;
}

export interface MembershipRow {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  stream_pos: number;
}

// State maps loaded from the database would otherwise hold a fresh copy of every key and event id
// per map; sharing one string per distinct value keeps many cached maps cheap.
const stateKeys = new Map<string, Map<string, StateKey>>();
const eventIds = new Map<string, string>();

function internStateKey(type: string, stateKey: string): StateKey {
  let byKey = stateKeys.get(type);
  if (!byKey) {
    byKey = new Map();
    stateKeys.set(type, byKey);
  }
  let k = byKey.get(stateKey);
  if (!k) {
    k = stateKeyOf(type, stateKey);
    if (byKey.size < 200_000) byKey.set(stateKey, k);
  }
  return k;
}

function internEventId(id: string): string {
  const known = eventIds.get(id);
  if (known) return known;
  if (eventIds.size > 200_000) eventIds.clear();
  eventIds.set(id, id);
  return id;
}

/** How many deltas a state group chain may have before a full snapshot is written. */
const MAX_STATE_CHAIN = 64;

export class EventsStore {
  private readonly db: Database;
  /**
   * Memberships per room, read on every event (who to wake, who to tell) and written only through
   * setMembership: kept in memory once read. Any rolled-back write clears it.
   */
  private readonly members = new Map<string, { byUser: Map<string, MembershipRow>; lists: Map<string, MembershipRow[]> }>();

  constructor(db: Database) {
    this.db = db;
    db.onAnyRollback(() => this.members.clear());
  }

  private roomMembers(roomId: string): { byUser: Map<string, MembershipRow>; lists: Map<string, MembershipRow[]> } {
    let m = this.members.get(roomId);
    if (!m) {
      const byUser = new Map<string, MembershipRow>();
      for (const r of this.db.all<MembershipRow>('SELECT * FROM room_memberships WHERE room_id = ?', roomId)) byUser.set(r.user_id, r);
      m = { byUser, lists: new Map() };
      if (this.members.size > 5_000) this.members.clear();
      this.members.set(roomId, m);
    }
    return m;
  }

  // Rooms
  insertRoom(r: RoomRow): void {
    this.db.run('INSERT INTO rooms (room_id, room_version, creator, created_ts, is_public) VALUES (?, ?, ?, ?, ?)', r.room_id, r.room_version, r.creator, r.created_ts, r.is_public);
  }

  getRoom(roomId: string): RoomRow | undefined {
    return this.db.get<RoomRow>('SELECT * FROM rooms WHERE room_id = ?', roomId);
  }

  setRoomPublic(roomId: string, isPublic: boolean): void {
    this.db.run('UPDATE rooms SET is_public = ? WHERE room_id = ?', isPublic ? 1 : 0, roomId);
  }

  publicRooms(limit: number, since: number): RoomRow[] {
    return this.db.all<RoomRow>('SELECT * FROM rooms WHERE is_public = 1 ORDER BY room_id LIMIT ? OFFSET ?', limit, since);
  }

  // Events
  /**
   * Stores an event in the room graph. An event already held as an outlier takes its place in the
   * graph (new stream position, state groups) instead of being inserted twice.
   */
  insertEvent(e: Omit<EventRow, 'redacted_by' | 'rejected' | 'outlier' | 'replaces_state'> & { outlier?: number; rejected?: string | null; replaces_state?: string | null }): void {
    this.db.run(
      `INSERT INTO events (stream_pos, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json,
         state_group_before, state_group_after, txn_user, txn_device, txn_id, outlier, rejected, replaces_state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_id) DO UPDATE SET stream_pos = excluded.stream_pos, outlier = excluded.outlier,
         state_group_before = excluded.state_group_before, state_group_after = excluded.state_group_after, rejected = excluded.rejected,
         replaces_state = excluded.replaces_state
       WHERE events.outlier = 1`,
      e.stream_pos, e.event_id, e.room_id, e.type, e.state_key, e.sender, e.depth, e.origin_server_ts, e.json,
      e.state_group_before, e.state_group_after, e.txn_user, e.txn_device, e.txn_id, e.outlier ?? 0, e.rejected ?? null, e.replaces_state ?? null,
    );
  }

  /**
   * Stores an event known without its place in the graph (auth events, state from another server):
   * usable for auth checks and as room state, never in timelines. Outliers take negative positions
   * so they never fall inside a sync range.
   */
  insertOutlier(eventId: string, roomId: string, json: string, rejected: string | null): void {
    if (this.getEvent(eventId)) return;
    const pdu = JSON.parse(json) as Pdu;
    const min = this.db.get<{ m: number | null }>('SELECT MIN(stream_pos) AS m FROM events')?.m ?? 0;
    this.db.run(
      `INSERT INTO events (stream_pos, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json, outlier, rejected)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
      Math.min(min, 0) - 1, eventId, roomId, pdu.type, pdu.state_key ?? null, pdu.sender, pdu.depth, pdu.origin_server_ts, json, rejected,
    );
  }

  /** Gives an outlier a place in the stream (an invite to a room we are not in). */
  setOutlierStreamPos(eventId: string, pos: number): void {
    this.db.run('UPDATE events SET stream_pos = ? WHERE event_id = ? AND outlier = 1', pos, eventId);
  }

  getOutlier(eventId: string): EventRow | undefined {
    return this.db.get<EventRow>('SELECT * FROM events WHERE event_id = ? AND outlier = 1', eventId);
  }

  setRejected(eventId: string, reason: string): void {
    this.db.run('UPDATE events SET rejected = ? WHERE event_id = ?', reason, eventId);
  }

  isRejected(eventId: string): boolean {
    const r = this.db.get<{ rejected: string | null }>('SELECT rejected FROM events WHERE event_id = ?', eventId);
    return !!r?.rejected && !r.rejected.startsWith('soft-failed');
  }

  // Remote invites
  upsertRemoteInvite(roomId: string, userId: string, eventId: string, version: string, inviteState: string): void {
    this.db.run(
      `INSERT INTO remote_invites (room_id, user_id, event_id, room_version, invite_state) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (room_id, user_id) DO UPDATE SET event_id = excluded.event_id, room_version = excluded.room_version, invite_state = excluded.invite_state`,
      roomId, userId, eventId, version, inviteState,
    );
  }

  remoteInvite(roomId: string, userId: string): { event_id: string; room_version: string; invite_state: string } | undefined {
    return this.db.get('SELECT event_id, room_version, invite_state FROM remote_invites WHERE room_id = ? AND user_id = ?', roomId, userId);
  }

  deleteRemoteInvite(roomId: string, userId: string): void {
    this.db.run('DELETE FROM remote_invites WHERE room_id = ? AND user_id = ?', roomId, userId);
  }

  getEvent(eventId: string): EventRow | undefined {
    return this.db.get<EventRow>('SELECT * FROM events WHERE event_id = ?', eventId);
  }

  eventIdForTxn(user: string, device: string, txnId: string): string | undefined {
    return this.db.get<{ event_id: string }>('SELECT event_id FROM events WHERE txn_user = ? AND txn_device = ? AND txn_id = ?', user, device, txnId)?.event_id;
  }

  markRedacted(eventId: string, redactedBy: string, redactedJson: string): void {
    this.db.run('UPDATE events SET redacted_by = ?, json = ? WHERE event_id = ?', redactedBy, redactedJson, eventId);
  }

  insertRedaction(redacts: string, eventId: string): void {
    this.db.run('INSERT OR IGNORE INTO redactions (redacts, event_id) VALUES (?, ?)', redacts, eventId);
  }

  pendingRedactionsFor(eventId: string): string[] {
    return this.db.all<{ event_id: string }>('SELECT event_id FROM redactions WHERE redacts = ?', eventId).map((r) => r.event_id);
  }

  /** Events of a room with from < stream_pos <= to, oldest first, at most `limit` (the newest ones). */
  roomEventsBetween(roomId: string, from: number, to: number, limit: number): EventRow[] {
    const rows = this.db.all<EventRow>(
      'SELECT * FROM events WHERE room_id = ? AND stream_pos > ? AND stream_pos <= ? AND outlier = 0 AND rejected IS NULL ORDER BY stream_pos DESC LIMIT ?',
      roomId, from, to, limit,
    );
    return rows.reverse();
  }

  /** Events of a room after `from` (exclusive), oldest first. */
  roomEventsForward(roomId: string, from: number, to: number, limit: number): EventRow[] {
    return this.db.all<EventRow>(
      'SELECT * FROM events WHERE room_id = ? AND stream_pos > ? AND stream_pos <= ? AND outlier = 0 AND rejected IS NULL ORDER BY stream_pos ASC LIMIT ?',
      roomId, from, to, limit,
    );
  }

  /** Events of a room at or before `from`, newest first. */
  roomEventsBackward(roomId: string, from: number, to: number, limit: number): EventRow[] {
    return this.db.all<EventRow>(
      'SELECT * FROM events WHERE room_id = ? AND stream_pos <= ? AND stream_pos > ? AND outlier = 0 AND rejected IS NULL ORDER BY stream_pos DESC LIMIT ?',
      roomId, from, to, limit,
    );
  }

  /** Whether a room has any event in (from, to]. */
  roomHasEventsBetween(roomId: string, from: number, to: number): boolean {
    return this.db.get('SELECT 1 AS x FROM events WHERE room_id = ? AND stream_pos > ? AND stream_pos <= ? AND outlier = 0 LIMIT 1', roomId, from, to) !== undefined;
  }

  /** Latest state event per (type, state_key) with from < stream_pos <= to. */
  stateEventsBetween(roomId: string, from: number, to: number): EventRow[] {
    return this.db.all<EventRow>(
      `SELECT e.* FROM events e JOIN (
         SELECT type, state_key, MAX(stream_pos) AS p FROM events
         WHERE room_id = ? AND state_key IS NOT NULL AND stream_pos > ? AND stream_pos <= ? AND outlier = 0 AND rejected IS NULL
         GROUP BY type, state_key) l ON e.stream_pos = l.p`,
      roomId, from, to,
    );
  }

  lastEventPosBefore(roomId: string, pos: number): number | undefined {
    return this.db.get<{ p: number }>('SELECT MAX(stream_pos) AS p FROM events WHERE room_id = ? AND stream_pos <= ? AND outlier = 0', roomId, pos)?.p ?? undefined;
  }

  // Forward extremities
  forwardExtremities(roomId: string): string[] {
    return this.db.all<{ event_id: string }>('SELECT event_id FROM forward_extremities WHERE room_id = ?', roomId).map((r) => r.event_id);
  }

  setForwardExtremities(roomId: string, eventIds: string[]): void {
    this.db.run('DELETE FROM forward_extremities WHERE room_id = ?', roomId);
    for (const id of eventIds) this.db.run('INSERT INTO forward_extremities (room_id, event_id) VALUES (?, ?)', roomId, id);
  }

  // State groups
  /** Writes a state group as a delta over `prevGroup` (or a full snapshot); returns its id. */
  insertStateGroup(roomId: string, prevGroup: number | null, delta: ReadonlyMap<StateKey, string>, full: () => ReadonlyMap<StateKey, string>): number {
    let chain = 0;
    if (prevGroup !== null) {
      chain = (this.db.get<{ chain_length: number }>('SELECT chain_length FROM state_groups WHERE id = ?', prevGroup)?.chain_length ?? 0) + 1;
    }
    const snapshot = prevGroup === null || chain > MAX_STATE_CHAIN;
    const { lastInsertRowid: id } = this.db.run(
      'INSERT INTO state_groups (room_id, prev_group, chain_length) VALUES (?, ?, ?)',
      roomId, snapshot ? null : prevGroup, snapshot ? 0 : chain,
    );
    const entries = snapshot ? full() : delta;
    for (const [key, eventId] of entries) {
      const i = key.indexOf('\u0000');
      this.db.run('INSERT INTO state_group_entries (group_id, type, state_key, event_id) VALUES (?, ?, ?, ?)', id, key.slice(0, i), key.slice(i + 1), eventId);
    }
    return id;
  }

  /** Loads the full state of a group by walking its delta chain. */
  loadStateGroup(groupId: number): Map<StateKey, string> {
    const chain: number[] = [];
    let g: number | null = groupId;
    while (g !== null) {
      chain.push(g);
      g = this.db.get<{ prev_group: number | null }>('SELECT prev_group FROM state_groups WHERE id = ?', g)?.prev_group ?? null;
    }
    const out = new Map<StateKey, string>();
    for (let i = chain.length - 1; i >= 0; i--) {
      for (const r of this.db.all<{ type: string; state_key: string; event_id: string }>('SELECT type, state_key, event_id FROM state_group_entries WHERE group_id = ?', chain[i]!)) {
        out.set(internStateKey(r.type, r.state_key), internEventId(r.event_id));
      }
    }
    return out;
  }

  // Current state
  currentState(roomId: string): Map<StateKey, string> {
    const out = new Map<StateKey, string>();
    for (const r of this.db.all<{ type: string; state_key: string; event_id: string }>('SELECT type, state_key, event_id FROM current_state WHERE room_id = ?', roomId)) {
      out.set(stateKeyOf(r.type, r.state_key), r.event_id);
    }
    return out;
  }

  setCurrentState(roomId: string, type: string, stateKey: string, eventId: string): void {
    this.db.run(
      'INSERT INTO current_state (room_id, type, state_key, event_id) VALUES (?, ?, ?, ?) ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id',
      roomId, type, stateKey, eventId,
    );
  }

  /** The state group of the room's current state (older databases: the newest event's). */
  currentStateGroup(roomId: string): number | null {
    const stored = this.db.get<{ g: number | null }>('SELECT current_state_group AS g FROM rooms WHERE room_id = ?', roomId)?.g;
    if (stored != null) return stored;
    return this.db.get<{ g: number | null }>('SELECT state_group_after AS g FROM events WHERE room_id = ? AND outlier = 0 AND rejected IS NULL ORDER BY stream_pos DESC LIMIT 1', roomId)?.g ?? null;
  }

  setCurrentStateGroup(roomId: string, groupId: number | null): void {
    this.db.run('UPDATE rooms SET current_state_group = ? WHERE room_id = ?', groupId, roomId);
  }

  // Memberships
  setMembership(m: MembershipRow): void {
    const cached = this.members.get(m.room_id);
    if (cached) {
      cached.byUser.set(m.user_id, { ...m });
      cached.lists.clear();
    }
    this.db.run(
      `INSERT INTO room_memberships (room_id, user_id, membership, event_id, stream_pos) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, event_id = excluded.event_id, stream_pos = excluded.stream_pos`,
      m.room_id, m.user_id, m.membership, m.event_id, m.stream_pos,
    );
  }

  membershipsOfUser(userId: string): MembershipRow[] {
    return this.db.all<MembershipRow>('SELECT * FROM room_memberships WHERE user_id = ?', userId);
  }

  membership(roomId: string, userId: string): MembershipRow | undefined {
    const cached = this.members.get(roomId);
    if (cached) return cached.byUser.get(userId);
    return this.db.get<MembershipRow>('SELECT * FROM room_memberships WHERE room_id = ? AND user_id = ?', roomId, userId);
  }

  /** Members of a room (optionally with one membership). The array is shared: do not change it. */
  membersOfRoom(roomId: string, membership?: string): readonly MembershipRow[] {
    const m = this.roomMembers(roomId);
    const key = membership ?? '*';
    let list = m.lists.get(key);
    if (!list) {
      list = [...m.byUser.values()].filter((r) => membership === undefined || r.membership === membership);
      m.lists.set(key, list);
    }
    return list;
  }

  /** Users who share at least one joined room with `userId` (including themselves). */
  usersSharingRoomWith(userId: string): string[] {
    return this.db.all<{ user_id: string }>(
      `SELECT DISTINCT b.user_id FROM room_memberships a JOIN room_memberships b ON a.room_id = b.room_id
       WHERE a.user_id = ? AND a.membership = 'join' AND b.membership = 'join'`,
      userId,
    ).map((r) => r.user_id);
  }

  /**
   * Membership events that matter to `userId`'s device tracking in (from, to], the latest per user
   * (or per room for the user's own): other users' in rooms `userId` is joined to, and `userId`'s own.
   */
  membershipChangesSeenBy(userId: string, from: number, to: number): { others: { user_id: string; membership: string }[]; own: { room_id: string; membership: string }[] } {
    const others = this.db.all<{ user_id: string; membership: string }>(
      `SELECT e.state_key AS user_id, json_extract(e.json, '$.content.membership') AS membership, MAX(e.stream_pos) AS p
       FROM room_memberships a JOIN events e ON e.room_id = a.room_id
       WHERE a.user_id = ? AND a.membership = 'join' AND e.type = 'm.room.member' AND e.state_key != ?
         AND e.stream_pos > ? AND e.stream_pos <= ? AND e.outlier = 0 AND e.rejected IS NULL
       GROUP BY e.state_key`,
      userId, userId, from, to,
    );
    const own = this.db.all<{ room_id: string; membership: string }>(
      `SELECT room_id, json_extract(json, '$.content.membership') AS membership, MAX(stream_pos) AS p FROM events
       WHERE type = 'm.room.member' AND state_key = ? AND stream_pos > ? AND stream_pos <= ? AND outlier = 0 AND rejected IS NULL
       GROUP BY room_id`,
      userId, from, to,
    );
    return { others, own };
  }

  /** Membership events of one user in one room, oldest first (for history visibility). */
  membershipHistory(roomId: string, userId: string): { stream_pos: number; membership: string }[] {
    return this.db.all<{ stream_pos: number; json: string }>(
      "SELECT stream_pos, json FROM events WHERE room_id = ? AND type = 'm.room.member' AND state_key = ? AND outlier = 0 AND rejected IS NULL ORDER BY stream_pos",
      roomId, userId,
    ).map((r) => ({ stream_pos: r.stream_pos, membership: String((JSON.parse(r.json) as Pdu).content['membership']) }));
  }

  // Aliases
  getAlias(alias: string): { room_id: string; creator: string } | undefined {
    return this.db.get('SELECT room_id, creator FROM room_aliases WHERE alias = ?', alias);
  }

  insertAlias(alias: string, roomId: string, creator: string): boolean {
    return this.db.run('INSERT OR IGNORE INTO room_aliases (alias, room_id, creator) VALUES (?, ?, ?)', alias, roomId, creator).changes > 0;
  }

  deleteAlias(alias: string): void {
    this.db.run('DELETE FROM room_aliases WHERE alias = ?', alias);
  }

  aliasesForRoom(roomId: string): string[] {
    return this.db.all<{ alias: string }>('SELECT alias FROM room_aliases WHERE room_id = ?', roomId).map((r) => r.alias);
  }
}
