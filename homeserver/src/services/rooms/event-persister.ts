// Builds, signs, authorises and stores events created on this server. Everything for one event
// happens inside one database write so prev_events, depth and state stay consistent across
// concurrent senders; listeners learn of the event only after it is durably committed.
import type { Database, WriteTx } from '../../storage/database.ts';
import type { EventsStore } from '../../storage/events-store.ts';
import type { StreamCounter } from '../../storage/streams.ts';
import type { JsonObject, Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import { stateKeyOf } from '../../core/pdu.ts';
import { computeEventId, hashAndSignEvent } from '../../core/event-hash.ts';
import { canonicalJson, CanonicalJsonError } from '../../core/canonical-json.ts';
import type { SigningKey } from '../../core/signing.ts';
import { redactEvent } from '../../core/redaction.ts';
import { authStateKeysFor, checkEventAuth, powerLevelFor, userPowerLevel } from '../events/auth-rules.ts';
import { serverNameOf } from '../../core/ids.ts';
import { badJson, forbidden, notFound, tooLarge } from '../../api/errors.ts';
import type { RoomCache, RoomHead } from './room-cache.ts';
import type { Clock } from '../users/accounts.ts';

export const MAX_EVENT_BYTES = 65_536;

export interface NewEvent {
  roomId: string;
  type: string;
  sender: string;
  content: JsonObject;
  stateKey?: string | undefined;
  /** For m.room.redaction. */
  redacts?: string | undefined;
  txn?: { user: string; device: string; id: string } | undefined;
}

/** What listeners learn about a committed event. */
export interface PersistedEvent {
  eventId: string;
  pdu: Pdu;
  streamPos: number;
  /** Membership of the target before this event, for member events. */
  prevMembership?: string | undefined;
  /** Users whose /sync output this event changes. */
  affectedUsers: string[];
  /** Created here, or received from another server (which must not be sent back out). */
  origin: 'local' | 'remote';
}

type Listener = (e: PersistedEvent) => void;

export class EventPersister {
  private readonly db: Database;
  private readonly store: EventsStore;
  private readonly cache: RoomCache;
  private readonly streams: StreamCounter;
  private readonly clock: Clock;
  private readonly serverName: string;
  private readonly key: SigningKey;
  private readonly listeners: Listener[] = [];

  constructor(opts: { db: Database; store: EventsStore; cache: RoomCache; streams: StreamCounter; clock: Clock; serverName: string; signingKey: SigningKey }) {
    this.db = opts.db;
    this.store = opts.store;
    this.cache = opts.cache;
    this.streams = opts.streams;
    this.clock = opts.clock;
    this.serverName = opts.serverName;
    this.key = opts.signingKey;
  }

  onPersisted(fn: Listener): void {
    this.listeners.push(fn);
  }

  /** Creates and stores one event; resolves with its id once committed. */
  async send(ev: NewEvent): Promise<string> {
    return this.db.write((tx) => this.sendInTx(tx, ev));
  }

  /** Like send(), for use inside an existing write (room creation sends many events in one). */
  sendInTx(tx: WriteTx, ev: NewEvent): string {
    if (ev.txn) {
      const existing = this.store.eventIdForTxn(ev.txn.user, ev.txn.device, ev.txn.id);
      if (existing) return existing;
    }
    const head = this.cache.head(ev.roomId);
    if (!head) throw notFound(`room ${ev.roomId} is not known to this server`);
    const { pdu, eventId } = this.build(head, ev);
    this.persist(tx, head, pdu, eventId, ev.txn);
    return eventId;
  }

  /** Builds the first event of a new room (m.room.create), which has no head yet. */
  createRoomInTx(tx: WriteTx, roomId: string, version: RoomVersion, sender: string, content: JsonObject): string {
    const head: RoomHead = { roomId, version, state: new Map(), extremities: [], depth: 0, stateGroup: null };
    this.cache.addHead(head, tx);
    this.store.insertRoom({ room_id: roomId, room_version: version, creator: sender, created_ts: this.clock.now(), is_public: 0 });
    const { pdu, eventId } = this.build(head, { roomId, type: 'm.room.create', sender, content, stateKey: '' });
    this.persist(tx, head, pdu, eventId, undefined);
    return eventId;
  }

  /**
   * Builds and signs an event on the room's current head without storing it: for events another
   * server must see (or countersign) before we place them, such as invites of remote users.
   */
  buildUnstored(ev: NewEvent): { pdu: Pdu; eventId: string } {
    const head = this.cache.head(ev.roomId);
    if (!head) throw notFound(`room ${ev.roomId} is not known to this server`);
    return this.build(head, ev);
  }

  private build(head: RoomHead, ev: NewEvent): { pdu: Pdu; eventId: string } {
    const partial = { type: ev.type, sender: ev.sender, content: ev.content, ...(ev.stateKey !== undefined ? { state_key: ev.stateKey } : {}) };
    const authState = new Map<StateKey, Pdu>();
    const authEventIds: string[] = [];
    if (ev.type !== 'm.room.create') {
      for (const key of authStateKeysFor(partial, head.version)) {
        const id = head.state.get(key);
        if (!id) continue;
        const pdu = this.cache.event(id);
        if (!pdu) continue;
        authState.set(key, pdu);
        authEventIds.push(id);
      }
    }
    const unsignedPdu: Omit<Pdu, 'hashes' | 'signatures'> = {
      auth_events: authEventIds,
      content: ev.content,
      depth: Math.min(head.depth + 1, Number.MAX_SAFE_INTEGER),
      origin_server_ts: this.clock.now(),
      prev_events: head.extremities.slice(0, 10),
      room_id: ev.roomId,
      sender: ev.sender,
      type: ev.type,
      ...(ev.stateKey !== undefined ? { state_key: ev.stateKey } : {}),
      // Room versions up to 10 carry `redacts` at the top level; v11 moved it into content.
      ...(ev.redacts !== undefined && head.version !== '11' ? { redacts: ev.redacts } : {}),
    };
    let pdu: Pdu;
    try {
      pdu = hashAndSignEvent(unsignedPdu, head.version, this.serverName, this.key);
    } catch (e) {
      if (e instanceof CanonicalJsonError) throw badJson(`event content is not valid canonical JSON: ${e.message}`);
      throw e;
    }
    const size = Buffer.byteLength(canonicalJson(pdu));
    if (size > MAX_EVENT_BYTES) throw tooLarge(`event is ${size} bytes, over the limit of ${MAX_EVENT_BYTES} bytes`);
    const verdict = checkEventAuth(pdu, authState, head.version);
    if (!verdict.ok) throw forbidden(verdict.reason);
    return { pdu, eventId: computeEventId(pdu, head.version) };
  }

  private persist(tx: WriteTx, head: RoomHead, pdu: Pdu, eventId: string, txn: NewEvent['txn']): void {
    const pos = this.streams.next();
    const isState = pdu.state_key !== undefined;
    const key = isState ? stateKeyOf(pdu.type, pdu.state_key!) : undefined;
    const groupBefore = head.stateGroup;
    let groupAfter = groupBefore;
    if (key) {
      const delta = new Map<StateKey, string>([[key, eventId]]);
      const full = (): Map<StateKey, string> => new Map([...head.state, [key, eventId]]);
      // Not cached here: copying the whole state for every state event is O(n) per join. Groups are
      // loaded on demand (history checks, federation) and cached then.
      groupAfter = this.store.insertStateGroup(head.roomId, groupBefore, delta, full);
      const created = groupAfter;
      // Row ids are reused after a rollback, so a rolled-back group must not stay cached.
      tx.onRollback(() => this.cache.forgetStateGroup(created));
    }
    this.store.insertEvent({
      stream_pos: pos, event_id: eventId, room_id: pdu.room_id, type: pdu.type, state_key: pdu.state_key ?? null,
      sender: pdu.sender, depth: pdu.depth, origin_server_ts: pdu.origin_server_ts, json: JSON.stringify(pdu),
      state_group_before: groupBefore, state_group_after: groupAfter,
      replaces_state: key ? (head.state.get(key) ?? null) : null,
      txn_user: txn?.user ?? null, txn_device: txn?.device ?? null, txn_id: txn?.id ?? null,
    });
    this.cache.rememberEvent(eventId, pdu);
    tx.onRollback(() => this.cache.forgetEvent(eventId));

    let prevMembership: string | undefined;
    if (key) {
      this.store.setCurrentState(pdu.room_id, pdu.type, pdu.state_key!, eventId);
      if (pdu.type === 'm.room.member') {
        prevMembership = this.store.membership(pdu.room_id, pdu.state_key!)?.membership;
        this.store.setMembership({ room_id: pdu.room_id, user_id: pdu.state_key!, membership: String(pdu.content['membership']), event_id: eventId, stream_pos: pos });
      }
    }
    // prev_events are at most 10 of the extremities; any others stay extremities.
    const referenced = new Set(pdu.prev_events);
    const extremities = [...head.extremities.filter((id) => !referenced.has(id)), eventId];
    this.store.setForwardExtremities(pdu.room_id, extremities);
    this.store.setCurrentStateGroup(pdu.room_id, groupAfter);
    this.cache.update(head, tx, { extremities, depth: pdu.depth, stateGroup: groupAfter, ...(key ? { state: [key, eventId] as [StateKey, string] } : {}) });

    this.announce(tx, { eventId, pdu, streamPos: pos, prevMembership, origin: 'local' });
  }

  /**
   * The steps shared by local and remote events once stored: apply a redaction, and tell listeners
   * (sync wake-ups, appservices, E2EE device tracking, federation) after the commit.
   */
  announce(tx: WriteTx, e: Omit<PersistedEvent, 'affectedUsers'>): void {
    const { pdu, eventId } = e;
    const head = this.cache.head(pdu.room_id);
    const redacts = pdu.type === 'm.room.redaction' ? (pdu.redacts ?? (pdu.content['redacts'] as string | undefined)) : undefined;
    if (redacts && head) this.applyRedaction(tx, head.version, eventId, redacts, pdu);
    const affected = new Set(this.store.membersOfRoom(pdu.room_id, 'join').map((m) => m.user_id));
    for (const m of this.store.membersOfRoom(pdu.room_id, 'invite')) affected.add(m.user_id);
    if (pdu.type === 'm.room.member') affected.add(pdu.state_key!);
    const persisted: PersistedEvent = { ...e, affectedUsers: [...affected] };
    tx.afterCommit(() => {
      for (const l of this.listeners) l(persisted);
    });
  }

  /**
   * Redacts the target now if the spec's "before applying" rule holds: the redaction's sender has
   * redact power, or is on the same server as the target's sender. We prune at once rather than after
   * a retention period: Peerline keeps no more than it must.
   */
  private applyRedaction(tx: WriteTx, version: RoomVersion, redactionId: string, targetId: string, redaction: Pdu): void {
    this.store.insertRedaction(targetId, redactionId);
    const row = this.store.getEvent(targetId);
    if (!row || row.room_id !== redaction.room_id || row.redacted_by) return;
    const target = JSON.parse(row.json) as Pdu;
    if (!this.mayApplyRedaction(redaction, target)) return;
    this.store.markRedacted(targetId, redactionId, JSON.stringify(redactEvent(target, version)));
    this.cache.forgetEvent(targetId);
    tx.onRollback(() => this.cache.forgetEvent(targetId));
  }

  private mayApplyRedaction(redaction: Pdu, target: Pdu): boolean {
    if (serverNameOf(target.sender) === serverNameOf(redaction.sender)) return true;
    const head = this.cache.head(redaction.room_id);
    if (!head) return false;
    const authState = new Map<StateKey, Pdu>();
    for (const k of [stateKeyOf('m.room.create', ''), stateKeyOf('m.room.power_levels', '')]) {
      const id = head.state.get(k);
      const ev = id ? this.cache.event(id) : undefined;
      if (ev) authState.set(k, ev);
    }
    return userPowerLevel(redaction.sender, authState) >= powerLevelFor('redact', authState);
  }
}
