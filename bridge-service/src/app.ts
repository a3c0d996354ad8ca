// Builds the bridge's Hono app from injected services: request context, every route declaration
// (web-client API, admin API, appservice API, operations), and the error handlers. Tests build it
// with their own services and call `app.request()`; modules add routes through `extraRoutes`.
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Clock } from './core/clock.ts';
import type { Logger } from './logger.ts';
import type { Store } from './store/store.ts';
import type { AppEnv } from './middleware/context.ts';
import { requestContext } from './middleware/request-context.ts';
import { notFoundHandler, onError } from './middleware/errors.ts';
import { ApiRouter } from './api/route.ts';
import { openApiDocument } from './api/openapi.ts';
import { register as registerSession } from './api/session.ts';
import { register as registerPolicy } from './api/policy.ts';
import { register as registerRoster } from './api/roster.ts';
import { register as registerAudit } from './api/audit.ts';
import { register as registerSystem } from './api/system.ts';
import { register as registerAppserviceStatus } from './api/appservice-status.ts';
import { register as registerAppservice } from './appservice/routes.ts';
import type { Metrics } from './services/metrics.ts';
import type { PolicyService } from './services/policy.ts';
import type { AuditService } from './services/audit.ts';
import type { SessionService } from './services/sessions.ts';
import type { RoleResolver } from './services/roles.ts';
import type { RosterService } from './services/roster.ts';
import type { OpenIdVerifier } from './services/openid.ts';
import type { RateLimiter } from './services/rate-limiter.ts';
import type { ReadinessService } from './services/readiness.ts';
import type { HomeserverClient } from './services/homeserver-client.ts';
import type { TransactionProcessor } from './appservice/transactions.ts';
import type { AppserviceHandlers } from './appservice/handlers.ts';

export const BRIDGE_VERSION = '0.1.0';

/** Everything the app and the modules are built from. */
export interface BridgeServices {
  serverName: string;
  appserviceId: string;
  maxBodyBytes: number;
  trustForwardedFor: boolean;
  hsToken: string;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  policy: PolicyService;
  audit: AuditService;
  sessions: SessionService;
  roles: RoleResolver;
  roster: RosterService;
  openid: OpenIdVerifier;
  limiter: RateLimiter;
  readiness: ReadinessService;
  homeserver: HomeserverClient;
  handlers: AppserviceHandlers;
  processor: TransactionProcessor;
  /** When the homeserver last pinged us (ms), or null. */
  lastPing: { ts: number | null };
}

export function createApp(s: BridgeServices, extraRoutes: ((router: ApiRouter) => void)[] = []): { app: Hono<AppEnv>; router: ApiRouter } {
  const router = new ApiRouter();
  let openApiCache: Record<string, unknown> | null = null;
  registerSystem(router, { metrics: s.metrics, readiness: s.readiness, openApi: () => (openApiCache ??= openApiDocument(router.routes, { title: 'Peerline bridge', version: BRIDGE_VERSION })) });
  registerSession(router, { sessions: s.sessions, openid: s.openid, roles: s.roles, policy: s.policy, metrics: s.metrics, clock: s.clock });
  registerPolicy(router, { policy: s.policy, clock: s.clock });
  registerRoster(router, { roster: s.roster, store: s.store.roster, policy: s.policy, clock: s.clock });
  registerAudit(router, { audit: s.audit });
  registerAppserviceStatus(router, { store: s.store.appservice, lastPing: () => s.lastPing.ts });
  registerAppservice(router, { processor: s.processor, clock: s.clock, onPing: (ts) => { s.lastPing.ts = ts; } });
  for (const add of extraRoutes) add(router);

  const app = new Hono<AppEnv>();
  app.use('*', requestContext({ logger: s.logger, metrics: s.metrics }));
  // The web client is served from its own origin and authenticates with a bearer token (no cookies),
  // so any origin may call the client API; the appservice endpoints get no CORS headers.
  app.use('/v1/*', cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'], maxAge: 600 }));
  router.mount(app, {
    auth: { sessions: s.sessions, roles: s.roles, hsToken: s.hsToken },
    rateLimit: { limiter: s.limiter, policy: () => s.policy.current(), trustForwardedFor: s.trustForwardedFor },
    maxBodyBytes: s.maxBodyBytes,
  });
  app.notFound(notFoundHandler);
  app.onError(onError);
  return { app, router };
}
