// The API of asking and offering: students' support requests, supporters' availability, and the
// offers supporters accept or decline.
import { Type, type Static } from '@sinclair/typebox';
import { rolesOnly } from '../middleware/auth.ts';
import { BridgeError } from '../errors.ts';
import { effectiveCapacity, qualifiedTopics } from '../services/roster-rules.ts';
import { blockedTopics } from '../services/training-status.ts';
import type { OfferRow } from '../store/matching-store.ts';
import { reply, type ApiRouter } from '../api/route.ts';
import type { MatchingEngine } from './engine.ts';
import type { SupportRequests } from './requests.ts';
import type { MatchingContext } from './context.ts';
import {
  AvailabilityInputSchema, AvailabilityViewSchema, DeclineInputSchema, OffersQuerySchema, OfferViewSchema,
  RequestInputSchema, RequestViewSchema, RequestWaitQuerySchema, SessionViewSchema,
} from './schemas.ts';
import { sessionView } from './api-sessions.ts';

const STUDENT = rolesOnly('student');
const SUPPORTER = rolesOnly('supporter');

export interface RequestRouteDeps {
  c: MatchingContext;
  requests: SupportRequests;
  engine: MatchingEngine;
}

export function register(router: ApiRouter, d: RequestRouteDeps): void {
  const { c } = d;

  const availabilityView = async (userId: string): Promise<Static<typeof AvailabilityViewSchema>> => {
    const policy = c.policy();
    const [record, a, loads] = await Promise.all([c.roster.supporter(userId), c.store.availability(userId), c.store.loads()]);
    const load = loads.get(userId);
    return {
      user_id: userId, available: a?.available ?? false, topics: a?.topics ?? null, languages: a?.languages ?? [], paused_reason: a?.paused_reason ?? null,
      updated_ts: a?.updated_ts ?? null, qualified_topics: record ? qualifiedTopics(record, policy, c.clock.now()) : [],
      effective_capacity: record ? effectiveCapacity(record, policy) : 0, active_sessions: load?.active_sessions ?? 0, pending_offers: load?.pending_offers ?? 0,
      blocked_topics: blockedTopics(record, a?.topics ?? [], policy, c.clock.now()).map((b) => ({
        topic: b.topic, not_on_roster: b.not_on_roster,
        training: b.training.map((t) => ({ module: t.module, label: t.label, status: t.status as 'expired' | 'missing' | 'outdated', expires: t.status === 'expired' ? t.expires : null })),
      })),
    };
  };

  const offerView = async (o: OfferRow): Promise<Static<typeof OfferViewSchema>> => {
    const r = (await c.store.request(o.request_id))!;
    return {
      offer_id: o.id, request_id: o.request_id, topic: r.topic, institution: r.institution, cross_institution: r.institution !== c.serverName,
      language: r.language, waiting_seconds: Math.max(0, Math.round((c.clock.now() - r.queued_ts) / 1000)), created_ts: o.created_ts, expires_ts: o.expires_ts,
    };
  };

  /** POST /v1/requests */
  router.add({
    method: 'post', path: '/v1/requests', operationId: 'createSupportRequest', tag: 'requests', access: STUDENT,
    summary: 'Ask for support on a topic',
    description: 'Checks the policy (topic, support hours, one open request at a time, the hourly limit, age rules) and queues the request. '
      + 'The answer has the place in the queue, the expected wait and the crisis resources; so do the refusals (409 outside hours, 429 over the limit).',
    body: RequestInputSchema,
    responses: {
      201: { description: 'Queued', schema: RequestViewSchema },
      409: { description: 'Outside support hours (ORG.PEERLINE.SUPPORT_CLOSED, with opens_ts) or a request already open (ORG.PEERLINE.REQUEST_OPEN)' },
    },
    handler: async ({ principal, body }) => reply(201, await d.requests.create(principal.user_id, body)),
  });

  /** GET /v1/requests */
  router.add({
    method: 'get', path: '/v1/requests', operationId: 'listSupportRequests', tag: 'requests', access: STUDENT,
    summary: 'Your recent support requests, newest first',
    responses: { 200: { description: 'Requests', schema: Type.Object({ requests: Type.Array(RequestViewSchema) }) } },
    handler: async ({ principal }) => ({ requests: await d.requests.list(principal.user_id) }),
  });

  /** GET /v1/requests/{requestId} */
  router.add({
    method: 'get', path: '/v1/requests/{requestId}', operationId: 'getSupportRequest', tag: 'requests', access: STUDENT,
    summary: 'One of your requests: status, place in the queue, expected wait, session once matched',
    query: RequestWaitQuerySchema,
    responses: { 200: { description: 'The request', schema: RequestViewSchema }, 404: { description: 'No such request of yours' } },
    handler: async ({ principal, params, query, c: hc }) => d.requests.get(params['requestId']!, principal.user_id, query.wait_ms ?? 0, hc.req.raw.signal),
  });

  /** POST /v1/requests/{requestId}/cancel */
  router.add({
    method: 'post', path: '/v1/requests/{requestId}/cancel', operationId: 'cancelSupportRequest', tag: 'requests', access: STUDENT,
    summary: 'Cancel a request that is still waiting (an offer out for it is withdrawn)',
    responses: { 200: { description: 'The request, cancelled (or as it was, if already closed)', schema: RequestViewSchema }, 404: { description: 'No such request of yours' }, 409: { description: 'Already matched: end the session instead' } },
    handler: async ({ principal, params }) => d.requests.view(await d.engine.cancel(params['requestId']!, principal.user_id)),
  });

  /** GET /v1/supporters/me/availability */
  router.add({
    method: 'get', path: '/v1/supporters/me/availability', operationId: 'getAvailability', tag: 'supporters', access: SUPPORTER,
    summary: 'Whether you take requests now, for which topics, and your load',
    responses: { 200: { description: 'Availability', schema: AvailabilityViewSchema } },
    handler: ({ principal }) => availabilityView(principal.user_id),
  });

  /** PUT /v1/supporters/me/availability */
  router.add({
    method: 'put', path: '/v1/supporters/me/availability', operationId: 'putAvailability', tag: 'supporters', access: SUPPORTER,
    summary: 'Say whether you take requests now, and for which topics and languages',
    body: AvailabilityInputSchema,
    responses: { 200: { description: 'Availability', schema: AvailabilityViewSchema } },
    handler: async ({ principal, body }) => {
      const known = new Set(c.policy().topics.map((t) => t.id));
      const unknown = (body.topics ?? []).filter((t) => !known.has(t));
      if (unknown.length > 0) throw new BridgeError(400, 'M_INVALID_PARAM', `topics not in the policy: ${unknown.join(', ')}`);
      const now = c.clock.now();
      await c.store.setAvailability({ user_id: principal.user_id, available: body.available, topics: body.topics ?? null, languages: body.languages ?? [], updated_ts: now, paused_reason: null });
      c.signals.kick();
      c.signals.availabilityChanged();
      return availabilityView(principal.user_id);
    },
  });

  /** GET /v1/offers */
  router.add({
    method: 'get', path: '/v1/offers', operationId: 'listOffers', tag: 'supporters', access: SUPPORTER,
    summary: 'Requests offered to you, waiting for your answer',
    query: OffersQuerySchema,
    responses: { 200: { description: 'Pending offers, oldest first', schema: Type.Object({ offers: Type.Array(OfferViewSchema) }) } },
    handler: async ({ principal, query, c: hc }) => {
      let offers = await c.store.pendingOffersOf(principal.user_id);
      if (offers.length === 0 && (query.timeout_ms ?? 0) > 0) {
        await c.wakeups.wait(principal.user_id, query.timeout_ms!, hc.req.raw.signal);
        offers = await c.store.pendingOffersOf(principal.user_id);
      }
      return { offers: await Promise.all(offers.map(offerView)) };
    },
  });

  /** POST /v1/offers/{offerId}/accept */
  router.add({
    method: 'post', path: '/v1/offers/{offerId}/accept', operationId: 'acceptOffer', tag: 'supporters', access: SUPPORTER,
    summary: 'Take the request: for a student of this institution the room is made and both of you are invited before the answer',
    description: 'For a partner institution\'s student the partner makes the room; the session shows its room_id once the partner reports it.',
    responses: {
      200: { description: 'The session', schema: SessionViewSchema },
      404: { description: 'No such offer for you' },
      409: { description: 'The offer expired or was withdrawn (ORG.PEERLINE.OFFER_NOT_PENDING)' },
      502: { description: 'The room could not be made; the request is back in the queue' },
    },
    handler: async ({ principal, params }) => sessionView(await d.engine.accept(params['offerId']!, principal.user_id), principal.user_id),
  });

  /** POST /v1/offers/{offerId}/decline */
  router.add({
    method: 'post', path: '/v1/offers/{offerId}/decline', operationId: 'declineOffer', tag: 'supporters', access: SUPPORTER,
    summary: 'Decline the request: it goes to someone else and is not offered to you again',
    body: DeclineInputSchema,
    responses: { 200: { description: 'Declined', schema: Type.Object({}) }, 404: { description: 'No such offer for you' }, 409: { description: 'The offer is no longer pending' } },
    handler: async ({ principal, params, body }) => {
      await d.engine.decline(params['offerId']!, principal.user_id, body.reason ?? 'declined');
      return {};
    },
  });
}
