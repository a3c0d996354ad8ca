// The consent receipt: what a student signs, on their own device, before a counsellor is brought
// into their support (DESIGN.md flow 4). The bridge escalates only on a receipt that verifies here,
// so this file is the single definition of its format, its signature and its checks.
//
// A receipt is signed as Matrix signs JSON: ed25519 over the canonical JSON of the receipt object,
// signature in unpadded base64. Every string field is restricted to ASCII by the schema, so there is
// no Unicode normalisation question between the signer's and the verifier's canonical forms.

import sodium from 'libsodium-wrappers';
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { canonicalJson } from './canonical-json.ts';
import { decodeUnpaddedBase64, encodeUnpaddedBase64, encodeUnpaddedBase64Url } from './base64.ts';
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

export const CONSENT_RECEIPT_VERSION = 1;

// ---- format ---------------------------------------------------------------------------------------

/** What the student agreed to share with the counsellor. */
export const CONSENT_SHARE_LEVELS = ['nothing', 'summary', 'messages'] as const;

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

// ---- keys and random values -----------------------------------------------------------------------

export interface ConsentKeyPair {
  publicKey: Uint8Array;
  /** libsodium's 64-byte ed25519 secret key (seed followed by public key); never leaves the device. */
  secretKey: Uint8Array;
  keyId: string;
}

export async function generateConsentKeyPair(): Promise<ConsentKeyPair> {
  await sodium.ready;
  const { publicKey, privateKey } = sodium.crypto_sign_keypair();
  return { publicKey, secretKey: privateKey, keyId: consentKeyId(publicKey) };
}

/** Rebuilds a key pair from its 32-byte seed (what a device may store instead of the secret key). */
export async function consentKeyPairFromSeed(seed: Uint8Array): Promise<ConsentKeyPair> {
  await sodium.ready;
  if (seed.length !== 32) throw new TypeError(`a consent key seed is 32 bytes, got ${seed.length}`);
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed);
  return { publicKey, secretKey: privateKey, keyId: consentKeyId(publicKey) };
}

/** "ed25519:" + the unpadded base64 public key. */
export function consentKeyId(publicKey: Uint8Array): string {
  return `ed25519:${encodeConsentPublicKey(publicKey)}`;
}

/** A public key as the student's client registers it with the bridge: unpadded base64. */
export function encodeConsentPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new TypeError(`an ed25519 public key is 32 bytes, got ${publicKey.length}`);
  return encodeUnpaddedBase64(publicKey);
}

/** Parses a registered public key; throws a TypeError unless it is 32 bytes in unpadded base64. */
export function decodeConsentPublicKey(text: string): Uint8Array {
  const bytes = decodeUnpaddedBase64(text);
  if (bytes === null || bytes.length !== 32) {
    throw new TypeError('an ed25519 public key must be 32 bytes in unpadded base64 (43 characters)');
  }
  return bytes;
}

/** A fresh receipt id: 144 random bits, URL-safe. */
export async function newReceiptId(): Promise<string> {
  await sodium.ready;
  return encodeUnpaddedBase64Url(sodium.randombytes_buf(18));
}

/** A fresh nonce: 192 random bits, URL-safe. */
export async function newNonce(): Promise<string> {
  await sodium.ready;
  return encodeUnpaddedBase64Url(sodium.randombytes_buf(24));
}

// ---- hashing --------------------------------------------------------------------------------------

// libsodium-wrappers' standard build ships no SHA-256 (only its sumo build does, though the typings
// declare it), so SHA-256 comes from Web Crypto, present in browsers (secure contexts, which the
// web client needs anyway for matrix-js-sdk's crypto) and in Node as globalThis.crypto.

/** SHA-256 of bytes, or of a string's UTF-8 encoding, in unpadded base64. */
export async function sha256Base64(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return encodeUnpaddedBase64(new Uint8Array(digest));
}

/** The receipt's hash as org.peerline.consent.receipt carries it: SHA-256 of its canonical JSON. */
export async function receiptHash(receipt: ConsentReceipt): Promise<string> {
  return sha256Base64(canonicalJson(receipt));
}

// ---- creating and signing -------------------------------------------------------------------------

export type ConsentReceiptRequest = Pick<
  ConsentReceipt,
  'student_user_id' | 'room_id' | 'scope' | 'counsellor_institution' | 'severity'
>;

/** Fills in version, fresh receipt id and nonce, and the validity window; throws if invalid. */
export async function newConsentReceipt(
  request: ConsentReceiptRequest,
  timing: { now: number; ttlMs: number },
): Promise<ConsentReceipt> {
  const receipt: ConsentReceipt = {
    version: CONSENT_RECEIPT_VERSION,
    receipt_id: await newReceiptId(),
    student_user_id: request.student_user_id,
    room_id: request.room_id,
    scope: request.scope,
    counsellor_institution: request.counsellor_institution,
    severity: request.severity,
    created_ts: timing.now,
    expires_ts: timing.now + timing.ttlMs,
    nonce: await newNonce(),
  };
  return assertValidReceipt(receipt);
}

/** Signs a receipt; throws a SchemaValidationError (naming each bad path) if it is not valid. */
export async function signConsentReceipt(receipt: ConsentReceipt, secretKey: Uint8Array): Promise<SignedConsentReceipt> {
  await sodium.ready;
  if (secretKey.length !== 64) throw new TypeError(`an ed25519 secret key is 64 bytes, got ${secretKey.length}`);
  assertValidReceipt(receipt);
  const text = canonicalJson(receipt);
  const signature = sodium.crypto_sign_detached(new TextEncoder().encode(text), secretKey);
  return {
    // A copy of exactly what was signed, so later changes to the caller's object cannot split them.
    receipt: JSON.parse(text) as ConsentReceipt,
    signature: encodeUnpaddedBase64(signature),
    key_id: consentKeyId(secretKey.subarray(32)),
  };
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
  await sodium.ready;
  const key = typeof publicKey === 'string' ? decodeConsentPublicKey(publicKey) : publicKey;
  if (key.length !== 32) throw new TypeError(`an ed25519 public key is 32 bytes, got ${key.length}`);
  if (!Number.isSafeInteger(options.now) || !Number.isSafeInteger(options.maxSkewMs) || options.maxSkewMs < 0) {
    throw new TypeError('verifyConsentReceipt needs an integer now and a non-negative integer maxSkewMs');
  }

  const format = validateSignedConsentReceipt(signed);
  if (!format.ok) return fail('bad_format', formatIssues(format.issues));
  const { receipt, signature, key_id } = format.value;

  if (key_id !== consentKeyId(key)) return fail('bad_signature', 'the receipt was signed with another key');
  const message = new TextEncoder().encode(canonicalJson(receipt));
  // The schema pattern guarantees 64 canonical bytes, so the decode cannot fail here.
  if (!sodium.crypto_sign_verify_detached(decodeUnpaddedBase64(signature)!, message, key)) {
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
