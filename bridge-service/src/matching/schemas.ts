// TypeBox schemas of the requests-and-matching API: they validate the bodies and describe every
// answer in the OpenAPI document.
import { Type, type TNull, type TSchema, type TUnion } from '@sinclair/typebox';
import { PolicySchema, SlugSchema } from '../../../protocol/src/policy.ts';
import { TimestampMsSchema } from '../../../protocol/src/common-schemas.ts';
import { AvailabilityContentSchema } from '../../../protocol/src/coordination.ts';
import { END_OUTCOMES } from './peer-sessions.ts';

const LanguageSchema = Type.String({ pattern: '^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$', 'x-expected': "a BCP 47 language tag such as 'en' or 'cy'" });
const RegionSchema = Type.String({ pattern: '^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$', 'x-expected': "an ISO 3166 code such as 'GB' or 'GB-WLS'" });
const CrisisResources = Type.Array(PolicySchema.properties.crisis_resources.items, { description: 'Crisis resources for the student, most specific first' });
const Nullable = <T extends TSchema>(t: T): TUnion<[T, TNull]> => Type.Union([t, Type.Null()]);

// ── requests ──

export const RequestInputSchema = Type.Object({
  topic: SlugSchema,
  language: Type.Optional(LanguageSchema),
  region: Type.Optional(RegionSchema),
  minor: Type.Optional(Type.Boolean({ description: 'The student is under age: the request never leaves the institution. In an institution whose policy has minors, every request counts as a minor\'s.' })),
}, { additionalProperties: false, title: 'SupportRequestInput' });

export const RequestStatusSchema = Type.Union(['waiting', 'offered', 'matched', 'cancelled', 'expired', 'declined'].map((s) => Type.Literal(s)));
const SessionStatusSchema = Type.Union(['creating', 'active', 'ended', 'failed'].map((s) => Type.Literal(s)));

export const RequestViewSchema = Type.Object({
  request_id: Type.String(),
  status: RequestStatusSchema,
  topic: Type.String(),
  language: Nullable(Type.String()),
  minor: Type.Boolean(),
  created_ts: Type.Integer(),
  position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Place among open requests of the topic (1 = next); null when not waiting' }),
  expected_wait_seconds: Type.Union([Type.Integer(), Type.Null()], { description: 'Median wait of recent matches (the topic, or all topics when few); null when unknown' }),
  session: Type.Union([Type.Object({ session_id: Type.String(), room_id: Nullable(Type.String()), status: SessionStatusSchema }), Type.Null()]),
  close_reason: Nullable(Type.String()),
  crisis_resources: CrisisResources,
}, { title: 'SupportRequest' });

export const RequestWaitQuerySchema = Type.Object({
  wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000, description: 'Hold the answer up to this long until the status of an open request changes (long poll)' })),
});

// ── supporters and offers ──

export const AvailabilityInputSchema = Type.Object({
  available: Type.Boolean(),
  topics: Type.Optional(Type.Union([Type.Array(SlugSchema, { maxItems: 100, uniqueItems: true }), Type.Null()], { description: 'Topics to take now; null or absent = every topic you are trained for' })),
  languages: Type.Optional(Type.Array(LanguageSchema, { maxItems: 20, uniqueItems: true, description: 'Languages you can support in (preferred for requests in them)' })),
}, { additionalProperties: false, title: 'AvailabilityInput' });

export const AvailabilityViewSchema = Type.Object({
  user_id: Type.String(),
  available: Type.Boolean(),
  topics: Type.Union([Type.Array(Type.String()), Type.Null()]),
  languages: Type.Array(Type.String()),
  paused_reason: Nullable(Type.String({ description: "Why the bridge paused you (e.g. 'missed_offer'); set yourself available again to resume" })),
  updated_ts: Type.Union([Type.Integer(), Type.Null()]),
  qualified_topics: Type.Array(Type.String(), { description: 'Topics you are currently trained for and offer on the roster' }),
  effective_capacity: Type.Integer(),
  active_sessions: Type.Integer(),
  pending_offers: Type.Integer(),
  blocked_topics: Type.Array(Type.Object({
    topic: Type.String(),
    not_on_roster: Type.Boolean({ description: 'The topic is not yours on the roster (an admin adds it)' }),
    training: Type.Array(Type.Object({
      module: Type.String(),
      label: Type.String(),
      status: Type.Union(['expired', 'missing', 'outdated'].map((s) => Type.Literal(s))),
      expires: Nullable(Type.String({ description: 'The last day the completion counted (expired)' })),
    }), { description: 'Modules that keep the topic from you: missing, expired, or below the version the policy needs' }),
  }), { description: 'Topics you picked (on the roster or here) that no request can reach you for, and why' }),
}, { title: 'Availability' });

