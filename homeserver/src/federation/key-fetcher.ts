// Other servers' signing keys: looked up in the SQLite cache, else fetched from the server itself
// (`GET /_matrix/key/v2/server`, self-signature and validity checked), else — when that fails —
// asked of the configured notaries (`POST /_matrix/key/v2/query`, the notary's signature checked too).
// `verifyServerSignature` is what request authentication and the room layer use on signed JSON.
import type { Database } from '../storage/database.ts';
import type { FederationStore, StoredServerKey } from '../storage/federation-store.ts';
import type { SigningKey } from '../core/signing.ts';
import { verifyJsonSignature } from '../core/signing.ts';
import { decodeBase64 } from '../core/base64.ts';
import { canonicalJson } from '../core/canonical-json.ts';
import type { Logger } from '../logger.ts';
import type { TrustedKeyServer } from '../config.ts';
import type { FederationRequest } from './federation-client.ts';
import { verifyKeyResponse, type VerifiedKeyResponse } from './key-response.ts';


/** Thrown when a key cannot be found or a signature does not check; the message says which. */
export class KeyVerificationError extends Error {}

export interface VerifyKey {
  publicKey: string;
  validUntilTs: number;
  /** From old_verify_keys: good for event signatures only. */
  isOld: boolean;
}

/** What the fetcher needs of the federation client (tests pass a stand-in). */
export interface KeyRequester {
  request<T>(r: FederationRequest): Promise<T>;
}

export interface KeyFetcherOptions {
  serverName: string;
  signingKey: SigningKey;
  db: Database;
  store: FederationStore;
  client: KeyRequester;
  now: () => number;
  logger: Logger;
  trustedKeyServers: readonly TrustedKeyServer[];
  isAllowed: (serverName: string) => boolean;
}

/** A server is asked again for its keys at most this often (a missing key id cannot make us spam it). */
export const MIN_REFETCH_INTERVAL_MS = 10_000;
const KEY_REQUEST_TIMEOUT_MS = 10_000;
const KEY_RESPONSE_MAX_BYTES = 1024 * 1024;

export class ServerKeyFetcher {
  private readonly o: KeyFetcherOptions;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly lastAttempt = new Map<string, number>();

  constructor(o: KeyFetcherOptions) {
    this.o = o;
  }

  /**
   * Finds `serverName`'s key `keyId`, usable at `minimumValidUntilTs` (0 where the room version
   * ignores validity). `requireCurrent` refuses old_verify_keys (request signatures need a current key).
   */
  async getVerifyKey(serverName: string, keyId: string, opts: { minimumValidUntilTs: number; requireCurrent?: boolean; directOnly?: boolean }): Promise<VerifyKey> {
    const usable = (k: VerifyKey | null): boolean => !!k && k.validUntilTs >= opts.minimumValidUntilTs && !(opts.requireCurrent && k.isOld);
    if (serverName === this.o.serverName) {
      const own = this.ownKey(keyId);
      if (own && usable(own)) return own;
      throw new KeyVerificationError(own ? `our key ${keyId} is not valid for this use` : `we have no key ${keyId}`);
    }
    let k = this.cached(serverName, keyId);
    if (k && usable(k)) return k;
    if (!this.o.isAllowed(serverName)) throw new KeyVerificationError(`${serverName} is not listed in federation_domain_whitelist`);
    await this.refresh(serverName, keyId, opts.minimumValidUntilTs, opts.directOnly ?? false);
    k = this.cached(serverName, keyId);
    if (k && usable(k)) return k;
    if (!k) throw new KeyVerificationError(`no key ${keyId} could be found for ${serverName}`);
    if (opts.requireCurrent && k.isOld) throw new KeyVerificationError(`key ${keyId} of ${serverName} is an old key, not valid for requests`);
    throw new KeyVerificationError(`key ${keyId} of ${serverName} is valid only until ${new Date(k.validUntilTs).toISOString()}, before ${new Date(opts.minimumValidUntilTs).toISOString()}`);
  }

