// The composition root: config → store → services → app, plus the lifecycle (listen, watch the
// policy, purge expired sessions, check the link with the homeserver, stop cleanly). Feature
// modules (requests and matching, rooms, consent and escalation) plug in as `BridgeModule`s: they
// get the services, add routes and appservice handlers, and start/stop with the bridge.
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import type { BridgeConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { openDataDirStore } from './store/sqlite/index.ts';
import type { Store } from './store/store.ts';
import { Metrics } from './services/metrics.ts';
import { PolicyService } from './services/policy.ts';
import { AuditService } from './services/audit.ts';
import { SessionService } from './services/sessions.ts';
import { RoleResolver } from './services/roles.ts';
import { RosterService } from './services/roster.ts';
import { FederationEndpoints } from './services/federation-endpoints.ts';
import { OpenIdVerifier } from './services/openid.ts';
import { RateLimiter } from './services/rate-limiter.ts';
import { ReadinessService } from './services/readiness.ts';
import { HomeserverClient } from './services/homeserver-client.ts';
import { AppserviceHandlers } from './appservice/handlers.ts';
import { TransactionProcessor } from './appservice/transactions.ts';
import { loadOrCreateAppserviceTokens } from './appservice/registration.ts';
import { createApp, type BridgeServices } from './app.ts';
import type { ApiRouter } from './api/route.ts';
import { answerClientError } from '../../server-kit/src/client-error.ts';

export interface BridgeModule {
  name: string;
  /** Add routes to the router and handlers to `s.handlers`; runs before the app is built. */
  register(s: BridgeServices, router: ApiRouter): void;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export interface Bridge {
  services: BridgeServices;
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

const SESSION_PURGE_MS = 10 * 60_000;

/** Builds every service from the config. Throws (PolicyLoadError, …) when something is invalid. */
export function createBridgeServices(config: BridgeConfig, opts: { logger: Logger; clock?: Clock; store?: Store }): BridgeServices {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  const tokens = loadOrCreateAppserviceTokens(config.data_dir);
  const metrics = new Metrics();
  const policy = new PolicyService({ file: config.policy_file, serverName: config.server_name, clock, logger });
  const store = opts.store ?? openDataDirStore(config.data_dir);
  const audit = new AuditService({ store: store.audit, clock });
  audit.onAppend(() => metrics.auditAppends.inc());
  policy.onReload((result) => metrics.policyReloads.inc({ result }));
  policy.onChange((_p, change) => {
    audit.record({ actor: change.actor, action: 'policy.applied', subject: config.policy_file, details: { sha256: change.sha256, version: change.version } })
      .catch((e: unknown) => logger.error('audit of policy change failed', { error: (e as Error).message }));
  });
  const roles = new RoleResolver({ roster: store.roster, serverName: config.server_name, bootstrapAdmins: config.admins });
  const openid = new OpenIdVerifier({ endpoints: new FederationEndpoints({ configured: config.federation_endpoints }), logger });
  openid.onOutcome((result) => metrics.openIdChecks.inc({ result }));
  const homeserver = new HomeserverClient({
    baseUrl: config.homeserver_url, asToken: tokens.as_token, botUserId: `@${config.appservice.sender_localpart}:${config.server_name}`,
  });
  const handlers = new AppserviceHandlers();
  return {
    serverName: config.server_name,
    appserviceId: config.appservice.id,
    maxBodyBytes: config.max_body_bytes,
    trustForwardedFor: config.trust_forwarded_for,
    hsToken: tokens.hs_token,
    clock, logger, metrics, store, policy, audit, roles, openid, homeserver, handlers,
    sessions: new SessionService({ store: store.sessions, clock, ttlMs: config.session.ttl_seconds * 1000, maxLifetimeMs: config.session.max_lifetime_seconds * 1000 }),
    roster: new RosterService({ store: store.roster, audit, roles, policy: () => policy.current(), clock }),
    limiter: new RateLimiter({ clock }),
    readiness: new ReadinessService({ store, policy, homeserver }),
    processor: new TransactionProcessor({ store: store.appservice, handlers, logger, clock, metrics }),
    lastPing: { ts: null },
  };
}

export function createBridge(config: BridgeConfig, opts: { logger: Logger; clock?: Clock; store?: Store; modules?: BridgeModule[] }): Bridge {
  const s = createBridgeServices(config, opts);
  const modules = opts.modules ?? [];
  const { app } = createApp(s, modules.map((m) => (router: ApiRouter) => m.register(s, router)));
  let server: Server | null = null;
  let purge: NodeJS.Timeout | null = null;

  const checkHomeserverLink = async (): Promise<void> => {
    try {
      const me = await s.homeserver.whoami();
      s.logger.info('homeserver accepts the as_token', { user_id: me.user_id });
      await s.homeserver.ping(s.appserviceId, `startup-${Date.now()}`);
      s.logger.info('homeserver reaches the bridge with the hs_token');
    } catch (e) {
      // Not fatal: the homeserver may start later; /ready reports reachability meanwhile.
      s.logger.warn('appservice link check failed', { error: (e as Error).message });
    }
  };

  return {
    services: s,
    async start() {
      const info = await new Promise<AddressInfo>((resolve, reject) => {
        const srv = serve({ fetch: app.fetch, port: config.listen.port, hostname: config.listen.address }, (i) => resolve(i));
        srv.once('error', reject);
        srv.on('clientError', answerClientError);
        // Node's 5 s default lets a client (or a proxy) reuse a kept-alive connection at the moment the
        // server closes it, and the request dies with "socket hang up" (seen under load). Outlive the
        // clients' and proxies' idle timeouts instead, as the homeserver does.
        (srv as Server).keepAliveTimeout = 65_000;
        (srv as Server).headersTimeout = 66_000;
        server = srv as Server;
      });
      s.policy.watch();
      purge = setInterval(() => {
        s.sessions.purgeExpired().catch((e: unknown) => s.logger.error('session purge failed', { error: (e as Error).message }));
      }, SESSION_PURGE_MS);
      purge.unref();
      for (const m of modules) await m.start?.();
      void checkHomeserverLink();
      return { port: info.port };
    },
    async stop() {
      for (const m of [...modules].reverse()) await m.stop?.();
      s.policy.stop();
      if (purge) clearInterval(purge);
      const srv = server;
      server = null;
      if (srv) {
        await new Promise<void>((resolve) => {
          srv.close(() => resolve());
          // Idle keep-alive connections would hold close() open; in-flight requests finish first.
          srv.closeIdleConnections();
        });
      }
      await s.store.close();
    },
  };
}
