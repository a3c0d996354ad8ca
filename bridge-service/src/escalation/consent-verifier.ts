// The gate of every escalation. `ConsentVerifier.verify` checks a signed consent receipt against the
// student's registered key (protocol `verifyConsentReceipt`: signature, validity window, student,
// room, institution, scope), then what needs the bridge's state: the key is the student's current
// one, the receipt was never used (nonce and id), the student is in the peer room it names, and that
// room is a Peerline room. Only then does it hand out a `VerifiedConsent` — a value no other module
// can construct — and the escalation service accepts nothing else. A refusal is audited and answered
// with a clear 4xx; nothing else is written.
import {
  receiptHash, validateSignedConsentReceipt, verifyConsentReceipt,
  type ConsentReceipt, type ConsentScope, type ConsentVerificationFailure, type SignedConsentReceipt,
} from '../../../protocol/src/consent.ts';
import { SESSION_EVENT_TYPE, validatePeerlineEventContent } from '../../../protocol/src/event-types.ts';
import { formatIssues } from '../../../protocol/src/validation.ts';
import { BridgeError } from '../errors.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../logger.ts';
import type { AuditService } from '../services/audit.ts';
import type { EscalationStore } from '../store/escalation-store.ts';
import { BotNotInRoomError, membershipIn, stateOrNull, type EscalationHomeserver } from './escalation-room.ts';
import type { EscalationMetrics } from './metrics.ts';

/** Tolerated clock difference between a student's device and the bridge. */
export const CONSENT_MAX_SKEW_MS = 2 * 60_000;
/** A receipt is consent given now, for now: one valid for longer is refused. */
export const CONSENT_MAX_LIFETIME_MS = 24 * 3600_000;
/** A VerifiedConsent must be spent this soon after verification. */
const VERIFIED_CONSENT_TTL_MS = 60_000;

export type RefusalReason =
  | ConsentVerificationFailure
  | 'unknown_key' | 'retired_key' | 'too_long_lived' | 'replayed' | 'not_in_room' | 'not_a_peerline_room';

const REFUSALS: Record<RefusalReason, { status: number; errcode: string; error: string }> = {
  bad_format: { status: 400, errcode: 'M_BAD_JSON', error: 'The consent receipt is not well-formed' },
  bad_signature: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_BAD_SIGNATURE', error: 'The consent receipt\'s signature does not verify with your registered key' },
  unknown_key: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_UNKNOWN_KEY', error: 'The consent receipt is signed with a key you have not registered (POST /v1/consent/keys)' },
  retired_key: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_RETIRED_KEY', error: 'The consent receipt is signed with a key you have since replaced; sign it with your current key' },
  expired: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_EXPIRED', error: 'The consent receipt has expired; ask the student again and sign a new one' },
  not_yet_valid: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_NOT_YET_VALID', error: 'The consent receipt was created in the future; check the device clock' },
  too_long_lived: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_TOO_LONG_LIVED', error: `A consent receipt may be valid for at most ${CONSENT_MAX_LIFETIME_MS / 3600_000} hours` },
  replayed: { status: 409, errcode: 'ORG.PEERLINE.CONSENT_REPLAYED', error: 'This consent receipt was already used; each escalation needs a new one' },
  scope_mismatch: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_SCOPE_MISMATCH', error: 'The consent receipt consents to sharing something other than this request asks for' },
  wrong_student: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_WRONG_STUDENT', error: 'The consent receipt was given by another student' },
  wrong_room: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_WRONG_ROOM', error: 'The consent receipt concerns another room than this request' },
  wrong_institution: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_WRONG_INSTITUTION', error: 'The consent receipt must name your own institution\'s counsellors' },
  not_in_room: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_NOT_IN_ROOM', error: 'You are not a member of the room the consent receipt names' },
  not_a_peerline_room: { status: 403, errcode: 'ORG.PEERLINE.CONSENT_NOT_A_PEERLINE_ROOM', error: 'The room the consent receipt names is not a Peerline support room' },
};

/** Records a refusal (audit + metric) and returns the error to throw. */
export class ConsentRefusals {
  private readonly audit: AuditService;
  private readonly metrics: EscalationMetrics;
  private readonly logger: Logger;

  constructor(opts: { audit: AuditService; metrics: EscalationMetrics; logger: Logger }) {
    this.audit = opts.audit;
    this.metrics = opts.metrics;
    this.logger = opts.logger;
  }

  async refuse(studentUserId: string, receiptId: string | null, reason: RefusalReason, detail?: string): Promise<BridgeError> {
    const r = REFUSALS[reason];
    await this.audit.record({ actor: studentUserId, action: 'consent.receipt.refused', subject: receiptId, details: { reason } });
    this.metrics.refusals.inc({ reason });
    this.logger.info('consent receipt refused', { reason });
    return new BridgeError(r.status, r.errcode, detail ? `${r.error}: ${detail}` : r.error, { reason });
  }
}

interface VerifiedFields {
  signed: SignedConsentReceipt;
  receipt: ConsentReceipt;
  keyId: string;
  receiptSha256: string;
  studentUserId: string;
  peerRoomId: string;
  /** From the peer room's org.peerline.session state. */
  requestId: string;
  topic: string;
  verifiedTs: number;
}

