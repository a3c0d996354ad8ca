// The consent receipt: what a student signs, on their own device, before a counsellor is brought
// into their support (DESIGN.md flow 4). The bridge escalates only on a receipt that verifies here,
// so this file is the single definition of its format, its signature and its checks.
//
// A receipt is signed as Matrix signs JSON: ed25519 over the canonical JSON of the receipt object,
// signature in unpadded base64. Every string field is restricted to ASCII by the schema, so there is
// no Unicode normalisation question between the signer's and the verifier's canonical forms.

import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import {
  buildConsentReceipt,
  CONSENT_RECEIPT_VERSION,
  consentKeyId,
  consentSignatureHolds,
  decodeConsentPublicKey,
  signConsentReceiptUnchecked,
} from './consent-signing.ts';
import type { ConsentReceiptRequest } from './consent-signing.ts';
import {
  Ed25519SignatureSchema,
  EscalationSeveritySchema,
  MatrixEventIdSchema,
  MatrixRoomIdSchema,
  MatrixUserIdSchema,
  RandomIdSchema,
  MatrixServerNameSchema,
  Sha256Base64Schema,
  TimestampMsSchema,
} from './common-schemas.ts';
import { formatIssues, makeIssue, schemaIssues, SchemaValidationError } from './validation.ts';
import type { SchemaIssue, Validation } from './validation.ts';

// Keys, digests and signing live in consent-signing.ts, which the web client imports without TypeBox.
export {
  CONSENT_RECEIPT_VERSION,
  CONSENT_SHARE_LEVELS,
  consentKeyId,
  consentKeyPairFromSeed,
  decodeConsentPublicKey,
  encodeConsentPublicKey,
  generateConsentKeyPair,
  newNonce,
  newReceiptId,
  receiptHash,
  sha256Base64,
} from './consent-signing.ts';
export type { ConsentKeyPair, ConsentReceiptRequest } from './consent-signing.ts';

// ---- format ---------------------------------------------------------------------------------------

export const ConsentShareSchema = Type.Union([Type.Literal('nothing'), Type.Literal('summary'), Type.Literal('messages')], {
  description: 'nothing (the counsellor joins without history), summary (a summary the student approved), or messages (chosen messages)',
});
export type ConsentShare = Static<typeof ConsentShareSchema>;

// Cross-field rules (summary_sha256 for "summary", event_ids for "messages", neither for "nothing")
// are checked by validateConsentReceipt; JSON Schema could only say them through oneOf, whose errors
// do not tell the reader which rule failed.
export const ConsentScopeSchema = Type.Object(
  {
    share: ConsentShareSchema,
    summary_sha256: Type.Optional({
      ...Sha256Base64Schema,
      description: 'the SHA-256 of the UTF-8 summary text the student approved, in unpadded base64 (43 characters)',
    }),
    event_ids: Type.Optional(Type.Array(MatrixEventIdSchema, { minItems: 1, maxItems: 500, uniqueItems: true })),
  },
  { additionalProperties: false, title: 'consent scope' },
);
export type ConsentScope = Static<typeof ConsentScopeSchema>;

export const ConsentReceiptSchema = Type.Object(
  {
    version: Type.Literal(CONSENT_RECEIPT_VERSION),
    receipt_id: RandomIdSchema,
    student_user_id: MatrixUserIdSchema,
    room_id: { ...MatrixRoomIdSchema, description: 'the Matrix room ID of the peer room the consent comes from' },
    scope: ConsentScopeSchema,
    counsellor_institution: { ...MatrixServerNameSchema, description: "the server name of the counsellor's institution, such as a.example" },
    severity: EscalationSeveritySchema,
    created_ts: TimestampMsSchema,
    expires_ts: TimestampMsSchema,
    // Unique per receipt so the bridge can refuse a replayed one.
    nonce: RandomIdSchema,
  },
  { additionalProperties: false, title: 'consent receipt' },
);
export type ConsentReceipt = Static<typeof ConsentReceiptSchema>;

