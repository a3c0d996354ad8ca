// The consent and escalation API: students register keys, escalate with a signed receipt, list and
// withdraw their receipts; counsellors work the queue; admins see response-time breaches.
import { Type, type Static } from '@sinclair/typebox';
import { RandomIdSchema } from '../../../protocol/src/common-schemas.ts';
import { notFound } from '../errors.ts';
import { rolesOnly } from '../middleware/auth.ts';
import { checker } from '../middleware/validate.ts';
import type { Clock } from '../core/clock.ts';
import type { EscalationRecord, EscalationStore } from '../store/escalation-store.ts';
import { OPEN_STATUSES } from '../store/escalation-store.ts';
import { reply, type ApiRouter } from '../api/route.ts';
import type { ConsentKeyService } from './consent-keys.ts';
import type { ConsentVerifier } from './consent-verifier.ts';
import type { EscalationService } from './escalation-service.ts';
import {
  BreachSchema, ColleagueSchema, ConsentKeySchema, EscalationRequestSchema, EscalationSchema, HandoverSchema, QueueItemSchema,
  ReceiptViewSchema, RegisterConsentKeySchema, ResolveSchema, WithdrawalSchema,
} from './schemas.ts';

const STUDENT = rolesOnly('student');
const COUNSELLOR = rolesOnly('counsellor');
const ADMIN = rolesOnly('admin');
const TAG = 'escalation';

const receiptIdCheck = checker(RandomIdSchema);
const ESCALATION_ID = /^esc_[A-Za-z0-9_-]{16,64}$/;

function escalationIdParam(params: Record<string, string>): string {
  const id = params['escalationId'] ?? '';
  if (!ESCALATION_ID.test(id)) throw notFound('No escalation with this id');
  return id;
}

export interface EscalationRouteDeps {
  keys: ConsentKeyService;
  verifier: ConsentVerifier;
  escalations: EscalationService;
  store: EscalationStore;
  clock: Clock;
}

