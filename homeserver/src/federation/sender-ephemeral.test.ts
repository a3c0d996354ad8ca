// Local typing and public read receipts become EDUs for the other servers in the room.
import { beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import type { JsonObject } from '../core/pdu.ts';
import type { EduOptions } from './sender.ts';
import { EphemeralForwarder, TYPING_EDU_TTL_MS, TYPING_KEEPALIVE_MS } from './sender-ephemeral.ts';

const logger = createLogger('error', {}, () => undefined);
const ROOM = '!r:a.example';
const LONELY = '!lonely:a.example';
let now: number;
let sent: { destinations: string[]; type: string; content: JsonObject; opts: EduOptions }[];
let fwd: EphemeralForwarder;

beforeEach(() => {
  now = 1_000_000;
  sent = [];
  fwd = new EphemeralForwarder({
    isLocalUser: (u) => u.endsWith(':a.example'),
    serversInRoom: (r) => (r === ROOM ? ['b.example', 'c.example'] : []),
    sendEdu: async (destinations, type, content, opts) => { sent.push({ destinations, type, content, opts }); },
    now: () => now,
    logger,
  });
});

describe('outgoing typing and receipts', () => {
  it('sends a local user\'s typing start and stop to the other servers, superseding and expiring', () => {
    fwd.typingChanged(ROOM, '@alice:a.example', true);
    fwd.typingChanged(ROOM, '@alice:a.example', false);
    expect(sent.map((s) => [s.destinations, s.type, s.content])).toEqual([
      [['b.example', 'c.example'], 'm.typing', { room_id: ROOM, user_id: '@alice:a.example', typing: true }],
      [['b.example', 'c.example'], 'm.typing', { room_id: ROOM, user_id: '@alice:a.example', typing: false }],
    ]);
    expect(sent[0]!.opts.key).toBe(sent[1]!.opts.key);
    expect(sent[0]!.opts.ttlMs).toBe(TYPING_EDU_TTL_MS);
  });

  it('sends a refresh of ongoing typing only as a periodic keep-alive', () => {
    fwd.typingChanged(ROOM, '@alice:a.example', true);
    now += 5_000;
    fwd.typingChanged(ROOM, '@alice:a.example', true);
    expect(sent).toHaveLength(1);
    now += TYPING_KEEPALIVE_MS;
    fwd.typingChanged(ROOM, '@alice:a.example', true);
    expect(sent).toHaveLength(2);
  });

  it('never forwards remote users\' typing, nor typing in rooms without other servers', () => {
    fwd.typingChanged(ROOM, '@bob:b.example', true);
    fwd.typingChanged(LONELY, '@alice:a.example', true);
    expect(sent).toEqual([]);
  });

  it('sends a local user\'s public read receipt in the spec\'s m.receipt shape', () => {
    fwd.receiptStored({ roomId: ROOM, userId: '@alice:a.example', type: 'm.read', eventId: '$e', threadId: '', ts: 42 });
    fwd.receiptStored({ roomId: ROOM, userId: '@alice:a.example', type: 'm.read', eventId: '$f', threadId: '$root', ts: 43 });
    expect(sent.map((s) => [s.type, s.content])).toEqual([
      ['m.receipt', { [ROOM]: { 'm.read': { '@alice:a.example': { event_ids: ['$e'], data: { ts: 42 } } } } }],
      ['m.receipt', { [ROOM]: { 'm.read': { '@alice:a.example': { event_ids: ['$f'], data: { ts: 43, thread_id: '$root' } } } } }],
    ]);
    // Different threads never supersede each other.
    expect(sent[0]!.opts.key).not.toBe(sent[1]!.opts.key);
  });

  it('keeps private receipts and remote users\' receipts on this server', () => {
    fwd.receiptStored({ roomId: ROOM, userId: '@alice:a.example', type: 'm.read.private', eventId: '$e', threadId: '', ts: 1 });
    fwd.receiptStored({ roomId: ROOM, userId: '@bob:b.example', type: 'm.read', eventId: '$e', threadId: '', ts: 1 });
    expect(sent).toEqual([]);
  });
});
