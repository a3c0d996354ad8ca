// Partner coordination: how the bridges of a consortium share availability and hand each other
// support requests over Matrix itself. Each pair of partner bridges shares one federated,
// UNENCRYPTED room between their bots (no people, no E2EE device), so everything in it is readable
// by both homeservers — which is why every content below is metadata only (request ids, topic ids,
// server names, user ids of supporters, times) and rejects unknown keys: nothing a student wrote can
// ride along by mistake. See bridge-service/docs/coordination.md for the protocol.

import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { MatrixRoomIdSchema, MatrixServerNameSchema, MatrixUserIdSchema, TimestampMsSchema } from './common-schemas.ts';
import { validate } from './validation.ts';
import type { Validation } from './validation.ts';

/** State event (state_key "") marking a room as the coordination room of two institutions. */
export const COORDINATION_ROOM_EVENT_TYPE = 'org.peerline.coordination.room';
/** State event, state_key = the announcing institution's server name: its spare capacity per topic. */
export const COORDINATION_AVAILABILITY_EVENT_TYPE = 'org.peerline.coordination.availability';
/** Timeline event: one step of handing a request to a partner (offer, accept, decline, room, …). */
export const COORDINATION_EVENT_TYPE = 'org.peerline.coordination';

export const COORDINATION_EVENT_TYPES = [COORDINATION_ROOM_EVENT_TYPE, COORDINATION_AVAILABILITY_EVENT_TYPE, COORDINATION_EVENT_TYPE] as const;

export const COORDINATION_PROTOCOL_VERSION = 1;

const TopicIdSchema = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'a topic id from the institution policy, such as exam-stress' });

/** Request ids are random and URL-safe; the pair (institution, request_id) names a request. */
export const CoordinationRequestIdSchema = Type.String({
  pattern: '^[A-Za-z0-9_-]{8,128}$',
  description: 'a request id of 8–128 characters from A-Z a-z 0-9 _ -',
});

// ---- org.peerline.coordination.room ------------------------------------------------------------

export const CoordinationRoomContentSchema = Type.Object({
  version: Type.Literal(COORDINATION_PROTOCOL_VERSION, { description: 'the coordination protocol version' }),
  institutions: Type.Array(MatrixServerNameSchema, { minItems: 2, maxItems: 2, uniqueItems: true, description: 'the two server names the room links' }),
}, { additionalProperties: false, title: 'org.peerline.coordination.room content' });
export type CoordinationRoomContent = Static<typeof CoordinationRoomContentSchema>;

// ---- org.peerline.coordination.availability ----------------------------------------------------

export const AvailabilityContentSchema = Type.Object({
  institution: MatrixServerNameSchema,
  // The announcer's own policy, so the other side can check that BOTH policies allow a match.
  cross_institution: Type.Boolean({ description: "whether the announcer's policy allows cross-institution matching" }),
  partners: Type.Array(MatrixServerNameSchema, { maxItems: 256, uniqueItems: true, description: "the partner server names of the announcer's policy" }),
  minors: Type.Boolean({ description: "whether the announcer's students may be minors (they never leave their institution)" }),
  topics: Type.Record(TopicIdSchema, Type.Integer({ minimum: 0, maximum: 100_000 }), {
    maxProperties: 256,
    additionalProperties: false,
    description: 'free session slots per topic among available, trained supporters (0 when none)',
  }),
  updated_ts: TimestampMsSchema,
}, { additionalProperties: false, title: 'org.peerline.coordination.availability content' });
export type AvailabilityContent = Static<typeof AvailabilityContentSchema>;

// ---- org.peerline.coordination -----------------------------------------------------------------
// `institution` is always the server of the student's institution: it owns the request, its queue
// and the room; the partner only lends a supporter.

const base = {
  request_id: CoordinationRequestIdSchema,
  institution: MatrixServerNameSchema,
};

