// The roster: admins manage supporters, counsellors and admins (every change audited); supporters
// and counsellors read their own record with what the policy in force makes of it.
import { Type, type Static } from '@sinclair/typebox';
import { DateSchema, ScheduleSchema, SlugSchema } from '../../../protocol/src/policy.ts';
import { MatrixUserIdSchema } from '../../../protocol/src/common-schemas.ts';
import { invalidParam } from '../errors.ts';
import { rolesOnly } from '../middleware/auth.ts';
import type { RosterService } from '../services/roster.ts';
import type { PolicyService } from '../services/policy.ts';
import { effectiveCapacity, isCounsellorOnDuty, missingTraining, qualifiedTopics, trainingExpiresTs } from '../services/roster-rules.ts';
import type { RosterStore, SupporterRecord } from '../store/store.ts';
import type { Clock } from '../core/clock.ts';
import { checker } from '../middleware/validate.ts';
import { reply, type ApiRouter } from './route.ts';

export const TrainingRecordInputSchema = Type.Object({
  module: SlugSchema,
  version: Type.Integer({ minimum: 1 }),
  completed: DateSchema,
  expires: Type.Optional(Type.Union([DateSchema, Type.Null()], { description: "Default: completion + the module's valid_days" })),
}, { additionalProperties: false });

export const SupporterInputSchema = Type.Object({
  topics: Type.Array(SlugSchema, { maxItems: 100, description: 'Topics the supporter offers (ids from the policy)' }),
  training: Type.Array(TrainingRecordInputSchema, { maxItems: 200 }),
  capacity: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 50 }), Type.Null()], { description: "Concurrent sessions; null = the policy's default" })),
  active: Type.Optional(Type.Boolean({ default: true })),
}, { additionalProperties: false, title: 'SupporterInput' });

const TrainingRecordSchema = Type.Object({
  module: Type.String(), version: Type.Integer(), completed: Type.String(), expires: Type.Union([Type.String(), Type.Null()]),
  score: Type.Optional(Type.Integer({ description: "Percent of the module's check answered correctly, when taken in the app" })),
});

export const SupporterSchema = Type.Object({
  user_id: Type.String(),
  topics: Type.Array(Type.String()),
  training: Type.Array(TrainingRecordSchema),
  capacity: Type.Union([Type.Integer(), Type.Null()]),
  active: Type.Boolean(),
  updated_ts: Type.Integer(),
  updated_by: Type.String(),
  effective_capacity: Type.Integer({ description: 'Capacity under the policy in force' }),
  qualified_topics: Type.Array(Type.String(), { description: 'Topics offered and currently trained for' }),
  missing_training: Type.Array(Type.String(), { description: 'Required modules without a valid record' }),
}, { title: 'Supporter' });

export const CounsellorInputSchema = Type.Object({
  team: Type.Optional(SlugSchema),
  on_duty: Type.Optional(Type.Union([ScheduleSchema, Type.Null()], { description: "Personal on-duty hours; null = the policy's" })),
  active: Type.Optional(Type.Boolean({ default: true })),
}, { additionalProperties: false, title: 'CounsellorInput' });

export const CounsellorSchema = Type.Object({
  user_id: Type.String(),
  team: Type.String(),
  on_duty: Type.Union([ScheduleSchema, Type.Null()]),
  active: Type.Boolean(),
  updated_ts: Type.Integer(),
  updated_by: Type.String(),
  on_duty_now: Type.Boolean({ description: 'Receives escalations at the time of the request' }),
}, { title: 'Counsellor' });

export const AdminSchema = Type.Object({ user_id: Type.String(), added_ts: Type.Integer(), added_by: Type.String(), bootstrap: Type.Boolean() }, { title: 'Admin' });

const ADMIN = rolesOnly('admin');
const userIdCheck = checker(MatrixUserIdSchema);

function userIdParam(params: Record<string, string>): string {
  const id = params['userId'] ?? '';
  if (!userIdCheck.Check(id)) throw invalidParam(`'${String(id).slice(0, 100)}' is not a Matrix user id`);
  return id;
}

