// Storage of consent and escalation: the students' consent keys (kept after rotation, so every
// stored receipt stays verifiable by its key id), the receipts the bridge accepted (their nonces
// are what refuses a replay, after a restart too), escalations and their invites, and breaches of
// the response-time targets. Every change is written with its audit entry in one transaction.
import type { AuditDraft, AuditEntry } from '../core/audit-chain.ts';
import type { SignedConsentReceipt } from '../../../protocol/src/consent.ts';
import type { SeverityLevel } from '../../../protocol/src/common-schemas.ts';

export interface ConsentKeyRecord {
  /** "ed25519:" + the unpadded base64 public key (protocol `consentKeyId`). */
  key_id: string;
  user_id: string;
  /** Unpadded base64, 32 bytes. */
  public_key: string;
  registered_ts: number;
  /** When a newer key replaced it; a retired key verifies old receipts but signs no new escalation. */
  retired_ts: number | null;
}

export interface StoredReceipt {
  receipt_id: string;
  nonce: string;
  student_user_id: string;
  key_id: string;
  /** Exactly what the student signed, with the signature. */
  signed: SignedConsentReceipt;
  receipt_sha256: string;
  accepted_ts: number;
  withdrawn_ts: number | null;
  escalation_id: string;
}

/**
 * opening → queued → claimed → resolved; queued/claimed → withdrawn (the student, before a
 * counsellor joined). `opening` means the receipt is accepted and the room is being created (a
 * periodic job finishes it if the homeserver was unreachable).
 */
export type EscalationStatus = 'opening' | 'queued' | 'claimed' | 'resolved' | 'withdrawn';
export const OPEN_STATUSES: readonly EscalationStatus[] = ['opening', 'queued', 'claimed'];

export interface EscalationRecord {
  escalation_id: string;
  receipt_id: string;
  student_user_id: string;
  /** The peer (or group) room the consent came from. */
  peer_room_id: string;
  /** The request id of the peer room's org.peerline.session state. */
  request_id: string;
  topic: string;
  severity: SeverityLevel;
  /** The escalation room, once created. */
  room_id: string | null;
  status: EscalationStatus;
  created_ts: number;
  /** created_ts + the policy's response target for the severity, fixed at creation. */
  due_ts: number;
  /** The counsellor who holds it now. */
  claimed_by: string | null;
  /** The first claim: the response time is claimed_ts − created_ts (hand-overs do not reset it). */
  claimed_ts: number | null;
  /** The first time a counsellor joined the escalation room (then nothing is withdrawable). */
  counsellor_joined_ts: number | null;
  closed_ts: number | null;
  outcome: string | null;
  updated_ts: number;
}

export interface EscalationInvite {
  escalation_id: string;
  user_id: string;
  role: 'student' | 'counsellor';
  invited_ts: number;
  joined_ts: number | null;
  /** The bot took the invite back (withdrawal, or a colleague claimed the escalation). */
  rescinded_ts: number | null;
}

export interface ResponseBreach {
  escalation_id: string;
  severity: SeverityLevel;
  created_ts: number;
  due_ts: number;
  detected_ts: number;
}

/** What figures need of an escalation: never who. */
export interface EscalationFact {
  topic: string;
  created_ts: number;
  claimed_ts: number | null;
}

/** Columns a status transition may set. */
export type EscalationPatch = Partial<Pick<EscalationRecord, 'status' | 'room_id' | 'claimed_by' | 'claimed_ts' | 'counsellor_joined_ts' | 'closed_ts' | 'outcome'>>;

/** Thrown by `acceptReceipt` when the nonce or receipt id was stored before. */
export class ReceiptReplayError extends Error {
  constructor() {
    super('consent receipt nonce or id already used');
  }
}

export interface EscalationStore {
  // ── consent keys ──
  consentKeys(userId: string): Promise<ConsentKeyRecord[]>;
  consentKey(keyId: string): Promise<ConsentKeyRecord | undefined>;
  /** Makes `rec` the user's current key, retiring the previous current one, with its audit entry. */
  registerConsentKey(rec: ConsentKeyRecord, audit: (retired: string | null) => AuditDraft): Promise<{ retired: string | null; entry: AuditEntry }>;

  // ── receipts ──
  receiptUsed(receiptId: string, nonce: string): Promise<boolean>;
  /** Stores the receipt and its escalation (status `opening`) at once; ReceiptReplayError when used before. */
  acceptReceipt(receipt: StoredReceipt, escalation: EscalationRecord, audit: AuditDraft): Promise<AuditEntry>;
  receipt(receiptId: string): Promise<StoredReceipt | undefined>;
  receiptsOf(userId: string): Promise<StoredReceipt[]>;
  /** Marks the receipt withdrawn and closes its escalation, if it is still in one of `from`. */
  withdraw(receiptId: string, from: readonly EscalationStatus[], now: number, audit: AuditDraft): Promise<EscalationRecord | undefined>;

  // ── escalations ──
  escalation(id: string): Promise<EscalationRecord | undefined>;
  escalationByRoom(roomId: string): Promise<EscalationRecord | undefined>;
  /** Escalations in the given statuses, most severe first, then longest waiting. */
  escalationsByUrgency(statuses: readonly EscalationStatus[]): Promise<EscalationRecord[]>;
  /**
   * Applies `patch` only if the escalation is in one of `expect.status` (and held by
   * `expect.claimed_by` when given); returns the updated record, or undefined (nothing written).
   */
  transition(id: string, expect: { status: readonly EscalationStatus[]; claimed_by?: string }, patch: EscalationPatch, now: number, audit: AuditDraft | null): Promise<EscalationRecord | undefined>;

  invites(escalationId: string): Promise<EscalationInvite[]>;
  /** Records (or renews, after a rescind) an invite. */
  putInvite(inv: EscalationInvite): Promise<void>;
  /** First join only; returns true when this call recorded it. */
  markInviteJoined(escalationId: string, userId: string, ts: number): Promise<boolean>;
  markInviteRescinded(escalationId: string, userId: string, ts: number): Promise<void>;

  // ── response targets ──
  /** Open or answered escalations without a breach whose first claim (or close, or now) came after due_ts. */
  overdueWithoutBreach(now: number): Promise<EscalationRecord[]>;
  /** Inserts the breach with its audit entry; false when it was recorded before. */
  recordBreach(b: ResponseBreach, audit: AuditDraft): Promise<boolean>;
  breaches(limit: number, beforeDetectedTs?: number): Promise<(ResponseBreach & { status: EscalationStatus; claimed_ts: number | null; claimed_by: string | null })[]>;

  // ── figures ──
  /** Escalations created, or first claimed, in [fromTs, toTs). */
  escalationFacts(fromTs: number, toTs: number): Promise<EscalationFact[]>;
}

// The bridge-wide Store gains the escalation store (augmentation, so store.ts stays as it is).
declare module './store.ts' {
  interface Store {
    escalation: EscalationStore;
  }
}
