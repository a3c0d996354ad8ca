// Send-to-device delivery: queued per device, carried by sync, deleted once acknowledged, sent at
// most once per transaction, and delivered again when a response was lost.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, BOB, REMOTE, makeFixture, type Fixture } from './test-fixture.ts';
import { TO_DEVICE_LIMIT } from './to-device.ts';

let fx: Fixture;
beforeEach(async () => {
  fx = await makeFixture();
  await fx.addDevice(BOB, 'B1');
  await fx.addDevice(BOB, 'B2');
});
afterEach(() => fx.db.close());

const send = (txn: string, messages: Record<string, Record<string, Record<string, unknown>>>): Promise<void> =>
  fx.e2ee.toDevice.send(ALICE, 'ADEV', 'm.test', txn, messages as never);

function syncOnce(deviceId: string, since: number | null): { events: unknown[]; upTo: number } {
  const upTo = fx.streams.current;
  return { events: fx.e2ee.toDevice.forSync(BOB, deviceId, since, upTo), upTo };
}

describe('to-device messages', () => {
  it('delivers a message to the addressed device with sender, type and content', async () => {
    await send('t1', { [BOB]: { B1: { n: 1 } } });
    expect(syncOnce('B1', null).events).toEqual([{ sender: ALICE, type: 'm.test', content: { n: 1 } }]);
    expect(syncOnce('B2', null).events).toEqual([]);
  });

  it('addresses every device of the user with *', async () => {
    await send('t1', { [BOB]: { '*': { n: 1 } } });
    expect(syncOnce('B1', null).events).toHaveLength(1);
    expect(syncOnce('B2', null).events).toHaveLength(1);
  });

  it('sends a transaction only once per sender device', async () => {
    await send('t1', { [BOB]: { B1: { n: 1 } } });
    await send('t1', { [BOB]: { B1: { n: 1 } } });
    expect(syncOnce('B1', null).events).toHaveLength(1);
    await fx.e2ee.toDevice.send(ALICE, 'OTHERDEV', 'm.test', 't1', { [BOB]: { B1: { n: 2 } } });
    expect(syncOnce('B1', null).events).toHaveLength(2);
  });

  it('drops messages for unknown devices and remote users without failing', async () => {
    await send('t1', { [BOB]: { NOPE: { n: 1 } }, [REMOTE]: { X: { n: 1 } } });
    expect(fx.e2ee.toDevice.hasPending(BOB, 'NOPE', 0, fx.streams.current)).toBe(false);
  });

  it('delivers again to a sync that reuses the old token, and deletes once a later token acknowledges', async () => {
    await send('t1', { [BOB]: { B1: { n: 1 } } });
    const first = syncOnce('B1', 0);
    await fx.settle();
    expect(first.events).toHaveLength(1);
    expect(syncOnce('B1', 0).events).toHaveLength(1); // the response was lost; the client retries
    await fx.settle();
    expect(syncOnce('B1', first.upTo).events).toEqual([]);
    await fx.settle();
    expect(fx.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM e2ee_to_device')?.n).toBe(0);
  });

  it('sends at most the limit per response and the rest in the next ones', async () => {
    for (let i = 0; i < TO_DEVICE_LIMIT + 5; i++) await send(`t${i}`, { [BOB]: { B1: { i } } });
    const a = syncOnce('B1', 0);
    await fx.settle();
    expect(a.events).toHaveLength(TO_DEVICE_LIMIT);
    expect(fx.e2ee.toDevice.hasPending(BOB, 'B1', a.upTo, fx.streams.current)).toBe(true);
    const b = syncOnce('B1', a.upTo);
    await fx.settle();
    expect(b.events.map((e) => (e as { content: { i: number } }).content.i)).toEqual([100, 101, 102, 103, 104]);
    expect(fx.e2ee.toDevice.hasPending(BOB, 'B1', b.upTo, fx.streams.current)).toBe(false);
  });

  it('wakes the recipients after the commit', async () => {
    fx.notifier.woken.length = 0;
    await send('t1', { [BOB]: { B1: { n: 1 } } });
    expect(fx.notifier.woken).toEqual([BOB]);
  });

  it('forgets the pending messages of a deleted device', async () => {
    await send('t1', { [BOB]: { B1: { n: 1 } } });
    await fx.e2ee.keys.deviceDeleted(BOB, 'B1');
    expect(fx.e2ee.toDevice.hasPending(BOB, 'B1', 0, fx.streams.current)).toBe(false);
  });
});
