// Our keys as we publish them, and the notary side of key exchange (spec "Querying Keys Through
// Another Server"): answer from the cache, fetch from the origin what is missing or stale, and sign
// every returned response with our own key as well.
import type { Database } from '../storage/database.ts';
import type { FederationStore } from '../storage/federation-store.ts';
import { signJson, type SigningKey } from '../core/signing.ts';
import type { Logger } from '../logger.ts';
import type { ServerKeyFetcher } from './key-fetcher.ts';
import { ownKeyResponse } from './key-response.ts';

/** Our signing keys over time: the current one, and the ones it replaced (old_verify_keys). */
export class OwnKeys {
  private readonly serverName: string;
  private readonly key: SigningKey;
  private readonly store: FederationStore;
  private readonly now: () => number;

  constructor(o: { serverName: string; signingKey: SigningKey; store: FederationStore; now: () => number }) {
    this.serverName = o.serverName;
    this.key = o.signingKey;
    this.store = o.store;
    this.now = o.now;
  }

  /**
   * Records the key loaded at start-up as current; a different key recorded before is expired now
   * (the operator replaced signing.key), so it moves to old_verify_keys and old events signed with it
   * still verify. Runs once at start, before the database serves requests.
   */
  recordCurrent(db: Database): void {
    const current = this.store.ownKeys().find((k) => k.key_id === this.key.keyId);
    if (current && current.expired_ts === null && current.public_key === this.key.publicKeyBase64) return;
    db.transaction(() => this.store.recordCurrentOwnKey(this.key.keyId, this.key.publicKeyBase64, this.now()));
  }

  /** The signed response of GET /_matrix/key/v2/server. */
  response(): Record<string, unknown> {
    const old = this.store.ownKeys()
      .filter((k) => k.expired_ts !== null && k.key_id !== this.key.keyId)
      .map((k) => ({ keyId: k.key_id, publicKey: k.public_key, expiredTs: k.expired_ts! }));
    return ownKeyResponse(this.serverName, this.key, old, this.now());
  }
}

/**
 * Per server: the key ids asked for (none = all) with each one's minimum_valid_until_ts, and the
 * minimum for keys without their own (GET's query parameter); null means now.
 */
export type NotaryQuery = Map<string, { keys: Map<string, number | null>; minimumValidUntilTs: number | null }>;

export class KeyNotary {
  private readonly o: {
    serverName: string; signingKey: SigningKey; store: FederationStore; fetcher: ServerKeyFetcher; ownKeys: OwnKeys;
    now: () => number; isAllowed: (serverName: string) => boolean; logger: Logger;
  };

  constructor(o: KeyNotary['o']) {
    this.o = o;
  }

  /** Answers a key query: `{server_keys: [...]}`, each response signed by its origin and by us. */
  async query(q: NotaryQuery): Promise<{ server_keys: Record<string, unknown>[] }> {
    const out: Record<string, unknown>[] = [];
    await Promise.all([...q].map(async ([serverName, criteria]) => {
      if (serverName === this.o.serverName) {
        out.push(this.o.ownKeys.response());
        return;
      }
      const keyIds = [...criteria.keys.keys()];
      if (this.needsRefresh(serverName, criteria) && this.o.isAllowed(serverName)) {
        // When the origin cannot be reached, the last response we have is served instead (spec).
        await this.o.fetcher.refreshDirect(serverName);
      }
      for (const r of this.o.store.keyResponses(serverName, keyIds)) {
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(r.response_json) as Record<string, unknown>;
        } catch {
          continue;
        }
        out.push(signJson(json, this.o.serverName, this.o.signingKey));
      }
    }));
    return { server_keys: out };
  }

  /**
   * A cached answer is not good enough when a requested key is unknown, when a key is not valid
   * until the requested time (default: now, as the spec says), or when the response is past half of
   * its lifetime (spec: "cache a response for half of its lifetime").
   */
  private needsRefresh(serverName: string, criteria: { keys: Map<string, number | null>; minimumValidUntilTs: number | null }): boolean {
    const now = this.o.now();
    const keys = this.o.store.serverKeys(serverName);
    const asked = [...criteria.keys.keys()];
    const wanted = asked.length > 0 ? asked : keys.filter((k) => k.is_old === 0).map((k) => k.key_id);
    if (wanted.length === 0) return true;
    for (const keyId of wanted) {
      const k = keys.find((x) => x.key_id === keyId);
      if (!k) return true;
      if (k.valid_until_ts < (criteria.keys.get(keyId) ?? criteria.minimumValidUntilTs ?? now)) return true;
    }
    const responses = this.o.store.keyResponses(serverName, asked.length > 0 ? asked : undefined);
    return responses.every((r) => (r.added_ts + r.valid_until_ts) / 2 < now);
  }
}
