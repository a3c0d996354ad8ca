// The session feedback API: the student's ticket, the anonymous response, the supporter's aggregate.
import { PUBLIC, rolesOnly } from '../middleware/auth.ts';
import { reply, type ApiRouter } from '../api/route.ts';
import type { FeedbackService } from './feedback-service.ts';
import { FeedbackInputSchema, FeedbackRecordedSchema, FeedbackTicketSchema, SupporterFeedbackSchema } from './schemas.ts';

export function register(router: ApiRouter, d: { feedback: FeedbackService }): void {
  /** POST /v1/sessions/{sessionId}/feedback-ticket */
  router.add({
    method: 'post', path: '/v1/sessions/{sessionId}/feedback-ticket', operationId: 'issueFeedbackTicket', tag: 'feedback', access: rolesOnly('student'),
    summary: 'A one-time anonymous feedback ticket for an ended session (its student, once per session)',
    description: 'The client asks for it whenever a session ends, whether or not the student then answers, so that having a ticket says nothing. '
      + 'The bridge keeps only the fact that the session\'s ticket was issued; the ticket itself is sealed and not stored.',
    responses: {
      201: { description: 'The ticket', schema: FeedbackTicketSchema }, 404: { description: 'No such session of yours' },
      409: { description: 'The session has not ended, or its ticket was issued already' }, 410: { description: 'Feedback on this session is closed' },
    },
    handler: async ({ principal, params }) => reply(201, await d.feedback.issueTicket(params['sessionId']!, principal.user_id)),
  });

  /** POST /v1/feedback */
  router.add({
    method: 'post', path: '/v1/feedback', operationId: 'sendFeedback', tag: 'feedback', access: PUBLIC, maxBodyBytes: 4096, rateLimit: 'public',
    summary: 'Anonymous feedback on a session, with its one-time ticket (no session token: nothing ties it to you)',
    body: FeedbackInputSchema,
    responses: {
      201: { description: 'Counted', schema: FeedbackRecordedSchema }, 400: { description: 'Not a feedback ticket of this service, or a bad answer' },
      409: { description: 'The ticket was used already (ORG.PEERLINE.FEEDBACK_TICKET_USED)' }, 410: { description: 'The ticket has expired' },
    },
    handler: async ({ body }) => {
      await d.feedback.submit(body);
      return reply(201, { recorded: true });
    },
  });

  /** GET /v1/feedback/mine */
  router.add({
    method: 'get', path: '/v1/feedback/mine', operationId: 'myFeedback', tag: 'feedback', access: rolesOnly('supporter'),
    summary: "What students said about your sessions, summed — shown in batches of at least 5 responses",
    responses: { 200: { description: 'Your aggregate, or "fewer than 5"', schema: SupporterFeedbackSchema } },
    handler: async ({ principal }) => d.feedback.mine(principal.user_id),
  });
}
