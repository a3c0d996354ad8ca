import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { memoryLogger } from '../logger.ts';
import { Metrics } from '../services/metrics.ts';
import { storeBackends, type CoreStore, type StoreBackend } from '../store/test-fixture.ts';
import { AppserviceHandlers } from './handlers.ts';
import { TransactionFailed, TransactionProcessor } from './transactions.ts';

async function setup(backend: StoreBackend, maxAttempts = 3): Promise<{ processor: TransactionProcessor; handlers: AppserviceHandlers; seen: string[]; store: CoreStore }> {
  const { store } = await backend.open();
  const handlers = new AppserviceHandlers();
  const seen: string[] = [];
  handlers.onRoomEvent('recorder', '*', (ev) => { seen.push(ev.event_id); });
  handlers.onEphemeral('recorder', '*', (ev) => { seen.push(`ephemeral:${ev.type}`); });
  handlers.onToDevice('recorder', '*', (ev) => { seen.push(`to_device:${ev.type}`); });
  const processor = new TransactionProcessor({ store: store.appservice, handlers, logger: memoryLogger(), clock: new ManualClock(), metrics: new Metrics(), maxAttempts });
  return { processor, handlers, seen, store };
}

const ev = (id: string, room: string, type = 'm.room.message'): Record<string, unknown> =>
  ({ event_id: id, room_id: room, type, sender: '@u:a.example', content: {}, origin_server_ts: 1 });

describe.each(storeBackends())('appservice transactions ($name)', (backend) => {
  it('acknowledges a replayed transaction without running handlers again', async () => {
    const { processor, seen, store } = await setup(backend);
    expect(await processor.process('1', { events: [ev('$a', '!r')] })).toBe('processed');
    expect(await processor.process('1', { events: [ev('$a', '!r')] })).toBe('replayed');
    expect(seen).toEqual(['$a']);
    expect(await store.appservice.stats()).toMatchObject({ transactions_completed: 1, redeliveries: 1, events_handled: 1, events_handled_more_than_once: 0 });
  });

  it('does not handle an event twice when another transaction carries it again', async () => {
    const { processor, seen } = await setup(backend);
    await processor.process('1', { events: [ev('$a', '!r')] });
    await processor.process('2', { events: [ev('$a', '!r'), ev('$b', '!r')] });
    expect(seen).toEqual(['$a', '$b']);
  });

  it('runs to-device messages and ephemeral data before room events', async () => {
    const { processor, seen } = await setup(backend);
    await processor.process('1', {
      events: [ev('$a', '!r')],
      ephemeral: [{ type: 'm.typing', room_id: '!r', content: {} }],
      'de.sorunome.msc2409.to_device': [{ type: 'm.room_key_request', sender: '@u:a.example', content: {} }],
    });
    expect(seen).toEqual(['to_device:m.room_key_request', 'ephemeral:m.typing', '$a']);
  });

  it('keeps the order of events within a room while rooms proceed independently', async () => {
    const { processor, handlers } = await setup(backend);
    const order: string[] = [];
    let roomTwoDone!: () => void;
    const roomTwo = new Promise<void>((r) => { roomTwoDone = r; });
    handlers.onRoomEvent('slow', '*', async (e) => {
      // The first event of room 1 is slow — it waits for room 2 to finish (however long the store
      // takes), bounded in case room 2 waits for it; room 1's second event must wait for it.
      if (e.event_id === '$1a') await Promise.race([roomTwo, new Promise((r) => setTimeout(r, 5_000))]);
      order.push(e.event_id);
      if (e.event_id === '$2b') roomTwoDone();
    });
    await processor.process('1', { events: [ev('$1a', '!one'), ev('$2a', '!two'), ev('$1b', '!one'), ev('$2b', '!two')] });
    expect(order.indexOf('$1a')).toBeLessThan(order.indexOf('$1b'));
    expect(order.indexOf('$2b')).toBeLessThan(order.indexOf('$1a'));
  });

  it('fails the transaction when a handler fails, holds back the room, and resumes on the retry', async () => {
    const { processor, handlers, seen } = await setup(backend);
    let failOnce = true;
    handlers.onRoomEvent('flaky', 'm.room.member', () => {
      if (failOnce) {
        failOnce = false;
        throw new Error('database busy');
      }
    });
    const body = { events: [ev('$a', '!r'), ev('$m', '!r', 'm.room.member'), ev('$c', '!r')] };
    await expect(processor.process('7', body)).rejects.toBeInstanceOf(TransactionFailed);
    expect(seen).toEqual(['$a', '$m']);
    expect(await processor.process('7', body)).toBe('processed');
    // $a was not handled again; $m's recorder ran on both attempts because the failing handler is after it.
    expect(seen).toEqual(['$a', '$m', '$m', '$c']);
  });

  it('dead-letters an event that keeps failing so the queue moves on', async () => {
    const { processor, handlers, store } = await setup(backend, 2);
    handlers.onRoomEvent('broken', 'm.bad', () => { throw new Error('always'); });
    const body = { events: [ev('$bad', '!r', 'm.bad'), ev('$ok', '!r')] };
    await expect(processor.process('9', body)).rejects.toBeInstanceOf(TransactionFailed);
    expect(await processor.process('9', body)).toBe('processed');
    expect(await store.appservice.stats()).toMatchObject({ dead_letters: 1, events_handled: 1 });
  });

  it('shares one run between concurrent deliveries of the same transaction', async () => {
    const { processor, seen } = await setup(backend);
    const body = { events: [ev('$a', '!r')] };
    const [a, b] = await Promise.all([processor.process('3', body), processor.process('3', body)]);
    expect([a, b]).toEqual(['processed', 'processed']);
    expect(seen).toEqual(['$a']);
  });

  it('skips malformed events instead of blocking the queue', async () => {
    const { processor, seen } = await setup(backend);
    expect(await processor.process('4', { events: [{ type: 'm.room.message' }, ev('$ok', '!r')] })).toBe('processed');
    expect(seen).toEqual(['$ok']);
  });
});