export const OfferViewSchema = Type.Object({
  offer_id: Type.String(),
  request_id: Type.String(),
  topic: Type.String(),
  institution: Type.String({ description: "The student's institution (server name)" }),
  cross_institution: Type.Boolean(),
  language: Nullable(Type.String()),
  waiting_seconds: Type.Integer({ description: 'How long the student has waited' }),
  created_ts: Type.Integer(),
  expires_ts: Type.Integer({ description: 'Accept before this, or the request goes to someone else' }),
}, { title: 'Offer' });

export const OffersQuerySchema = Type.Object({
  timeout_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000, description: 'With no pending offer, wait up to this long for one (long poll)' })),
});

export const DeclineInputSchema = Type.Object({
  reason: Type.Optional(Type.Union(['busy', 'not_suitable', 'conflict_of_interest', 'other'].map((r) => Type.Literal(r)))),
}, { additionalProperties: false, title: 'DeclineInput' });

// ── sessions ──

export const SessionViewSchema = Type.Object({
  session_id: Type.String(),
  request_id: Type.String(),
  role: Type.Union([Type.Literal('student'), Type.Literal('supporter')], { description: "The caller's part in the session" }),
  status: SessionStatusSchema,
  topic: Type.String(),
  room_id: Nullable(Type.String()),
  institutions: Type.Array(Type.String()),
  created_ts: Type.Integer(),
  ended_ts: Type.Union([Type.Integer(), Type.Null()]),
  outcome: Nullable(Type.String()),
  check_in: Type.Union([Type.Object({
    proposed_ts: Type.Integer(),
    status: Type.Union(['offered', 'accepted', 'declined', 'started'].map((s) => Type.Literal(s))),
    answered_ts: Type.Union([Type.Integer(), Type.Null()]),
  }), Type.Null()]),
}, { title: 'PeerSession' });

export const EndSessionInputSchema = Type.Object({
  outcome: Type.Optional(Type.Union(END_OUTCOMES.map((o) => Type.Literal(o)), { description: 'Default: completed' })),
  check_in: Type.Optional(Type.Object({ proposed_ts: TimestampMsSchema }, { additionalProperties: false, description: 'Supporter only: offer a follow-up at this time (the student accepts or declines)' })),
}, { additionalProperties: false, title: 'EndSessionInput' });

export const CheckInAnswerSchema = Type.Object({ accept: Type.Boolean() }, { additionalProperties: false, title: 'CheckInAnswer' });

// ── groups ──

export const GroupInputSchema = Type.Object({
  topic: SlugSchema,
  name: Type.String({ minLength: 1, maxLength: 100, description: 'Shown in the group list (not in the room, whose state is unencrypted)' }),
  audience: Type.Optional(Type.Union([Type.Literal('institution'), Type.Literal('consortium')], { description: 'Default: institution' })),
}, { additionalProperties: false, title: 'GroupInput' });

export const GroupViewSchema = Type.Object({
  group_id: Type.String(),
  topic: Type.String(),
  name: Type.String(),
  audience: Type.Union([Type.Literal('institution'), Type.Literal('consortium')]),
  room_id: Type.String(),
  created_ts: Type.Integer(),
  joinable: Type.Boolean({ description: 'Whether the caller may join' }),
}, { title: 'SupportGroup' });

// ── admin ──

export const MatchingStatusSchema = Type.Object({
  queue: Type.Object({ waiting: Type.Integer(), offered: Type.Integer(), by_topic: Type.Record(Type.String(), Type.Integer()) }),
  supporters: Type.Object({ available: Type.Integer(), paused: Type.Integer() }),
  sessions: Type.Object({ active: Type.Integer(), creating: Type.Integer() }),
  partners: Type.Array(Type.Object({
    partner: Type.String(),
    status: Type.String(),
    room_id: Type.String(),
    availability: Type.Union([AvailabilityContentSchema, Type.Null()]),
    availability_ts: Type.Union([Type.Integer(), Type.Null()]),
    outbox_pending: Type.Integer(),
  })),
  own_availability: AvailabilityContentSchema,
}, { title: 'MatchingStatus' });
