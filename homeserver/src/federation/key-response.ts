// Server key responses (spec "Retrieving server keys", schema `definitions/keys.yaml`): checking one
// we received — for the server we asked about, self-signed with its own verify keys, valid long
// enough — and building our own.
import { signJson, verifyJsonSignature, type SigningKey } from '../core/signing.ts';
import { decodeBase64 } from '../core/base64.ts';
import { CanonicalJsonError } from '../core/canonical-json.ts';
import type { KeyToStore } from '../storage/federation-store.ts';

/** "Servers MUST use the lesser of [valid_until_ts] and 7 days into the future." */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 3600_000;

export class KeyResponseError extends Error {}

export interface VerifiedKeyResponse {
  serverName: string;
  /** valid_until_ts exactly as the response gave it. */
  validUntilTs: number;
  /** Verify keys (valid until min(valid_until_ts, now + 7 days)) and old keys (until expired_ts). */
  keys: KeyToStore[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTs = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function ed25519Key(keyId: string, entry: unknown): string | null {
  // The spec restricts versions to [a-zA-Z0-9_], but Synapse accepts any, and so must we: keys
  // generated with other characters exist (ours included — core/signing.ts draws from base64url).
  if (!/^ed25519:\S+$/.test(keyId) || !isObj(entry)) return null;
  const key = entry['key'];
  if (typeof key !== 'string') return null;
  const raw = decodeBase64(key);
  return raw && raw.length === 32 ? key : null;
}

/**
 * Checks a key response for `expectedServerName`: its `server_name`, that every signature it carries
 * from that server with one of its listed verify keys is valid and that there is at least one, and
 * (with `rejectExpired`, for responses fetched from the server itself) that it has not expired.
 * Keys with algorithms other than ed25519 are ignored, as the spec's signature checks do.
 */
export function verifyKeyResponse(json: unknown, expectedServerName: string, now: number, opts: { rejectExpired?: boolean } = {}): VerifiedKeyResponse {
  if (!isObj(json)) throw new KeyResponseError('key response is not a JSON object');
  const serverName = json['server_name'];
  if (serverName !== expectedServerName) {
    throw new KeyResponseError(`key response is for server ${JSON.stringify(serverName)}, not ${expectedServerName}`);
  }
  const validUntil = json['valid_until_ts'];
  if (!isTs(validUntil)) throw new KeyResponseError('key response has no valid valid_until_ts');
  if (opts.rejectExpired && validUntil < now) {
    throw new KeyResponseError(`key response of ${serverName} expired at ${new Date(validUntil).toISOString()}`);
  }
  const verifyKeys = json['verify_keys'];
  if (!isObj(verifyKeys)) throw new KeyResponseError('key response has no verify_keys object');
  const current = new Map<string, string>();
  for (const [keyId, entry] of Object.entries(verifyKeys)) {
    const k = ed25519Key(keyId, entry);
    if (k) current.set(keyId, k);
  }
  if (current.size === 0) throw new KeyResponseError(`key response of ${serverName} lists no usable ed25519 verify key`);
  const sigs = json['signatures'];
  const own = isObj(sigs) ? sigs[serverName] : undefined;
  let verified = 0;
  if (isObj(own)) {
    for (const keyId of Object.keys(own)) {
      const publicKey = current.get(keyId);
      // A signature by a key not in verify_keys may be a notary's, or an unknown algorithm: skipped.
      if (!publicKey) continue;
      let ok: boolean;
      try {
        ok = verifyJsonSignature(json, serverName, keyId, publicKey);
      } catch (e) {
        if (e instanceof CanonicalJsonError) throw new KeyResponseError(`key response of ${serverName} is not canonical JSON: ${e.message}`);
        throw e;
      }
      if (!ok) throw new KeyResponseError(`signature of ${serverName} with ${keyId} on its key response does not verify`);
      verified++;
    }
  }
  if (verified === 0) throw new KeyResponseError(`key response of ${serverName} is not signed with any of its verify keys`);

  const capped = Math.min(validUntil, now + MAX_KEY_VALIDITY_MS);
  const keys: KeyToStore[] = [...current].map(([keyId, publicKey]) => ({ keyId, publicKey, validUntilTs: capped, isOld: false }));
  const old = json['old_verify_keys'];
  if (isObj(old)) {
    for (const [keyId, entry] of Object.entries(old)) {
      if (current.has(keyId)) continue;
      const k = ed25519Key(keyId, entry);
      const expired = isObj(entry) ? entry['expired_ts'] : undefined;
      if (k && isTs(expired)) keys.push({ keyId, publicKey: k, validUntilTs: expired, isOld: true });
    }
  }
  return { serverName, validUntilTs: validUntil, keys };
}

/** How long our own key responses say they are valid for (peers refetch after this). */
export const OWN_KEY_VALIDITY_MS = 24 * 3600_000;

/** Our signed `/_matrix/key/v2/server` response. */
export function ownKeyResponse(
  serverName: string,
  key: SigningKey,
  oldKeys: readonly { keyId: string; publicKey: string; expiredTs: number }[],
  now: number,
): Record<string, unknown> {
  return signJson({
    server_name: serverName,
    valid_until_ts: now + OWN_KEY_VALIDITY_MS,
    verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
    old_verify_keys: Object.fromEntries(oldKeys.map((k) => [k.keyId, { key: k.publicKey, expired_ts: k.expiredTs }])),
  }, serverName, key);
}
