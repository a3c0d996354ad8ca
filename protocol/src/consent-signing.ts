// The consent receipt's keys, digests and signature, without its schema: what the student's device
// needs to make and sign a receipt, in a module that never loads TypeBox, so the web client's bundle
// carries only libsodium for it. consent.ts defines the format (schemas), validates receipts before
// signing them and verifies them; it re-exports everything here, and the bridge imports from there.
//
// Nothing here checks a receipt against the schema: the plain types below must equal the schema's
// types (consent-signing.test.ts proves it), and the bridge verifies every receipt it receives.

import sodium from 'libsodium-wrappers';
import { canonicalJson } from './canonical-json.ts';
import { decodeUnpaddedBase64, encodeUnpaddedBase64, encodeUnpaddedBase64Url } from './base64.ts';

export const CONSENT_RECEIPT_VERSION = 1;

/** What the student agreed to share with the counsellor. */
export const CONSENT_SHARE_LEVELS = ['nothing', 'summary', 'messages'] as const;
export type ConsentShare = (typeof CONSENT_SHARE_LEVELS)[number];

/** consent.ts's ConsentScopeSchema as a plain type. */
export interface ConsentScope {
  share: ConsentShare;
  /** SHA-256 of the UTF-8 summary text the student approved, unpadded base64; only for "summary". */
  summary_sha256?: string;
  /** The shared event ids; only for "messages". */
  event_ids?: string[];
}

/** consent.ts's ConsentReceiptSchema as a plain type. */
export interface ConsentReceipt {
  version: typeof CONSENT_RECEIPT_VERSION;
  receipt_id: string;
  student_user_id: string;
  room_id: string;
  scope: ConsentScope;
  counsellor_institution: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  created_ts: number;
  expires_ts: number;
  nonce: string;
}

/** consent.ts's SignedConsentReceiptSchema as a plain type. */
export interface SignedConsentReceipt {
  receipt: ConsentReceipt;
  signature: string;
  key_id: string;
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

/** Fills in version, fresh receipt id and nonce, and the validity window; checks no schema. */
export async function buildConsentReceipt(
  request: ConsentReceiptRequest,
  timing: { now: number; ttlMs: number },
): Promise<ConsentReceipt> {
  return {
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
}

/**
 * Signs the canonical JSON of a receipt with a 64-byte ed25519 secret key; checks no schema (consent.ts's
 * signConsentReceipt validates first). The returned receipt is a copy of exactly what was signed, so
 * later changes to the caller's object cannot split them.
 */
export async function signConsentReceiptUnchecked(receipt: ConsentReceipt, secretKey: Uint8Array): Promise<SignedConsentReceipt> {
  await sodium.ready;
  if (secretKey.length !== 64) throw new TypeError(`an ed25519 secret key is 64 bytes, got ${secretKey.length}`);
  const text = canonicalJson(receipt);
  const signature = sodium.crypto_sign_detached(new TextEncoder().encode(text), secretKey);
  return {
    receipt: JSON.parse(text) as ConsentReceipt,
    signature: encodeUnpaddedBase64(signature),
    key_id: consentKeyId(secretKey.subarray(32)),
  };
}

/** True when an ed25519 signature (unpadded base64) over the receipt's canonical JSON holds for the key. */
export async function consentSignatureHolds(receipt: ConsentReceipt, signature: string, publicKey: Uint8Array): Promise<boolean> {
  await sodium.ready;
  const bytes = decodeUnpaddedBase64(signature);
  if (bytes === null || bytes.length !== 64 || publicKey.length !== 32) return false;
  return sodium.crypto_sign_verify_detached(bytes, new TextEncoder().encode(canonicalJson(receipt)), publicKey);
}
