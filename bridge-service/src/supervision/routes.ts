// The supervision API: supervisors (counsellors of the supervision team) read caseloads — metadata
// only — and review flagged sessions; supporters flag sessions, pause for a wellbeing break, see
// the daily cap, and ask for debriefs; both open the debriefs they take part in.
import { Type } from '@sinclair/typebox';
import { rolesOnly } from '../middleware/auth.ts';
import { reply, type ApiRouter } from '../api/route.ts';
import type { Caseload } from './caseload.ts';
import { DEFAULT_WINDOW_DAYS } from './caseload.ts';
import type { SupporterCare } from './care.ts';
import type { Debriefs } from './debriefs.ts';
import { supervisors, type SupervisionContext } from './context.ts';
import {
  BreakInputSchema, CaseloadQuerySchema, CaseloadSchema, DebriefInputSchema, DebriefViewSchema, FlagInputSchema, FlagsQuerySchema, FlagViewSchema,
  ShareInputSchema, ShareViewSchema, SupervisorSchema, SupporterCaseloadSchema, SupporterStatusSchema,
} from './schemas.ts';

const SUPERVISOR = rolesOnly('counsellor');
const SUPPORTER = rolesOnly('supporter');
const MEMBER = rolesOnly('supporter', 'counsellor');
const TAG = 'supervision';

export interface SupervisionRouteDeps {
  c: SupervisionContext;
  caseload: Caseload;
  care: SupporterCare;
  debriefs: Debriefs;
}