export interface RosterRouteDeps {
  roster: RosterService;
  store: RosterStore;
  policy: PolicyService;
  clock: Clock;
}

export function register(router: ApiRouter, d: RosterRouteDeps): void {
  const supporterView = (s: SupporterRecord): Static<typeof SupporterSchema> => {
    const policy = d.policy.current();
    const now = d.clock.now();
    return {
      ...s,
      training: s.training.map((t) => ({ ...t, expires: t.expires ?? dayOf(trainingExpiresTs(t, policy)) })),
      effective_capacity: effectiveCapacity(s, policy), qualified_topics: qualifiedTopics(s, policy, now), missing_training: missingTraining(s, policy, now),
    };
  };
  const counsellorView = (c: Awaited<ReturnType<RosterService['counsellor']>>): Static<typeof CounsellorSchema> =>
    ({ ...c, on_duty_now: isCounsellorOnDuty(c, d.policy.current(), new Date(d.clock.now())) });

  /** GET /v1/admin/roster/supporters */
  router.add({
    method: 'get', path: '/v1/admin/roster/supporters', operationId: 'listSupporters', tag: 'roster', access: ADMIN,
    summary: 'Every supporter on the roster',
    responses: { 200: { description: 'Supporters', schema: Type.Object({ supporters: Type.Array(SupporterSchema) }) } },
    handler: async () => ({ supporters: (await d.roster.supporters()).map(supporterView) }),
  });

  /** GET /v1/admin/roster/supporters/{userId} */
  router.add({
    method: 'get', path: '/v1/admin/roster/supporters/{userId}', operationId: 'getSupporter', tag: 'roster', access: ADMIN,
    summary: 'One supporter',
    responses: { 200: { description: 'The supporter', schema: SupporterSchema }, 404: { description: 'Not on the roster' } },
    handler: async ({ params }) => supporterView(await d.roster.supporter(userIdParam(params))),
  });

  /** PUT /v1/admin/roster/supporters/{userId} */
  router.add({
    method: 'put', path: '/v1/admin/roster/supporters/{userId}', operationId: 'putSupporter', tag: 'roster', access: ADMIN,
    summary: 'Add or replace a supporter (topics, training records, capacity, active flag)',
    body: SupporterInputSchema,
    responses: { 200: { description: 'The stored supporter', schema: SupporterSchema } },
    handler: async ({ params, body, principal }) => supporterView(await d.roster.putSupporter(principal.user_id, userIdParam(params), body)),
  });

  /** DELETE /v1/admin/roster/supporters/{userId} */
  router.add({
    method: 'delete', path: '/v1/admin/roster/supporters/{userId}', operationId: 'removeSupporter', tag: 'roster', access: ADMIN,
    summary: 'Take a supporter off the roster',
    responses: { 200: { description: 'Removed', schema: Type.Object({}) }, 404: { description: 'Not on the roster' } },
    handler: async ({ params, principal }) => {
      await d.roster.removeSupporter(principal.user_id, userIdParam(params));
      return {};
    },
  });

  /** GET /v1/admin/roster/counsellors */
  router.add({
    method: 'get', path: '/v1/admin/roster/counsellors', operationId: 'listCounsellors', tag: 'roster', access: ADMIN,
    summary: 'Every counsellor on the roster',
    responses: { 200: { description: 'Counsellors', schema: Type.Object({ counsellors: Type.Array(CounsellorSchema) }) } },
    handler: async () => ({ counsellors: (await d.roster.counsellors()).map(counsellorView) }),
  });

  /** GET /v1/admin/roster/counsellors/{userId} */
  router.add({
    method: 'get', path: '/v1/admin/roster/counsellors/{userId}', operationId: 'getCounsellor', tag: 'roster', access: ADMIN,
    summary: 'One counsellor',
    responses: { 200: { description: 'The counsellor', schema: CounsellorSchema }, 404: { description: 'Not on the roster' } },
    handler: async ({ params }) => counsellorView(await d.roster.counsellor(userIdParam(params))),
  });

  /** PUT /v1/admin/roster/counsellors/{userId} */
  router.add({
    method: 'put', path: '/v1/admin/roster/counsellors/{userId}', operationId: 'putCounsellor', tag: 'roster', access: ADMIN,
    summary: 'Add or replace a counsellor (team, on-duty schedule, active flag)',
    body: CounsellorInputSchema,
    responses: { 200: { description: 'The stored counsellor', schema: CounsellorSchema } },
    handler: async ({ params, body, principal }) => counsellorView(await d.roster.putCounsellor(principal.user_id, userIdParam(params), body)),
  });

  /** DELETE /v1/admin/roster/counsellors/{userId} */
  router.add({
    method: 'delete', path: '/v1/admin/roster/counsellors/{userId}', operationId: 'removeCounsellor', tag: 'roster', access: ADMIN,
    summary: 'Take a counsellor off the roster',
    responses: { 200: { description: 'Removed', schema: Type.Object({}) }, 404: { description: 'Not on the roster' } },
    handler: async ({ params, principal }) => {
      await d.roster.removeCounsellor(principal.user_id, userIdParam(params));
      return {};
    },
  });

  /** GET /v1/admin/roster/admins */
  router.add({
    method: 'get', path: '/v1/admin/roster/admins', operationId: 'listAdmins', tag: 'roster', access: ADMIN,
    summary: 'Admins: those on the roster and those named in the bridge config',
    responses: { 200: { description: 'Admins', schema: Type.Object({ admins: Type.Array(AdminSchema) }) } },
    handler: async () => ({ admins: await d.roster.admins() }),
  });

  /** PUT /v1/admin/roster/admins/{userId} */
  router.add({
    method: 'put', path: '/v1/admin/roster/admins/{userId}', operationId: 'putAdmin', tag: 'roster', access: ADMIN,
    summary: 'Make a user of this institution an admin',
    responses: { 200: { description: 'The admin record', schema: Type.Object({ user_id: Type.String(), added_ts: Type.Integer(), added_by: Type.String() }) } },
    handler: async ({ params, principal }) => d.roster.putAdmin(principal.user_id, userIdParam(params)),
  });

  /** DELETE /v1/admin/roster/admins/{userId} */
  router.add({
    method: 'delete', path: '/v1/admin/roster/admins/{userId}', operationId: 'removeAdmin', tag: 'roster', access: ADMIN,
    summary: 'Remove an admin added through the roster',
    responses: { 200: { description: 'Removed', schema: Type.Object({}) }, 404: { description: 'Not on the roster' }, 409: { description: 'An admin by the bridge config' } },
    handler: async ({ params, principal }) => {
      await d.roster.removeAdmin(principal.user_id, userIdParam(params));
      return {};
    },
  });

  /** GET /v1/roster/self */
  router.add({
    method: 'get', path: '/v1/roster/self', operationId: 'getOwnRosterRecord', tag: 'roster', access: rolesOnly('supporter', 'counsellor'),
    summary: "The caller's own supporter and/or counsellor record, with what the policy makes of it",
    responses: {
      200: {
        description: 'Own records',
        schema: Type.Object({ supporter: Type.Union([SupporterSchema, Type.Null()]), counsellor: Type.Union([CounsellorSchema, Type.Null()]) }),
      },
    },
    handler: async ({ principal }) => {
      const s = await d.store.supporter(principal.user_id);
      const c = await d.store.counsellor(principal.user_id);
      if (!s && !c) return reply(404, { errcode: 'M_NOT_FOUND', error: 'Not on the roster' });
      return { supporter: s ? supporterView(s) : null, counsellor: c ? counsellorView(c) : null };
    },
  });
}

function dayOf(ts: number | null): string | null {
  if (ts === null) return null;
  // trainingExpiresTs is the first instant it no longer counts; the record's last valid day is the day before.
  return new Date(ts - 86_400_000).toISOString().slice(0, 10);
}
