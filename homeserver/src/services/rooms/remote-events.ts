// Events from other servers: checked as the spec's "Checks performed on receipt of a PDU" require
// (format, signatures, content hash, auth against auth events, against the state before the event,
// soft-fail against current state), placed in the room graph with state resolution v2 where the
// graph forks, and made visible exactly like local events.
import type { Database, WriteTx } from '../../storage/database.ts';
import type { EventsStore } from '../../storage/events-store.ts';
import type { StreamCounter } from '../../storage/streams.ts';
import type { Pdu, RoomVersion, StateKey, StateMap } from '../../core/pdu.ts';
import { isSupportedRoomVersion, stateKeyOf } from '../../core/pdu.ts';
import { computeContentHash, computeEventId } from '../../core/event-hash.ts';
import { redactEvent } from '../../core/redaction.ts';
import { isValidRoomId, isValidUserId } from '../../core/ids.ts';
import { canonicalJson } from '../../core/canonical-json.ts';
import { authStateKeysFor, checkEventAuth } from '../events/auth-rules.ts';
import { resolveStateV2 } from '../events/state-resolution.ts';
import type { RoomCache, RoomHead } from './room-cache.ts';
import type { EventPersister } from './event-persister.ts';
import { MAX_EVENT_BYTES } from './event-persister.ts';
import type { Logger } from '../../logger.ts';
import { KeyedQueue } from '../../core/keyed-queue.ts';

/** Checks the signatures a PDU needs (the sender's server, and an authorising server for restricted joins). */
export interface PduSignatureVerifier {
  verify(pdu: Pdu, version: RoomVersion): Promise<void>;
}

/** Where missing events come from: the server that sent us the event. */
export interface RemoteEventSource {
  getMissingEvents(origin: string, roomId: string, earliest: string[], latest: string[], limit: number): Promise<unknown[]>;
  getEvent(origin: string, eventId: string): Promise<unknown | null>;
  getStateIds(origin: string, roomId: string, eventId: string): Promise<{ pdu_ids: string[]; auth_chain_ids: string[] }>;
}

export type PduVerdict = { ok: true; eventId: string; pdu: Pdu } | { ok: false; reason: string };

const MAX_MISSING_EVENTS = 50;
const MAX_FETCH_DEPTH = 3;

/** Structural checks of a PDU (spec: PDU format for room versions 10/11). */
export function checkPduFormat(raw: unknown): Pdu | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'PDU is not a JSON object';
  const p = raw as Record<string, unknown>;
  const str = (k: string): boolean => typeof p[k] === 'string';
  if (!str('room_id') || !isValidRoomId(p['room_id'] as string)) return "PDU has no valid 'room_id'";
  if (!str('sender') || !isValidUserId(p['sender'] as string)) return "PDU has no valid 'sender'";
  if (!str('type')) return "PDU has no 'type'";
  if (p['state_key'] !== undefined && !str('state_key')) return "PDU 'state_key' is not a string";
  if (typeof p['content'] !== 'object' || p['content'] === null || Array.isArray(p['content'])) return "PDU 'content' is not an object";
  if (!Number.isInteger(p['depth']) || (p['depth'] as number) < 0) return "PDU 'depth' is not a non-negative integer";
  if (!Number.isInteger(p['origin_server_ts'])) return "PDU 'origin_server_ts' is not an integer";
  for (const k of ['prev_events', 'auth_events']) {
    if (!Array.isArray(p[k]) || !(p[k] as unknown[]).every((x) => typeof x === 'string')) return `PDU '${k}' is not a list of event ids`;
  }
  if ((p['auth_events'] as unknown[]).length > 10 || (p['prev_events'] as unknown[]).length > 20) return 'PDU has too many auth or prev events';
  const hashes = p['hashes'] as Record<string, unknown> | undefined;
  if (typeof hashes?.['sha256'] !== 'string') return "PDU has no 'hashes.sha256'";
  if (typeof p['signatures'] !== 'object' || p['signatures'] === null) return "PDU has no 'signatures'";
  try {
    if (Buffer.byteLength(canonicalJson(raw)) > MAX_EVENT_BYTES) return `PDU is over ${MAX_EVENT_BYTES} bytes`;
  } catch (e) {
    return `PDU is not canonical JSON: ${(e as Error).message}`;
  }
  return raw as unknown as Pdu;
}

