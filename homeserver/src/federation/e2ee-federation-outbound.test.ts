// What other servers learn of our users' devices: device-list and signing-key updates sent to the
// servers sharing a room with the user (only for real changes, in one numbered sequence per user),
// the /user/devices snapshot, and to-device messages relayed per destination server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, BOB, REMOTE, SERVER, crossSigningKey, crossSigningKeyObject, makeFixture, signJson, type Fixture } from '../services/e2ee/test-fixture.ts';
import { E2eeFederationStore, e2eeFederationMigrations } from '../storage/e2ee-federation-store.ts';
import type { JsonObject } from '../core/pdu.ts';
import { createLogger } from '../logger.ts';
import { OutboundE2ee, type EduSender } from './e2ee-federation-outbound.ts';

const ROOM = '!room:hs.test';
const THIRD = '@tess:third.test';

interface Queued { destinations: string[]; type: string; content: JsonObject }

let fx: Fixture;
let queued: Queued[];
let outbound: OutboundE2ee;
let allowed: (server: string) => boolean;

beforeEach(async () => {
  fx = await makeFixture();
  fx.db.migrate(e2eeFederationMigrations);
  queued = [];
  allowed = () => true;
  const edus: EduSender = { queueEduInTx: (_tx, d, type, content) => queued.push({ destinations: [...d].sort(), type, content }) };
  outbound = new OutboundE2ee({
    store: new E2eeFederationStore(fx.db), e2eeStore: fx.e2ee.store, devices: fx.usersStore,
    usersSharingRoomWith: (u) => fx.eventsStore.usersSharingRoomWith(u), serverName: SERVER, isAllowed: (x) => allowed(x),
    edus: () => edus, logger: createLogger('error', {}, () => {}), shareDeviceNames: true,
  });
  fx.e2ee.deviceLists.onLocalChange((tx, users) => outbound.announceChanges(tx, users));
  fx.e2ee.toDevice.setRemote({ queueInTx: (tx, sender, type, messages) => outbound.queueToDevice(tx, sender, type, messages) });
});
afterEach(() => fx.db.close());

async function inRoomWithOthers(): Promise<void> {
  for (const u of [ALICE, BOB, REMOTE, THIRD]) await fx.setMembership(ROOM, u, 'join');
}

const deviceUpdates = (): JsonObject[] => queued.filter((q) => q.type === 'm.device_list_update').map((q) => q.content);

