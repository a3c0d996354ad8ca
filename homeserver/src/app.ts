// The composition root: builds storage → services → APIs for one homeserver from its config, and
// starts/stops its listeners. Tests and the CLI both go through createHomeserver().
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HomeserverConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { Database } from './storage/database.ts';
import { allMigrations, streamTables } from './storage/migrations.ts';
import { StreamCounter } from './storage/streams.ts';
import { UsersStore } from './storage/users-store.ts';
import { EventsStore } from './storage/events-store.ts';
import { StreamsStore } from './storage/streams-store.ts';
import { loadOrCreateSigningKey } from './services/keys/server-keys.ts';
import { AccountsService, type Clock } from './services/users/accounts.ts';
import { UiaService } from './services/users/uia.ts';
import { createUiaChecker } from './services/users/uia-stages.ts';
import { RoomCache } from './services/rooms/room-cache.ts';
import { EventPersister } from './services/rooms/event-persister.ts';
import { RoomsService } from './services/rooms/rooms.ts';
import { RetentionService } from './services/rooms/retention.ts';
import { Notifier } from './services/sync/notifier.ts';
import { SyncService } from './services/sync/sync.ts';
import { TypingService, UserStreamsService } from './services/sync/user-streams.ts';
import { Router } from './api/router.ts';
import { createHttpServer, type Authenticator } from './api/http-server.ts';
import { RateLimiter } from './api/middleware/rate-limiter.ts';
import { registerClientRoutes } from './api/client/index.ts';
import { registerFederationRoutes } from './api/federation/index.ts';
import { createFederationServer } from './federation/tls.ts';
import type { SigningKey } from './core/signing.ts';
import { wireE2ee } from './services/e2ee/wire.ts';
import { wireRoomFederation } from './federation/federated-membership-wire.ts';
import { wireFederationSender } from './federation/sender-wire.ts';
import { wireAppservices } from './services/appservice/wire.ts';
import { wirePushRules } from './services/push/wire.ts';
import { evaluatePushRules, pushOutcome } from './services/push/evaluator.ts';
import type { PushRulesService } from './services/push/push-rules.ts';

export interface HomeserverServices {
  config: HomeserverConfig;
  logger: Logger;
  clock: Clock;
  db: Database;
  streams: StreamCounter;
  notifier: Notifier;
  signingKey: SigningKey;
  usersStore: UsersStore;
  eventsStore: EventsStore;
  streamsStore: StreamsStore;
  roomCache: RoomCache;
  accounts: AccountsService;
  uia: UiaService;
  persister: EventPersister;
  rooms: RoomsService;
  sync: SyncService;
  userStreams: UserStreamsService;
  typing: TypingService;
  /** Resolves a room alias of another server (federation query/directory); set when federation is wired. */
  resolveRemoteAlias?: (alias: string) => Promise<{ roomId: string; servers: string[] } | null>;
  /** Set when the push module is wired. */
  pushRules?: PushRulesService;
  /** Resolves access tokens; extended by the appservice module for as_tokens. */
  authenticators: Authenticator[];
  /** Work to do once everything is built (background queues), and on shutdown. */
  startHooks: (() => void | Promise<void>)[];
  stopHooks: (() => void | Promise<void>)[];
  /** Users (by appservice) exempt from rate limits. */
  rateLimitExempt: (userId: string, appserviceId?: string) => boolean;
}

export interface Homeserver {
  services: HomeserverServices;
  /** The route tables of the two listeners (read them with `routes()`). */
  routers: { client: Router; federation: Router };
  start(): Promise<{ clientPort: number; federationPort: number }>;
  stop(): Promise<void>;
}

