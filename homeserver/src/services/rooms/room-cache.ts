// In-memory view of each room's head: current state, forward extremities, depth and state group.
// Writers change it inside a database write and register an undo, so a rolled-back write leaves the
// cache as it was. Events are cached by id (bounded), since auth checks and sync read them often.
import type { Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import type { EventsStore } from '../../storage/events-store.ts';
import type { WriteTx } from '../../storage/database.ts';

export interface RoomHead {
  roomId: string;
  version: RoomVersion;
  state: Map<StateKey, string>;
  extremities: string[];
  depth: number;
  stateGroup: number | null;
}

export class RoomCache {
  private readonly store: EventsStore;
  private readonly heads = new Map<string, RoomHead>();
  private readonly events = new Map<string, Pdu>();
  private readonly stateGroups = new Map<number, Map<StateKey, string>>();
  private readonly maxEvents: number;
  /** Budget for cached state-group entries (each a key and an event id: ~100 bytes). */
  private readonly maxStateEntries: number;
  private stateGroupEntries = 0;

  constructor(store: EventsStore, maxEvents = 20_000, maxStateEntries = 200_000) {
    this.store = store;
    this.maxEvents = maxEvents;
    this.maxStateEntries = maxStateEntries;
  }

  head(roomId: string): RoomHead | undefined {
    let h = this.heads.get(roomId);
    if (h) return h;
    const room = this.store.getRoom(roomId);
    if (!room) return undefined;
    const extremities = this.store.forwardExtremities(roomId);
    let depth = 0;
    for (const id of extremities) depth = Math.max(depth, this.event(id)?.depth ?? 0);
    h = {
      roomId,
      version: room.room_version as RoomVersion,
      state: this.store.currentState(roomId),
      extremities,
      depth,
      stateGroup: this.store.currentStateGroup(roomId),
    };
    this.heads.set(roomId, h);
    return h;
  }

  /** Registers a new room's head (created inside a write). */
  addHead(head: RoomHead, tx: WriteTx): void {
    this.heads.set(head.roomId, head);
    tx.onRollback(() => this.heads.delete(head.roomId));
  }

  /** Applies a change to a head, undone if the write rolls back. */
  update(head: RoomHead, tx: WriteTx, change: { extremities: string[]; depth: number; stateGroup: number | null; state?: [StateKey, string] }): void {
    const prev = { extremities: head.extremities, depth: head.depth, stateGroup: head.stateGroup };
    const prevState = change.state ? head.state.get(change.state[0]) : undefined;
    head.extremities = change.extremities;
    head.depth = change.depth;
    head.stateGroup = change.stateGroup;
    if (change.state) head.state.set(change.state[0], change.state[1]);
    tx.onRollback(() => {
      head.extremities = prev.extremities;
      head.depth = prev.depth;
      head.stateGroup = prev.stateGroup;
      if (change.state) {
        if (prevState === undefined) head.state.delete(change.state[0]);
        else head.state.set(change.state[0], prevState);
      }
    });
  }

  event(eventId: string): Pdu | undefined {
    let e = this.events.get(eventId);
    if (e) return e;
    const row = this.store.getEvent(eventId);
    if (!row) return undefined;
    e = JSON.parse(row.json) as Pdu;
    this.rememberEvent(eventId, e);
    return e;
  }

  rememberEvent(eventId: string, pdu: Pdu): void {
    if (this.events.size >= this.maxEvents) {
      // Drop the oldest tenth: Map iteration is insertion order.
      let n = Math.ceil(this.maxEvents / 10);
      for (const k of this.events.keys()) {
        this.events.delete(k);
        if (--n === 0) break;
      }
    }
    this.events.set(eventId, pdu);
  }

  forgetEvent(eventId: string): void {
    this.events.delete(eventId);
  }

  stateGroup(groupId: number): Map<StateKey, string> {
    const cached = this.stateGroups.get(groupId);
    if (cached) {
      // Move to the back: Map order is our LRU order.
      this.stateGroups.delete(groupId);
      this.stateGroups.set(groupId, cached);
      return cached;
    }
    const s = this.store.loadStateGroup(groupId);
    this.rememberStateGroup(groupId, s);
    return s;
  }

  forgetStateGroup(groupId: number): void {
    const old = this.stateGroups.get(groupId);
    if (!old) return;
    this.stateGroups.delete(groupId);
    this.stateGroupEntries -= old.size;
  }

  /** Caches a state group, evicting the least recently used ones past the entry budget. */
  rememberStateGroup(groupId: number, state: Map<StateKey, string>): void {
    const old = this.stateGroups.get(groupId);
    if (old) this.stateGroupEntries -= old.size;
    this.stateGroups.set(groupId, state);
    this.stateGroupEntries += state.size;
    for (const [id, m] of this.stateGroups) {
      if (this.stateGroupEntries <= this.maxStateEntries || id === groupId) break;
      this.stateGroups.delete(id);
      this.stateGroupEntries -= m.size;
    }
  }
}
