// GET /sync: builds initial and incremental responses from the shared stream position, and holds
// long-polls until something for the user changes. Tokens are `s<pos>_t<typing serial>`.
import type { Database } from '../../storage/database.ts';
import type { EventsStore, EventRow, MembershipRow } from '../../storage/events-store.ts';
import type { StreamsStore } from '../../storage/streams-store.ts';
import type { StreamCounter } from '../../storage/streams.ts';
import type { JsonObject, Pdu, StateKey } from '../../core/pdu.ts';
import { splitStateKey } from '../../core/pdu.ts';
import type { RoomsService } from '../rooms/rooms.ts';
import type { RoomCache } from '../rooms/room-cache.ts';
import type { Notifier } from './notifier.ts';
import type { Clock } from '../users/accounts.ts';
import type { SyncContributor, SyncResponse } from './contributor.ts';
import { passesEventFilter, passesRoomFilter, type SyncFilter } from './sync-filter.ts';
import type { TypingService, UserStreamsService } from './user-streams.ts';
import { invalidParam } from '../../api/errors.ts';

export interface SyncToken {
  pos: number;
  typing: number;
}

export function parseSyncToken(token: string): SyncToken {
  const m = /^s(-?\d+)(?:_t(\d+))?$/.exec(token);
  if (!m) throw invalidParam(`'${token}' is not a sync token issued by this server`);
  return { pos: Number(m[1]), typing: Number(m[2] ?? 0) };
}

export function formatSyncToken(t: SyncToken): string {
  return `s${t.pos}_t${t.typing}`;
}

export interface SyncParams {
  since: string | null;
  timeoutMs: number;
  filter: SyncFilter;
  fullState: boolean;
}

/** Makes a judge of whether events of one room notify / highlight a user (push rules). */
export type NotificationJudge = (userId: string, roomId: string) => (pdu: Pdu) => { notify: boolean; highlight: boolean };

const UNREAD_SCAN = 200;
/** Pages of history a filtered timeline reads at most to fill its limit. */
const TIMELINE_SCAN_ROUNDS = 10;

const MESSAGE_TYPES = new Set(['m.room.message', 'm.room.encrypted', 'm.sticker', 'm.call.invite', 'm.poll.start']);

export class SyncService {
  private readonly db: Database;
  private readonly events: EventsStore;
  private readonly streamsStore: StreamsStore;
  private readonly rooms: RoomsService;
  private readonly cache: RoomCache;
  private readonly streams: StreamCounter;
  private readonly notifier: Notifier;
  private readonly clock: Clock;
  private readonly contributors: SyncContributor[] = [];
  /** Newest event position per room (filled lazily, kept by the persister listener). */
  private readonly roomPos = new Map<string, number>();
  private userStreams!: UserStreamsService;
  private typing!: TypingService;
  private judge: NotificationJudge | null = null;
  private readonly unreadCache = new Map<string, { readPos: number; lastPos: number; counts: { notification_count: number; highlight_count: number } }>();

  constructor(opts: { db: Database; events: EventsStore; streamsStore: StreamsStore; rooms: RoomsService; cache: RoomCache; streams: StreamCounter; notifier: Notifier; clock: Clock }) {
    this.db = opts.db;
    this.events = opts.events;
    this.streamsStore = opts.streamsStore;
    this.rooms = opts.rooms;
    this.cache = opts.cache;
    this.streams = opts.streams;
    this.notifier = opts.notifier;
    this.clock = opts.clock;
  }

  attach(userStreams: UserStreamsService, typing: TypingService): void {
    this.userStreams = userStreams;
    this.typing = typing;
  }

  addContributor(c: SyncContributor): void {
    this.contributors.push(c);
  }

  noteRoomEvent(roomId: string, pos: number): void {
    if ((this.roomPos.get(roomId) ?? -Infinity) < pos) this.roomPos.set(roomId, pos);
  }

  private lastRoomPos(roomId: string): number {
    let p = this.roomPos.get(roomId);
    if (p === undefined) {
      p = this.events.lastEventPosBefore(roomId, Number.MAX_SAFE_INTEGER) ?? 0;
      this.roomPos.set(roomId, p);
    }
    return p;
  }

