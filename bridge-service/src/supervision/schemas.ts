// TypeBox schemas of the supervision API: they validate the bodies and describe every answer in the
// OpenAPI document. No schema here has a field for a student's user id, a room of a student, or any
// content: the caseload is metadata only by construction.
import { Type, type TNull, type TSchema, type TUnion } from '@sinclair/typebox';
import { REVIEW_FLAG_REASONS } from '../../../protocol/src/event-types.ts';
import { TimestampMsSchema } from '../../../protocol/src/common-schemas.ts';

const Nullable = <T extends TSchema>(t: T): TUnion<[T, TNull]> => Type.Union([t, Type.Null()]);

export const ReviewFlagReasonSchema = Type.Union(REVIEW_FLAG_REASONS.map((r) => Type.Literal(r)), { description: 'Why the session is flagged (a code; never words about the student)' });
const BlockSchema = Nullable(Type.Union([Type.Literal('wellbeing_break'), Type.Literal('daily_cap')], {
  description: 'Why no requests are offered now: a wellbeing break, or the policy\'s daily session cap reached',
}));
const BreakSchema = Nullable(Type.Object({ started_ts: Type.Integer(), until_ts: Nullable(Type.Integer()) }, { title: 'WellbeingBreak' }));

export const CaseloadQuerySchema = Type.Object({
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, description: 'Sessions started in the last this many days (default 30)' })),
});

export const SupporterSummarySchema = Type.Object({
  user_id: Type.String(),
  roster_active: Type.Boolean(),
  sessions: Type.Integer({ description: 'Sessions started in the window (failed set-ups not counted)' }),
  active_now: Type.Integer(),
  median_duration_ms: Nullable(Type.Integer({ description: 'Median length of the ended sessions in the window' })),
  topics: Type.Record(Type.String(), Type.Integer(), { description: 'Sessions per topic' }),
  escalations: Type.Integer({ description: 'Sessions a consented escalation came out of (suggestions are encrypted in the room and never reach the bridge)' }),
  outcomes: Type.Record(Type.String(), Type.Integer(), { description: 'Ended sessions per wrap-up outcome' }),
  check_ins_offered: Type.Integer(),
  flags_open: Type.Integer(),
  on_break: BreakSchema,
  sessions_today: Type.Integer(),
  daily_cap: Nullable(Type.Integer()),
  blocked: BlockSchema,
}, { title: 'SupporterCaseloadSummary' });

export const CaseloadSchema = Type.Object({
  since_ts: Type.Integer(),
  day_start_ts: Type.Integer({ description: 'Start of today in the policy\'s time zone (the daily cap counts from here)' }),
  supporters: Type.Array(SupporterSummarySchema),
}, { title: 'Caseload' });

const FlagRefSchema = Type.Object({ flag_id: Type.String(), reason_code: ReviewFlagReasonSchema, reviewed: Type.Boolean() });

export const CaseloadSessionSchema = Type.Object({
  session_id: Type.String(),
  topic: Type.String(),
  status: Type.String(),
  scope: Type.Union([Type.Literal('institution'), Type.Literal('partner')], { description: 'partner: a partner institution\'s student' }),
  started_ts: Type.Integer(),
  ended_ts: Nullable(Type.Integer()),
  duration_ms: Type.Integer({ description: 'Up to the end, or up to now while it goes on' }),
  outcome: Nullable(Type.String({ description: 'The wrap-up outcome' })),
  check_in: Nullable(Type.String({ description: 'The check-in offer\'s state, if one was offered' })),
  escalated: Type.Boolean(),
  flag: Nullable(FlagRefSchema),
}, { title: 'CaseloadSession' });

export const SupporterCaseloadSchema = Type.Object({
  summary: SupporterSummarySchema,
  sessions: Type.Array(CaseloadSessionSchema),
}, { title: 'SupporterCaseload' });

export const FlagInputSchema = Type.Object({
  session_id: Type.String({ minLength: 1, maxLength: 100 }),
  reason_code: ReviewFlagReasonSchema,
}, { additionalProperties: false, title: 'ReviewFlagInput' });

