// The names of Peerline's custom Matrix event types and the fixed value lists their contents use,
// without their schemas: this module imports nothing, so the web client can use the names without
// bundling TypeBox. event-types.ts re-exports all of it beside the schemas (bridge and homeserver
// import from there); content types such as EscalationSuggestionContent are there too, and a
// type-only import of them costs the client nothing.

/** State event (state_key "") describing a Peerline room: who it serves and why, never content. */
export const SESSION_EVENT_TYPE = 'org.peerline.session';
/** Encrypted in-room event: a supporter suggests bringing a counsellor in; only the student acts. */
export const ESCALATION_SUGGESTION_EVENT_TYPE = 'org.peerline.escalation.suggestion';
/** Encrypted event in the escalation room pointing at the consent receipt that allowed it. */
export const CONSENT_RECEIPT_EVENT_TYPE = 'org.peerline.consent.receipt';
/** Encrypted in-room event: a follow-up check-in offered at a proposed time, then accepted or declined. */
export const CHECKIN_EVENT_TYPE = 'org.peerline.checkin';
/** State event (state_key "") marking a supervision debrief room: supporter and supervisor, never a student. */
export const DEBRIEF_EVENT_TYPE = 'org.peerline.debrief';

/** The state key of the session state event: one per room. */
export const SESSION_STATE_KEY = '';

export const PEERLINE_EVENT_TYPES = [
  SESSION_EVENT_TYPE,
  ESCALATION_SUGGESTION_EVENT_TYPE,
  CONSENT_RECEIPT_EVENT_TYPE,
  CHECKIN_EVENT_TYPE,
  DEBRIEF_EVENT_TYPE,
] as const;
export type PeerlineEventType = (typeof PEERLINE_EVENT_TYPES)[number];

export function isPeerlineEventType(type: string): type is PeerlineEventType {
  return (PEERLINE_EVENT_TYPES as readonly string[]).includes(type);
}

/** Why a supporter suggests escalation (org.peerline.escalation.suggestion `reason`). */
export const ESCALATION_REASONS = [
  'suicide_risk',
  'self_harm_risk',
  'harm_to_others',
  'abuse_disclosure',
  'safeguarding_concern',
  'medical_concern',
  'beyond_peer_support',
  'other',
] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

/** org.peerline.checkin `action`: offer (supporter proposes), accept or decline (student answers). */
export const CHECKIN_ACTIONS = ['offer', 'accept', 'decline'] as const;

/** Why a supporter flags one of their sessions for a supervisor's review (a code, never words about the student). */
export const REVIEW_FLAG_REASONS = [
  'risk_unclear',
  'boundary_concern',
  'unsure_how_to_respond',
  'distressing_for_me',
  'safeguarding_question',
  'other',
] as const;
export type ReviewFlagReason = (typeof REVIEW_FLAG_REASONS)[number];
