// Which users each local user must re-query keys for (/sync device_lists, /keys/changes). Changes
// are fanned out when they happen into a per-recipient stream: a user's key change goes to every
// local user sharing a room with them (and to themselves). Membership changes are read from the
// membership table at sync time: two users who start sharing a room see each other in `changed`,
// and in `left` once they share none.
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
  membershipChangesSeenBy(userId: string, from: number, to: number): { others: { user_id: string; membership: string }[]; own: { room_id: string; membership: string }[] };
  membersOfRoom(roomId: string, membership?: string): readonly { user_id: string }[];
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

/** Told, inside the write, which local users' devices or keys changed (federation announces them). */
export type LocalChangeListener = (tx: WriteTx, localUserIds: string[]) => void;

export class DeviceListService {
  private readonly d: DeviceListDeps;
  private readonly localChange: LocalChangeListener[] = [];

  constructor(deps: DeviceListDeps) {
    this.d = deps;
  }

  onLocalChange(fn: LocalChangeListener): void {
    this.localChange.push(fn);
  }

  /**
   * Inside a write: records that these users' devices or keys changed, for every local user who
   * shares a room with them and for themselves. Wakes those users after the commit.
   */
  markChanged(tx: WriteTx, userIds: Iterable<string>): void {
    const pos = this.d.streams.next();
    const notify = new Set<string>();
    const users = [...userIds];
    for (const userId of users) {
      const recipients = new Set(this.d.rooms.usersSharingRoomWith(userId).filter((u) => this.d.isLocalUser(u)));
      if (this.d.isLocalUser(userId)) recipients.add(userId);
      for (const r of recipients) {
        this.d.store.insertDeviceListChange(r, pos, userId, 'changed');
        notify.add(r);
      }
    }
    tx.afterCommit(() => this.d.notifier.notify(notify));
    const local = users.filter((u) => this.d.isLocalUser(u));
    if (local.length > 0) for (const fn of this.localChange) fn(tx, local);
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

  /** Users `userId` should re-query (changed) or stop tracking (left) for from < pos <= to. */
  changesFor(userId: string, from: number, to: number): { changed: string[]; left: string[] } {
    const latest = new Map<string, string>();
    for (const r of this.d.store.deviceListChanges(userId, from, to)) latest.set(r.other_user_id, r.change);
    // Membership-driven changes are read from the membership table when asked rather than fanned
    // out on every join: a join into a room of n members would otherwise write 2n rows.
    const m = this.d.rooms.membershipChangesSeenBy(userId, from, to);
    if (m.others.length > 0 || m.own.length > 0) {
      let sharing: Set<string> | undefined;
      const stillShares = (u: string): boolean => (sharing ??= new Set(this.d.rooms.usersSharingRoomWith(userId))).has(u);
      // A join means "(re)check their devices"; a leave only matters once no room is shared.
      const note = (u: string, joined: boolean): void => {
        if (joined) latest.set(u, 'changed');
        else if (!stillShares(u)) latest.set(u, 'left');
      };
      for (const o of m.others) note(o.user_id, o.membership === 'join');
      for (const own of m.own) {
        for (const member of this.d.rooms.membersOfRoom(own.room_id, 'join')) {
          if (member.user_id !== userId) note(member.user_id, own.membership === 'join');
        }
      }
    }
    const changed: string[] = [];
    const left: string[] = [];
    for (const [u, c] of latest) (c === 'left' && u !== userId ? left : changed).push(u);
    return { changed: changed.sort(), left: left.sort() };
  }

  hasChanges(userId: string, from: number, to: number): boolean {
    return this.d.store.hasDeviceListChanges(userId, from, to);
  }
}