export class RemoteEventHandler {
  private readonly db: Database;
  private readonly store: EventsStore;
  private readonly cache: RoomCache;
  private readonly streams: StreamCounter;
  private readonly persister: EventPersister;
  private readonly verifier: PduSignatureVerifier;
  private readonly source: RemoteEventSource;
  private readonly logger: Logger;
  /** Placements queued in the current group commit, by event id. */
  private readonly queued = new Map<string, Promise<string | null>>();
  /** One room's events are placed one at a time, in arrival order. */
  private readonly roomQueues = new KeyedQueue();

  constructor(o: { db: Database; store: EventsStore; cache: RoomCache; streams: StreamCounter; persister: EventPersister; verifier: PduSignatureVerifier; source: RemoteEventSource; logger: Logger }) {
    this.db = o.db;
    this.store = o.store;
    this.cache = o.cache;
    this.streams = o.streams;
    this.persister = o.persister;
    this.verifier = o.verifier;
    this.source = o.source;
    this.logger = o.logger;
  }

  /** In the room graph (not only held as an outlier), or queued to be placed in the next commit. */
  private known(eventId: string): boolean {
    if (this.queued.has(eventId)) return true;
    const row = this.store.getEvent(eventId);
    return row !== undefined && row.outlier === 0;
  }

  private knownAnywhere(eventId: string): boolean {
    return this.store.getEvent(eventId) !== undefined;
  }

  /**
   * Format, signature and content-hash checks. A PDU whose hash does not match is redacted (spec:
   * "Checks performed on receipt of a PDU", step 3); a bad signature rejects it.
   */
  async checkPdu(raw: unknown, version: RoomVersion, expectedRoomId?: string): Promise<PduVerdict> {
    const formatted = checkPduFormat(raw);
    if (typeof formatted === 'string') return { ok: false, reason: formatted };
    if (expectedRoomId && formatted.room_id !== expectedRoomId) return { ok: false, reason: 'PDU belongs to another room' };
    let pdu = formatted;
    try {
      await this.verifier.verify(pdu, version);
    } catch (e) {
      return { ok: false, reason: `signature check failed: ${(e as Error).message}` };
    }
    const { unsigned: _unsigned, ...withoutUnsigned } = pdu;
    void _unsigned;
    pdu = withoutUnsigned as Pdu;
    if (computeContentHash(pdu) !== pdu.hashes.sha256) {
      this.logger.info('content hash mismatch: redacting PDU', { room_id: pdu.room_id, sender: pdu.sender });
      pdu = redactEvent(pdu, version);
    }
    return { ok: true, eventId: computeEventId(pdu, version), pdu };
  }



  /**
   * Receives one PDU from `origin` for a room we are in (a transaction's PDU, a send_join or a
   * send_leave). Resolves with the event id, or throws with the reason it was refused.
   */
  async receive(origin: string, raw: unknown): Promise<{ eventId: string; rejected: string | null }> {
    const [r] = await this.receiveBatch(origin, [raw]);
    if (!r || 'error' in r) throw new Error(r?.error ?? 'PDU refused');
    return r;
  }

  /**
   * Receives PDUs of one transaction, placing each room's events in the given order. Checks run in
   * parallel; the placements are queued without waiting for each commit, so a transaction's events
   * share one durable commit instead of one fsync each. Resolves once all are committed.
   */
  async receiveBatch(origin: string, raws: unknown[]): Promise<({ eventId: string; rejected: string | null } | { error: string })[]> {
    type Checked = { error: string } | { head: RoomHead; verdict: { eventId: string; pdu: Pdu } };
    type Outcome = { eventId: string; rejected: string | null } | { error: string };
    const checked = await Promise.all(raws.map(async (raw): Promise<Checked> => {
      const roomId = typeof raw === 'object' && raw !== null ? (raw as { room_id?: unknown }).room_id : undefined;
      if (typeof roomId !== 'string') return { error: 'PDU has no room_id' };
      const head = this.cache.head(roomId);
      if (!head) return { error: `room ${roomId} is not known to this server` };
      const verdict = await this.checkPdu(raw, head.version, roomId);
      return verdict.ok ? { head, verdict } : { error: verdict.reason };
    }));
    const outcomes = checked.map((c): Promise<Outcome> => {
      if ('error' in c) return Promise.resolve({ error: c.error });
      const { head, verdict } = c;
      return this.roomQueues.run(head.roomId, () => this.place(origin, head, verdict.eventId, verdict.pdu, 0))
        .then((placed) => placed.committed.then((rejected): Outcome => ({ eventId: verdict.eventId, rejected })))
        .catch((e: unknown): Outcome => ({ error: (e as Error).message }));
    });
    return Promise.all(outcomes);
  }