// Module-private: only this file can mint a VerifiedConsent.
const SEAL: unique symbol = Symbol('VerifiedConsent');

/** A consent receipt that passed every check, usable once, shortly after verification. */
export class VerifiedConsent {
  readonly #fields: VerifiedFields;
  #spent = false;

  constructor(seal: typeof SEAL, fields: VerifiedFields) {
    if (seal !== SEAL) throw new TypeError('a VerifiedConsent is issued by ConsentVerifier only');
    this.#fields = fields;
  }

  get receiptId(): string {
    return this.#fields.receipt.receipt_id;
  }

  /** Hands the fields over once; throws when spent before or verified too long ago. */
  spend(now: number): Readonly<VerifiedFields> {
    if (this.#spent) throw new TypeError('this VerifiedConsent was already used');
    if (now - this.#fields.verifiedTs > VERIFIED_CONSENT_TTL_MS) throw new TypeError('this VerifiedConsent is stale; verify the receipt again');
    this.#spent = true;
    return this.#fields;
  }
}

export interface EscalationAsk {
  /** The signed receipt as received (checked here, whatever its shape). */
  signed: unknown;
  /** The session user. */
  studentUserId: string;
  /** The peer room the escalation comes from. */
  roomId: string;
  /** What the client will share. */
  scope: ConsentScope;
}

export class ConsentVerifier {
  private readonly store: EscalationStore;
  private readonly homeserver: EscalationHomeserver;
  private readonly refusals: ConsentRefusals;
  private readonly clock: Clock;
  private readonly institution: () => string;

  constructor(opts: { store: EscalationStore; homeserver: EscalationHomeserver; refusals: ConsentRefusals; clock: Clock; institution: () => string }) {
    this.store = opts.store;
    this.homeserver = opts.homeserver;
    this.refusals = opts.refusals;
    this.clock = opts.clock;
    this.institution = opts.institution;
  }

  /** Returns the verified consent, or throws the audited refusal. */
  async verify(ask: EscalationAsk): Promise<VerifiedConsent> {
    const student = ask.studentUserId;
    const format = validateSignedConsentReceipt(ask.signed);
    if (!format.ok) throw await this.refusals.refuse(student, null, 'bad_format', formatIssues(format.issues));
    const signed = format.value;
    const receiptId = signed.receipt.receipt_id;
    const refuse = async (reason: RefusalReason): Promise<never> => {
      throw await this.refusals.refuse(student, receiptId, reason);
    };

    // Only the session user's own keys count: a receipt signed with anyone else's is not theirs.
    const key = await this.store.consentKey(signed.key_id);
    if (!key || key.user_id !== student) return refuse('unknown_key');
    const now = this.clock.now();
    const result = await verifyConsentReceipt(signed, key.public_key, {
      now, maxSkewMs: CONSENT_MAX_SKEW_MS,
      expectedStudent: student, expectedRoom: ask.roomId, expectedInstitution: this.institution(), expectedScope: ask.scope,
    });
    if (!result.ok) return refuse(result.code);
    const receipt = result.receipt;
    if (key.retired_ts !== null) return refuse('retired_key');
    if (receipt.expires_ts - receipt.created_ts > CONSENT_MAX_LIFETIME_MS) return refuse('too_long_lived');
    if (await this.store.receiptUsed(receipt.receipt_id, receipt.nonce)) return refuse('replayed');

    // The bot created the peer room, so it can see who is in it and what the room serves.
    let membership: string | null;
    try {
      membership = await membershipIn(this.homeserver, receipt.room_id, student);
    } catch (e) {
      if (e instanceof BotNotInRoomError) return refuse('not_a_peerline_room');
      throw homeserverUnavailable(e);
    }
    if (membership !== 'join') return refuse('not_in_room');
    let sessionState: Record<string, unknown> | null;
    try {
      sessionState = await stateOrNull(this.homeserver, receipt.room_id, SESSION_EVENT_TYPE);
    } catch (e) {
      throw homeserverUnavailable(e);
    }
    const session = sessionState ? validatePeerlineEventContent(SESSION_EVENT_TYPE, sessionState) : null;
    if (!session?.ok || session.value.kind === 'escalation') return refuse('not_a_peerline_room');

    return new VerifiedConsent(SEAL, {
      signed, receipt, keyId: key.key_id, receiptSha256: await receiptHash(receipt), studentUserId: student,
      peerRoomId: receipt.room_id, requestId: session.value.request_id, topic: session.value.topic, verifiedTs: this.clock.now(),
    });
  }

  /** Whether a stored receipt's signature holds with the key it names (kept after rotation). */
  async signatureHolds(signed: SignedConsentReceipt): Promise<boolean> {
    const key = await this.store.consentKey(signed.key_id);
    if (!key || key.user_id !== signed.receipt.student_user_id) return false;
    // Checked as of its creation: expiry is about using a receipt, not about its authenticity.
    const r = await verifyConsentReceipt(signed, key.public_key, { now: signed.receipt.created_ts, maxSkewMs: 0 });
    return r.ok;
  }
}

function homeserverUnavailable(e: unknown): BridgeError {
  return new BridgeError(502, 'M_UNKNOWN', `The homeserver could not be asked about the room: ${(e as Error).message}`);
}
