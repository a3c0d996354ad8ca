// The E2EE sections /sync gets from this module, and when they make a waiting sync return early.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncResponse } from '../sync/contributor.ts';
import { ALICE, BOB, makeFixture, type Fixture } from './test-fixture.ts';
import { E2eeSyncContributor } from './sync-contributor.ts';

let fx: Fixture;
let contributor: E2eeSyncContributor;
beforeEach(async () => {
  fx = await makeFixture();
  const { keys, deviceLists, toDevice, store } = fx.e2ee;
  contributor = new E2eeSyncContributor({ keys, deviceLists, toDevice, store });
  await fx.addDevice(BOB, 'BDEV');
});
afterEach(() => fx.db.close());

function emptyResponse(): SyncResponse {
  return {
    next_batch: 's0', rooms: { join: {}, invite: {}, leave: {}, knock: {} }, account_data: { events: [] }, presence: { events: [] },
    to_device: { events: [] }, device_lists: { changed: [], left: [] }, device_one_time_keys_count: {}, device_unused_fallback_key_types: [],
  };
}

function sync(since: number | null, deviceId: string | null = 'BDEV'): SyncResponse {
  const res = emptyResponse();
  contributor.contribute({ userId: BOB, deviceId, since, upTo: fx.streams.current }, res);
  return res;
}

const news = (since: number): boolean => contributor.hasNews({ userId: BOB, deviceId: 'BDEV', since, upTo: fx.streams.current });

describe('E2EE sync sections', () => {
  it('always gives the device its key counts, including a zero signed_curve25519, and its unused fallback types', async () => {
    expect(sync(null).device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    await fx.e2ee.keys.upload(BOB, 'BDEV', { one_time_keys: { 'signed_curve25519:K1': { key: 'k' } }, fallback_keys: { 'signed_curve25519:F': { key: 'f' } } });
    const res = sync(null);
    expect(res.device_one_time_keys_count).toEqual({ signed_curve25519: 1 });
    expect(res.device_unused_fallback_key_types).toEqual(['signed_curve25519']);
  });

  it('reports device-list changes only on incremental syncs', async () => {
    await fx.setMembership('!r:hs.test', ALICE, 'join');
    const from = fx.streams.current;
    await fx.setMembership('!r:hs.test', BOB, 'join');
    expect(sync(null).device_lists).toEqual({ changed: [], left: [] });
    expect(sync(from).device_lists).toEqual({ changed: [ALICE], left: [] });
  });

  it('carries to-device messages for the syncing device', async () => {
    await fx.e2ee.toDevice.send(ALICE, 'ADEV', 'm.room_key_request', 't', { [BOB]: { BDEV: { action: 'cancel' } } });
    expect(sync(0).to_device.events).toEqual([{ sender: ALICE, type: 'm.room_key_request', content: { action: 'cancel' } }]);
  });

  it('leaves device sections empty for a token without a device', () => {
    const res = sync(0, null);
    expect(res.to_device.events).toEqual([]);
    expect(res.device_one_time_keys_count).toEqual({});
  });

  it('has news after a to-device message, a claimed key or a device-list change, and none otherwise', async () => {
    let from = fx.streams.current;
    expect(news(from)).toBe(false);
    await fx.e2ee.toDevice.send(ALICE, 'ADEV', 'm.test', 't', { [BOB]: { BDEV: {} } });
    expect(news(from)).toBe(true);

    sync(from);
    await fx.settle();
    from = fx.streams.current;
    sync(from);
    await fx.settle();
    expect(news(from)).toBe(false);

    await fx.e2ee.keys.upload(BOB, 'BDEV', { one_time_keys: { 'signed_curve25519:K1': { key: 'k' } } });
    expect(news(from)).toBe(false);
    await fx.e2ee.keys.claim({ [BOB]: { BDEV: 'signed_curve25519' } }, 0);
    expect(news(from)).toBe(true);

    from = fx.streams.current;
    await fx.e2ee.deviceLists.deviceChanged(BOB);
    expect(news(from)).toBe(true);
  });
});
