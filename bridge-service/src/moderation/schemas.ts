// TypeBox schemas of the group moderation and message report API: they validate the bodies and
// describe every answer in the OpenAPI document.
import { Type, type TNull, type TSchema, type TUnion } from '@sinclair/typebox';
import { MatrixEventIdSchema, MatrixRoomIdSchema, MatrixUserIdSchema } from '../../../protocol/src/common-schemas.ts';
import { REPORT_REASONS } from '../store/moderation-store.ts';

const Nullable = <T extends TSchema>(t: T): TUnion<[T, TNull]> => Type.Union([t, Type.Null()]);

export const MODERATION_ACTIONS = ['mute', 'unmute', 'kick', 'ban', 'unban'] as const;
export type ModerationAction = typeof MODERATION_ACTIONS[number];

export const REASON_MAX_LENGTH = 500;
export const SHARED_TEXT_MAX_LENGTH = 2000;

export const ModerationInputSchema = Type.Object({
  action: Type.Union(MODERATION_ACTIONS.map((a) => Type.Literal(a)), { description: 'mute: cannot send messages; kick: removed (may join again); ban: removed and kept out; unmute/unban undo them' }),
  user_id: { ...MatrixUserIdSchema, description: 'The member the action is about' },
  reason: Type.String({ minLength: 1, maxLength: REASON_MAX_LENGTH, description: "The moderator's own words on why; kept in the audit log, not shown in the room" }),
}, { additionalProperties: false, title: 'ModerationInput' });

export const MemberStateSchema = Type.Object({
  user_id: Type.String(),
  display_name: Nullable(Type.String({ description: 'The name the member shows in the room (a pseudonym for students)' })),
  membership: Type.String({ description: 'join, invite, leave or ban' }),
  muted: Type.Boolean(),
}, { title: 'GroupMemberState' });

export const ModerationResultSchema = Type.Object({
  group_id: Type.String(),
  action: Type.String(),
  member: MemberStateSchema,
  applied_ts: Type.Integer(),
}, { title: 'ModerationResult' });

export const GroupMembersSchema = Type.Object({
  group_id: Type.String(),
  members: Type.Array(MemberStateSchema),
}, { title: 'GroupMembers' });

export const ReportReasonSchema = Type.Union(REPORT_REASONS.map((r) => Type.Literal(r)));

export const ReportInputSchema = Type.Object({
  room_id: MatrixRoomIdSchema,
  event_id: MatrixEventIdSchema,
  reason_code: ReportReasonSchema,
  shared_text: Type.Optional(Type.String({ maxLength: SHARED_TEXT_MAX_LENGTH, description: "Only the plaintext the reporter chose to share: the message's text and/or their own words" })),
}, { additionalProperties: false, title: 'ReportInput' });

export const ReportViewSchema = Type.Object({
  report_id: Type.String(),
  group_id: Type.String(),
  room_id: Type.String(),
  event_id: Type.String(),
  reported_user_id: Type.String({ description: 'Who sent the reported message (the reporter is never named)' }),
  reason_code: ReportReasonSchema,
  shared_text: Nullable(Type.String()),
  created_ts: Type.Integer(),
  closed_ts: Nullable(Type.Integer()),
  closed_by: Nullable(Type.String()),
}, { title: 'Report' });

export const ReportCreatedSchema = Type.Object({
  report_id: Type.String(),
  group_id: Type.String(),
  created_ts: Type.Integer(),
}, { title: 'ReportCreated' });

export const ReportListQuerySchema = Type.Object({
  group_id: Type.String({ minLength: 1, maxLength: 100 }),
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')], { description: 'open (default): not closed yet' })),
});
