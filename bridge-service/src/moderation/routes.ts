// The moderation API: moderators act on group members and read and close reports; any member of a
// group room reports a message in it.
import { Type } from '@sinclair/typebox';
import { ANY_SESSION, rolesOnly } from '../middleware/auth.ts';
import { reply, type ApiRouter } from '../api/route.ts';
import type { GroupModeration } from './group-moderation.ts';
import type { MessageReports } from './reports.ts';
import {
  GroupMembersSchema, ModerationInputSchema, ModerationResultSchema, ReportCreatedSchema, ReportInputSchema, ReportListQuerySchema, ReportViewSchema,
} from './schemas.ts';

const MODERATOR = rolesOnly('supporter', 'admin');

export function register(router: ApiRouter, d: { moderation: GroupModeration; reports: MessageReports }): void {
  /** GET /v1/groups/{groupId}/members */
  router.add({
    method: 'get', path: '/v1/groups/{groupId}/members', operationId: 'listGroupMembers', tag: 'moderation', access: MODERATOR,
    summary: "A group's members with their membership and whether they are muted (the group's moderators)",
    responses: {
      200: { description: 'Members', schema: GroupMembersSchema }, 403: { description: 'You do not moderate this group' }, 404: { description: 'No such open group' },
    },
    handler: async ({ principal, params }) => ({
      group_id: params['groupId']!, members: await d.moderation.members(principal.user_id, principal.roles, params['groupId']!),
    }),
  });

  /** POST /v1/groups/{groupId}/moderation */
  router.add({
    method: 'post', path: '/v1/groups/{groupId}/moderation', operationId: 'moderateGroupMember', tag: 'moderation', access: MODERATOR,
    summary: 'Mute, unmute, kick, ban or unban a member of a group, with a reason (the bot applies it; audited)',
    description: 'Moderators are admins, the supporter who opened the group, and supporters with valid training for its topic. '
      + 'A muted member cannot send messages (the homeserver refuses them); a kicked member may join again; a banned one may not.',
    body: ModerationInputSchema,
    responses: {
      200: { description: 'Applied', schema: ModerationResultSchema }, 400: { description: 'Bad action, empty reason, or yourself or the bot as target' },
      403: { description: 'You do not moderate this group, or the target moderates it too' }, 404: { description: 'No such open group, or the user is not a member' },
      409: { description: 'Nothing to change (already muted, not banned, …)' }, 502: { description: 'The homeserver refused or was unreachable' },
    },
    handler: async ({ principal, params, body }) => d.moderation.apply(principal.user_id, principal.roles, params['groupId']!, body),
  });

  /** POST /v1/reports */
  router.add({
    method: 'post', path: '/v1/reports', operationId: 'reportMessage', tag: 'moderation', access: ANY_SESSION,
    summary: "Report a message in a support group to its moderators, with only the text you choose to share",
    body: ReportInputSchema,
    responses: {
      201: { description: 'Reported', schema: ReportCreatedSchema }, 400: { description: 'Your own message' },
      403: { description: 'You are not a member of this group' }, 404: { description: 'No such group room or event' }, 409: { description: 'You reported this message already' },
    },
    handler: async ({ principal, body }) => {
      const r = await d.reports.create(principal.user_id, body);
      return reply(201, { report_id: r.report_id, group_id: r.group_id, created_ts: r.created_ts });
    },
  });

  /** GET /v1/reports?group_id= */
  router.add({
    method: 'get', path: '/v1/reports', operationId: 'listReports', tag: 'moderation', access: MODERATOR, query: ReportListQuerySchema,
    summary: "A group's reports, newest first, for its moderators (without the reporter)",
    responses: {
      200: { description: 'Reports', schema: Type.Object({ reports: Type.Array(ReportViewSchema) }) },
      403: { description: 'You do not moderate this group' }, 404: { description: 'No such group' },
    },
    handler: async ({ principal, query }) => ({ reports: await d.reports.list(principal.user_id, principal.roles, query.group_id, query.status ?? 'open') }),
  });

  /** POST /v1/reports/{reportId}/close */
  router.add({
    method: 'post', path: '/v1/reports/{reportId}/close', operationId: 'closeReport', tag: 'moderation', access: MODERATOR,
    summary: 'Close a report (a moderator of its group)',
    responses: {
      200: { description: 'Closed', schema: ReportViewSchema }, 403: { description: 'You do not moderate its group' },
      404: { description: 'No such report' }, 409: { description: 'Closed already' },
    },
    handler: async ({ principal, params }) => d.reports.close(principal.user_id, principal.roles, params['reportId']!),
  });
}
