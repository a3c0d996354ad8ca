// Request and response schemas of the consent and escalation API (validation and OpenAPI alike).
import { Type, type TNull, type TSchema, type TUnion } from '@sinclair/typebox';
import { ConsentScopeSchema, SignedConsentReceiptSchema } from '../../../protocol/src/consent.ts';
import { Ed25519PublicKeySchema, EscalationSeveritySchema, MatrixRoomIdSchema, MatrixUserIdSchema } from '../../../protocol/src/common-schemas.ts';
import { ESCALATION_OUTCOMES } from './escalation-service.ts';

const Nullable = <T extends TSchema>(t: T): TUnion<[T, TNull]> => Type.Union([t, Type.Null()]);

export const EscalationStatusSchema = Type.Union(
  [Type.Literal('opening'), Type.Literal('queued'), Type.Literal('claimed'), Type.Literal('resolved'), Type.Literal('withdrawn')],
  { description: 'opening (room being created), queued, claimed, resolved, or withdrawn by the student' },
);

export const EscalationOutcomeSchema = Type.Union(ESCALATION_OUTCOMES.map((o) => Type.Literal(o)), { description: 'how the counsellor closed the escalation' });

// ── consent keys ──

export const RegisterConsentKeySchema = Type.Object({
  public_key: { ...Ed25519PublicKeySchema, description: 'the ed25519 public key of the student\'s device (libsodium), unpadded base64' },
}, { additionalProperties: false, title: 'RegisterConsentKey' });

export const ConsentKeySchema = Type.Object({
  key_id: Type.String({ description: '"ed25519:" + the public key; receipts name their key by it' }),
  public_key: Type.String(),
  registered_ts: Type.Integer(),
  retired_ts: Nullable(Type.Integer({ description: 'when a newer key replaced it; it still verifies the receipts it signed' })),
  current: Type.Boolean({ description: 'signs new escalations' }),
}, { title: 'ConsentKey' });

// ── escalations (students) ──

export const EscalationRequestSchema = Type.Object({
  receipt: SignedConsentReceiptSchema,
  room_id: { ...MatrixRoomIdSchema, description: 'the peer room the escalation comes from; must be the receipt\'s' },
  scope: { ...ConsentScopeSchema, description: 'what the client will share; must be exactly the receipt\'s scope' },
}, { additionalProperties: false, title: 'EscalationRequest' });

export const EscalationSchema = Type.Object({
  escalation_id: Type.String(),
  receipt_id: Type.String(),
  status: EscalationStatusSchema,
  room_id: Nullable(Type.String({ description: 'the escalation room (null while it is being created)' })),
  severity: EscalationSeveritySchema,
  topic: Type.String(),
  created_ts: Type.Integer(),
  due_ts: Type.Integer({ description: 'a counsellor should respond by then (policy response target)' }),
  counsellors_invited: Type.Integer({ description: 'on-duty counsellors invited so far' }),
}, { title: 'Escalation' });

export const ReceiptViewSchema = Type.Object({
  receipt_id: Type.String(),
  receipt: SignedConsentReceiptSchema,
  signature_valid: Type.Boolean({ description: 'the signature verifies with the key named by key_id (rotated keys included)' }),
  accepted_ts: Type.Integer(),
  withdrawn_ts: Nullable(Type.Integer()),
  withdrawable: Type.Boolean({ description: 'consent can still be withdrawn: no counsellor has joined and the escalation is open' }),
  escalation: Type.Object({
    escalation_id: Type.String(),
    status: EscalationStatusSchema,
    room_id: Nullable(Type.String()),
    counsellor_joined: Type.Boolean(),
    outcome: Nullable(Type.String()),
  }),
}, { title: 'ConsentReceiptView' });

export const WithdrawalSchema = Type.Object({
  receipt_id: Type.String(),
  escalation_id: Type.String(),
  status: EscalationStatusSchema,
  invites_rescinded: Type.Integer({ description: 'counsellor invites taken back' }),
}, { title: 'Withdrawal' });

// ── counsellors ──

export const QueueItemSchema = Type.Object({
  escalation_id: Type.String(),
  status: EscalationStatusSchema,
  severity: EscalationSeveritySchema,
  topic: Type.String(),
  student_user_id: Type.String(),
  room_id: Nullable(Type.String()),
  created_ts: Type.Integer(),
  waiting_ms: Type.Integer({ description: 'until the first claim, or until now' }),
  due_ts: Type.Integer(),
  target_minutes: Type.Integer(),
  overdue: Type.Boolean(),
  claimed_by: Nullable(Type.String()),
  claimed_ts: Nullable(Type.Integer()),
  receipt: Type.Object({
    signed: SignedConsentReceiptSchema,
    signature_valid: Type.Boolean(),
    accepted_ts: Type.Integer({ description: 'when the bridge verified and accepted the receipt' }),
  }, { description: 'the consent the student gave: scope, severity, validity, and its signature' }),
  counsellors: Type.Array(Type.Object({
    user_id: Type.String(), invited_ts: Type.Integer(), joined_ts: Nullable(Type.Integer()), rescinded_ts: Nullable(Type.Integer()),
  })),
}, { title: 'EscalationQueueItem' });

export const ColleagueSchema = Type.Object({
  user_id: Type.String(),
  on_duty_now: Type.Boolean({ description: 'receives escalations at the time of the request' }),
}, { title: 'CounsellorColleague' });

export const HandoverSchema = Type.Object({
  to: { ...MatrixUserIdSchema, description: 'the colleague (an active counsellor of this institution) taking over' },
}, { additionalProperties: false, title: 'Handover' });

export const ResolveSchema = Type.Object({ outcome: EscalationOutcomeSchema }, { additionalProperties: false, title: 'Resolve' });

// ── admins ──

export const BreachSchema = Type.Object({
  escalation_id: Type.String(),
  severity: EscalationSeveritySchema,
  created_ts: Type.Integer(),
  due_ts: Type.Integer(),
  detected_ts: Type.Integer(),
  status: EscalationStatusSchema,
  claimed_ts: Nullable(Type.Integer()),
  claimed_by: Nullable(Type.String()),
  minutes_late: Type.Integer({ description: 'from due to the first claim, or to detection while unclaimed' }),
}, { title: 'ResponseBreach' });
