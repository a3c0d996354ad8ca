// The appservice link as admins see it: counts only (transactions, redeliveries, handled and
// dead-lettered events) and when the homeserver last pinged — no room or event ids.
import { Type } from '@sinclair/typebox';
import { rolesOnly } from '../middleware/auth.ts';
import type { AppserviceTxnStore } from '../store/store.ts';
import type { ApiRouter } from './route.ts';

export const AppserviceStatusSchema = Type.Object({
  transactions_completed: Type.Integer(),
  redeliveries: Type.Integer({ description: 'Deliveries of a transaction seen before (replays and retries)' }),
  events_handled: Type.Integer(),
  events_handled_more_than_once: Type.Integer({ description: 'Should be 0' }),
  dead_letters: Type.Integer(),
  last_ping_ts: Type.Union([Type.Integer(), Type.Null()]),
}, { title: 'AppserviceStatus' });

export function register(router: ApiRouter, d: { store: AppserviceTxnStore; lastPing: () => number | null }): void {
  /** GET /v1/admin/appservice */
  router.add({
    method: 'get', path: '/v1/admin/appservice', operationId: 'getAppserviceStatus', tag: 'admin', access: rolesOnly('admin'),
    summary: 'Health of the link with the homeserver (counts only)',
    responses: { 200: { description: 'Status', schema: AppserviceStatusSchema } },
    handler: async () => ({ ...(await d.store.stats()), last_ping_ts: d.lastPing() }),
  });
}
