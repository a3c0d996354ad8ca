// Ed25519 signing of JSON objects as the spec's "Signing JSON" defines it: sign the canonical JSON of
// the object without `signatures` and `unsigned`, and store the signature under server name and key id.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, randomBytes, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { decodeBase64, encodeBase64 } from './base64.ts';

export interface SigningKey {
  /** e.g. `ed25519:a_AbCd` */
  keyId: string;
  privateKey: KeyObject;
  /** Unpadded base64 of the 32-byte public key. */
  publicKeyBase64: string;
  /** 32-byte seed, for persisting the key. */
  seed: Buffer;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Builds a signing key from a 32-byte seed. */
export function signingKeyFromSeed(keyId: string, seed: Buffer): SigningKey {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { keyId, privateKey, publicKeyBase64: encodeBase64(spki.subarray(SPKI_ED25519_PREFIX.length)), seed };
}

/** Generates a new signing key with a random key id of the usual `ed25519:a_XXXX` form. */
export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const seed = Buffer.from(der.subarray(der.length - 32));
  const keyId = 'ed25519:a_' + randomBytes(3).toString('hex').slice(0, 4);
  return signingKeyFromSeed(keyId, seed);
}

/** Signs raw bytes. */
export function signBytes(key: SigningKey, data: string | Buffer): string {
  return encodeBase64(sign(null, Buffer.from(data), key.privateKey));
}

/** Returns a copy of `obj` with this server's signature added (other signatures kept). */
export function signJson<T extends Record<string, unknown>>(
  obj: T,
  signer: string,
  key: SigningKey,
): T & { signatures: Record<string, Record<string, string>> } {
  const { signatures, unsigned, ...rest } = obj as Record<string, unknown>;
  const sig = signBytes(key, canonicalJson(rest));
  const prior = (signatures ?? {}) as Record<string, Record<string, string>>;
  const out = { ...rest, signatures: { ...prior, [signer]: { ...(prior[signer] ?? {}), [key.keyId]: sig } } } as T & {
    signatures: Record<string, Record<string, string>>;
  };
  if (unsigned !== undefined) (out as Record<string, unknown>)['unsigned'] = unsigned;
  return out;
}

const publicKeyCache = new Map<string, KeyObject>();

function publicKeyObject(publicKeyBase64: string): KeyObject | null {
  let k = publicKeyCache.get(publicKeyBase64);
  if (k) return k;
  const raw = decodeBase64(publicKeyBase64);
  if (!raw || raw.length !== 32) return null;
  k = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
  if (publicKeyCache.size > 10_000) publicKeyCache.clear();
  publicKeyCache.set(publicKeyBase64, k);
  return k;
}

/** Verifies an ed25519 signature over raw bytes with an unpadded-base64 public key. */
export function verifyBytes(publicKeyBase64: string, data: string | Buffer, signatureBase64: string): boolean {
  const key = publicKeyObject(publicKeyBase64);
  const sig = decodeBase64(signatureBase64);
  if (!key || !sig || sig.length !== 64) return false;
  try {
    return verify(null, Buffer.from(data), key, sig);
  } catch {
    return false;
  }
}

/** Verifies `signer`'s signature with `keyId` on a signed JSON object. */
export function verifyJsonSignature(
  obj: Record<string, unknown>,
  signer: string,
  keyId: string,
  publicKeyBase64: string,
): boolean {
  const sigs = obj['signatures'] as Record<string, Record<string, string>> | undefined;
  const sig = sigs?.[signer]?.[keyId];
  if (typeof sig !== 'string') return false;
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  void _s; void _u;
  return verifyBytes(publicKeyBase64, canonicalJson(rest), sig);
}
