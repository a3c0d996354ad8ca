// Which users each local user must re-query keys for (/sync device_lists, /keys/changes). Changes
// are fanned out when they happen into a per-recipient stream: a user's key change goes to every
// local user sharing a room with them (and to themselves); a membership change tells both sides when
// two users start sharing a room (`changed`) or no longer share any (`left`).
//
// Membership is judged over all joined rooms, not only encrypted ones, as the spec's note on
// device_lists allows and Synapse does: telling a client too often is harmless, and it keeps the
// lists right when a room turns encryption on after people joined.
import type { Database, WriteTx } from '../../storage/database.ts';
import type { E2eeStore } from '../../storage/e2ee-store.ts';
import type { StreamCounter } from '../../storage/streams.ts';
import type { Logger } from '../../logger.ts';

/** What this module needs to know about room membership (EventsStore provides it). */
export interface RoomMembership {
  usersSharingRoomWith(userId: string): string[];
  membersOfRoom(roomId: string, membership?: string): { user_id: string }[];
  membershipsOfUser(userId: string): { room_id: string; membership: string }[];
}

export interface DeviceListDeps {
  db: Database;
  store: E2eeStore;
  streams: StreamCounter;
  notifier: { notify(userIds: Iterable<string>): void };
  rooms: RoomMembership;
  isLocalUser(userId: string): boolean;
  logger: Logger;
}

export class DeviceListService {
  private readonly d: DeviceListDeps;

  constructor(deps: DeviceListDeps) {
    this.d = deps;
  }

  /**
   * Inside a write: records that these users' devices or keys changed, for every local user who
   * shares a room with them and for themselves. Wakes those users after the commit.
   */
  markChanged(tx: WriteTx, userIds: Iterable<string>): void {
    const pos = this.d.streams.next();
    const notify = new Set<string>();
    for (const userId of userIds) {
      const recipients = new Set(this.d.rooms.usersSharingRoomWith(userId).filter((u) => this.d.isLocalUser(u)));
      if (this.d.isLocalUser(userId)) recipients.add(userId);
      for (const r of recipients) {
        this.d.store.insertDeviceListChange(r, pos, userId, 'changed');
        notify.add(r);
      }
    }
    tx.afterCommit(() => this.d.notifier.notify(notify));
  }

  /** Inside a write: tells only `recipient` that `userId`'s keys changed (recipient signed them). */
  markChangedFor(tx: WriteTx, recipient: string, userIds: Iterable<string>): void {
    const pos = this.d.streams.next();
    for (const u of userIds) this.d.store.insertDeviceListChange(recipient, pos, u, 'changed');
    tx.afterCommit(() => this.d.notifier.notify([recipient]));
  }

  /** Records a device added or deleted outside any write of ours. */
  async deviceChanged(userId: string): Promise<void> {
    await this.d.db.write((tx) => this.markChanged(tx, [userId]));
  }

  /**
   * Records who starts or stops sharing a room with `userId` now that their membership of `roomId`
   * went from joined to not joined or back. Runs in its own write after the member event committed,
   * judging from the membership as it is then.
   */
  async membershipChanged(roomId: string, userId: string, joined: boolean): Promise<void> {
    await this.d.db.write((tx) => {
      const others = new Set(this.d.rooms.membersOfRoom(roomId, 'join').map((m) => m.user_id));
      others.delete(userId);
      if (others.size === 0) return;
      // Everyone the user shares a joined room with apart from this one.
      const elsewhere = new Set<string>();
      for (const m of this.d.rooms.membershipsOfUser(userId)) {
        if (m.membership !== 'join' || m.room_id === roomId) continue;
        for (const x of this.d.rooms.membersOfRoom(m.room_id, 'join')) elsewhere.add(x.user_id);
      }
      const peers = [...others].filter((u) => !elsewhere.has(u));
      if (peers.length === 0) return;
      const change = joined ? 'changed' : 'left';
      const pos = this.d.streams.next();
      const notify = new Set<string>();
      for (const peer of peers) {
        if (this.d.isLocalUser(peer)) {
          this.d.store.insertDeviceListChange(peer, pos, userId, change);
          notify.add(peer);
        }
        if (this.d.isLocalUser(userId)) {
          this.d.store.insertDeviceListChange(userId, pos, peer, change);
          notify.add(userId);
        }
      }
      tx.afterCommit(() => this.d.notifier.notify(notify));
    });
  }

  /** Users `userId` should re-query (changed) or stop tracking (left) for from < pos <= to. */
  changesFor(userId: string, from: number, to: number): { changed: string[]; left: string[] } {
    const latest = new Map<string, string>();
    for (const r of this.d.store.deviceListChanges(userId, from, to)) latest.set(r.other_user_id, r.change);
    const changed: string[] = [];
    const left: string[] = [];
    for (const [u, c] of latest) (c === 'left' && u !== userId ? left : changed).push(u);
    return { changed: changed.sort(), left: left.sort() };
  }

  hasChanges(userId: string, from: number, to: number): boolean {
    return this.d.store.hasDeviceListChanges(userId, from, to);
  }
}