export const CoordinationOfferSchema = Type.Object({
  op: Type.Literal('offer'),
  ...base,
  topic: TopicIdSchema,
  language: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$', description: "a BCP 47 language tag such as 'en'" })),
  waiting_since: TimestampMsSchema,
  expires_ts: { ...TimestampMsSchema, description: 'after this the requesting institution takes the request back' },
}, { additionalProperties: false, title: 'coordination offer' });

export const CoordinationAcceptSchema = Type.Object({
  op: Type.Literal('accept'),
  ...base,
  supporter: MatrixUserIdSchema,
}, { additionalProperties: false, title: 'coordination accept' });

export const DECLINE_REASONS = ['declined', 'timeout', 'no_capacity', 'policy'] as const;
export const CoordinationDeclineSchema = Type.Object({
  op: Type.Literal('decline'),
  ...base,
  reason: Type.Union(DECLINE_REASONS.map((r) => Type.Literal(r))),
}, { additionalProperties: false, title: 'coordination decline' });

export const WITHDRAW_REASONS = ['cancelled', 'expired', 'matched_elsewhere', 'not_waiting', 'room_failed'] as const;
export const CoordinationWithdrawSchema = Type.Object({
  op: Type.Literal('withdraw'),
  ...base,
  reason: Type.Union(WITHDRAW_REASONS.map((r) => Type.Literal(r))),
}, { additionalProperties: false, title: 'coordination withdraw' });

export const CoordinationRoomCreatedSchema = Type.Object({
  op: Type.Literal('room'),
  ...base,
  room_id: MatrixRoomIdSchema,
}, { additionalProperties: false, title: 'coordination room created' });

export const CoordinationEndedSchema = Type.Object({
  op: Type.Literal('ended'),
  ...base,
  outcome: Type.String({ pattern: '^[a-z_]{1,40}$', description: 'an outcome code such as completed or supporter_no_show' }),
}, { additionalProperties: false, title: 'coordination session ended' });

/** A follow-up check-in reopened the session (the supporter is invited back). */
export const CoordinationReopenedSchema = Type.Object({
  op: Type.Literal('reopened'),
  ...base,
}, { additionalProperties: false, title: 'coordination session reopened' });

export const CoordinationMessageSchema = Type.Union([
  CoordinationOfferSchema, CoordinationAcceptSchema, CoordinationDeclineSchema, CoordinationWithdrawSchema,
  CoordinationRoomCreatedSchema, CoordinationEndedSchema, CoordinationReopenedSchema,
], { title: 'org.peerline.coordination content' });
export type CoordinationMessage = Static<typeof CoordinationMessageSchema>;
export type CoordinationOp = CoordinationMessage['op'];

const SCHEMA_BY_OP = {
  offer: CoordinationOfferSchema,
  accept: CoordinationAcceptSchema,
  decline: CoordinationDeclineSchema,
  withdraw: CoordinationWithdrawSchema,
  room: CoordinationRoomCreatedSchema,
  ended: CoordinationEndedSchema,
  reopened: CoordinationReopenedSchema,
} as const;

/**
 * Validates a coordination message against the schema of its `op` (so errors name the fields of
 * that op rather than every branch of the union).
 */
export function validateCoordinationMessage(content: unknown): Validation<CoordinationMessage> {
  const op = typeof content === 'object' && content !== null ? (content as Record<string, unknown>)['op'] : undefined;
  if (typeof op !== 'string' || !Object.hasOwn(SCHEMA_BY_OP, op)) {
    return { ok: false, issues: [{ path: '/op', expected: `one of ${Object.keys(SCHEMA_BY_OP).join(', ')}`, message: `/op: expected one of ${Object.keys(SCHEMA_BY_OP).join(', ')}` }] };
  }
  return validate(SCHEMA_BY_OP[op as CoordinationOp], content) as Validation<CoordinationMessage>;
}

export function validateAvailabilityContent(content: unknown): Validation<AvailabilityContent> {
  return validate(AvailabilityContentSchema, content);
}

export function validateCoordinationRoomContent(content: unknown): Validation<CoordinationRoomContent> {
  return validate(CoordinationRoomContentSchema, content);
}
