// Wires outgoing federation into a homeserver: local events are queued for the servers in their
// room once committed, local typing and public read receipts become EDUs, queues resume at start
// and stop cleanly, and a server that makes an authenticated request to us is retried at once.
// `federationSenderOf(s)` gives other modules the sender (`sendEdu` for the E2EE EDUs).
import type { HomeserverServices } from '../app.ts';
import type { Router } from '../api/router.ts';
import { FederationQueueStore, federationQueueMigrations } from '../storage/federation-queue-store.ts';
import { fedPath } from './federation-client.ts';
import { FederationSender } from './sender.ts';
import { LocalEventFeed } from './sender-events.ts';
import { EphemeralForwarder } from './sender-ephemeral.ts';
import { federationOf } from './wire.ts';
import { roomFederationOf } from './room-federation.ts';

const built = new WeakMap<object, FederationSender>();
const wired = new WeakSet<object>();

/** The homeserver's federation sender, built (and its tables migrated) on first use. */
export function federationSenderOf(s: HomeserverServices): FederationSender {
  let sender = built.get(s);
  if (sender) return sender;
  s.db.migrate(federationQueueMigrations);
  const federation = federationOf(s);
  sender = new FederationSender({
    db: s.db, store: new FederationQueueStore(s.db), serverName: s.config.server_name, now: () => s.clock.now(),
    logger: s.logger.child({ module: 'federation-sender' }), isAllowed: federation.isAllowed,
    transmit: (destination, txnId, body, signal) =>
      federation.client.put(destination, fedPath`/_matrix/federation/v1/send/${txnId}`, body, { signal, timeoutMs: s.config.federation_transaction_timeout_ms }),
    retry: { initialMs: s.config.federation_retry_initial_ms, maxMs: Math.max(s.config.federation_retry_max_ms, s.config.federation_retry_initial_ms) },
  });
  built.set(s, sender);
  return sender;
}

export function wireFederationSender(s: HomeserverServices, routers: { federation: Router }): FederationSender {
  const sender = federationSenderOf(s);
  if (wired.has(s)) return sender;
  wired.add(s);
  const rooms = roomFederationOf(s);
  const logger = s.logger.child({ module: 'federation-sender' });
  const store = new FederationQueueStore(s.db);
  const feed = new LocalEventFeed({ db: s.db, store, sender, serverName: s.config.server_name, serversInRoom: (r) => rooms.serversInRoom(r), logger });
  s.persister.onPersisted((e) => feed.persisted(e));

  const ephemeral = new EphemeralForwarder({
    isLocalUser: (u) => s.accounts.isLocalUser(u),
    serversInRoom: (r) => rooms.serversInRoom(r),
    sendEdu: (d, type, content, opts) => sender.sendEdu(d, type, content, opts),
    now: () => s.clock.now(),
    logger,
  });
  s.typing.onTyping((roomId, userId, typing) => ephemeral.typingChanged(roomId, userId, typing));
  s.userStreams.onReceipt((r) => ephemeral.receiptStored(r));

  // Any authenticated request shows its origin is up again: stop backing off from it (as Synapse does).
  const auth = routers.federation.federationAuthenticator;
  if (auth) {
    routers.federation.federationAuthenticator = {
      async authenticate(ctx) {
        const origin = await auth.authenticate(ctx);
        sender.wake(origin);
        return origin;
      },
    };
  }

  s.startHooks.push(async () => {
    await feed.catchUp();
    sender.start();
  });
  // First among the stop hooks: transactions in flight are abandoned before the transport closes.
  s.stopHooks.unshift(async () => {
    await sender.stop();
    await feed.flush();
  });
  return sender;
}