  /**
   * Places an event this server built and signed but could not store at once (an invite
   * countersigned by the invitee's server). Its prev events are ours; other servers are told of it.
   */
  async placeLocal(eventId: string, pdu: Pdu): Promise<void> {
    const head = this.cache.head(pdu.room_id);
    if (!head) throw new Error(`room ${pdu.room_id} is not known to this server`);
    const rejected = await this.roomQueues.run(pdu.room_id, () => this.db.write((tx) => this.persistInTx(tx, head, eventId, pdu, new Map(), 'local')));
    if (rejected) throw new Error(`event refused: ${rejected}`);
  }

  /**
   * Fetches what the event needs, then queues its placement. Resolves as soon as the write is
   * queued (the room's next event may be queued in the same commit); `committed` settles with the
   * commit.
   */
  private async place(origin: string, head: RoomHead, eventId: string, pdu: Pdu, depth: number): Promise<{ committed: Promise<string | null> }> {
    const existing = this.store.getEvent(eventId);
    if (existing && existing.outlier === 0) return { committed: Promise.resolve(existing.rejected) };
    const queued = this.queued.get(eventId);
    if (queued) return { committed: queued };
    await this.ensureAuthEvents(origin, head, pdu, depth);
    const overrides = await this.ensurePrevEvents(origin, head, eventId, pdu, depth);
    const committed = this.db.write((tx) => this.persistInTx(tx, head, eventId, pdu, overrides));
    this.queued.set(eventId, committed);
    const forget = (): void => {
      this.queued.delete(eventId);
    };
    committed.then(forget, forget);
    return { committed };
  }

  /** Fetches auth events we lack (and theirs), storing them as outliers after checking them. */
  private async ensureAuthEvents(origin: string, head: RoomHead, pdu: Pdu, depth: number): Promise<void> {
    for (const id of pdu.auth_events) {
      if (this.knownAnywhere(id)) continue;
      if (depth > MAX_FETCH_DEPTH * 10) throw new Error('auth chain too deep to fetch');
      const raw = await this.source.getEvent(origin, id);
      const v = raw ? await this.checkPdu(raw, head.version, head.roomId) : { ok: false as const, reason: 'not found' };
      if (!v.ok || v.eventId !== id) throw new Error(`auth event ${id} could not be fetched: ${v.ok ? 'id mismatch' : v.reason}`);
      await this.ensureAuthEvents(origin, head, v.pdu, depth + 1);
      await this.db.write(() => this.store.insertOutlier(id, head.roomId, JSON.stringify(v.pdu), this.authAgainstAuthEvents(v.pdu, head.version)));
    }
  }

  /**
   * Makes sure every prev event is in the graph: asks `origin` for the gap (get_missing_events);
   * where that does not close it, takes the state at the missing event from `origin` (state_ids).
   * Returns those states for the persist step.
   */
  private async ensurePrevEvents(origin: string, head: RoomHead, eventId: string, pdu: Pdu, depth: number): Promise<Map<string, StateMap>> {
    const overrides = new Map<string, StateMap>();
    let missing = pdu.prev_events.filter((id) => !this.known(id));
    if (missing.length === 0) return overrides;
    if (depth < MAX_FETCH_DEPTH) {
      try {
        const raws = await this.source.getMissingEvents(origin, head.roomId, head.extremities, [eventId], MAX_MISSING_EVENTS);
        const checked: { eventId: string; pdu: Pdu }[] = [];
        for (const r of raws) {
          const v = await this.checkPdu(r, head.version, head.roomId);
          if (v.ok && !this.known(v.eventId)) checked.push(v);
        }
        checked.sort((a, b) => a.pdu.depth - b.pdu.depth);
        for (const c of checked) await this.place(origin, head, c.eventId, c.pdu, depth + 1);
      } catch (e) {
        this.logger.info('get_missing_events failed', { room_id: head.roomId, origin, error: (e as Error).message });
      }
    }
    missing = pdu.prev_events.filter((id) => !this.known(id));
    for (const prevId of missing) {
      const ids = await this.source.getStateIds(origin, head.roomId, prevId);
      // The state before the missing event, its auth chain, and the event itself. An event that
      // cannot be fetched or fails its checks is left out of the state (as Synapse does): it may be
      // from a server we do not federate with, and need not stop the room for us.
      const fetched: { eventId: string; pdu: Pdu }[] = [];
      for (const id of new Set([...ids.auth_chain_ids, ...ids.pdu_ids, prevId])) {
        if (this.knownAnywhere(id)) continue;
        const raw = await this.source.getEvent(origin, id).catch(() => null);
        const v = raw ? await this.checkPdu(raw, head.version, head.roomId) : { ok: false as const, reason: 'not found' };
        if (!v.ok || v.eventId !== id) {
          this.logger.info('leaving out a state event that could not be fetched', { room_id: head.roomId, event_id: id, origin, reason: v.ok ? 'id mismatch' : v.reason });
          continue;
        }
        fetched.push(v);
      }
      // Each is checked against its own auth events, auth events first (spec: an outlier that fails
      // its auth events is rejected and takes no part in the state).
      fetched.sort((a, b) => a.pdu.depth - b.pdu.depth);
      if (fetched.length > 0) {
        await this.db.write(() => {
          for (const f of fetched) this.store.insertOutlier(f.eventId, head.roomId, JSON.stringify(f.pdu), this.authAgainstAuthEvents(f.pdu, head.version));
        });
      }
      const state: StateMap = new Map();
      // The missing event itself is part of the state after it when it is a state event.
      for (const id of [...ids.pdu_ids, prevId]) {
        const ev = this.cache.event(id);
        if (ev?.state_key !== undefined && ev.room_id === head.roomId && !this.store.isRejected(id)) state.set(stateKeyOf(ev.type, ev.state_key), id);
      }
      overrides.set(prevId, state);
    }
    return overrides;
  }