  private lastReceiptPos(roomId: string): number {
    let p = this.userStreams.receiptPos.get(roomId);
    if (p === undefined) {
      p = this.db.get<{ m: number | null }>('SELECT MAX(stream_pos) AS m FROM receipts WHERE room_id = ?', roomId)?.m ?? 0;
      this.userStreams.receiptPos.set(roomId, p);
    }
    return p;
  }

  private lastAccountDataPos(userId: string): number {
    let p = this.userStreams.accountDataPos.get(userId);
    if (p === undefined) {
      p = this.db.get<{ m: number | null }>('SELECT MAX(stream_pos) AS m FROM account_data WHERE user_id = ?', userId)?.m ?? 0;
      this.userStreams.accountDataPos.set(userId, p);
    }
    return p;
  }

  /** Whether anything for this user/device changed after `since`. */
  private hasNews(userId: string, deviceId: string | null, since: SyncToken, upTo: number): boolean {
    const memberships = this.events.membershipsOfUser(userId);
    const joined: string[] = [];
    for (const m of memberships) {
      if (m.stream_pos > since.pos) return true;
      if (m.membership === 'join') {
        joined.push(m.room_id);
        if (this.lastRoomPos(m.room_id) > since.pos) return true;
        if (this.lastReceiptPos(m.room_id) > since.pos) return true;
      }
    }
    if (this.lastAccountDataPos(userId) > since.pos) return true;
    if (this.typing.changedSince(joined, since.typing)) return true;
    const info = { userId, deviceId, since: since.pos, upTo };
    return this.contributors.some((c) => c.hasNews(info));
  }

  async sync(auth: { userId: string; deviceId: string | null }, params: SyncParams, signal: AbortSignal): Promise<SyncResponse> {
    const since = params.since !== null ? parseSyncToken(params.since) : null;
    const deadline = this.clock.now() + params.timeoutMs;
    if (since && since.pos > this.streams.current) {
      // A token from the future (e.g. after restoring a backup): treat it as now.
      since.pos = this.streams.current;
    }
    for (;;) {
      const upTo = this.streams.current;
      const typingNow = this.typing.serial;
      const waitMs = deadline - this.clock.now();
      if (since && !params.fullState && waitMs > 0 && !signal.aborted && !this.hasNews(auth.userId, auth.deviceId, since, upTo)) {
        await this.notifier.wait(auth.userId, waitMs, signal);
        if (signal.aborted) return this.emptyResponse(since);
        continue;
      }
      return this.build(auth, since, { pos: upTo, typing: typingNow }, params);
    }
  }

  private emptyResponse(since: SyncToken): SyncResponse {
    return {
      next_batch: formatSyncToken(since),
      rooms: { join: {}, invite: {}, leave: {}, knock: {} },
      account_data: { events: [] }, presence: { events: [] }, to_device: { events: [] },
      device_lists: { changed: [], left: [] }, device_one_time_keys_count: {}, device_unused_fallback_key_types: [],
    };
  }

