// Shapes of the signed key objects clients upload (device keys, cross-signing keys, one-time keys),
// checked before anything is stored, and the helpers that compare and merge their signatures.
import { badJson, invalidParam } from '../../api/errors.ts';
import { isObject } from '../../api/validate.ts';
import { canonicalJson, CanonicalJsonError } from '../../core/canonical-json.ts';
import { decodeBase64 } from '../../core/base64.ts';
import type { JsonObject } from '../../core/pdu.ts';

export type Signatures = Record<string, Record<string, string>>;

/** Reads a `signatures` object: user id → key id → signature, every leaf a string. */
export function readSignatures(v: unknown, what: string): Signatures {
  if (v === undefined) return {};
  if (!isObject(v)) throw badJson(`'${what}.signatures' must be an object`);
  const out: Signatures = {};
  for (const [user, sigs] of Object.entries(v)) {
    if (!isObject(sigs)) throw badJson(`'${what}.signatures.${user}' must be an object`);
    const inner: Record<string, string> = {};
    for (const [keyId, sig] of Object.entries(sigs)) {
      if (typeof sig !== 'string') throw badJson(`'${what}.signatures.${user}.${keyId}' must be a string`);
      inner[keyId] = sig;
    }
    out[user] = inner;
  }
  return out;
}

/** `algorithm:identifier` → [algorithm, identifier]; null when there is no colon. */
export function splitKeyId(keyId: string): [string, string] | null {
  const i = keyId.indexOf(':');
  if (i <= 0 || i === keyId.length - 1) return null;
  return [keyId.slice(0, i), keyId.slice(i + 1)];
}

/** The object without `signatures` and `unsigned`: the part signatures cover. */
export function signedPart(obj: JsonObject): JsonObject {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  void _s; void _u;
  return rest;
}

/** Whether two key objects are the same key apart from their signatures. */
export function sameSignedContent(a: JsonObject, b: JsonObject): boolean {
  return canonicalJson(signedPart(a)) === canonicalJson(signedPart(b));
}

/** Adds stored signatures to a key object (a copy; the object's own signatures are kept). */
export function withSignatures(obj: JsonObject, extra: { signer_user_id: string; signer_key_id: string; signature: string }[]): JsonObject {
  if (extra.length === 0) return obj;
  const sigs = readSignatures(obj['signatures'], 'key');
  for (const s of extra) (sigs[s.signer_user_id] ??= {})[s.signer_key_id] = s.signature;
  return { ...obj, signatures: sigs };
}

/** Rejects objects that have no canonical JSON form (floats, huge integers): they cannot be signed. */
export function requireCanonical(v: unknown, field: string): void {
  try {
    canonicalJson(v);
  } catch (e) {
    if (e instanceof CanonicalJsonError) throw badJson(`'${field}' is not valid canonical JSON: ${e.message}`);
    throw e;
  }
}

function isEd25519PublicKey(key: string): boolean {
  const raw = decodeBase64(key);
  return raw !== null && raw.length === 32;
}

/**
 * Validates `device_keys` from /keys/upload: it must describe the caller's own device and carry the
 * device's self-signature (the signature itself is checked by the clients that trust it).
 */
export function validateDeviceKeys(v: unknown, userId: string, deviceId: string): JsonObject {
  if (!isObject(v)) throw badJson("'device_keys' must be an object");
  requireCanonical(v, 'device_keys');
  if (v['user_id'] !== userId) throw invalidParam(`'device_keys.user_id' must be your user id ${userId}`);
  if (v['device_id'] !== deviceId) throw invalidParam(`'device_keys.device_id' must be the id of this device, ${deviceId}`);
  const algorithms = v['algorithms'];
  if (!Array.isArray(algorithms) || !algorithms.every((a) => typeof a === 'string')) throw badJson("'device_keys.algorithms' must be an array of strings");
  const keys = v['keys'];
  if (!isObject(keys) || !Object.values(keys).every((k) => typeof k === 'string')) throw badJson("'device_keys.keys' must be an object of strings");
  if (typeof keys[`ed25519:${deviceId}`] !== 'string') throw badJson(`'device_keys.keys' must contain the key 'ed25519:${deviceId}'`);
  const sigs = readSignatures(v['signatures'], 'device_keys');
  if (typeof sigs[userId]?.[`ed25519:${deviceId}`] !== 'string') {
    throw badJson(`'device_keys.signatures' must contain the device's own signature under '${userId}' / 'ed25519:${deviceId}'`);
  }
  return v;
}

/** Validates a one-time or fallback key upload map: `algorithm:key_id` → string or signed key object. */
export function validateKeyMap(v: unknown, field: string): { algorithm: string; keyId: string; key: string | JsonObject }[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) throw badJson(`'${field}' must be an object`);
  const out: { algorithm: string; keyId: string; key: string | JsonObject }[] = [];
  for (const [id, key] of Object.entries(v)) {
    const parts = splitKeyId(id);
    if (!parts) throw badJson(`'${field}' key '${id}' must have the form <algorithm>:<key_id>`);
    if (typeof key !== 'string' && !isObject(key)) throw badJson(`'${field}.${id}' must be a string or an object`);
    requireCanonical(key, `${field}.${id}`);
    if (isObject(key)) {
      if (typeof key['key'] !== 'string') throw badJson(`'${field}.${id}.key' must be a string`);
      readSignatures(key['signatures'], `${field}.${id}`);
    }
    out.push({ algorithm: parts[0], keyId: parts[1], key });
  }
  return out;
}

export interface CrossSigningKey {
  publicKey: string;
  json: JsonObject;
}

/** Validates a cross-signing key: the caller's, with the right usage and exactly one ed25519 key. */
export function validateCrossSigningKey(v: unknown, field: string, userId: string, usage: string): CrossSigningKey {
  if (!isObject(v)) throw badJson(`'${field}' must be an object`);
  requireCanonical(v, field);
  if (v['user_id'] !== userId) throw invalidParam(`'${field}.user_id' must be your user id ${userId}`);
  const usages = v['usage'];
  if (!Array.isArray(usages) || !usages.every((u) => typeof u === 'string')) throw badJson(`'${field}.usage' must be an array of strings`);
  if (!usages.includes(usage)) throw invalidParam(`'${field}.usage' must include '${usage}'`);
  const keys = v['keys'];
  if (!isObject(keys) || Object.keys(keys).length !== 1) throw invalidParam(`'${field}.keys' must hold exactly one key`);
  const [[keyId, pub]] = Object.entries(keys) as [[string, unknown]];
  if (typeof pub !== 'string' || keyId !== `ed25519:${pub}` || !isEd25519PublicKey(pub)) {
    throw invalidParam(`'${field}.keys' must map 'ed25519:<public key>' to that unpadded base64 ed25519 public key`);
  }
  readSignatures(v['signatures'], field);
  return { publicKey: pub, json: v };
}
