// EDUs received from other servers: typing and receipts only for the sender's own joined users in
// rooms its ACL admits; presence ignored; other types dispatched to registered handlers.
import { beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import type { JsonObject } from '../core/pdu.ts';
import { IncomingEdus, REMOTE_TYPING_TIMEOUT_MS, eduHandlerOf, onEdu, type EduHandler } from './edus.ts';

const logger = createLogger('error', {}, () => undefined);
const ROOM = '!room:a.example';
const DENIED_ROOM = '!acl:a.example';
const joined = new Set([`${ROOM}|@bob:b.example`, `${ROOM}|@carol:c.example`, `${DENIED_ROOM}|@bob:b.example`]);

let typing: unknown[][];
let receipts: unknown[][];
let handlers: Map<string, EduHandler>;
let edus: IncomingEdus;

beforeEach(() => {
  typing = [];
  receipts = [];
  handlers = new Map();
  edus = new IncomingEdus({
    logger, now: () => 777,
    roomKnown: (r) => r === ROOM || r === DENIED_ROOM,
    aclAllows: (r) => r !== DENIED_ROOM,
    isJoined: (r, u) => joined.has(`${r}|${u}`),
    setTyping: (...a) => { typing.push(a); },
    storeReceipt: async (...a) => { receipts.push(a); },
    handler: (t) => handlers.get(t),
  });
});

const typingEdu = (room: string, user: string, on = true): JsonObject => ({ edu_type: 'm.typing', content: { room_id: room, user_id: user, typing: on } });
const receipt = (event: string, data: JsonObject = { ts: 5 }): JsonObject => ({ event_ids: [event], data });

describe('incoming EDUs', () => {
  it('applies typing of the sending server\'s joined users, with the federation timeout', async () => {
    await edus.process('b.example', [typingEdu(ROOM, '@bob:b.example'), typingEdu(ROOM, '@bob:b.example', false)]);
    expect(typing).toEqual([[ROOM, '@bob:b.example', true, REMOTE_TYPING_TIMEOUT_MS], [ROOM, '@bob:b.example', false, REMOTE_TYPING_TIMEOUT_MS]]);
  });

  it('ignores typing for another server\'s user, a user not joined, an unknown room or a room whose ACL denies the sender', async () => {
    await edus.process('b.example', [
      typingEdu(ROOM, '@carol:c.example'),
      typingEdu(ROOM, '@dave:b.example'),
      typingEdu('!unknown:a.example', '@bob:b.example'),
      typingEdu(DENIED_ROOM, '@bob:b.example'),
      { edu_type: 'm.typing', content: { room_id: ROOM, user_id: '@bob:b.example', typing: 'yes' } },
    ]);
    expect(typing).toEqual([]);
  });

  it('stores public read receipts of the sending server\'s joined users with their time and thread', async () => {
    await edus.process('b.example', [{
      edu_type: 'm.receipt',
      content: {
        [ROOM]: { 'm.read': {
          '@bob:b.example': receipt('$e1', { ts: 1234, thread_id: '$root' }),
          '@carol:c.example': receipt('$e2'),
          '@dave:b.example': receipt('$e3'),
        } },
        [DENIED_ROOM]: { 'm.read': { '@bob:b.example': receipt('$e4') } },
        '!unknown:a.example': { 'm.read': { '@bob:b.example': receipt('$e5') } },
      },
    }]);
    expect(receipts).toEqual([[ROOM, '@bob:b.example', '$e1', '$root', 1234]]);
  });

  it('stores a receipt without a usable time at the time it arrives, and the main thread as unthreaded', async () => {
    await edus.process('b.example', [{ edu_type: 'm.receipt', content: { [ROOM]: { 'm.read': { '@bob:b.example': receipt('$e1', { ts: 'soon', thread_id: 'main' }) } } } }]);
    await edus.process('b.example', [{ edu_type: 'm.receipt', content: { [ROOM]: { 'm.read': { '@bob:b.example': { event_ids: [] } } } } }]);
    expect(receipts).toEqual([[ROOM, '@bob:b.example', '$e1', '', 777]]);
  });

  it('hands registered EDU types to their handler with the origin, ignores presence and unregistered types', async () => {
    const seen: unknown[] = [];
    handlers.set('m.direct_to_device', (origin, content) => { seen.push([origin, content]); });
    await edus.process('b.example', [
      { edu_type: 'm.presence', content: { push: [] } },
      { edu_type: 'm.direct_to_device', content: { message_id: 'm1' } },
      { edu_type: 'org.example.unknown', content: {} },
    ]);
    expect(seen).toEqual([['b.example', { message_id: 'm1' }]]);
  });

  it('goes on with the next EDU when one is malformed or its handler fails', async () => {
    handlers.set('m.device_list_update', () => { throw new Error('boom'); });
    await edus.process('b.example', [
      'not an object',
      { edu_type: 'm.typing' },
      { edu_type: 'm.device_list_update', content: {} },
      typingEdu(ROOM, '@bob:b.example'),
    ]);
    expect(typing).toHaveLength(1);
  });

  it('keeps one handler registry per homeserver', () => {
    const hsA = {};
    const hsB = {};
    const h: EduHandler = () => undefined;
    onEdu(hsA, 'm.signing_key_update', h);
    expect(eduHandlerOf(hsA, 'm.signing_key_update')).toBe(h);
    expect(eduHandlerOf(hsB, 'm.signing_key_update')).toBeUndefined();
  });
});
