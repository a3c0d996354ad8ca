// The API after the match: peer sessions (read, end with a wrap-up and an optional check-in offer,
// answer the check-in), support groups (open, list, join), and the matching status for admins.
import { Type, type Static } from '@sinclair/typebox';
import { ANY_SESSION, rolesOnly } from '../middleware/auth.ts';
import { notFound } from '../errors.ts';
import type { GroupRow, SessionRow } from '../store/matching-store.ts';
import { reply, type ApiRouter } from '../api/route.ts';
import type { PeerSessions } from './peer-sessions.ts';
import type { SupportGroups } from './groups.ts';
import type { PartnerCoordination } from './partner-coordination.ts';
import type { MatchingContext } from './context.ts';
import {
  CheckInAnswerSchema, EndSessionInputSchema, GroupInputSchema, GroupViewSchema, MatchingStatusSchema, SessionViewSchema,
} from './schemas.ts';

const PARTICIPANT = rolesOnly('student', 'supporter');

export function sessionView(s: SessionRow, viewer: string): Static<typeof SessionViewSchema> {
  return {
    session_id: s.id, request_id: s.request_id, role: viewer === s.supporter ? 'supporter' : 'student', status: s.status, topic: s.topic,
    room_id: s.room_id, institutions: [...new Set([s.student_server, s.supporter_server])], created_ts: s.created_ts, ended_ts: s.ended_ts,
    outcome: s.outcome, check_in: s.check_in,
  };
}

const groupView = (g: GroupRow, joinable: boolean): Static<typeof GroupViewSchema> => ({
  group_id: g.id, topic: g.topic, name: g.name, audience: g.audience, room_id: g.room_id, created_ts: g.created_ts, joinable,
});

export interface SessionRouteDeps {
  c: MatchingContext;
  sessions: PeerSessions;
  groups: SupportGroups;
  coordination: PartnerCoordination;
}

