// The counsellor desk's side of the bridge API: the queue of consented escalations (each with the
// student's signed receipt), claiming, handing over to a colleague and resolving with an outcome.
// One typed function per route (bridge-service/src/escalation/routes.ts). The bridge never holds the
// content of an escalation; only its metadata travels here.
import type { SeverityLevel } from '../../../protocol/src/common-schemas.ts';
import type { SignedConsentReceipt } from '../../../protocol/src/consent.ts';
import type { BridgeClient } from './bridge-client.ts';

export type { SeverityLevel, SignedConsentReceipt };

export type EscalationStatus = 'opening' | 'queued' | 'claimed' | 'resolved' | 'withdrawn';

/** How a counsellor closes an escalation: the bridge's outcome codes (ResolveSchema), in its order. */
export const ESCALATION_OUTCOMES = [
  'support_provided', 'follow_up_booked', 'referred_internal', 'referred_external', 'safeguarding_referral',
  'emergency_services', 'student_declined', 'no_response', 'duplicate', 'other',
] as const;
export type EscalationOutcome = typeof ESCALATION_OUTCOMES[number];

/** One escalation of the queue (QueueItemSchema). */
export interface QueueItem {
  escalation_id: string;
  status: EscalationStatus;
  severity: SeverityLevel;
  topic: string;
  student_user_id: string;
  room_id: string | null;
  created_ts: number;
  /** Until the first claim, or until the bridge answered. */
  waiting_ms: number;
  due_ts: number;
  target_minutes: number;
  overdue: boolean;
  claimed_by: string | null;
  claimed_ts: number | null;
  receipt: { signed: SignedConsentReceipt; signature_valid: boolean; accepted_ts: number };
  counsellors: { user_id: string; invited_ts: number; joined_ts: number | null; rescinded_ts: number | null }[];
}

export interface Colleague { user_id: string; on_duty_now: boolean }

const path = (id: string, action: string): string => `/v1/escalations/${encodeURIComponent(id)}/${action}`;

/** GET /v1/escalations/queue — queued and claimed escalations, most severe first, then longest waiting. */
export async function escalationQueue(bridge: BridgeClient, signal?: AbortSignal): Promise<QueueItem[]> {
  return (await bridge.request<{ items: QueueItem[] }>('GET', '/v1/escalations/queue?status=open', signal ? { signal } : {})).items;
}

/** GET /v1/escalations/colleagues — who an escalation can be handed over to, on duty first. */
export async function counsellorColleagues(bridge: BridgeClient): Promise<Colleague[]> {
  return (await bridge.request<{ colleagues: Colleague[] }>('GET', '/v1/escalations/colleagues')).colleagues;
}

/** POST /v1/escalations/{escalationId}/claim — the bot invites the caller to the escalation room. */
export function claimEscalation(bridge: BridgeClient, escalationId: string): Promise<QueueItem> {
  return bridge.request<QueueItem>('POST', path(escalationId, 'claim'));
}

/** POST /v1/escalations/{escalationId}/handover — to an active counsellor colleague, who is invited. */
export function handOverEscalation(bridge: BridgeClient, escalationId: string, to: string): Promise<QueueItem> {
  return bridge.request<QueueItem>('POST', path(escalationId, 'handover'), { body: { to } });
}

/** POST /v1/escalations/{escalationId}/resolve — closes one the caller holds. */
export function resolveEscalation(bridge: BridgeClient, escalationId: string, outcome: EscalationOutcome): Promise<QueueItem> {
  return bridge.request<QueueItem>('POST', path(escalationId, 'resolve'), { body: { outcome } });
}