export function register(router: ApiRouter, d: SupervisionRouteDeps): void {
  /** GET /v1/supervision/caseload */
  router.add({
    method: 'get', path: '/v1/supervision/caseload', operationId: 'supervisionCaseload', tag: TAG, access: SUPERVISOR,
    summary: 'Every supporter\'s caseload in the window: counts, topics, durations, outcomes, escalations, flags, breaks, today against the cap',
    description: 'Metadata only: no student, no room, no content. For counsellors of the supervision team of this institution.',
    query: CaseloadQuerySchema,
    responses: { 200: { description: 'Caseloads', schema: CaseloadSchema }, 403: { description: 'Not a supervisor here' } },
    handler: ({ principal, query }) => d.caseload.overview(principal.user_id, query.days ?? DEFAULT_WINDOW_DAYS),
  });

  /** GET /v1/supervision/caseload/{userId} */
  router.add({
    method: 'get', path: '/v1/supervision/caseload/{userId}', operationId: 'supervisionSupporterCaseload', tag: TAG, access: SUPERVISOR,
    summary: 'One supporter\'s sessions as metadata (start, end, duration, topic, outcome, escalated, flag); the read is audited',
    query: CaseloadQuerySchema,
    responses: { 200: { description: 'The caseload', schema: SupporterCaseloadSchema }, 403: { description: 'Not a supervisor here' }, 404: { description: 'No such supporter here' } },
    handler: ({ principal, params, query }) => d.caseload.detail(principal.user_id, params['userId']!, query.days ?? DEFAULT_WINDOW_DAYS),
  });

  /** GET /v1/supervision/flags */
  router.add({
    method: 'get', path: '/v1/supervision/flags', operationId: 'supervisionFlags', tag: TAG, access: SUPERVISOR,
    summary: 'Sessions supporters flagged for review, newest first',
    query: FlagsQuerySchema,
    responses: { 200: { description: 'Flags', schema: Type.Object({ flags: Type.Array(FlagViewSchema) }) } },
    handler: async ({ principal, query }) => ({ flags: await d.care.flags(principal.user_id, query.open !== 'false') }),
  });

  /** POST /v1/supervision/flags/{flagId}/review */
  router.add({
    method: 'post', path: '/v1/supervision/flags/{flagId}/review', operationId: 'reviewSupervisionFlag', tag: TAG, access: SUPERVISOR,
    summary: 'Mark a flagged session reviewed (audited)',
    responses: { 200: { description: 'The flag', schema: FlagViewSchema }, 404: { description: 'No such flag' }, 409: { description: 'Reviewed already' } },
    handler: ({ principal, params }) => d.care.review(principal.user_id, params['flagId']!),
  });

  /** POST /v1/supervision/flags */
  router.add({
    method: 'post', path: '/v1/supervision/flags', operationId: 'flagSessionForReview', tag: TAG, access: SUPPORTER,
    summary: 'Flag one of your sessions for a supervisor\'s review, with a reason code (audited)',
    body: FlagInputSchema,
    responses: { 201: { description: 'Flagged', schema: FlagViewSchema }, 404: { description: 'No such session of yours' }, 409: { description: 'Already waiting for review' } },
    handler: async ({ principal, body }) => reply(201, await d.care.flag(principal.user_id, body.session_id, body.reason_code)),
  });

  /** GET /v1/supervision/me */
  router.add({
    method: 'get', path: '/v1/supervision/me', operationId: 'supervisionStatus', tag: TAG, access: SUPPORTER,
    summary: 'Your wellbeing break, sessions today against the daily cap (and whether either keeps requests away), your flags',
    responses: { 200: { description: 'Status', schema: SupporterStatusSchema } },
    handler: ({ principal }) => d.care.status(principal.user_id),
  });

  /** PUT /v1/supervision/me/break */
  router.add({
    method: 'put', path: '/v1/supervision/me/break', operationId: 'startWellbeingBreak', tag: TAG, access: SUPPORTER,
    summary: 'Pause yourself: no requests are offered until you resume (or until until_ts)',
    body: BreakInputSchema,
    responses: { 200: { description: 'Status', schema: SupporterStatusSchema }, 400: { description: 'until_ts not in the next 30 days' } },
    handler: ({ principal, body }) => d.care.startBreak(principal.user_id, body.until_ts),
  });

  /** DELETE /v1/supervision/me/break */
  router.add({
    method: 'delete', path: '/v1/supervision/me/break', operationId: 'endWellbeingBreak', tag: TAG, access: SUPPORTER,
    summary: 'Resume after a wellbeing break',
    responses: { 200: { description: 'Status', schema: SupporterStatusSchema } },
    handler: ({ principal }) => d.care.endBreak(principal.user_id),
  });

  /** GET /v1/supervision/supervisors */
  router.add({
    method: 'get', path: '/v1/supervision/supervisors', operationId: 'listSupervisors', tag: TAG, access: SUPPORTER,
    summary: 'Who you can ask for a debrief',
    responses: { 200: { description: 'Supervisors', schema: Type.Object({ supervisors: Type.Array(SupervisorSchema) }) } },
    handler: async () => ({ supervisors: (await supervisors(d.c)).map((s) => ({ user_id: s.user_id })) }),
  });

  /** POST /v1/supervision/debriefs */
  router.add({
    method: 'post', path: '/v1/supervision/debriefs', operationId: 'requestDebrief', tag: TAG, access: SUPPORTER,
    summary: 'Ask for a debrief: the bot makes an encrypted room for you and the supervisor and invites you both',
    description: 'Nothing of a student is put in the room. About a session, only its topic and length are given — and whether the student consented to share more.',
    body: DebriefInputSchema,
    responses: {
      201: { description: 'The debrief, with its room', schema: DebriefViewSchema }, 404: { description: 'No such supervisor or session of yours' },
      409: { description: 'No supervisor here (ORG.PEERLINE.NO_SUPERVISOR)' }, 502: { description: 'The room could not be made' },
    },
    handler: async ({ principal, body }) => reply(201, await d.debriefs.request(principal.user_id, body)),
  });

  /** GET /v1/supervision/debriefs */
  router.add({
    method: 'get', path: '/v1/supervision/debriefs', operationId: 'listDebriefs', tag: TAG, access: MEMBER,
    summary: 'Debriefs you take part in (asked for, or as the supervisor), newest first',
    responses: { 200: { description: 'Debriefs', schema: Type.Object({ debriefs: Type.Array(DebriefViewSchema) }) } },
    handler: async ({ principal }) => ({ debriefs: await d.debriefs.list(principal.user_id) }),
  });

  /** GET /v1/supervision/debriefs/{debriefId} */
  router.add({
    method: 'get', path: '/v1/supervision/debriefs/{debriefId}', operationId: 'getDebrief', tag: TAG, access: MEMBER,
    summary: 'One of your debriefs, with the session\'s metadata and whether the student consented to share',
    responses: { 200: { description: 'The debrief', schema: DebriefViewSchema }, 404: { description: 'No such debrief of yours' } },
    handler: ({ principal, params }) => d.debriefs.get(params['debriefId']!, principal.user_id),
  });

  /** POST /v1/supervision/debriefs/{debriefId}/share */
  router.add({
    method: 'post', path: '/v1/supervision/debriefs/{debriefId}/share', operationId: 'shareInDebrief', tag: TAG, access: SUPPORTER,
    summary: 'Before sharing anything of the student in the debrief: checks the student\'s consent receipt for the session (audited)',
    body: ShareInputSchema,
    responses: {
      200: { description: 'Allowed, under this receipt', schema: ShareViewSchema },
      403: { description: 'No consent from the student, or not for this much (ORG.PEERLINE.NO_CONSENT)' }, 404: { description: 'No such debrief of yours' },
      409: { description: 'The debrief room is not open (ORG.PEERLINE.DEBRIEF_NOT_OPEN)' },
    },
    handler: ({ principal, params, body }) => d.debriefs.share(params['debriefId']!, principal.user_id, body.share),
  });
}