  private authMapFromIds(ids: Iterable<string>): Map<StateKey, Pdu> {
    const m = new Map<StateKey, Pdu>();
    for (const id of ids) {
      const ev = this.cache.event(id);
      if (ev && ev.state_key !== undefined && !this.store.isRejected(id)) m.set(stateKeyOf(ev.type, ev.state_key), ev);
    }
    return m;
  }

  /** Auth against the event's own auth events; null when allowed, else the reason. */
  private authAgainstAuthEvents(pdu: Pdu, version: RoomVersion): string | null {
    const authMap = new Map<StateKey, Pdu>();
    for (const id of pdu.auth_events) {
      const ev = this.cache.event(id);
      if (!ev) return `auth event ${id} is missing`;
      if (this.store.isRejected(id)) return `auth event ${id} was rejected`;
      if (ev.room_id !== pdu.room_id) return `auth event ${id} is from another room`;
      if (ev.state_key === undefined) return `auth event ${id} is not a state event`;
      const key = stateKeyOf(ev.type, ev.state_key);
      if (authMap.has(key)) return `auth events hold two ${ev.type} events`;
      authMap.set(key, ev);
    }
    const v = checkEventAuth(pdu, authMap, version);
    return v.ok ? null : v.reason;
  }

  private stateAfterEvent(eventId: string, overrides: Map<string, StateMap>): StateMap {
    const o = overrides.get(eventId);
    if (o) return o;
    const row = this.store.getEvent(eventId);
    if (!row || row.state_group_after === null) return new Map();
    return this.cache.stateGroup(row.state_group_after);
  }

  private authChain(ids: string[]): Set<string> {
    const out = new Set<string>();
    const stack = [...ids];
    while (stack.length) {
      const id = stack.pop()!;
      const ev = this.cache.event(id);
      if (!ev) continue;
      for (const a of ev.auth_events) {
        if (!out.has(a)) {
          out.add(a);
          stack.push(a);
        }
      }
    }
    return out;
  }

  /** State resolution v2 over several states of the room. */
  resolve(version: RoomVersion, states: StateMap[]): StateMap {
    if (states.length === 1) return states[0]!;
    return resolveStateV2(states, (id) => this.cache.event(id), (ids) => this.authChain(ids), version, { isRejected: (id) => this.store.isRejected(id) });
  }

