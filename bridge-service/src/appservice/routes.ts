// The application-service API the homeserver calls (spec: Application Service API), authenticated
// with the hs_token: transactions, user and alias queries (the bridge provisions nothing on demand,
// so both answer 404), and ping.
import { Type } from '@sinclair/typebox';
import { BridgeError } from '../errors.ts';
import { HOMESERVER } from '../middleware/auth.ts';
import type { ApiRouter } from '../api/route.ts';
import { reply } from '../api/route.ts';
import { TransactionFailed, type TransactionProcessor } from './transactions.ts';
import type { Clock } from '../core/clock.ts';

const ItemList = Type.Array(Type.Object({}, { additionalProperties: true }));

export const TransactionSchema = Type.Object({
  events: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Client-format room events' }),
  ephemeral: Type.Optional(ItemList),
  'de.sorunome.msc2409.ephemeral': Type.Optional(ItemList),
  to_device: Type.Optional(ItemList),
  'de.sorunome.msc2409.to_device': Type.Optional(ItemList),
}, { additionalProperties: true, title: 'AppserviceTransaction' });

export interface AppserviceRouteDeps {
  processor: TransactionProcessor;
  clock: Clock;
  /** Updated on each ping (status endpoint). */
  onPing: (ts: number) => void;
}

/** Transactions carry up to 100 events of up to 64 KiB each, plus ephemeral data. */
const MAX_TXN_BYTES = 32 * 1024 * 1024;

export function register(router: ApiRouter, d: AppserviceRouteDeps): void {
  /** PUT /_matrix/app/v1/transactions/{txnId} */
  router.add({
    method: 'put', path: '/_matrix/app/v1/transactions/{txnId}', operationId: 'pushTransaction', tag: 'appservice', access: HOMESERVER,
    summary: 'Events from the homeserver (acknowledged only after processing; replays acknowledged without processing)',
    body: TransactionSchema, maxBodyBytes: MAX_TXN_BYTES,
    responses: { 200: { description: 'Processed', schema: Type.Object({}) }, 500: { description: 'Not processed; retry later' } },
    handler: async ({ params, body, logger }) => {
      const txnId = params['txnId'] ?? '';
      if (txnId === '' || txnId.length > 255) throw new BridgeError(400, 'M_INVALID_PARAM', 'Invalid transaction id');
      try {
        await d.processor.process(txnId, body as never, logger);
      } catch (e) {
        if (e instanceof TransactionFailed) return reply(500, { errcode: 'M_UNKNOWN', error: e.message });
        throw e;
      }
      return {};
    },
  });

  /** GET /_matrix/app/v1/users/{userId} */
  router.add({
    method: 'get', path: '/_matrix/app/v1/users/{userId}', operationId: 'queryUser', tag: 'appservice', access: HOMESERVER,
    summary: 'User query: the bridge creates no users on demand',
    responses: { 404: { description: 'No such user' } },
    handler: () => reply(404, { errcode: 'M_NOT_FOUND', error: 'The bridge provisions no users on demand' }),
  });

  /** GET /_matrix/app/v1/rooms/{roomAlias} */
  router.add({
    method: 'get', path: '/_matrix/app/v1/rooms/{roomAlias}', operationId: 'queryRoomAlias', tag: 'appservice', access: HOMESERVER,
    summary: 'Room alias query: the bridge creates no rooms on demand',
    responses: { 404: { description: 'No such room' } },
    handler: () => reply(404, { errcode: 'M_NOT_FOUND', error: 'The bridge provisions no rooms on demand' }),
  });

  /** POST /_matrix/app/v1/ping */
  router.add({
    method: 'post', path: '/_matrix/app/v1/ping', operationId: 'ping', tag: 'appservice', access: HOMESERVER,
    summary: 'Connection check from the homeserver',
    body: Type.Object({ transaction_id: Type.Optional(Type.String()) }, { additionalProperties: true }),
    responses: { 200: { description: 'Pong', schema: Type.Object({}) } },
    handler: () => {
      d.onPing(d.clock.now());
      return {};
    },
  });
}
