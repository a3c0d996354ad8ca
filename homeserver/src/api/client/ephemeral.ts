// Typing notifications, receipts and read markers.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { badJson, forbidden, notFound, invalidParam } from '../errors.ts';
import { optInt, optString, requireObject } from '../validate.ts';

const RECEIPT_TYPES = new Set(['m.read', 'm.read.private', 'm.fully_read']);

export function register(router: Router, s: HomeserverServices): void {
  /** PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId} */
  router.add({
    method: 'PUT', path: '/_matrix/client/v3/rooms/:roomId/typing/:userId', auth: 'required',
    handler: (ctx) => {
      const roomId = ctx.params['roomId']!;
      if (ctx.params['userId'] !== ctx.auth.userId) throw forbidden('you can only set your own typing state');
      const body = requireObject(ctx.body, 'request body');
      const typing = body['typing'];
      if (typeof typing !== 'boolean') throw badJson("'typing' must be a boolean");
      const timeout = optInt(body, 'timeout') ?? 30_000;
      s.rooms.requireJoined(roomId, ctx.auth.userId);
      s.typing.set(roomId, ctx.auth.userId, typing, timeout);
      return {};
    },
  });

  const eventInRoom = (roomId: string, eventId: string): void => {
    const row = s.eventsStore.getEvent(eventId);
    if (!row || row.room_id !== roomId) throw notFound(`event ${eventId} is not in room ${roomId}`);
  };

  /** POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId} */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/rooms/:roomId/receipt/:receiptType/:eventId', auth: 'required',
    handler: async (ctx) => {
      const roomId = ctx.params['roomId']!;
      const type = ctx.params['receiptType']!;
      if (!RECEIPT_TYPES.has(type)) throw invalidParam(`receipt type '${type}' is not one of m.read, m.read.private, m.fully_read`);
      const body = ctx.body === undefined ? {} : requireObject(ctx.body, 'request body');
      // Spec: `main` and a thread root are threaded receipts, kept apart from the unthreaded one
      // (stored as ''); an empty, non-string or m.fully_read thread_id is M_INVALID_PARAM.
      const rawThread = body['thread_id'];
      if (rawThread !== undefined && (typeof rawThread !== 'string' || rawThread === '')) throw invalidParam("'thread_id' must be a non-empty string");
      if (rawThread !== undefined && type === 'm.fully_read') throw invalidParam("'thread_id' cannot be given for m.fully_read");
      const threadId = rawThread ?? '';
      s.rooms.requireJoined(roomId, ctx.auth.userId);
      eventInRoom(roomId, ctx.params['eventId']!);
      if (type === 'm.fully_read') {
        await s.userStreams.setAccountData(ctx.auth.userId, roomId, 'm.fully_read', { event_id: ctx.params['eventId']! });
      } else {
        await s.userStreams.setReceipt(roomId, ctx.auth.userId, type, ctx.params['eventId']!, threadId);
      }
      return {};
    },
  });

  /** POST /_matrix/client/v3/rooms/{roomId}/read_markers */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/rooms/:roomId/read_markers', auth: 'required',
    handler: async (ctx) => {
      const roomId = ctx.params['roomId']!;
      const body = requireObject(ctx.body, 'request body');
      s.rooms.requireJoined(roomId, ctx.auth.userId);
      const fully = optString(body, 'm.fully_read');
      const read = optString(body, 'm.read');
      const priv = optString(body, 'm.read.private');
      for (const id of [fully, read, priv]) if (id) eventInRoom(roomId, id);
      if (fully) await s.userStreams.setAccountData(ctx.auth.userId, roomId, 'm.fully_read', { event_id: fully });
      if (read) await s.userStreams.setReceipt(roomId, ctx.auth.userId, 'm.read', read, '');
      if (priv) await s.userStreams.setReceipt(roomId, ctx.auth.userId, 'm.read.private', priv, '');
      return {};
    },
  });
}