  private build(auth: { userId: string; deviceId: string | null }, since: SyncToken | null, now: SyncToken, params: SyncParams): SyncResponse {
    const res = this.emptyResponse(now);
    const f = params.filter;
    const viewer = { userId: auth.userId, deviceId: auth.deviceId };
    for (const m of this.events.membershipsOfUser(auth.userId)) {
      if (!passesRoomFilter(f, m.room_id)) continue;
      if (m.stream_pos > now.pos) continue; // committed after we read the position: next time
      if (m.membership === 'join') {
        const section = this.joinedRoom(m, since, now, params, viewer);
        if (section) res.rooms.join[m.room_id] = section;
      } else if (m.membership === 'invite') {
        if (since === null || m.stream_pos > since.pos) {
          res.rooms.invite[m.room_id] = { invite_state: { events: this.rooms.strippedState(m.room_id, m.event_id) } };
        }
      } else if (m.membership === 'leave' || m.membership === 'ban') {
        // A forgotten room is gone from the user's view (spec: POST /rooms/{roomId}/forget).
        if (((since === null && f.includeLeave) || (since !== null && m.stream_pos > since.pos)) && !this.streamsStore.isForgotten(auth.userId, m.room_id, m.event_id)) {
          const section = this.leftRoom(m, since, params, viewer);
          if (section) res.rooms.leave[m.room_id] = section;
        }
      } else if (m.membership === 'knock' && (since === null || m.stream_pos > since.pos)) {
        res.rooms.knock[m.room_id] = { knock_state: { events: this.rooms.strippedState(m.room_id, m.event_id) } };
      }
    }
    for (const row of this.streamsStore.accountDataSince(auth.userId, since?.pos ?? -Infinity, now.pos)) {
      if (row.room_id !== '') {
        const room = res.rooms.join[row.room_id];
        if (room && passesEventFilter(f.roomAccountData, row.type, undefined)) {
          (room['account_data'] as { events: JsonObject[] }).events.push({ type: row.type, content: JSON.parse(row.content) as JsonObject });
        }
        continue;
      }
      if (passesEventFilter(f.accountData, row.type, undefined)) res.account_data.events.push({ type: row.type, content: JSON.parse(row.content) as JsonObject });
    }
    if (since !== null && !params.fullState) {
      // An incremental sync leaves out joined rooms where nothing changed (as Synapse does): a client
      // with many rooms would otherwise get every one of them in every response.
      for (const [roomId, room] of Object.entries(res.rooms.join)) {
        const empty = (k: string): boolean => ((room[k] as { events?: unknown[] } | undefined)?.events?.length ?? 0) === 0;
        if (empty('timeline') && empty('state') && empty('ephemeral') && empty('account_data')) delete res.rooms.join[roomId];
      }
    }
    const info = { userId: auth.userId, deviceId: auth.deviceId, since: since?.pos ?? null, upTo: now.pos };
    for (const c of this.contributors) c.contribute(info, res);
    // Contributors add global account data (m.push_rules) without seeing the filter.
    res.account_data.events = res.account_data.events.filter((e) => passesEventFilter(f.accountData, String(e['type']), undefined));
    return res;
  }

  private visibleTimeline(m: MembershipRow, from: number, to: number, limit: number, f: SyncFilter, viewerUser: string): { rows: EventRow[]; limited: boolean } {
    // Events the filter drops do not count against its limit (spec: the limit is on events
    // returned; Synapse filters in its query), so with a type/sender filter older pages are read
    // until `limit` events pass. One more than needed tells whether the timeline is limited.
    const t = f.timeline;
    const filtered = !!(t.types || t.not_types || t.senders || t.not_senders);
    const out: EventRow[] = [];
    let upper = to;
    let limited = false;
    for (let round = 0; round < (filtered ? TIMELINE_SCAN_ROUNDS : 1); round++) {
      const want = round === 0 ? limit + 1 : Math.max(limit + 1, 100);
      const page = this.events.roomEventsBetween(m.room_id, from, upper, want);
      for (let i = page.length - 1; i >= 0 && !limited; i--) {
        const r = page[i]!;
        if (!passesEventFilter(t, r.type, r.sender) || !this.rooms.canSee(viewerUser, r, m.membership)) continue;
        if (out.length === limit) limited = true;
        else out.push(r);
      }
      if (limited || page.length < want) break;
      upper = page[0]!.stream_pos - 1;
      // Scanned as far as we go without filling the timeline: there may be more.
      if (round === TIMELINE_SCAN_ROUNDS - 1) limited = true;
    }
    return { rows: out.reverse(), limited };
  }