describe('device-list updates to other servers', () => {
  it('announces a new device with its keys to every other server sharing a room with the user', async () => {
    await inRoomWithOthers();
    const d = await fx.deviceWithKeys(ALICE, 'A1');
    expect(queued).toHaveLength(1);
    expect(queued[0]!.destinations).toEqual(['elsewhere.test', 'third.test']);
    expect(queued[0]!.content).toEqual({ user_id: ALICE, device_id: 'A1', stream_id: 1, prev_id: [0], deleted: false, keys: d.deviceKeys });
  });

  it('numbers a user\'s updates in one sequence, each naming the previous in prev_id', async () => {
    await inRoomWithOthers();
    await fx.deviceWithKeys(ALICE, 'A1');
    await fx.deviceWithKeys(ALICE, 'A2');
    await fx.addDevice(ALICE, 'A3', 'Laptop');
    await fx.e2ee.deviceLists.deviceChanged(ALICE);
    expect(deviceUpdates().map((c) => [c['device_id'], c['stream_id'], c['prev_id']])).toEqual([['A1', 1, [0]], ['A2', 2, [1]], ['A3', 3, [2]]]);
    expect(deviceUpdates()[2]).toMatchObject({ device_display_name: 'Laptop', deleted: false });
    expect(deviceUpdates()[2]!['keys']).toBeUndefined();
  });

  it('sends nothing when a change leaves what other servers see unchanged', async () => {
    await inRoomWithOthers();
    await fx.deviceWithKeys(ALICE, 'A1');
    await fx.e2ee.deviceLists.deviceChanged(ALICE);
    await fx.e2ee.deviceLists.deviceChanged(ALICE);
    expect(queued).toHaveLength(1);
  });

  it('announces a renamed device, and a deleted one as deleted', async () => {
    await inRoomWithOthers();
    await fx.deviceWithKeys(ALICE, 'A1');
    await fx.db.write(() => fx.usersStore.setDeviceDisplayName(ALICE, 'A1', 'Phone'));
    await fx.e2ee.deviceLists.deviceChanged(ALICE);
    await fx.db.write(() => fx.usersStore.deleteDevice(ALICE, 'A1'));
    await fx.e2ee.keys.deviceDeleted(ALICE, 'A1');
    const [, renamed, deleted] = deviceUpdates();
    expect(renamed).toMatchObject({ device_id: 'A1', device_display_name: 'Phone', stream_id: 2, prev_id: [1] });
    expect(deleted).toEqual({ user_id: ALICE, device_id: 'A1', stream_id: 3, prev_id: [2], deleted: true });
  });

  it('announces a device newly signed by the user\'s self-signing key', async () => {
    await inRoomWithOthers();
    const d = await fx.deviceWithKeys(ALICE, 'A1');
    const master = crossSigningKey();
    const ssk = crossSigningKey();
    await fx.e2ee.crossSigning.storeKeys(ALICE, fx.e2ee.crossSigning.parseUpload(ALICE, {
      master_key: crossSigningKeyObject(ALICE, 'master', master),
      self_signing_key: crossSigningKeyObject(ALICE, 'self_signing', ssk, master),
    }));
    queued.length = 0;
    const { signatures: _s, ...unsigned } = d.deviceKeys;
    void _s;
    await fx.e2ee.crossSigning.uploadSignatures(ALICE, { [ALICE]: { A1: signJson(unsigned, ALICE, ssk) as unknown as JsonObject } });
    expect(deviceUpdates()).toHaveLength(1);
    const sigs = (deviceUpdates()[0]!['keys'] as { signatures: Record<string, Record<string, string>> }).signatures[ALICE]!;
    expect(Object.keys(sigs).sort()).toEqual([`ed25519:A1`, ssk.keyId].sort());
  });

  it('announces new cross-signing keys as m.signing_key_update, never the user-signing key', async () => {
    await inRoomWithOthers();
    const master = crossSigningKey();
    await fx.e2ee.crossSigning.storeKeys(ALICE, fx.e2ee.crossSigning.parseUpload(ALICE, {
      master_key: crossSigningKeyObject(ALICE, 'master', master),
      self_signing_key: crossSigningKeyObject(ALICE, 'self_signing', crossSigningKey(), master),
      user_signing_key: crossSigningKeyObject(ALICE, 'user_signing', crossSigningKey(), master),
    }));
    expect(queued.map((q) => q.type)).toEqual(['m.signing_key_update']);
    const c = queued[0]!.content;
    expect(Object.keys(c).sort()).toEqual(['master_key', 'self_signing_key', 'user_id']);
    expect(c['master_key']).toMatchObject({ usage: ['master'], keys: { [master.keyId]: master.publicKeyBase64 } });
  });

  it('keeps counting when no other server shares a room, so /user/devices reports the current position', async () => {
    await fx.setMembership(ROOM, ALICE, 'join');
    await fx.deviceWithKeys(ALICE, 'A1');
    await fx.deviceWithKeys(ALICE, 'A2');
    expect(queued).toEqual([]);
    expect(outbound.snapshot(ALICE).stream_id).toBe(2);
  });

  it('leaves out servers the allow-list does not name', async () => {
    await inRoomWithOthers();
    allowed = (x) => x !== 'third.test';
    await fx.deviceWithKeys(ALICE, 'A1');
    expect(queued[0]!.destinations).toEqual(['elsewhere.test']);
  });

  it('announces nothing for remote users whose lists we cache', async () => {
    await inRoomWithOthers();
    await fx.db.write((tx) => fx.e2ee.deviceLists.markChanged(tx, [REMOTE]));
    expect(queued).toEqual([]);
  });
});