/** A key id names the public key itself, as Matrix cross-signing key ids do. */
export const ConsentKeyIdSchema = Type.String({
  pattern: '^ed25519:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$',
  description: 'a key id: "ed25519:" followed by the unpadded base64 public key',
});

export const SignedConsentReceiptSchema = Type.Object(
  {
    receipt: ConsentReceiptSchema,
    signature: Ed25519SignatureSchema,
    key_id: ConsentKeyIdSchema,
  },
  { additionalProperties: false, title: 'signed consent receipt' },
);
export type SignedConsentReceipt = Static<typeof SignedConsentReceiptSchema>;

/** Checks a receipt's schema and its cross-field rules; issues name the path and what was expected. */
export function validateConsentReceipt(value: unknown): Validation<ConsentReceipt> {
  return validateWithRules(ConsentReceiptSchema, value, (v) => receiptRuleIssues(v as ConsentReceipt, ''));
}

/** Same as validateConsentReceipt for the signed envelope (paths start with /receipt). */
export function validateSignedConsentReceipt(value: unknown): Validation<SignedConsentReceipt> {
  return validateWithRules(SignedConsentReceiptSchema, value, (v) =>
    receiptRuleIssues((v as SignedConsentReceipt).receipt, '/receipt'),
  );
}

function validateWithRules<T>(
  schema: typeof ConsentReceiptSchema | typeof SignedConsentReceiptSchema,
  value: unknown,
  rules: (v: unknown) => SchemaIssue[],
): Validation<T> {
  const issues = schemaIssues(schema, value);
  if (issues.length === 0) issues.push(...rules(value));
  return issues.length === 0 ? { ok: true, value: value as T } : { ok: false, issues };
}

function receiptRuleIssues(receipt: ConsentReceipt, base: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (receipt.expires_ts <= receipt.created_ts) {
    issues.push(makeIssue(`${base}/expires_ts`, 'a time after created_ts', 'a time at or before created_ts'));
  }
  const { share, summary_sha256, event_ids } = receipt.scope;
  const summaryPath = `${base}/scope/summary_sha256`;
  const eventsPath = `${base}/scope/event_ids`;
  if (share === 'summary' && summary_sha256 === undefined) {
    issues.push(makeIssue(summaryPath, 'the digest of the summary when share is "summary"', 'nothing (the property is missing)'));
  }
  if (share === 'nothing' && summary_sha256 !== undefined) {
    issues.push(makeIssue(summaryPath, 'no summary digest when share is "nothing"', 'a summary digest'));
  }
  if (share === 'messages' && event_ids === undefined) {
    issues.push(makeIssue(eventsPath, 'the shared event IDs when share is "messages"', 'nothing (the property is missing)'));
  }
  if (share !== 'messages' && event_ids !== undefined) {
    issues.push(makeIssue(eventsPath, `no event IDs when share is "${share}"`, 'a list of event IDs'));
  }
  return issues;
}

// ---- creating and signing -------------------------------------------------------------------------

/** Fills in version, fresh receipt id and nonce, and the validity window; throws if invalid. */
export async function newConsentReceipt(
  request: ConsentReceiptRequest,
  timing: { now: number; ttlMs: number },
): Promise<ConsentReceipt> {
  return assertValidReceipt(await buildConsentReceipt(request, timing));
}

/** Signs a receipt; throws a SchemaValidationError (naming each bad path) if it is not valid. */
export async function signConsentReceipt(receipt: ConsentReceipt, secretKey: Uint8Array): Promise<SignedConsentReceipt> {
  if (secretKey.length !== 64) throw new TypeError(`an ed25519 secret key is 64 bytes, got ${secretKey.length}`);
  assertValidReceipt(receipt);
  return signConsentReceiptUnchecked(receipt, secretKey);
}

function assertValidReceipt(receipt: ConsentReceipt): ConsentReceipt {
  const result = validateConsentReceipt(receipt);
  if (!result.ok) throw new SchemaValidationError('consent receipt', result.issues);
  return result.value;
}

