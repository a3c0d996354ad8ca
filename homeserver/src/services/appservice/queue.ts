// Fills each appservice's persistent delivery queue from the events table. Rather than trusting the
// after-commit notification alone, every scan reads the events after the appservice's last scanned
// position: a notification lost to a crash between the event's commit and the enqueue is made up by
// the scan at the next start, and the queue always follows stream order.
import type { Database } from '../../storage/database.ts';
import type { AppserviceStore, MemberRow, ScannedEvent } from '../../storage/appservice-store.ts';
import type { EventsStore } from '../../storage/events-store.ts';
import type { Logger } from '../../logger.ts';
import type { Appservice } from './registration.ts';

/** Events examined per write, so a long catch-up does not hold the writer for long. */
const SCAN_BATCH = 500;
const MAX_CACHED_ROOMS = 10_000;

export class AppserviceQueue {
  private readonly db: Database;
  private readonly store: AppserviceStore;
  private readonly events: EventsStore;
  private readonly logger: Logger;
  private readonly appservices: readonly Appservice[];
  private readonly onEnqueued: (appserviceIds: Set<string>) => void;
  /** Per room, per appservice: its interesting local members' membership rows. */
  private readonly members = new Map<string, Map<string, MemberRow[]>>();
  private dirty = false;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(opts: { db: Database; store: AppserviceStore; events: EventsStore; logger: Logger; appservices: readonly Appservice[]; onEnqueued: (ids: Set<string>) => void }) {
    this.db = opts.db;
    this.store = opts.store;
    this.events = opts.events;
    this.logger = opts.logger;
    this.appservices = opts.appservices;
    this.onEnqueued = opts.onEnqueued;
  }

  /** Gives appservices seen for the first time a starting position (they get events from now on). */
  init(): void {
    this.db.transaction(() => {
      for (const as of this.appservices) this.store.ensureState(as.id);
    });
  }

  /** Asks for a scan soon; scans never overlap, and requests made during one cause another. */
  trigger(): void {
    if (this.stopped || this.appservices.length === 0) return;
    this.dirty = true;
    this.running ??= this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Scans until everything committed so far is queued. */
  async drain(): Promise<void> {
    this.trigger();
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      let result: { more: boolean; woken: Set<string> };
      try {
        result = await this.db.write(() => this.scanOnce());
      } catch (e) {
        // The next persisted event (or the next start) scans again from the same position.
        this.logger.error('appservice queue scan failed', { error: (e as Error).message });
        this.members.clear();
        return;
      }
      if (result.woken.size > 0) this.onEnqueued(result.woken);
      if (result.more) this.dirty = true;
    }
  }

  /** Runs inside a write: queues the interesting events after each appservice's position. */
  private scanOnce(): { more: boolean; woken: Set<string> } {
    const positions = this.store.scannedPositions();
    const woken = new Set<string>();
    let from = Infinity;
    for (const as of this.appservices) from = Math.min(from, positions.get(as.id) ?? 0);
    if (from === Infinity) return { more: false, woken };
    const rows = this.store.eventsAfter(from, SCAN_BATCH);
    const aliases = new Map<string, string[]>();
    for (const ev of rows) {
      for (const as of this.appservices) {
        if (ev.stream_pos <= (positions.get(as.id) ?? 0)) continue;
        if (this.isInterested(as, ev, aliases)) {
          this.store.enqueue(as.id, ev.stream_pos);
          woken.add(as.id);
        }
      }
      // Later events of this room must see the membership change.
      if (ev.type === 'm.room.member') this.members.delete(ev.room_id);
    }
    const last = rows[rows.length - 1];
    if (last) for (const as of this.appservices) this.store.setScannedPos(as.id, last.stream_pos);
    return { more: rows.length === SCAN_BATCH, woken };
  }

  /** Synapse's is_interested_in_event: sender, member target, room id, room aliases, joined members. */
  private isInterested(as: Appservice, ev: ScannedEvent, aliases: Map<string, string[]>): boolean {
    if (as.isInterestedInUser(ev.sender)) return true;
    if (ev.type === 'm.room.member' && ev.state_key !== null && as.isInterestedInUser(ev.state_key)) return true;
    if (as.isRoomIdInNamespace(ev.room_id)) return true;
    let roomAliases = aliases.get(ev.room_id);
    if (!roomAliases) {
      roomAliases = this.events.aliasesForRoom(ev.room_id);
      aliases.set(ev.room_id, roomAliases);
    }
    if (roomAliases.some((a) => as.isAliasInNamespace(a))) return true;
    return this.hadJoinedMember(as, ev);
  }

  /** Whether one of the appservice's users was joined to the room as of the event. */
  private hadJoinedMember(as: Appservice, ev: ScannedEvent): boolean {
    const rows = this.interestingMembers(as, ev.room_id);
    // A member whose latest change is at or before the event was in that state at the event.
    for (const r of rows) if (r.membership === 'join' && r.stream_pos <= ev.stream_pos) return true;
    // Members whose membership changed since need their history (rare: a leave racing the scan).
    for (const r of rows) {
      if (r.stream_pos > ev.stream_pos && this.store.membershipAt(ev.room_id, r.user_id, ev.stream_pos) === 'join') return true;
    }
    return false;
  }

  private interestingMembers(as: Appservice, roomId: string): MemberRow[] {
    let byAs = this.members.get(roomId);
    if (!byAs) {
      if (this.members.size >= MAX_CACHED_ROOMS) this.members.clear();
      byAs = new Map();
      this.members.set(roomId, byAs);
    }
    let rows = byAs.get(as.id);
    if (!rows) {
      rows = this.store.roomMembers(roomId).filter((r) => as.isInterestedInUser(r.user_id));
      byAs.set(as.id, rows);
    }
    return rows;
  }
}