describe('the /user/devices snapshot', () => {
  it('lists every device with its keys and display name, and the master and self-signing keys only', async () => {
    const d = await fx.deviceWithKeys(ALICE, 'A1');
    await fx.addDevice(ALICE, 'A2', 'Tablet');
    const master = crossSigningKey();
    await fx.e2ee.crossSigning.storeKeys(ALICE, fx.e2ee.crossSigning.parseUpload(ALICE, {
      master_key: crossSigningKeyObject(ALICE, 'master', master),
      self_signing_key: crossSigningKeyObject(ALICE, 'self_signing', crossSigningKey(), master),
      user_signing_key: crossSigningKeyObject(ALICE, 'user_signing', crossSigningKey(), master),
    }));
    const snap = outbound.snapshot(ALICE);
    expect(snap.user_id).toBe(ALICE);
    expect(snap.devices).toEqual([{ device_id: 'A1', keys: d.deviceKeys }, { device_id: 'A2', device_display_name: 'Tablet' }]);
    expect(snap.master_key).toMatchObject({ usage: ['master'] });
    expect(snap.self_signing_key).toMatchObject({ usage: ['self_signing'] });
    expect(JSON.stringify(snap)).not.toContain('user_signing');
  });

  it('leaves device names out of what other servers see unless the server is set to share them', async () => {
    await fx.addDevice(ALICE, 'A3', "Alice's phone");
    const private_ = new OutboundE2ee({
      store: new E2eeFederationStore(fx.db), e2eeStore: fx.e2ee.store, devices: fx.usersStore,
      usersSharingRoomWith: (u) => fx.eventsStore.usersSharingRoomWith(u), serverName: SERVER, isAllowed: () => true,
      edus: () => null, logger: createLogger('error', {}, () => {}), shareDeviceNames: false,
    });
    expect(JSON.stringify(private_.snapshot(ALICE))).not.toContain("Alice's phone");
    expect(JSON.stringify(outbound.snapshot(ALICE))).toContain("Alice's phone");
  });
});

describe('to-device messages for other servers', () => {
  it('relays them as one m.direct_to_device per destination server and stores local ones as before', async () => {
    await fx.addDevice(BOB, 'B1');
    await fx.e2ee.toDevice.send(ALICE, 'A1', 'm.room.encrypted', 't1', {
      [REMOTE]: { D1: { c: 1 } }, '@erin:elsewhere.test': { '*': { c: 2 } }, [THIRD]: { T1: { c: 3 } }, [BOB]: { B1: { c: 4 } },
    });
    expect(queued.map((q) => q.destinations)).toEqual([['elsewhere.test'], ['third.test']]);
    const [toElsewhere, toThird] = queued.map((q) => q.content);
    expect(toElsewhere).toMatchObject({ sender: ALICE, type: 'm.room.encrypted', messages: { [REMOTE]: { D1: { c: 1 } }, '@erin:elsewhere.test': { '*': { c: 2 } } } });
    expect(toThird).toMatchObject({ sender: ALICE, type: 'm.room.encrypted', messages: { [THIRD]: { T1: { c: 3 } } } });
    expect(typeof toElsewhere!['message_id']).toBe('string');
    expect(toElsewhere!['message_id']).not.toBe(toThird!['message_id']);
    expect(fx.e2ee.toDevice.forSync(BOB, 'B1', null, fx.streams.current)).toEqual([{ sender: ALICE, type: 'm.room.encrypted', content: { c: 4 } }]);
  });

  it('relays a retried request only once', async () => {
    await fx.e2ee.toDevice.send(ALICE, 'A1', 'm.test', 't1', { [REMOTE]: { D1: { c: 1 } } });
    await fx.e2ee.toDevice.send(ALICE, 'A1', 'm.test', 't1', { [REMOTE]: { D1: { c: 1 } } });
    expect(queued).toHaveLength(1);
  });

  it('stores a relayed message for our user\'s devices once per message id and wakes the user', async () => {
    await fx.addDevice(BOB, 'B1');
    await fx.addDevice(BOB, 'B2');
    fx.notifier.woken.length = 0;
    await fx.e2ee.toDevice.receiveRemote(REMOTE, 'm1', 'm.room.encrypted', { [BOB]: { '*': { c: 1 } } });
    await fx.e2ee.toDevice.receiveRemote(REMOTE, 'm1', 'm.room.encrypted', { [BOB]: { '*': { c: 1 } } });
    expect(fx.notifier.woken).toEqual([BOB]);
    for (const dev of ['B1', 'B2']) expect(fx.e2ee.toDevice.forSync(BOB, dev, null, fx.streams.current)).toEqual([{ sender: REMOTE, type: 'm.room.encrypted', content: { c: 1 } }]);
    await fx.e2ee.toDevice.receiveRemote(REMOTE, 'm2', 'm.room.encrypted', { [BOB]: { B1: { c: 2 } } });
    expect(fx.e2ee.toDevice.forSync(BOB, 'B1', null, fx.streams.current)).toHaveLength(2);
  });
});
