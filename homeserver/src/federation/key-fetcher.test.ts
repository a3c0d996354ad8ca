import { beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../storage/database.ts';
import { FederationStore, federationMigrations } from '../storage/federation-store.ts';
import { generateSigningKey, signJson, type SigningKey } from '../core/signing.ts';
import { createLogger } from '../logger.ts';
import { KeyVerificationError, MIN_REFETCH_INTERVAL_MS, ServerKeyFetcher, type KeyRequester } from './key-fetcher.ts';
import { KeyNotary, OwnKeys } from './notary.ts';
import type { FederationRequest } from './federation-client.ts';
import type { TrustedKeyServer } from '../config.ts';

const NOW = 1_800_000_000_000;
const HOUR = 3600_000;
const logger = createLogger('error', {}, () => undefined);

interface FakeServer {
  key: SigningKey;
  validFor: number;
  down: boolean;
  old?: { keyId: string; key: string; expired_ts: number }[];
}

class World {
  readonly clock = { t: NOW };
  readonly db = new Database(':memory:');
  readonly store: FederationStore;
  readonly servers = new Map<string, FakeServer>();
  readonly requests: FederationRequest[] = [];
  readonly us = generateSigningKey();
  readonly notaryKey = generateSigningKey();
  /** What the notary answers for a server, before it adds its signature. */
  notaryCache = new Map<string, Record<string, unknown>>();
  notarySigner: SigningKey = this.notaryKey;
  allowed: ((name: string) => boolean) = () => true;

  constructor() {
    this.db.migrate(federationMigrations);
    this.store = new FederationStore(this.db);
  }

  addServer(name: string, o: Partial<FakeServer> = {}): FakeServer {
    const s = { key: generateSigningKey(), validFor: 24 * HOUR, down: false, ...o };
    this.servers.set(name, s);
    return s;
  }

  keyResponse(name: string): Record<string, unknown> {
    const s = this.servers.get(name)!;
    return signJson({
      server_name: name,
      valid_until_ts: this.clock.t + s.validFor,
      verify_keys: { [s.key.keyId]: { key: s.key.publicKeyBase64 } },
      old_verify_keys: Object.fromEntries((s.old ?? []).map((o) => [o.keyId, { key: o.key, expired_ts: o.expired_ts }])),
    }, name, s.key);
  }

  readonly client: KeyRequester = {
    request: async <T>(r: FederationRequest): Promise<T> => {
      this.requests.push(r);
      if (r.destination === 'notary.example' && r.path === '/_matrix/key/v2/query') {
        const asked = Object.keys((r.body as { server_keys: Record<string, unknown> }).server_keys);
        const out = asked.flatMap((n) => (this.notaryCache.has(n) ? [signJson(this.notaryCache.get(n)!, 'notary.example', this.notarySigner)] : []));
        return { server_keys: out } as T;
      }
      const s = this.servers.get(r.destination);
      if (!s || s.down || r.path !== '/_matrix/key/v2/server') throw new Error(`cannot reach ${r.destination}: connection refused`);
      return this.keyResponse(r.destination) as T;
    },
  };

  fetcher(trusted: TrustedKeyServer[] = []): ServerKeyFetcher {
    return new ServerKeyFetcher({
      serverName: 'us.example', signingKey: this.us, db: this.db, store: this.store, client: this.client,
      now: () => this.clock.t, logger, trustedKeyServers: trusted, isAllowed: (n) => this.allowed(n),
    });
  }

  keyRequestsTo(name: string): number {
    return this.requests.filter((r) => r.destination === name).length;
  }
}

let w: World;
beforeEach(() => {
  w = new World();
});

describe('ServerKeyFetcher', () => {
  it('fetches a server\'s key from the server on first use and then answers from the cache', async () => {
    const b = w.addServer('b.example');
    const f = w.fetcher();
    const k1 = await f.getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW });
    const k2 = await f.getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW });
    expect(k1.publicKey).toBe(b.key.publicKeyBase64);
    expect(k2).toEqual(k1);
    expect(w.keyRequestsTo('b.example')).toBe(1);
  });

  it('keeps fetched keys in the database for the next start', async () => {
    const b = w.addServer('b.example');
    await w.fetcher().getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW });
    const again = w.fetcher();
    expect((await again.getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW })).publicKey).toBe(b.key.publicKeyBase64);
    expect(w.keyRequestsTo('b.example')).toBe(1);
  });

  it('verifies a server\'s signature on JSON and rejects the same JSON once altered', async () => {
    const b = w.addServer('b.example');
    const f = w.fetcher();
    const signed = signJson({ type: 'm.room.message', content: { body: 'hi' } }, 'b.example', b.key);
    await expect(f.verifyServerSignature('b.example', b.key.keyId, signed, NOW)).resolves.toBeUndefined();
    const altered = { ...signed, content: { body: 'bye' } };
    await expect(f.verifyServerSignature('b.example', b.key.keyId, altered, NOW)).rejects.toThrow(/does not verify/);
  });

  it('rejects JSON signed by a key the server does not publish', async () => {
    w.addServer('b.example');
    const impostor = generateSigningKey();
    const signed = signJson({ a: 1 }, 'b.example', impostor);
    await expect(w.fetcher().verifyServerSignature('b.example', impostor.keyId, signed, NOW)).rejects.toThrow(KeyVerificationError);
  });

  it('fetches again when the cached key is not valid until the time asked for', async () => {
    const b = w.addServer('b.example', { validFor: HOUR });
    const f = w.fetcher();
    await f.getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW });
    w.clock.t += MIN_REFETCH_INTERVAL_MS + 1;
    b.validFor = 3 * HOUR;
    const k = await f.getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW + 2 * HOUR });
    expect(k.validUntilTs).toBe(w.clock.t + 3 * HOUR);
    expect(w.keyRequestsTo('b.example')).toBe(2);
  });

  it('does not ask a server again within the refetch interval', async () => {
    const b = w.addServer('b.example');
    const f = w.fetcher();
    await expect(f.getVerifyKey('b.example', 'ed25519:missing', { minimumValidUntilTs: NOW })).rejects.toThrow(/no key ed25519:missing/);
    await expect(f.getVerifyKey('b.example', 'ed25519:missing', { minimumValidUntilTs: NOW })).rejects.toThrow(KeyVerificationError);
    expect(w.keyRequestsTo('b.example')).toBe(1);
    await f.getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW }); // cached by the first fetch
    expect(w.keyRequestsTo('b.example')).toBe(1);
  });

  it('asks the configured notary when the server cannot be reached, checking the notary\'s signature', async () => {
    const b = w.addServer('b.example');
    w.notaryCache.set('b.example', w.keyResponse('b.example'));
    b.down = true;
    const f = w.fetcher([{ server_name: 'notary.example', verify_keys: { [w.notaryKey.keyId]: w.notaryKey.publicKeyBase64 } }]);
    const k = await f.getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW });
    expect(k.publicKey).toBe(b.key.publicKeyBase64);
    expect(w.keyRequestsTo('notary.example')).toBe(1);
    expect(w.db.get<{ from_server: string }>('SELECT from_server FROM federation_key_responses WHERE server_name = ?', 'b.example')?.from_server).toBe('notary.example');
  });

  it('ignores a notary answer not signed with the notary\'s configured key', async () => {
    const b = w.addServer('b.example', { down: true });
    w.notaryCache.set('b.example', w.keyResponse('b.example'));
    w.notarySigner = generateSigningKey();
    const f = w.fetcher([{ server_name: 'notary.example', verify_keys: { [w.notaryKey.keyId]: w.notaryKey.publicKeyBase64 } }]);
    await expect(f.getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW })).rejects.toThrow(/no key/);
  });

  it('fetches a notary\'s own key from the notary when none is configured', async () => {
    const b = w.addServer('b.example', { down: true });
    w.notaryCache.set('b.example', w.keyResponse('b.example'));
    w.servers.set('notary.example', { key: w.notaryKey, validFor: 24 * HOUR, down: false });
    const base = w.client.request.bind(w.client);
    // The notary serves its own key at /key/v2/server like any server.
    (w.client as { request: KeyRequester['request'] }).request = async <T>(r: FederationRequest): Promise<T> =>
      (r.destination === 'notary.example' && r.path === '/_matrix/key/v2/server' ? (w.requests.push(r), w.keyResponse('notary.example')) as T : base<T>(r));
    const f = w.fetcher([{ server_name: 'notary.example' }]);
    expect((await f.getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW })).publicKey).toBe(b.key.publicKeyBase64);
  });

  it('refuses servers outside the allow-list without sending anything', async () => {
    const b = w.addServer('b.example');
    w.allowed = (n) => n !== 'b.example';
    await expect(w.fetcher().getVerifyKey('b.example', b.key.keyId, { minimumValidUntilTs: NOW })).rejects.toThrow(/federation_domain_whitelist/);
    expect(w.requests).toHaveLength(0);
  });

  it('accepts old keys for event signatures up to their expiry but never for requests', async () => {
    const old = generateSigningKey();
    w.addServer('b.example', { old: [{ keyId: 'ed25519:old', key: old.publicKeyBase64, expired_ts: NOW - HOUR }] });
    const f = w.fetcher();
    const event = signJson({ origin_server_ts: NOW - 2 * HOUR }, 'b.example', { ...old, keyId: 'ed25519:old' });
    await expect(f.verifyServerSignature('b.example', 'ed25519:old', event, NOW - 2 * HOUR)).resolves.toBeUndefined();
    await expect(f.verifyServerSignature('b.example', 'ed25519:old', event, NOW - 30 * 60_000)).rejects.toThrow(/valid only until/);
    await expect(f.getVerifyKey('b.example', 'ed25519:old', { minimumValidUntilTs: 0, requireCurrent: true })).rejects.toThrow(/old key/);
  });

  it('checks our own signatures without asking anyone', async () => {
    const signed = signJson({ a: 1 }, 'us.example', w.us);
    await w.fetcher().verifyServerSignature('us.example', w.us.keyId, signed, NOW);
    expect(w.requests).toHaveLength(0);
  });

  it('requires at least one valid signature and no invalid one from the server', async () => {
    const b = w.addServer('b.example');
    const f = w.fetcher();
    const signed = signJson({ a: 1 }, 'b.example', b.key);
    await expect(f.verifySignedBy('b.example', signed, NOW)).resolves.toBeUndefined();
    await expect(f.verifySignedBy('c.example', signed, NOW)).rejects.toThrow(/not signed by c.example/);
    const sigs = signed.signatures['b.example']!;
    const broken = { ...signed, signatures: { 'b.example': { [b.key.keyId]: sigs[b.key.keyId]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) } } };
    await expect(f.verifySignedBy('b.example', broken, NOW)).rejects.toThrow(/does not verify/);
  });
});

