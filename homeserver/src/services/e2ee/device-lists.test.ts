// Who learns of whose device-list changes: key changes fan out to room-sharers and the user, and
// joins/leaves produce `changed`/`left` for pairs of users that start or stop sharing any room.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, BOB, CAROL, REMOTE, makeFixture, type Fixture } from './test-fixture.ts';

let fx: Fixture;
beforeEach(async () => { fx = await makeFixture(); });
afterEach(() => fx.db.close());

const ROOM = '!room:hs.test';
const OTHER = '!other:hs.test';

function since(): number {
  return fx.streams.current;
}

function changes(userId: string, from: number): { changed: string[]; left: string[] } {
  return fx.e2ee.deviceLists.changesFor(userId, from, fx.streams.current);
}

describe('device-list changes', () => {
  it('reports a user\'s new device keys to users sharing a room and to the user, not to strangers', async () => {
    await fx.setMembership(ROOM, ALICE, 'join');
    await fx.setMembership(ROOM, BOB, 'join');
    const from = since();
    await fx.deviceWithKeys(ALICE, 'ADEV');
    expect(changes(BOB, from)).toEqual({ changed: [ALICE], left: [] });
    expect(changes(ALICE, from).changed).toEqual([ALICE]);
    expect(changes(CAROL, from)).toEqual({ changed: [], left: [] });
  });

  it('wakes the users it reports a change to', async () => {
    await fx.setMembership(ROOM, ALICE, 'join');
    await fx.setMembership(ROOM, BOB, 'join');
    fx.notifier.woken.length = 0;
    await fx.e2ee.deviceLists.deviceChanged(ALICE);
    expect(fx.notifier.woken.sort()).toEqual([ALICE, BOB]);
  });

  it('reports both sides as changed when a user joins a room shared with no one before', async () => {
    await fx.setMembership(ROOM, ALICE, 'join');
    const from = since();
    await fx.setMembership(ROOM, BOB, 'join');
    expect(changes(ALICE, from).changed).toEqual([BOB]);
    expect(changes(BOB, from).changed).toEqual([ALICE]);
  });

  it('reports a join as changed even when the users already shared another room (one extra, harmless key query)', async () => {
    await fx.setMembership(OTHER, ALICE, 'join');
    await fx.setMembership(OTHER, BOB, 'join');
    await fx.setMembership(ROOM, ALICE, 'join');
    const from = since();
    await fx.setMembership(ROOM, BOB, 'join');
    expect(changes(ALICE, from)).toEqual({ changed: [BOB], left: [] });
  });

  it('does not report a leave while another room is still shared', async () => {
    await fx.setMembership(OTHER, ALICE, 'join');
    await fx.setMembership(OTHER, BOB, 'join');
    await fx.setMembership(ROOM, ALICE, 'join');
    await fx.setMembership(ROOM, BOB, 'join');
    const from = since();
    await fx.setMembership(ROOM, BOB, 'leave');
    expect(changes(ALICE, from)).toEqual({ changed: [], left: [] });
  });

  it('reports both sides as left when they no longer share any room, but not while another room is shared', async () => {
    await fx.setMembership(ROOM, ALICE, 'join');
    await fx.setMembership(ROOM, BOB, 'join');
    await fx.setMembership(ROOM, CAROL, 'join');
    await fx.setMembership(OTHER, BOB, 'join');
    await fx.setMembership(OTHER, CAROL, 'join');
    const from = since();
    await fx.setMembership(ROOM, BOB, 'leave');
    expect(changes(ALICE, from)).toEqual({ changed: [], left: [BOB] });
    expect(changes(BOB, from)).toEqual({ changed: [], left: [ALICE] });
    expect(changes(CAROL, from)).toEqual({ changed: [], left: [] });
  });

  it('reports the latest state when a user leaves and rejoins within one window', async () => {
    await fx.setMembership(ROOM, ALICE, 'join');
    await fx.setMembership(ROOM, BOB, 'join');
    const from = since();
    await fx.setMembership(ROOM, BOB, 'leave');
    const mid = since();
    await fx.setMembership(ROOM, BOB, 'join');
    expect(changes(ALICE, from)).toEqual({ changed: [BOB], left: [] });
    // Sync always asks up to now; whether rooms are still shared is judged as of now.
    expect(mid).toBeLessThan(fx.streams.current);
  });

  it('records changes only for local recipients, while telling local users about remote ones', async () => {
    await fx.setMembership(ROOM, ALICE, 'join');
    const from = since();
    await fx.setMembership(ROOM, REMOTE, 'join');
    expect(changes(ALICE, from).changed).toEqual([REMOTE]);
    expect(fx.e2ee.store.deviceListChanges(REMOTE, from, fx.streams.current)).toEqual([]);
  });

  it('answers hasChanges only for the window that holds a change', async () => {
    await fx.setMembership(ROOM, ALICE, 'join');
    await fx.setMembership(ROOM, BOB, 'join');
    const from = since();
    expect(fx.e2ee.deviceLists.hasChanges(BOB, from, fx.streams.current)).toBe(false);
    await fx.e2ee.deviceLists.deviceChanged(ALICE);
    expect(fx.e2ee.deviceLists.hasChanges(BOB, from, fx.streams.current)).toBe(true);
    expect(fx.e2ee.deviceLists.hasChanges(BOB, fx.streams.current, fx.streams.current)).toBe(false);
  });
});