  private joinedRoom(m: MembershipRow, since: SyncToken | null, now: SyncToken, params: SyncParams, viewer: { userId: string; deviceId: string | null }): JsonObject | null {
    const f = params.filter;
    const newlyJoined = since !== null && m.stream_pos > since.pos;
    const full = since === null || params.fullState || newlyJoined;
    // full_state sends all the state, but the timeline still starts at `since` (spec).
    const from = since === null || newlyJoined ? -Infinity : since.pos;
    const hasEvents = from === -Infinity || this.lastRoomPos(m.room_id) > from;
    const { rows, limited } = hasEvents ? this.visibleTimeline(m, from, now.pos, f.timeline.limit, f, viewer.userId) : { rows: [], limited: false };
    const ephemeral: JsonObject[] = [];
    const typing = this.typing.typingIfChanged(m.room_id, since?.typing ?? null);
    if (typing && (since !== null || typing.length > 0) && passesEventFilter(f.ephemeral, 'm.typing', undefined)) {
      ephemeral.push({ type: 'm.typing', content: { user_ids: typing } });
    }
    if (passesEventFilter(f.ephemeral, 'm.receipt', undefined) && (since === null || this.lastReceiptPos(m.room_id) > since.pos)) {
      const receipts = this.streamsStore.receiptsSince(m.room_id, since?.pos ?? -Infinity, now.pos);
      const content: Record<string, Record<string, Record<string, JsonObject>>> = {};
      for (const r of receipts) {
        if (r.receipt_type === 'm.read.private' && r.user_id !== viewer.userId) continue;
        ((content[r.event_id] ??= {})[r.receipt_type] ??= {})[r.user_id] = { ts: r.ts, ...(r.thread_id ? { thread_id: r.thread_id } : {}) };
      }
      if (Object.keys(content).length > 0) ephemeral.push({ type: 'm.receipt', content: content as unknown as JsonObject });
    }
    let state: JsonObject[] = [];
    if (full) {
      const first = rows[0];
      const stateMap = first ? new Map(this.rooms.stateBefore(first)) : this.rooms.currentState(m.room_id);
      if (first) {
        // State changes the viewer may not see as timeline events (history visibility `joined`
        // hides what happened before they joined, though their own invite still shows) must still
        // reach them: every key whose current value the timeline does not deliver gets it here, so
        // state + timeline always end at the room's current state.
        const delivered = new Set(rows.filter((r) => r.state_key !== null).map((r) => r.event_id));
        for (const [key, id] of this.rooms.currentState(m.room_id)) {
          if (stateMap.get(key) !== id && !delivered.has(id)) stateMap.set(key, id);
        }
      }
      state = this.stateEvents(stateMap, rows, f, viewer.userId);
    } else if (limited && rows[0]) {
      const changed = this.events.stateEventsBetween(m.room_id, since.pos, rows[0].stream_pos - 1);
      state = changed.filter((r) => passesEventFilter(f.state, r.type, r.sender)).map((r) => this.rooms.toClientEvent(r) as unknown as JsonObject);
    }
    const changedMembers = full || rows.some((r) => r.type === 'm.room.member') || state.some((e) => e['type'] === 'm.room.member');
    if (!full && rows.length === 0 && ephemeral.length === 0 && state.length === 0) {
      // Only account data may still be added; create the section so it has somewhere to go.
      return { timeline: { events: [], limited: false, prev_batch: formatSyncToken(now) }, state: { events: [] }, ephemeral: { events: [] }, account_data: { events: [] }, unread_notifications: this.unread(m.room_id, viewer.userId) };
    }
    const section: JsonObject = {
      timeline: {
        events: rows.map((r) => this.rooms.toClientEvent(r, viewer) as unknown as JsonObject),
        limited,
        prev_batch: formatSyncToken({ pos: (rows[0]?.stream_pos ?? now.pos + 1) - 1, typing: 0 }),
      },
      state: { events: state },
      ephemeral: { events: ephemeral },
      account_data: { events: [] },
      unread_notifications: this.unread(m.room_id, viewer.userId),
    };
    if (changedMembers) section['summary'] = this.summary(m.room_id, viewer.userId);
    return section;
  }

  private stateEvents(stateMap: Map<StateKey, string>, timeline: EventRow[], f: SyncFilter, userId: string): JsonObject[] {
    const wanted = new Set<string>([userId]);
    if (f.lazyLoadMembers) for (const r of timeline) wanted.add(r.sender);
    const out: JsonObject[] = [];
    for (const [key, eventId] of stateMap) {
      const [type, stateKey] = splitStateKey(key);
      if (f.lazyLoadMembers && type === 'm.room.member' && !wanted.has(stateKey)) continue;
      if (!passesEventFilter(f.state, type, undefined)) continue;
      const row = this.events.getEvent(eventId);
      if (row) out.push(this.rooms.toClientEvent(row) as unknown as JsonObject);
    }
    return out;
  }