  /** The synchronous part: auth checks, state groups, extremities, current state, notification. */
  private persistInTx(tx: WriteTx, head: RoomHead, eventId: string, pdu: Pdu, overrides: Map<string, StateMap>, origin: 'local' | 'remote' = 'remote'): string | null {
    const existing = this.store.getEvent(eventId);
    if (existing && existing.outlier === 0) return existing.rejected;
    const version = head.version;
    let rejected = this.authAgainstAuthEvents(pdu, version);
    const prevStates = pdu.prev_events.map((id) => this.stateAfterEvent(id, overrides));
    const stateBefore = this.resolve(version, prevStates.length ? prevStates : [new Map()]);
    if (!rejected) {
      const v = checkEventAuth(pdu, this.authMapFromIds(authStateKeysFor(pdu, version).map((k) => stateBefore.get(k)).filter((x): x is string => !!x)), version);
      if (!v.ok) rejected = `not allowed by the state before it: ${v.reason}`;
    }
    let softFailed = false;
    if (!rejected) {
      const v = checkEventAuth(pdu, this.authMapFromIds(authStateKeysFor(pdu, version).map((k) => head.state.get(k)).filter((x): x is string => !!x)), version);
      softFailed = !v.ok;
    }
    const pos = this.streams.next();
    const groupBefore = this.groupFor(head.roomId, stateBefore, pdu.prev_events, overrides);
    let groupAfter = groupBefore;
    let stateAfter = stateBefore;
    const key = pdu.state_key !== undefined ? stateKeyOf(pdu.type, pdu.state_key) : undefined;
    if (key && !rejected) {
      stateAfter = new Map(stateBefore);
      stateAfter.set(key, eventId);
      const after = stateAfter;
      groupAfter = this.store.insertStateGroup(head.roomId, groupBefore, new Map([[key, eventId]]), () => after);
      this.cache.rememberStateGroup(groupAfter, after);
      const g = groupAfter;
      tx.onRollback(() => this.cache.forgetStateGroup(g));
    }
    this.store.insertEvent({
      stream_pos: pos, event_id: eventId, room_id: pdu.room_id, type: pdu.type, state_key: pdu.state_key ?? null, sender: pdu.sender,
      depth: pdu.depth, origin_server_ts: pdu.origin_server_ts, json: JSON.stringify(pdu), state_group_before: groupBefore, state_group_after: groupAfter,
      txn_user: null, txn_device: null, txn_id: null, rejected: rejected ?? (softFailed ? 'soft-failed' : null),
      replaces_state: key ? (stateBefore.get(key) ?? null) : null,
    });
    this.cache.rememberEvent(eventId, pdu);
    tx.onRollback(() => this.cache.forgetEvent(eventId));
    if (rejected || softFailed) {
      this.logger.info(rejected ? 'rejected PDU' : 'soft-failed PDU', { room_id: pdu.room_id, event_id: eventId, reason: rejected ?? 'not allowed by current state' });
      return rejected ?? 'soft-failed';
    }
    // The event becomes a forward extremity; the events it points to no longer are.
    const prev = new Set(pdu.prev_events);
    const extremities = [...head.extremities.filter((id) => !prev.has(id)), eventId];
    const extremityStates = extremities.map((id) => (id === eventId ? stateAfter : this.stateAfterEvent(id, overrides)));
    const newCurrent = extremities.length === 1 ? stateAfter : this.resolve(version, extremityStates);
    const prevMembership = pdu.type === 'm.room.member' ? this.store.membership(head.roomId, pdu.state_key!)?.membership : undefined;
    this.applyCurrentState(tx, head, newCurrent, pos, {
      extremities, depth: Math.max(head.depth, pdu.depth),
      stateGroup: newCurrent === stateAfter ? groupAfter : this.groupFor(head.roomId, newCurrent, [], overrides),
    });
    this.store.setForwardExtremities(head.roomId, extremities);
    this.store.setCurrentStateGroup(head.roomId, head.stateGroup);
    this.persister.announce(tx, { eventId, pdu, streamPos: pos, prevMembership, origin });
    return null;
  }

  /** A state group holding exactly `state`, reusing the group of a prev event when it matches. */
  private groupFor(roomId: string, state: StateMap, prevEvents: string[], overrides: Map<string, StateMap>): number | null {
    for (const id of prevEvents) {
      if (overrides.has(id)) continue;
      const row = this.store.getEvent(id);
      if (row?.state_group_after != null && this.cache.stateGroup(row.state_group_after) === state) return row.state_group_after;
    }
    if (state.size === 0) return null;
    return this.store.insertStateGroup(roomId, null, state, () => state);
  }