  /**
   * Checks `serverName`'s signature with `keyId` on a signed JSON object (spec "Checking for a
   * signature"), with a key valid at `minimumValidUntilTs`. Throws KeyVerificationError otherwise.
   */
  async verifyServerSignature(serverName: string, keyId: string, signedJson: Record<string, unknown>, minimumValidUntilTs: number, opts: { requireCurrent?: boolean } = {}): Promise<void> {
    const sigs = signedJson['signatures'] as Record<string, Record<string, unknown>> | undefined;
    if (typeof sigs?.[serverName]?.[keyId] !== 'string') throw new KeyVerificationError(`not signed by ${serverName} with ${keyId}`);
    if (!keyId.startsWith('ed25519:')) throw new KeyVerificationError(`signing algorithm of ${keyId} is not supported`);
    const key = await this.getVerifyKey(serverName, keyId, { minimumValidUntilTs, ...(opts.requireCurrent ? { requireCurrent: true } : {}) });
    if (!verifyJsonSignature(signedJson, serverName, keyId, key.publicKey)) {
      throw new KeyVerificationError(`signature of ${serverName} with ${keyId} does not verify`);
    }
  }

  /**
   * Checks that `serverName` signed the object: at least one of its ed25519 signatures verifies and
   * none that we have a key for fails (as Synapse's keyring does for events).
   */
  async verifySignedBy(serverName: string, signedJson: Record<string, unknown>, minimumValidUntilTs: number): Promise<void> {
    const sigs = signedJson['signatures'] as Record<string, Record<string, unknown>> | undefined;
    const keyIds = Object.keys(sigs?.[serverName] ?? {}).filter((k) => k.startsWith('ed25519:'));
    if (keyIds.length === 0) throw new KeyVerificationError(`not signed by ${serverName}`);
    let verified = 0;
    let lastError: KeyVerificationError | null = null;
    for (const keyId of keyIds) {
      let key: VerifyKey;
      try {
        key = await this.getVerifyKey(serverName, keyId, { minimumValidUntilTs });
      } catch (e) {
        if (!(e instanceof KeyVerificationError)) throw e;
        lastError = e;
        continue;
      }
      if (!verifyJsonSignature(signedJson, serverName, keyId, key.publicKey)) throw new KeyVerificationError(`signature of ${serverName} with ${keyId} does not verify`);
      verified++;
    }
    if (verified === 0) throw lastError ?? new KeyVerificationError(`no usable key to check ${serverName}'s signature`);
  }

  /** Fetches `serverName`'s keys from the server itself and stores them; throws when that fails. */
  async fetchDirect(serverName: string): Promise<VerifiedKeyResponse> {
    const json = await this.o.client.request<unknown>({
      method: 'GET', destination: serverName, path: '/_matrix/key/v2/server', timeoutMs: KEY_REQUEST_TIMEOUT_MS, maxResponseBytes: KEY_RESPONSE_MAX_BYTES,
    });
    const now = this.o.now();
    const verified = verifyKeyResponse(json, serverName, now, { rejectExpired: true });
    await this.save(verified, serverName, json);
    return verified;
  }

  /** Asks one notary for `serverName`'s keys; stores each response that checks out. Returns how many did. */
  async fetchViaNotary(notary: TrustedKeyServer, serverName: string, keyId: string | null, minimumValidUntilTs: number): Promise<number> {
    const criteria = keyId ? { [keyId]: { minimum_valid_until_ts: minimumValidUntilTs } } : {};
    const res = await this.o.client.request<{ server_keys?: unknown }>({
      method: 'POST', destination: notary.server_name, path: '/_matrix/key/v2/query', body: { server_keys: { [serverName]: criteria } },
      timeoutMs: KEY_REQUEST_TIMEOUT_MS, maxResponseBytes: KEY_RESPONSE_MAX_BYTES,
    });
    if (!Array.isArray(res.server_keys)) throw new KeyVerificationError(`notary ${notary.server_name} answered without a server_keys list`);
    let stored = 0;
    for (const entry of res.server_keys as unknown[]) {
      if (typeof entry !== 'object' || entry === null || (entry as Record<string, unknown>)['server_name'] !== serverName) continue;
      try {
        await this.checkNotarySignature(notary, entry as Record<string, unknown>);
        const verified = verifyKeyResponse(entry, serverName, this.o.now());
        await this.save(verified, notary.server_name, entry);
        stored++;
      } catch (e) {
        this.o.logger.warn('notary key response rejected', { notary: notary.server_name, server: serverName, reason: (e as Error).message });
      }
    }
    return stored;
  }

