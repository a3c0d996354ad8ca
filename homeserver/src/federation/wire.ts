// The federation transport of one homeserver: key store and fetcher, our published keys and the
// notary, discovery, outgoing HTTPS client, incoming X-Matrix authentication and the allow-list.
// `federationOf(s)` builds it once per homeserver (migrations included) and hands the same services
// to the routes and to the room-federation layer.
import type { HomeserverServices } from '../app.ts';
import { FederationStore, federationMigrations } from '../storage/federation-store.ts';
import { ServerDiscovery } from './discovery.ts';
import { FederationTransport } from './transport.ts';
import { FederationClient } from './federation-client.ts';
import { ServerKeyFetcher } from './key-fetcher.ts';
import { KeyNotary, OwnKeys } from './notary.ts';
import { FederationRequestAuthenticator } from './request-auth.ts';
import { ServerNameList } from './server-name.ts';

export const SERVER_SOFTWARE = { name: 'Peerline embedded homeserver', version: '0.1.0' };

export interface FederationServices {
  store: FederationStore;
  ownKeys: OwnKeys;
  discovery: ServerDiscovery;
  transport: FederationTransport;
  client: FederationClient;
  /** Other servers' keys; `keys.verifyServerSignature(...)` checks signed JSON such as PDUs. */
  keys: ServerKeyFetcher;
  notary: KeyNotary;
  requestAuth: FederationRequestAuthenticator;
  /** Whether we federate with this server at all (`federation_domain_whitelist`). */
  isAllowed(serverName: string): boolean;
}

type Deps = Pick<HomeserverServices, 'config' | 'db' | 'logger' | 'clock' | 'signingKey' | 'stopHooks'>;

/** Builds the services over `s.db` (migrating it); tests may call this directly. */
export function createFederationServices(s: Deps): FederationServices {
  s.db.migrate(federationMigrations);
  const serverName = s.config.server_name;
  const now = (): number => s.clock.now();
  const logger = s.logger.child({ module: 'federation' });
  const whitelist = s.config.federation_domain_whitelist === null ? null : new ServerNameList(s.config.federation_domain_whitelist);
  const isAllowed = (name: string): boolean => whitelist === null || name === serverName || whitelist.has(name);

  if (s.config.federation_insecure_skip_verify_for.length > 0) {
    logger.warn('federation certificates are NOT verified for some servers (federation_insecure_skip_verify_for): development only', { servers: s.config.federation_insecure_skip_verify_for });
  }
  const store = new FederationStore(s.db);
  const ownKeys = new OwnKeys({ serverName, signingKey: s.signingKey, store, now });
  ownKeys.recordCurrent(s.db);
  const transport = new FederationTransport({
    caFile: s.config.federation_ca_file,
    insecureSkipVerifyFor: s.config.federation_insecure_skip_verify_for,
    userAgent: `${SERVER_SOFTWARE.name}/${SERVER_SOFTWARE.version}`,
  });
  const discovery = new ServerDiscovery({ fetchWellKnown: (h) => transport.fetchWellKnown(h), now, logger });
  const client = new FederationClient({ serverName, signingKey: s.signingKey, discovery, transport, isAllowed, logger });
  const keys = new ServerKeyFetcher({
    serverName, signingKey: s.signingKey, db: s.db, store, client, now, logger,
    trustedKeyServers: s.config.trusted_key_servers, isAllowed,
  });
  const notary = new KeyNotary({ serverName, signingKey: s.signingKey, store, fetcher: keys, ownKeys, now, isAllowed, logger });
  const requestAuth = new FederationRequestAuthenticator({ serverName, fetcher: keys, isAllowed, now, logger });
  s.stopHooks.push(() => transport.close());
  return { store, ownKeys, discovery, transport, client, keys, notary, requestAuth, isAllowed };
}

const built = new WeakMap<object, FederationServices>();

/** The homeserver's federation services, built on first use. */
export function federationOf(s: HomeserverServices): FederationServices {
  let f = built.get(s);
  if (!f) {
    f = createFederationServices(s);
    built.set(s, f);
  }
  return f;
}