  /** Moves the room's current state to `next`, updating the current_state and membership tables. */
  private applyCurrentState(tx: WriteTx, head: RoomHead, next: StateMap, pos: number, change: { extremities: string[]; depth: number; stateGroup: number | null }): void {
    const prev = new Map(head.state);
    const changed: [StateKey, string][] = [];
    for (const [k, id] of next) if (prev.get(k) !== id) changed.push([k, id]);
    const removed = [...prev.keys()].filter((k) => !next.has(k));
    for (const [, id] of changed) {
      const ev = this.cache.event(id)!;
      this.store.setCurrentState(head.roomId, ev.type, ev.state_key!, id);
      if (ev.type === 'm.room.member') {
        this.store.setMembership({ room_id: head.roomId, user_id: ev.state_key!, membership: String(ev.content['membership']), event_id: id, stream_pos: pos });
      }
    }
    for (const k of removed) {
      const i = k.indexOf('\u0000');
      this.db.run('DELETE FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?', head.roomId, k.slice(0, i), k.slice(i + 1));
    }
    head.state.clear();
    for (const [k, v] of next) head.state.set(k, v);
    const before = { extremities: head.extremities, depth: head.depth, stateGroup: head.stateGroup };
    head.extremities = change.extremities;
    head.depth = change.depth;
    head.stateGroup = change.stateGroup;
    tx.onRollback(() => {
      head.state.clear();
      for (const [k, v] of prev) head.state.set(k, v);
      head.extremities = before.extremities;
      head.depth = before.depth;
      head.stateGroup = before.stateGroup;
    });
  }

  /**
   * Creates our copy of a room we joined on another server (send_join response): the state and
   * auth chain are checked and stored, then the join event is placed on top of that state.
   */
  async persistJoinedRoom(origin: string, roomId: string, version: RoomVersion, joinEventId: string, joinPdu: Pdu, state: unknown[], authChain: unknown[]): Promise<void> {
    if (!isSupportedRoomVersion(version)) throw new Error(`room version ${version} is not supported`);
    const checked = new Map<string, Pdu>();
    for (const raw of [...authChain, ...state]) {
      const v = await this.checkPdu(raw, version, roomId);
      if (!v.ok) {
        this.logger.info('dropping a send_join state event', { room_id: roomId, reason: v.reason });
        continue;
      }
      checked.set(v.eventId, v.pdu);
    }
    const stateIds: string[] = [];
    for (const raw of state) {
      const id = typeof raw === 'object' && raw !== null ? computeEventIdSafe(raw as Pdu, version) : null;
      if (id && checked.has(id)) stateIds.push(id);
    }
    await this.db.write((tx) => {
      if (!this.store.getRoom(roomId)) {
        const create = [...checked.values()].find((p) => p.type === 'm.room.create' && p.state_key === '');
        if (!create) throw new Error('send_join response has no m.room.create event');
        this.store.insertRoom({ room_id: roomId, room_version: version, creator: create.sender, created_ts: create.origin_server_ts, is_public: 0 });
      }
      // Store everything as outliers in auth order so the auth checks below find their auth events.
      const ordered = [...checked.entries()].sort((a, b) => a[1].depth - b[1].depth);
      for (const [id, pdu] of ordered) this.store.insertOutlier(id, roomId, JSON.stringify(pdu), null);
      for (const [id, pdu] of ordered) this.cache.rememberEvent(id, pdu);
      for (const [id, pdu] of ordered) {
        const reason = this.authAgainstAuthEvents(pdu, version);
        if (reason) this.store.setRejected(id, reason);
      }
      const stateMap: StateMap = new Map();
      for (const id of stateIds) {
        const p = checked.get(id)!;
        if (!this.store.isRejected(id)) stateMap.set(stateKeyOf(p.type, p.state_key!), id);
      }
      // Our copy of the room starts from the state the resident server gave us.
      const statePos = this.streams.next();
      for (const id of stateMap.values()) {
        const ev = this.cache.event(id)!;
        this.store.setCurrentState(roomId, ev.type, ev.state_key!, id);
        if (ev.type === 'm.room.member') this.store.setMembership({ room_id: roomId, user_id: ev.state_key!, membership: String(ev.content['membership']), event_id: id, stream_pos: statePos });
      }
      // The joining event is checked against the room's state as the resident server gave it.
      const head: RoomHead = { roomId, version, state: new Map(stateMap), extremities: [], depth: 0, stateGroup: null };
      this.cache.addHead(head, tx);
      const prevOverrides = new Map<string, StateMap>(joinPdu.prev_events.map((p) => [p, stateMap]));
      this.persistInTx(tx, head, joinEventId, joinPdu, prevOverrides);
      void origin;
    });
  }
}

function computeEventIdSafe(pdu: Pdu, version: RoomVersion): string | null {
  try {
    return computeEventId(pdu, version);
  } catch {
    return null;
  }
}