// ---- verifying ------------------------------------------------------------------------------------

export const CONSENT_VERIFICATION_FAILURES = [
  'bad_format',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'scope_mismatch',
  'wrong_student',
  'wrong_room',
  'wrong_institution',
] as const;
export type ConsentVerificationFailure = (typeof CONSENT_VERIFICATION_FAILURES)[number];

export type ConsentVerification =
  | { ok: true; receipt: ConsentReceipt }
  | { ok: false; code: ConsentVerificationFailure; reason: string };

export interface ConsentVerificationOptions {
  /** The verifier's clock, in ms since the epoch. */
  now: number;
  /** Tolerated clock difference between the student's device and the verifier, in ms. */
  maxSkewMs: number;
  /** When given, the receipt's scope must be exactly this (event_ids compared as sets). */
  expectedScope?: ConsentScope;
  expectedStudent?: string;
  expectedRoom?: string;
  expectedInstitution?: string;
}

/**
 * Verifies a signed receipt received from anywhere against the public key the student registered.
 * Checks, in order: format, signature, validity window (created_ts − skew ≤ now < expires_ts + skew),
 * then each expectation given. Nothing about the receipt's claims is reported before its signature
 * holds. Replay (a nonce or receipt id seen before) is not detected here: that needs state, so the
 * bridge records nonces and refuses repeats.
 */
export async function verifyConsentReceipt(
  signed: unknown,
  publicKey: Uint8Array | string,
  options: ConsentVerificationOptions,
): Promise<ConsentVerification> {
  const key = typeof publicKey === 'string' ? decodeConsentPublicKey(publicKey) : publicKey;
  if (key.length !== 32) throw new TypeError(`an ed25519 public key is 32 bytes, got ${key.length}`);
  if (!Number.isSafeInteger(options.now) || !Number.isSafeInteger(options.maxSkewMs) || options.maxSkewMs < 0) {
    throw new TypeError('verifyConsentReceipt needs an integer now and a non-negative integer maxSkewMs');
  }

  const format = validateSignedConsentReceipt(signed);
  if (!format.ok) return fail('bad_format', formatIssues(format.issues));
  const { receipt, signature, key_id } = format.value;

  if (key_id !== consentKeyId(key)) return fail('bad_signature', 'the receipt was signed with another key');
  if (!(await consentSignatureHolds(receipt, signature, key))) {
    return fail('bad_signature', 'the signature does not match the receipt');
  }

  if (receipt.created_ts - options.maxSkewMs > options.now) return fail('not_yet_valid', 'the receipt was created in the future');
  if (receipt.expires_ts + options.maxSkewMs <= options.now) return fail('expired', 'the receipt has expired');
  if (options.expectedStudent !== undefined && receipt.student_user_id !== options.expectedStudent) {
    return fail('wrong_student', 'the receipt was given by another student');
  }
  if (options.expectedRoom !== undefined && receipt.room_id !== options.expectedRoom) {
    return fail('wrong_room', 'the receipt concerns another room');
  }
  if (options.expectedInstitution !== undefined && receipt.counsellor_institution !== options.expectedInstitution) {
    return fail('wrong_institution', 'the receipt names another counsellor institution');
  }
  if (options.expectedScope !== undefined && !sameConsentScope(receipt.scope, options.expectedScope)) {
    return fail('scope_mismatch', 'the receipt consents to sharing something else');
  }
  return { ok: true, receipt };
}

function fail(code: ConsentVerificationFailure, reason: string): ConsentVerification {
  return { ok: false, code, reason };
}

/** True when two scopes allow the same sharing; event id order does not matter. */
export function sameConsentScope(a: ConsentScope, b: ConsentScope): boolean {
  if (a.share !== b.share || a.summary_sha256 !== b.summary_sha256) return false;
  const x = new Set(a.event_ids ?? []);
  const y = new Set(b.event_ids ?? []);
  return x.size === y.size && [...x].every((id) => y.has(id));
}