export const FlagViewSchema = Type.Object({
  flag_id: Type.String(),
  session_id: Type.String(),
  supporter: Type.String(),
  reason_code: ReviewFlagReasonSchema,
  created_ts: Type.Integer(),
  reviewed_ts: Nullable(Type.Integer()),
  reviewed_by: Nullable(Type.String()),
  session: Nullable(Type.Object({
    topic: Type.String(), started_ts: Type.Integer(), ended_ts: Nullable(Type.Integer()), duration_ms: Type.Integer(), outcome: Nullable(Type.String()), escalated: Type.Boolean(),
  })),
}, { title: 'ReviewFlag' });

export const FlagsQuerySchema = Type.Object({
  open: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'Only flags not yet reviewed (default true)' })),
});

export const BreakInputSchema = Type.Object({
  until_ts: Type.Optional(TimestampMsSchema),
}, { additionalProperties: false, title: 'WellbeingBreakInput', description: 'Pause yourself; with until_ts the break ends by itself then' });

export const SupporterStatusSchema = Type.Object({
  user_id: Type.String(),
  on_break: BreakSchema,
  blocked: BlockSchema,
  sessions_today: Type.Integer(),
  daily_cap: Nullable(Type.Integer()),
  day_start_ts: Type.Integer(),
  flags: Type.Array(FlagViewSchema),
}, { title: 'SupporterSupervisionStatus' });

export const SupervisorSchema = Type.Object({ user_id: Type.String() }, { title: 'Supervisor' });

export const DebriefInputSchema = Type.Object({
  supervisor: Type.Optional(Type.String({ minLength: 3, maxLength: 255, description: 'A supervisor\'s user id; absent: the bridge picks one' })),
  session_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'One of your sessions the debrief is about' })),
}, { additionalProperties: false, title: 'DebriefInput' });

export const DebriefViewSchema = Type.Object({
  debrief_id: Type.String(),
  supporter: Type.String(),
  supervisor: Type.String(),
  status: Type.Union([Type.Literal('opening'), Type.Literal('open'), Type.Literal('failed')], { description: 'failed: the room could not be made; ask again' }),
  room_id: Nullable(Type.String()),
  created_ts: Type.Integer(),
  session: Nullable(Type.Object({ topic: Type.String(), started_ts: Type.Integer(), duration_ms: Type.Integer() }, { description: 'Metadata of the session it is about' })),
  consent: Type.Object({
    available: Type.Boolean({ description: 'Whether the student of that session gave consent (a valid, unwithdrawn receipt) to share something of theirs' }),
    share: Nullable(Type.Union([Type.Literal('summary'), Type.Literal('messages')], { description: 'What the student agreed to share' })),
    receipt_id: Nullable(Type.String({ description: 'The consent receipt it rests on' })),
    scope: Nullable(Type.Object({
      room_id: Type.String({ description: 'The session\'s peer room (the supporter was in it)' }),
      event_ids: Type.Array(Type.String(), { description: 'The messages the student chose (share "messages"); empty for a summary' }),
    }, { description: 'Only for the supporter: where the supporter\'s own client finds what the receipt covers' })),
  }),
}, { title: 'Debrief' });

export const ShareInputSchema = Type.Object({
  share: Type.Union([Type.Literal('summary'), Type.Literal('messages')]),
}, { additionalProperties: false, title: 'DebriefShareInput' });

export const ShareViewSchema = Type.Object({
  debrief_id: Type.String(),
  share: Type.Union([Type.Literal('summary'), Type.Literal('messages')]),
  receipt_id: Type.String({ description: 'The consent receipt the share rests on' }),
  room_id: Type.String({ description: 'The session\'s peer room, where the supporter\'s client reads the messages (decrypted on the device)' }),
  event_ids: Type.Array(Type.String(), { description: 'Exactly the messages the receipt covers (share "messages")' }),
}, { title: 'DebriefShare' });