export function createHomeserver(config: HomeserverConfig, opts: { logger: Logger; clock?: Clock }): Homeserver {
  const clock = opts.clock ?? { now: () => Date.now() };
  mkdirSync(config.data_dir, { recursive: true });
  const db = new Database(join(config.data_dir, 'homeserver.db'), { durable: config.durable_commits });
  db.migrate(allMigrations);
  const signingKey = loadOrCreateSigningKey(config.data_dir);
  const streams = new StreamCounter(db, streamTables);
  const usersStore = new UsersStore(db);
  const eventsStore = new EventsStore(db);
  const streamsStore = new StreamsStore(db);
  const notifier = new Notifier();
  const accounts = new AccountsService({ db, store: usersStore, clock, serverName: config.server_name, tokenLifetimeMs: config.access_token_lifetime_ms });
  const uia = new UiaService(createUiaChecker({ accounts, users: usersStore, db, serverName: config.server_name, clock }));
  const roomCache = new RoomCache(eventsStore);
  const persister = new EventPersister({ db, store: eventsStore, cache: roomCache, streams, clock, serverName: config.server_name, signingKey });
  const rooms = new RoomsService({ db, store: eventsStore, users: usersStore, cache: roomCache, persister, clock, serverName: config.server_name });
  const sync = new SyncService({ db, events: eventsStore, streamsStore, rooms, cache: roomCache, streams, notifier, clock });
  const userStreams = new UserStreamsService({ db, store: streamsStore, events: eventsStore, streams, notifier, clock });
  const typing = new TypingService(clock, (roomId) => sync.notifyRoom(roomId));
  sync.attach(userStreams, typing);
  persister.onPersisted((e) => {
    sync.noteRoomEvent(e.pdu.room_id, e.streamPos);
    notifier.notify(e.affectedUsers);
  });

  const retention = new RetentionService({ db, cache: roomCache, clock, logger: opts.logger.child({ module: 'retention' }) });
  const services: HomeserverServices = {
    config, logger: opts.logger, clock, db, streams, notifier, signingKey, usersStore, eventsStore, streamsStore,
    roomCache, accounts, uia, persister, rooms, sync, userStreams, typing,
    authenticators: [{ authenticate: (token) => accounts.authenticateToken(token) }],
    startHooks: [], stopHooks: [],
    rateLimitExempt: () => false,
  };

  const clientRouter = new Router();
  registerClientRoutes(clientRouter, services);
  const federationRouter = new Router();
  registerFederationRoutes(federationRouter, services);
  // Domain modules wire themselves: migrations, services, routes, sync contributors, hooks.
  const routers = { client: clientRouter, federation: federationRouter };
  wireE2ee(services, routers);
  wireRoomFederation(services);
  wireFederationSender(services, routers);
  wireAppservices(services, routers);
  const push = wirePushRules(services, routers);
  services.pushRules = push.rules;
  sync.setNotificationJudge((userId, roomId) => {
    // Everything the rules need about the room, looked up once per room and user.
    const head = roomCache.head(roomId);
    const ctx = {
      userId,
      displayName: (rooms.stateEvent(roomId, 'm.room.member', userId)?.content['displayname'] as string | undefined) ?? null,
      memberCount: eventsStore.membersOfRoom(roomId, 'join').length,
      powerLevels: rooms.stateEvent(roomId, 'm.room.power_levels', '')?.content ?? null,
      roomVersion: head?.version ?? '10',
      roomCreators: [rooms.stateEvent(roomId, 'm.room.create', '')?.sender ?? ''],
    };
    const ruleset = push.rules.ruleset(userId);
    return (pdu) => pushOutcome(evaluatePushRules(ruleset, pdu, ctx));
  });

  const authenticator: Authenticator = {
    authenticate(token, query) {
      for (const a of services.authenticators) {
        const r = a.authenticate(token, query);
        if (r) return r;
      }
      return null;
    },
  };
  const rateLimiter = new RateLimiter(config.rc_message.per_second, config.rc_message.burst_count, () => clock.now());
  const common = {
    authenticator, logger: opts.logger, maxBodyBytes: config.max_request_body_bytes, rateLimiter,
    isRateLimitExempt: (a: { userId: string; appserviceId?: string }) => services.rateLimitExempt(a.userId, a.appserviceId),
  };
  const clientServer: Server = createHttpServer({ ...common, router: clientRouter });
  // Server-Server API over HTTPS (spec "TLS"): configured certificate, else a self-signed development one.
  // A full transaction from another server (50 PDUs of up to 64 KiB) is larger than client bodies.
  const federationServer: Server = createFederationServer(config, { ...common, maxBodyBytes: Math.max(config.max_request_body_bytes, 4 * 1024 * 1024), router: federationRouter });

  const listen = (server: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.bind_address, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });

  return {
    services,
    routers,
    async start() {
      for (const h of services.startHooks) await h();
      retention.start(config.retention_interval_ms);
      const clientPort = await listen(clientServer, config.client_port);
      const federationPort = await listen(federationServer, config.federation_port);
      return { clientPort, federationPort };
    },
    async stop() {
      retention.stop();
      const close = (s: Server): Promise<void> => new Promise((r) => { s.close(() => r()); s.closeAllConnections(); });
      await Promise.all([close(clientServer), close(federationServer)]);
      for (const h of services.stopHooks) await h();
      // Let queued writes finish before closing the database.
      await db.write(() => undefined).catch(() => undefined);
      db.close();
    },
  };
}