export function register(router: ApiRouter, d: EscalationRouteDeps): void {
  const escalationView = async (e: EscalationRecord): Promise<Static<typeof EscalationSchema>> => ({
    escalation_id: e.escalation_id, receipt_id: e.receipt_id, status: e.status, room_id: e.room_id, severity: e.severity, topic: e.topic,
    created_ts: e.created_ts, due_ts: e.due_ts,
    counsellors_invited: (await d.escalations.invites(e.escalation_id)).filter((i) => i.role === 'counsellor' && i.rescinded_ts === null).length,
  });

  const queueItem = async (e: EscalationRecord): Promise<Static<typeof QueueItemSchema>> => {
    const now = d.clock.now();
    const receipt = (await d.escalations.receipt(e.receipt_id))!;
    return {
      escalation_id: e.escalation_id, status: e.status, severity: e.severity, topic: e.topic, student_user_id: e.student_user_id,
      room_id: e.room_id, created_ts: e.created_ts, waiting_ms: (e.claimed_ts ?? now) - e.created_ts, due_ts: e.due_ts,
      target_minutes: Math.round((e.due_ts - e.created_ts) / 60_000), overdue: e.due_ts < (e.claimed_ts ?? now),
      claimed_by: e.claimed_by, claimed_ts: e.claimed_ts,
      receipt: { signed: receipt.signed, signature_valid: await d.verifier.signatureHolds(receipt.signed), accepted_ts: receipt.accepted_ts },
      counsellors: (await d.escalations.invites(e.escalation_id)).filter((i) => i.role === 'counsellor')
        .map((i) => ({ user_id: i.user_id, invited_ts: i.invited_ts, joined_ts: i.joined_ts, rescinded_ts: i.rescinded_ts })),
    };
  };

  /** POST /v1/consent/keys */
  router.add({
    method: 'post', path: '/v1/consent/keys', operationId: 'registerConsentKey', tag: TAG, access: STUDENT,
    summary: 'Register (or rotate to) the ed25519 public key that signs your consent receipts',
    description: 'The previous key is retired: it still verifies the receipts it signed, but new escalations need the new key. Registering the current key again changes nothing.',
    body: RegisterConsentKeySchema,
    responses: {
      200: { description: 'The current key', schema: Type.Object({ key: ConsentKeySchema, retired_key_id: Type.Union([Type.String(), Type.Null()]) }) },
      409: { description: 'The key belongs to another account, or was retired' },
    },
    handler: async ({ body, principal }) => {
      const { key, retired } = await d.keys.register(principal.user_id, body.public_key);
      return { key: { key_id: key.key_id, public_key: key.public_key, registered_ts: key.registered_ts, retired_ts: key.retired_ts, current: key.retired_ts === null }, retired_key_id: retired };
    },
  });

  /** GET /v1/consent/keys */
  router.add({
    method: 'get', path: '/v1/consent/keys', operationId: 'listConsentKeys', tag: TAG, access: STUDENT,
    summary: 'Your consent keys, oldest first (retired ones included)',
    responses: { 200: { description: 'Keys', schema: Type.Object({ keys: Type.Array(ConsentKeySchema) }) } },
    handler: async ({ principal }) => ({
      keys: (await d.keys.list(principal.user_id)).map((k) => ({ key_id: k.key_id, public_key: k.public_key, registered_ts: k.registered_ts, retired_ts: k.retired_ts, current: k.retired_ts === null })),
    }),
  });

  /** POST /v1/escalations */
  router.add({
    method: 'post', path: '/v1/escalations', operationId: 'escalate', tag: TAG, access: STUDENT,
    summary: 'Bring an on-duty counsellor of your institution in, with your signed consent receipt',
    description: 'The receipt must verify with your current key, be within its validity, be used for the first time, name you, '
      + 'this room (which you are in) and your own institution, and consent to exactly the scope asked. Otherwise the answer is '
      + 'a 4xx with a `reason` and nothing is created. 202 means the consent is recorded and the room is still being created.',
    body: EscalationRequestSchema,
    responses: {
      200: { description: 'Escalation room created, student and on-duty counsellors invited', schema: EscalationSchema },
      202: { description: 'Consent recorded; the room is created as soon as the homeserver answers', schema: EscalationSchema },
      400: { description: 'Malformed request or receipt' },
      403: { description: 'Receipt refused (bad signature, unknown or retired key, expired, wrong scope, student, room or institution)' },
      409: { description: 'Receipt already used' },
    },
    handler: async ({ body, principal }) => {
      const consent = await d.verifier.verify({ signed: body.receipt, studentUserId: principal.user_id, roomId: body.room_id, scope: body.scope });
      const e = await d.escalations.open(consent);
      const view = await escalationView(e);
      return e.status === 'opening' ? reply(202, view) : view;
    },
  });

  /** GET /v1/consent/receipts */
  router.add({
    method: 'get', path: '/v1/consent/receipts', operationId: 'listConsentReceipts', tag: TAG, access: STUDENT,
    summary: 'Your consent receipts, newest first, with what became of each escalation',
    responses: { 200: { description: 'Receipts', schema: Type.Object({ receipts: Type.Array(ReceiptViewSchema) }) } },
    handler: async ({ principal }) => {
      const receipts: Static<typeof ReceiptViewSchema>[] = [];
      for (const r of await d.escalations.receiptsOf(principal.user_id)) {
        const e = (await d.escalations.escalation(r.escalation_id))!;
        receipts.push({
          receipt_id: r.receipt_id, receipt: r.signed, signature_valid: await d.verifier.signatureHolds(r.signed),
          accepted_ts: r.accepted_ts, withdrawn_ts: r.withdrawn_ts,
          withdrawable: r.withdrawn_ts === null && OPEN_STATUSES.includes(e.status) && e.counsellor_joined_ts === null,
          escalation: { escalation_id: e.escalation_id, status: e.status, room_id: e.room_id, counsellor_joined: e.counsellor_joined_ts !== null, outcome: e.outcome },
        });
      }
      return { receipts };
    },
  });

  /** POST /v1/consent/receipts/{receiptId}/withdraw */
  router.add({
    method: 'post', path: '/v1/consent/receipts/{receiptId}/withdraw', operationId: 'withdrawConsent', tag: TAG, access: STUDENT,
    summary: 'Withdraw consent while no counsellor has joined: the escalation closes and the invites are taken back',
    responses: {
      200: { description: 'Withdrawn', schema: WithdrawalSchema },
      404: { description: 'No such receipt of yours' },
      409: { description: 'Already withdrawn, closed, or a counsellor has joined (already shared)' },
    },
    handler: async ({ params, principal }) => {
      const id = params['receiptId'] ?? '';
      if (!receiptIdCheck.Check(id)) throw notFound('You have no consent receipt with this id');
      const { escalation, rescinded } = await d.escalations.withdraw(principal.user_id, id);
      return { receipt_id: id, escalation_id: escalation.escalation_id, status: escalation.status, invites_rescinded: rescinded.length };
    },
  });

  /** GET /v1/escalations/queue */
  router.add({
    method: 'get', path: '/v1/escalations/queue', operationId: 'escalationQueue', tag: TAG, access: COUNSELLOR,
    summary: 'Consented escalations of the institution, most severe first, then longest waiting, each with its receipt',
    query: Type.Object({
      status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('queued'), Type.Literal('claimed')], { default: 'open', description: 'open = queued and claimed' })),
    }),
    responses: { 200: { description: 'The queue', schema: Type.Object({ items: Type.Array(QueueItemSchema) }) } },
    handler: async ({ query }) => {
      const status = query.status ?? 'open';
      const records = await d.escalations.queue(status === 'open' ? ['queued', 'claimed'] : [status]);
      return { items: await Promise.all(records.map(queueItem)) };
    },
  });

  /** GET /v1/escalations/colleagues */
  router.add({
    method: 'get', path: '/v1/escalations/colleagues', operationId: 'counsellorColleagues', tag: TAG, access: COUNSELLOR,
    summary: 'Colleagues you can hand an escalation over to: the other active counsellors of the institution, on duty first',
    responses: { 200: { description: 'Colleagues', schema: Type.Object({ colleagues: Type.Array(ColleagueSchema) }) } },
    handler: async ({ principal }) => ({ colleagues: await d.escalations.colleagues(principal.user_id) }),
  });

  /** POST /v1/escalations/{escalationId}/claim */
  router.add({
    method: 'post', path: '/v1/escalations/{escalationId}/claim', operationId: 'claimEscalation', tag: TAG, access: COUNSELLOR,
    summary: 'Take a queued escalation (you are invited to its room if you were not)',
    responses: { 200: { description: 'Claimed', schema: QueueItemSchema }, 404: { description: 'No such escalation' }, 409: { description: 'Claimed by a colleague, or closed' } },
    handler: async ({ params, principal }) => queueItem(await d.escalations.claim(principal.user_id, escalationIdParam(params))),
  });

  /** POST /v1/escalations/{escalationId}/handover */
  router.add({
    method: 'post', path: '/v1/escalations/{escalationId}/handover', operationId: 'handOverEscalation', tag: TAG, access: COUNSELLOR,
    summary: 'Hand an escalation you hold over to a colleague (who is invited)',
    body: HandoverSchema,
    responses: { 200: { description: 'Handed over', schema: QueueItemSchema }, 403: { description: 'You do not hold it' }, 404: { description: 'No such escalation' }, 409: { description: 'Not claimed, or closed' } },
    handler: async ({ params, body, principal }) => queueItem(await d.escalations.handover(principal.user_id, escalationIdParam(params), body.to)),
  });

  /** POST /v1/escalations/{escalationId}/resolve */
  router.add({
    method: 'post', path: '/v1/escalations/{escalationId}/resolve', operationId: 'resolveEscalation', tag: TAG, access: COUNSELLOR,
    summary: 'Close an escalation you hold with an outcome code',
    body: ResolveSchema,
    responses: { 200: { description: 'Resolved', schema: QueueItemSchema }, 403: { description: 'You do not hold it' }, 404: { description: 'No such escalation' }, 409: { description: 'Not claimed, or closed' } },
    handler: async ({ params, body, principal }) => queueItem(await d.escalations.resolve(principal.user_id, escalationIdParam(params), body.outcome)),
  });

  /** GET /v1/admin/escalations/breaches */
  router.add({
    method: 'get', path: '/v1/admin/escalations/breaches', operationId: 'escalationBreaches', tag: 'admin', access: ADMIN,
    summary: 'Escalations not claimed within the policy response target, newest first',
    query: Type.Object({
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
      before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only breaches detected before this time (ms; paging back)' })),
    }),
    responses: { 200: { description: 'Breaches', schema: Type.Object({ breaches: Type.Array(BreachSchema) }) } },
    handler: async ({ query }) => {
      const rows = await d.store.breaches(query.limit ?? 100, query.before);
      return {
        breaches: rows.map((b) => ({ ...b, minutes_late: Math.max(0, Math.round(((b.claimed_ts ?? b.detected_ts) - b.due_ts) / 60_000)) })),
      };
    },
  });
}