  private leftRoom(m: MembershipRow, since: SyncToken | null, params: SyncParams, viewer: { userId: string; deviceId: string | null }): JsonObject | null {
    const f = params.filter;
    const { rows, limited } = this.visibleTimeline(m, since?.pos ?? -Infinity, m.stream_pos, f.timeline.limit, f, viewer.userId);
    // Spec: the state up to the start of the timeline — all of it for an initial sync (include_leave),
    // the changes in the gap for a limited incremental one.
    let state: JsonObject[] = [];
    const first = rows[0];
    if (since === null) {
      const leave = this.events.getEvent(m.event_id);
      const stateMap = first ? this.rooms.stateBefore(first) : leave ? this.rooms.stateAfter(leave) : new Map<StateKey, string>();
      state = this.stateEvents(stateMap, rows, f, viewer.userId);
    } else if (limited && first) {
      state = this.events.stateEventsBetween(m.room_id, since.pos, first.stream_pos - 1)
        .filter((r) => passesEventFilter(f.state, r.type, r.sender)).map((r) => this.rooms.toClientEvent(r) as unknown as JsonObject);
    }
    return {
      timeline: {
        events: rows.map((r) => this.rooms.toClientEvent(r, viewer) as unknown as JsonObject),
        limited,
        prev_batch: formatSyncToken({ pos: (rows[0]?.stream_pos ?? m.stream_pos) - 1, typing: 0 }),
      },
      state: { events: state },
      account_data: { events: [] },
    };
  }

  /** Heroes and member counts (spec: RoomSummary). */
  summary(roomId: string, userId: string): JsonObject {
    const members = this.events.membersOfRoom(roomId);
    const joined = members.filter((x) => x.membership === 'join');
    const invited = members.filter((x) => x.membership === 'invite');
    const heroes = [...joined, ...invited].map((x) => x.user_id).filter((u) => u !== userId).sort().slice(0, 5);
    return { 'm.heroes': heroes, 'm.joined_member_count': joined.length, 'm.invited_member_count': invited.length };
  }

  /** Sets how events are judged for notification counts (the user's push rules). */
  setNotificationJudge(judge: NotificationJudge): void {
    this.judge = judge;
  }

  /**
   * Notification and highlight counts: events from others after the user's read receipt, judged by
   * the user's push rules (at most the newest UNREAD_SCAN events are looked at). Counts are cached
   * until the room gets a new event or the user's read position moves.
   */
  private unread(roomId: string, userId: string): JsonObject {
    const readEvent = this.streamsStore.readUpTo(roomId, userId);
    const readPos = readEvent ? (this.events.getEvent(readEvent)?.stream_pos ?? 0) : (this.events.membership(roomId, userId)?.stream_pos ?? 0);
    const lastPos = this.lastRoomPos(roomId);
    if (lastPos <= readPos) return { notification_count: 0, highlight_count: 0 };
    const key = `${roomId}\u0000${userId}`;
    const cached = this.unreadCache.get(key);
    if (cached && cached.readPos === readPos && cached.lastPos === lastPos) return { ...cached.counts };
    // Only message-like events, invites of this user and tombstones can notify under the default rules.
    // The user's own events are read back too: sending an event marks everything before it read
    // (spec: "Receiving notifications"), so counting stops at the newest of them.
    const rows = this.db.all<{ event_id: string; type: string; sender: string }>(
      `SELECT event_id, type, sender FROM events WHERE room_id = ? AND stream_pos > ? AND outlier = 0 AND rejected IS NULL
         AND (state_key IS NULL OR (type = 'm.room.member' AND state_key = ?) OR type = 'm.room.tombstone')
       ORDER BY stream_pos DESC LIMIT ?`,
      roomId, readPos, userId, UNREAD_SCAN,
    );
    const ownIndex = rows.findIndex((r) => r.sender === userId);
    if (ownIndex >= 0) rows.length = ownIndex;
    let notifications = 0;
    let highlights = 0;
    const judge = rows.length > 0 && this.judge ? this.judge(userId, roomId) : null;
    for (const r of rows) {
      if (!judge) {
        if (MESSAGE_TYPES.has(r.type)) notifications++;
        continue;
      }
      const pdu = this.cache.event(r.event_id);
      if (!pdu) continue;
      const verdict = judge(pdu);
      if (verdict.notify) notifications++;
      if (verdict.highlight) highlights++;
    }
    const counts = { notification_count: notifications, highlight_count: highlights };
    if (this.unreadCache.size > 50_000) this.unreadCache.clear();
    this.unreadCache.set(key, { readPos, lastPos, counts });
    return { ...counts };
  }

  /** Wakes waiting syncs for a room's members (typing changes). */
  notifyRoom(roomId: string): void {
    this.notifier.notify(this.events.membersOfRoom(roomId, 'join').map((m) => m.user_id));
  }

  get cacheRef(): RoomCache {
    return this.cache;
  }
}