describe('KeyNotary', () => {
  function notary(f: ServerKeyFetcher): KeyNotary {
    const ownKeys = new OwnKeys({ serverName: 'us.example', signingKey: w.us, store: w.store, now: () => w.clock.t });
    return new KeyNotary({ serverName: 'us.example', signingKey: w.us, store: w.store, fetcher: f, ownKeys, now: () => w.clock.t, isAllowed: () => true, logger });
  }
  const all = (name: string, min: number | null = null) => new Map([[name, { keys: new Map<string, number | null>(), minimumValidUntilTs: min }]]);

  it('fetches keys it does not have and returns them signed by the origin and by us', async () => {
    const b = w.addServer('b.example');
    const res = await notary(w.fetcher()).query(all('b.example'));
    expect(res.server_keys).toHaveLength(1);
    const r = res.server_keys[0]!;
    expect(r['verify_keys']).toEqual({ [b.key.keyId]: { key: b.key.publicKeyBase64 } });
    expect(Object.keys(r['signatures'] as object).sort()).toEqual(['b.example', 'us.example']);
  });

  it('answers from its cache while the cached response is in the first half of its life', async () => {
    w.addServer('b.example');
    const n = notary(w.fetcher());
    await n.query(all('b.example'));
    w.clock.t += 11 * HOUR;
    await n.query(all('b.example'));
    expect(w.keyRequestsTo('b.example')).toBe(1);
    w.clock.t += 2 * HOUR;
    await n.query(all('b.example'));
    expect(w.keyRequestsTo('b.example')).toBe(2);
  });

  it('fetches again when asked for validity beyond what it has cached', async () => {
    w.addServer('b.example', { validFor: 2 * HOUR });
    const n = notary(w.fetcher());
    await n.query(all('b.example'));
    w.clock.t += MIN_REFETCH_INTERVAL_MS + 1;
    await n.query(all('b.example', NOW + 3 * HOUR));
    expect(w.keyRequestsTo('b.example')).toBe(2);
  });

  it('serves the last response it has when the origin is down', async () => {
    const b = w.addServer('b.example', { validFor: HOUR });
    const n = notary(w.fetcher());
    await n.query(all('b.example'));
    b.down = true;
    w.clock.t += 2 * HOUR;
    const res = await n.query(all('b.example'));
    expect(w.keyRequestsTo('b.example')).toBe(2);
    expect(res.server_keys).toHaveLength(1);
    expect(res.server_keys[0]!['valid_until_ts']).toBe(NOW + HOUR);
  });

  it('returns nothing for a server it cannot reach and never saw', async () => {
    w.addServer('b.example', { down: true });
    expect((await notary(w.fetcher()).query(all('b.example'))).server_keys).toEqual([]);
  });

  it('answers for itself with its own current key', async () => {
    const res = await notary(w.fetcher()).query(all('us.example'));
    expect(res.server_keys[0]!['verify_keys']).toEqual({ [w.us.keyId]: { key: w.us.publicKeyBase64 } });
    expect(w.requests).toHaveLength(0);
  });
});

describe('our own keys', () => {
  it('publishes a replaced signing key under old_verify_keys with the time it was replaced', () => {
    const first = new OwnKeys({ serverName: 'us.example', signingKey: w.us, store: w.store, now: () => w.clock.t });
    first.recordCurrent(w.db);
    w.clock.t += HOUR;
    const next = generateSigningKey();
    const second = new OwnKeys({ serverName: 'us.example', signingKey: next, store: w.store, now: () => w.clock.t });
    second.recordCurrent(w.db);
    const r = second.response();
    expect(r['verify_keys']).toEqual({ [next.keyId]: { key: next.publicKeyBase64 } });
    expect(r['old_verify_keys']).toEqual({ [w.us.keyId]: { key: w.us.publicKeyBase64, expired_ts: NOW + HOUR } });
  });

  it('lists no old keys while the key has never changed, across restarts', () => {
    for (let i = 0; i < 2; i++) new OwnKeys({ serverName: 'us.example', signingKey: w.us, store: w.store, now: () => w.clock.t }).recordCurrent(w.db);
    const r = new OwnKeys({ serverName: 'us.example', signingKey: w.us, store: w.store, now: () => w.clock.t }).response();
    expect(r['old_verify_keys']).toEqual({});
  });
});