export function register(router: ApiRouter, d: SessionRouteDeps): void {
  const { c } = d;

  const own = async (id: string, userId: string): Promise<SessionRow> => {
    const s = await c.store.session(id);
    if (!s || (s.student !== userId && s.supporter !== userId)) throw notFound(`No session ${id} of yours`);
    return s;
  };

  /** GET /v1/sessions */
  router.add({
    method: 'get', path: '/v1/sessions', operationId: 'listPeerSessions', tag: 'sessions', access: PARTICIPANT,
    summary: 'Your recent peer sessions (as student or supporter), newest first',
    responses: { 200: { description: 'Sessions', schema: Type.Object({ sessions: Type.Array(SessionViewSchema) }) } },
    handler: async ({ principal }) => ({ sessions: (await c.store.sessionsOf(principal.user_id, 50)).map((s) => sessionView(s, principal.user_id)) }),
  });

  /** GET /v1/sessions/{sessionId} */
  router.add({
    method: 'get', path: '/v1/sessions/{sessionId}', operationId: 'getPeerSession', tag: 'sessions', access: PARTICIPANT,
    summary: 'One of your peer sessions',
    responses: { 200: { description: 'The session', schema: SessionViewSchema }, 404: { description: 'No such session of yours' } },
    handler: async ({ principal, params }) => sessionView(await own(params['sessionId']!, principal.user_id), principal.user_id),
  });

  /** POST /v1/sessions/{sessionId}/end */
  router.add({
    method: 'post', path: '/v1/sessions/{sessionId}/end', operationId: 'endPeerSession', tag: 'sessions', access: PARTICIPANT,
    summary: 'End a session with a wrap-up; the supporter may offer a check-in',
    description: 'The room becomes read-only and the supporter leaves it; the student keeps it until the retention period ends. '
      + 'An accepted check-in brings the supporter back into the room at the proposed time.',
    body: EndSessionInputSchema,
    responses: { 200: { description: 'The ended session', schema: SessionViewSchema }, 404: { description: 'No such session of yours' }, 409: { description: 'The session is not active' } },
    handler: async ({ principal, params, body }) => sessionView(await d.sessions.end(params['sessionId']!, principal.user_id, body), principal.user_id),
  });

  /** POST /v1/sessions/{sessionId}/check-in */
  router.add({
    method: 'post', path: '/v1/sessions/{sessionId}/check-in', operationId: 'answerCheckIn', tag: 'sessions', access: rolesOnly('student'),
    summary: 'Accept or decline the check-in your supporter offered',
    body: CheckInAnswerSchema,
    responses: { 200: { description: 'The session', schema: SessionViewSchema }, 404: { description: 'No such session of yours' }, 409: { description: 'No open check-in offer' } },
    handler: async ({ principal, params, body }) => sessionView(await d.sessions.answerCheckIn(params['sessionId']!, principal.user_id, body.accept), principal.user_id),
  });

  /** POST /v1/groups */
  router.add({
    method: 'post', path: '/v1/groups', operationId: 'createGroup', tag: 'groups', access: rolesOnly('supporter', 'admin'),
    summary: 'Open a support group on a topic (supporters trained for it, or admins)',
    body: GroupInputSchema,
    responses: { 201: { description: 'The group, with its room (you are invited)', schema: GroupViewSchema } },
    handler: async ({ principal, body }) => reply(201, groupView(await d.groups.create(principal.user_id, principal.roles, body), true)),
  });

  /** GET /v1/groups */
  router.add({
    method: 'get', path: '/v1/groups', operationId: 'listGroups', tag: 'groups', access: ANY_SESSION,
    summary: 'Open support groups you can see, and whether you may join each',
    responses: { 200: { description: 'Groups', schema: Type.Object({ groups: Type.Array(GroupViewSchema) }) } },
    handler: async ({ principal }) => ({ groups: (await d.groups.list(principal.user_id)).map((g) => groupView(g, g.joinable)) }),
  });

  /** POST /v1/groups/{groupId}/join */
  router.add({
    method: 'post', path: '/v1/groups/{groupId}/join', operationId: 'joinGroup', tag: 'groups', access: ANY_SESSION,
    summary: 'Join a group: the bot invites you into its room, as the policies allow',
    responses: { 200: { description: 'Invited', schema: GroupViewSchema }, 403: { description: 'The policies do not let you join this group' }, 404: { description: 'No such open group' } },
    handler: async ({ principal, params }) => groupView(await d.groups.join(params['groupId']!, principal.user_id), true),
  });

  /** GET /v1/admin/matching */
  router.add({
    method: 'get', path: '/v1/admin/matching', operationId: 'matchingStatus', tag: 'requests', access: rolesOnly('admin'),
    summary: 'The queue, supporters, sessions and partner links at a glance (counts and metadata only)',
    responses: { 200: { description: 'Status', schema: MatchingStatusSchema } },
    handler: async () => {
      const open = await c.store.openRequests();
      const byTopic: Record<string, number> = {};
      for (const r of open) byTopic[r.topic] = (byTopic[r.topic] ?? 0) + 1;
      const availability = await c.store.allAvailability();
      const partners = [];
      for (const l of await c.store.links()) {
        partners.push({
          partner: l.partner, status: l.status, room_id: l.room_id, availability: l.availability, availability_ts: l.availability_ts,
          outbox_pending: (await c.store.pendingOutbox(l.partner, 1000)).length,
        });
      }
      return {
        queue: { waiting: open.filter((r) => r.status === 'waiting').length, offered: open.filter((r) => r.status === 'offered').length, by_topic: byTopic },
        supporters: { available: availability.filter((a) => a.available).length, paused: availability.filter((a) => !a.available && a.paused_reason !== null).length },
        sessions: { active: (await c.store.sessionsWithStatus('active')).length, creating: (await c.store.sessionsWithStatus('creating')).length },
        partners,
        own_availability: await d.coordination.ownAvailability(),
      };
    },
  });
}
