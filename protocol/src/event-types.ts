// Peerline's custom Matrix event types (namespaced org.peerline.) and the schema of each content.
// Everything a standard client should show stays an m.room.message; these carry what only Peerline
// clients and the bridge act on.
//
// Encryption decides what may go where: state events are never encrypted in Matrix, so the session
// state event holds metadata only and rejects unknown keys (nothing can ride along into room state by
// mistake). The other three are sent as timeline events in encrypted rooms, so only members' devices
// see them; they accept unknown keys so that older clients tolerate fields newer ones add.

import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import {
  EscalationSeveritySchema,
  MatrixUserIdSchema,
  RandomIdSchema,
  MatrixServerNameSchema,
  Sha256Base64Schema,
  TimestampMsSchema,
} from './common-schemas.ts';
import { validate } from './validation.ts';
import type { Validation } from './validation.ts';
import {
  CHECKIN_EVENT_TYPE,
  CONSENT_RECEIPT_EVENT_TYPE,
  DEBRIEF_EVENT_TYPE,
  ESCALATION_REASONS,
  ESCALATION_SUGGESTION_EVENT_TYPE,
  SESSION_EVENT_TYPE,
} from './event-type-names.ts';
import type { PeerlineEventType } from './event-type-names.ts';

// The names and value lists live in event-type-names.ts (no TypeBox, for the web client's bundle).
export {
  CHECKIN_ACTIONS,
  CHECKIN_EVENT_TYPE,
  CONSENT_RECEIPT_EVENT_TYPE,
  DEBRIEF_EVENT_TYPE,
  ESCALATION_REASONS,
  ESCALATION_SUGGESTION_EVENT_TYPE,
  isPeerlineEventType,
  PEERLINE_EVENT_TYPES,
  REVIEW_FLAG_REASONS,
  SESSION_EVENT_TYPE,
  SESSION_STATE_KEY,
} from './event-type-names.ts';
export type { EscalationReason, PeerlineEventType, ReviewFlagReason } from './event-type-names.ts';

// ---- org.peerline.session -------------------------------------------------------------------------

export const SessionKindSchema = Type.Union([Type.Literal('peer'), Type.Literal('group'), Type.Literal('escalation')], {
  description: 'the kind of room: peer (one student, one supporter), group, or escalation (with a counsellor)',
});
export type SessionKind = Static<typeof SessionKindSchema>;

export const SessionContentSchema = Type.Object(
  {
    request_id: Type.String({
      pattern: '^[\\x21-\\x7E]{1,255}$',
      description: 'the id of the support request (or group) this room serves: 1–255 printable ASCII characters, no spaces',
    }),
    // A policy topic id, not the student's words: this event is readable by every server in the room.
    topic: Type.String({
      pattern: '^[a-z0-9][a-z0-9._-]{0,63}$',
      description: 'a topic id from the institution policy, such as exam-stress',
    }),
    institutions: Type.Array(MatrixServerNameSchema, {
      minItems: 1,
      maxItems: 64,
      uniqueItems: true,
      description: 'the server names of the institutions taking part',
    }),
    created_ts: TimestampMsSchema,
    kind: SessionKindSchema,
  },
  { additionalProperties: false, title: 'org.peerline.session content', description: 'Metadata of a Peerline room; never message content.' },
);
export type SessionContent = Static<typeof SessionContentSchema>;

// ---- org.peerline.escalation.suggestion -----------------------------------------------------------

export const EscalationReasonSchema = Type.Union(
  ESCALATION_REASONS.map((r) => Type.Literal(r)),
  { description: 'an escalation reason code' },
);

export const EscalationSuggestionContentSchema = Type.Object(
  {
    reason: EscalationReasonSchema,
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'a note to the student of 1–2000 characters' })),
    suggested_severity: EscalationSeveritySchema,
  },
  { title: 'org.peerline.escalation.suggestion content', description: 'A supporter suggests, never forces, bringing a counsellor in.' },
);
export type EscalationSuggestionContent = Static<typeof EscalationSuggestionContentSchema>;

