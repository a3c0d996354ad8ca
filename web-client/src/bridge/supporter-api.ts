// The supporter's side of the bridge API: availability, the offers queue (long-polled), the caseload
// of peer sessions with their wrap-up, the own roster record (topics and training) and support groups.
// Plain functions over the signed-in BridgeClient; the shapes mirror bridge-service/src/matching/schemas.ts.
import type { BridgeClient } from './bridge-client.ts';
import type { PeerSessionView, SupportGroupView } from './sessions-api.ts';

/** GET/PUT /v1/supporters/me/availability (AvailabilityView). */
export interface AvailabilityView {
  user_id: string;
  available: boolean;
  /** null = every topic the supporter is trained for. */
  topics: string[] | null;
  languages: string[];
  paused_reason: string | null;
  updated_ts: number | null;
  qualified_topics: string[];
  effective_capacity: number;
  active_sessions: number;
  pending_offers: number;
  /** Topics picked (on the roster or here) that no request can reach the supporter for, and why. */
  blocked_topics?: BlockedTopicView[];
}

/** A topic kept from the supporter: not theirs on the roster, and/or training that does not count. */
export interface BlockedTopicView {
  topic: string;
  not_on_roster: boolean;
  training: { module: string; label: string; status: 'expired' | 'missing' | 'outdated'; expires: string | null }[];
}

/** An offer of a waiting request (OfferView): metadata only, never who the student is. */
export interface OfferView {
  offer_id: string;
  request_id: string;
  topic: string;
  institution: string;
  cross_institution: boolean;
  language: string | null;
  waiting_seconds: number;
  created_ts: number;
  expires_ts: number;
}

export type { PeerSessionView, SessionStatus, SupportGroupView as GroupView } from './sessions-api.ts';
export { listGroups, listSessions } from './sessions-api.ts';

/** The bridge's END_OUTCOMES (bridge-service/src/matching/peer-sessions.ts). */
export const END_OUTCOMES = ['completed', 'referred', 'other'] as const;
export type EndOutcome = (typeof END_OUTCOMES)[number];

export type DeclineReason = 'busy' | 'not_suitable' | 'conflict_of_interest' | 'other';

export interface TrainingRecordView { module: string; version: number; completed: string; expires: string | null }

/** The supporter part of GET /v1/roster/self. */
export interface SupporterRecordView {
  user_id: string;
  topics: string[];
  training: TrainingRecordView[];
  capacity: number | null;
  active: boolean;
  effective_capacity: number;
  qualified_topics: string[];
  missing_training: string[];
}

/** The longest the bridge holds GET /v1/offers open (OffersQuerySchema). */
export const MAX_OFFER_WAIT_MS = 30_000;

/** GET /v1/supporters/me/availability */
export function getAvailability(b: BridgeClient): Promise<AvailabilityView> {
  return b.request<AvailabilityView>('GET', '/v1/supporters/me/availability');
}

/** PUT /v1/supporters/me/availability */
export function putAvailability(b: BridgeClient, input: { available: boolean; topics?: string[] | null; languages?: string[] }): Promise<AvailabilityView> {
  return b.request<AvailabilityView>('PUT', '/v1/supporters/me/availability', { body: input });
}

/** GET /v1/offers?timeout_ms= — with none pending, held by the bridge until one arrives or the wait ends. */
export async function listOffers(b: BridgeClient, timeoutMs = 0, signal?: AbortSignal): Promise<OfferView[]> {
  const t = Math.min(MAX_OFFER_WAIT_MS, Math.max(0, Math.round(timeoutMs)));
  const r = await b.request<{ offers: OfferView[] }>('GET', `/v1/offers?timeout_ms=${t}`, signal ? { signal } : {});
  return r.offers;
}

/** POST /v1/offers/{offerId}/accept — the answer is the session, with its room once made. */
export function acceptOffer(b: BridgeClient, offerId: string): Promise<PeerSessionView> {
  return b.request<PeerSessionView>('POST', `/v1/offers/${encodeURIComponent(offerId)}/accept`);
}

/** POST /v1/offers/{offerId}/decline */
export async function declineOffer(b: BridgeClient, offerId: string, reason?: DeclineReason): Promise<void> {
  await b.request<Record<string, never>>('POST', `/v1/offers/${encodeURIComponent(offerId)}/decline`, { body: reason ? { reason } : {} });
}

/** GET /v1/sessions/{sessionId} */
export function getSession(b: BridgeClient, sessionId: string): Promise<PeerSessionView> {
  return b.request<PeerSessionView>('GET', `/v1/sessions/${encodeURIComponent(sessionId)}`);
}

/** POST /v1/sessions/{sessionId}/end — the wrap-up, with an optional check-in offer. */
export function endSession(b: BridgeClient, sessionId: string, input: { outcome: EndOutcome; checkInTs?: number | null }): Promise<PeerSessionView> {
  const body: { outcome: EndOutcome; check_in?: { proposed_ts: number } } = { outcome: input.outcome };
  if (input.checkInTs != null) body.check_in = { proposed_ts: input.checkInTs };
  return b.request<PeerSessionView>('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/end`, { body });
}

/** GET /v1/roster/self — the supporter record (null when only a counsellor). */
export async function ownSupporterRecord(b: BridgeClient): Promise<SupporterRecordView | null> {
  return (await b.request<{ supporter: SupporterRecordView | null }>('GET', '/v1/roster/self')).supporter;
}

/** POST /v1/groups */
export function openGroup(b: BridgeClient, input: { topic: string; name: string; audience?: 'institution' | 'consortium' }): Promise<SupportGroupView> {
  return b.request<SupportGroupView>('POST', '/v1/groups', { body: input });
}
