// The audit log for admins: newest entries first, with the verified state of the whole chain.
import { Type } from '@sinclair/typebox';
import { rolesOnly } from '../middleware/auth.ts';
import type { AuditService } from '../services/audit.ts';
import type { ApiRouter } from './route.ts';

export const AuditEntrySchema = Type.Object({
  seq: Type.Integer(),
  ts: Type.Integer(),
  actor: Type.String(),
  action: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  details: Type.Object({}, { additionalProperties: true }),
  prev_hash: Type.String(),
  hash: Type.String(),
}, { title: 'AuditEntry' });

export const ChainStatusSchema = Type.Object({
  ok: Type.Boolean(),
  length: Type.Integer(),
  head_hash: Type.Union([Type.String(), Type.Null()]),
  first_break: Type.Union([Type.Null(), Type.Object({ seq: Type.Integer(), reason: Type.String() })]),
}, { title: 'ChainStatus' });

export function register(router: ApiRouter, d: { audit: AuditService }): void {
  /** GET /v1/admin/audit */
  router.add({
    method: 'get', path: '/v1/admin/audit', operationId: 'readAuditLog', tag: 'admin', access: rolesOnly('admin'),
    summary: 'Audit entries, newest first, and the verification of the whole hash chain',
    query: Type.Object({
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
      before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only entries with seq below this (paging back)' })),
    }),
    responses: { 200: { description: 'Entries and chain status', schema: Type.Object({ entries: Type.Array(AuditEntrySchema), chain: ChainStatusSchema }) } },
    handler: async ({ query }) => {
      const [entries, chain] = await Promise.all([d.audit.latest(query.limit ?? 100, query.before), d.audit.verify()]);
      return { entries, chain };
    },
  });
}