// ---- org.peerline.consent.receipt -----------------------------------------------------------------

export const ConsentReceiptReferenceContentSchema = Type.Object(
  {
    receipt_id: RandomIdSchema,
    receipt_sha256: { ...Sha256Base64Schema, description: 'receiptHash() of the signed receipt: SHA-256 of its canonical JSON, unpadded base64' },
  },
  { title: 'org.peerline.consent.receipt content', description: 'Points at the consent receipt that allowed this escalation room.' },
);
export type ConsentReceiptReferenceContent = Static<typeof ConsentReceiptReferenceContentSchema>;

// ---- org.peerline.checkin -------------------------------------------------------------------------

export const CheckInActionSchema = Type.Union([Type.Literal('offer'), Type.Literal('accept'), Type.Literal('decline')], {
  description: 'offer (supporter proposes), accept or decline (student answers)',
});

export const CheckInContentSchema = Type.Object(
  {
    // Chosen at random by the offer and repeated by the answer, which pairs them.
    checkin_id: RandomIdSchema,
    action: CheckInActionSchema,
    proposed_ts: { ...TimestampMsSchema, description: 'the proposed check-in time in milliseconds since the Unix epoch' },
  },
  { title: 'org.peerline.checkin content', description: 'A follow-up check-in offer or the answer to one.' },
);
export type CheckInContent = Static<typeof CheckInContentSchema>;

// ---- org.peerline.debrief ------------------------------------------------------------------------

// A state event, so unencrypted and readable by the homeserver: it says only that the room is a
// supervision debrief and between whom. Nothing about a student — not even the session's topic, which
// the members read from the bridge — and unknown keys are refused so nothing can ride along.
export const DebriefContentSchema = Type.Object(
  {
    debrief_id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: 'the bridge\'s id of the debrief: 8–64 letters, digits, _ or -' }),
    institution: MatrixServerNameSchema,
    supporter: { ...MatrixUserIdSchema, description: 'the Matrix user id of the supporter who asked for the debrief' },
    supervisor: { ...MatrixUserIdSchema, description: 'the Matrix user id of the supervising counsellor' },
    about_session: Type.Boolean({ description: 'whether the debrief is about one of the supporter\'s sessions (which one, only the members learn from the bridge)' }),
    created_ts: TimestampMsSchema,
  },
  { additionalProperties: false, title: 'org.peerline.debrief content', description: 'Marks a supervision debrief room; never anything of a student.' },
);
export type DebriefContent = Static<typeof DebriefContentSchema>;

// ---- lookup by type -------------------------------------------------------------------------------

export const PEERLINE_EVENT_CONTENT_SCHEMAS = {
  [SESSION_EVENT_TYPE]: SessionContentSchema,
  [ESCALATION_SUGGESTION_EVENT_TYPE]: EscalationSuggestionContentSchema,
  [CONSENT_RECEIPT_EVENT_TYPE]: ConsentReceiptReferenceContentSchema,
  [CHECKIN_EVENT_TYPE]: CheckInContentSchema,
  [DEBRIEF_EVENT_TYPE]: DebriefContentSchema,
} as const;

export interface PeerlineEventContentMap {
  [SESSION_EVENT_TYPE]: SessionContent;
  [ESCALATION_SUGGESTION_EVENT_TYPE]: EscalationSuggestionContent;
  [CONSENT_RECEIPT_EVENT_TYPE]: ConsentReceiptReferenceContent;
  [CHECKIN_EVENT_TYPE]: CheckInContent;
  [DEBRIEF_EVENT_TYPE]: DebriefContent;
}

/** Validates the content of a Peerline event (e.g. after decryption) against its type's schema. */
export function validatePeerlineEventContent<T extends PeerlineEventType>(
  type: T,
  content: unknown,
): Validation<PeerlineEventContentMap[T]> {
  return validate(PEERLINE_EVENT_CONTENT_SCHEMAS[type], content) as Validation<PeerlineEventContentMap[T]>;
}