  private async checkNotarySignature(notary: TrustedKeyServer, entry: Record<string, unknown>): Promise<void> {
    const sigs = (entry['signatures'] as Record<string, Record<string, unknown>> | undefined)?.[notary.server_name] ?? {};
    const keyIds = Object.keys(sigs).filter((k) => k.startsWith('ed25519:'));
    for (const keyId of keyIds) {
      let publicKey: string | undefined;
      if (notary.verify_keys) {
        publicKey = notary.verify_keys[keyId];
        if (!publicKey) continue;
      } else {
        publicKey = (await this.getVerifyKey(notary.server_name, keyId, { minimumValidUntilTs: this.o.now(), requireCurrent: true, directOnly: true })).publicKey;
      }
      if (!verifyJsonSignature(entry, notary.server_name, keyId, publicKey)) throw new KeyVerificationError(`notary signature with ${keyId} does not verify`);
      return;
    }
    throw new KeyVerificationError(`response is not signed by the notary with a key we trust`);
  }

  private async save(v: VerifiedKeyResponse, fromServer: string, json: unknown): Promise<void> {
    const now = this.o.now();
    await this.o.db.write(() => this.o.store.storeKeyResponse({
      serverName: v.serverName, fromServer, json: canonicalJson(json), validUntilTs: v.validUntilTs, addedTs: now, keys: v.keys,
    }));
  }

  /** Direct fetch, then notaries; deduplicated per server and rate-limited. Never throws. */
  /** Fetches a server's keys from it directly unless that was just tried (the notary endpoints use this). */
  refreshDirect(serverName: string): Promise<void> {
    return this.refresh(serverName, null, 0, true);
  }

  private refresh(serverName: string, keyId: string | null, minimumValidUntilTs: number, directOnly: boolean): Promise<void> {
    const running = this.inFlight.get(serverName);
    if (running) return running;
    const last = this.lastAttempt.get(serverName);
    if (last !== undefined && this.o.now() - last < MIN_REFETCH_INTERVAL_MS) return Promise.resolve();
    this.lastAttempt.set(serverName, this.o.now());
    if (this.lastAttempt.size > 10_000) this.lastAttempt.clear();
    const p = (async () => {
      try {
        await this.fetchDirect(serverName);
        if (this.satisfied(serverName, keyId, minimumValidUntilTs)) return;
      } catch (e) {
        this.o.logger.warn('fetching server keys failed', { server: serverName, reason: (e as Error).message });
      }
      if (directOnly) return;
      for (const notary of this.o.trustedKeyServers) {
        if (notary.server_name === serverName || notary.server_name === this.o.serverName) continue;
        try {
          await this.fetchViaNotary(notary, serverName, keyId, minimumValidUntilTs);
          if (this.satisfied(serverName, keyId, minimumValidUntilTs)) return;
        } catch (e) {
          this.o.logger.warn('asking notary for server keys failed', { notary: notary.server_name, server: serverName, reason: (e as Error).message });
        }
      }
    })().finally(() => this.inFlight.delete(serverName));
    this.inFlight.set(serverName, p);
    return p;
  }

  private satisfied(serverName: string, keyId: string | null, minimumValidUntilTs: number): boolean {
    if (keyId === null) return true;
    const k = this.cached(serverName, keyId);
    return !!k && k.validUntilTs >= minimumValidUntilTs;
  }

  private cached(serverName: string, keyId: string): VerifyKey | null {
    const row: StoredServerKey | undefined = this.o.store.getServerKey(serverName, keyId);
    return row ? { publicKey: row.public_key, validUntilTs: row.valid_until_ts, isOld: row.is_old === 1 } : null;
  }

  private ownKey(keyId: string): VerifyKey | null {
    if (keyId === this.o.signingKey.keyId) return { publicKey: this.o.signingKey.publicKeyBase64, validUntilTs: Number.MAX_SAFE_INTEGER, isOld: false };
    const old = this.o.store.ownKeys().find((k) => k.key_id === keyId && k.expired_ts !== null);
    if (!old || !decodeBase64(old.public_key)) return null;
    return { publicKey: old.public_key, validUntilTs: old.expired_ts!, isOld: true };
  }
}
