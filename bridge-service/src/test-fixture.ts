// Shared by the bridge's unit tests (excluded from the build): a valid policy document, and the
// bridge's services over an in-memory store with a manual clock and a scripted OpenID check.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { InstitutionPolicy } from '../../protocol/src/policy.ts';
import { ManualClock } from './core/clock.ts';
import { memoryLogger } from './logger.ts';
import { openSqliteStore, type SqliteStore } from './store/sqlite/index.ts';
import { Metrics } from './services/metrics.ts';
import { PolicyService } from './services/policy.ts';
import { AuditService } from './services/audit.ts';
import { SessionService } from './services/sessions.ts';
import { RoleResolver } from './services/roles.ts';
import { RosterService } from './services/roster.ts';
import { RateLimiter } from './services/rate-limiter.ts';
import { ReadinessService } from './services/readiness.ts';
import { HomeserverClient } from './services/homeserver-client.ts';
import { AppserviceHandlers } from './appservice/handlers.ts';
import { TransactionProcessor } from './appservice/transactions.ts';
import type { OpenIdVerifier } from './services/openid.ts';
import { BridgeError } from './errors.ts';
import { createApp, type BridgeServices } from './app.ts';

export const SERVER = 'a.example';
export const PARTNER = 'b.example';
export const HS_TOKEN = 'hs-token-for-unit-tests';

export function samplePolicy(): InstitutionPolicy {
  const hours = { monday: [{ start: '08:00', end: '20:00' }], tuesday: [{ start: '08:00', end: '20:00' }] };
  return {
    schema_version: 1,
    institution: { id: 'school-a', name: 'School A', server_name: SERVER },
    partners: [{ server_name: PARTNER, institution_id: 'school-b', name: 'School B' }],
    topics: [
      { id: 'exam-stress', label: 'Exam stress', needs_training: ['listening'] },
      { id: 'low-mood', label: 'Low mood', needs_training: ['listening', 'mhfa'] },
    ],
    support_hours: { time_zone: 'Europe/London', weekly: hours, holidays: [{ date: '2026-01-13', name: 'Closure day' }] },
    age_rules: { minors: false },
    matching: { cross_institution: true, offer_timeout_seconds: 120 },
    supporters: {
      training: {
        modules: [
          { id: 'listening', label: 'Active listening', min_version: 2, valid_days: 365 },
          { id: 'safeguarding', label: 'Safeguarding', min_version: 1, valid_days: 365 },
          { id: 'mhfa', label: 'Mental health first aid', min_version: 1, valid_days: 730 },
        ],
        required: ['safeguarding'],
      },
      capacity: { default: 2, max: 4 },
    },
    retention_days: { peer: 30, group: 90, escalation: 365 },
    escalation: {
      counsellor_team: 'wellbeing',
      on_duty: { time_zone: 'Europe/London', weekly: hours },
      response_targets_minutes: { critical: 5, high: 30, medium: 240, low: 1440 },
    },
    crisis_resources: [
      { region: 'GB', language: 'en', name: 'Samaritans', phone: '116 123' },
      { region: 'default', language: 'en', name: 'Emergency services', phone: '999' },
    ],
    rate_limits: { support_requests_per_hour: 3, api_requests_per_minute: 1000, session_creations_per_minute: 1000 },
  };
}

export function writePolicyFile(doc: unknown = samplePolicy(), dir = mkdtempSync(join(tmpdir(), 'peerline-policy-'))): string {
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, typeof doc === 'string' ? doc : stringify(doc));
  return file;
}

export interface TestBridge {
  services: BridgeServices;
  store: SqliteStore;
  clock: ManualClock;
  app: ReturnType<typeof createApp>['app'];
  router: ReturnType<typeof createApp>['router'];
  logs: ReturnType<typeof memoryLogger>['lines'];
  /** OpenID tokens the scripted verifier accepts: token → user id. */
  openIdTokens: Map<string, string>;
  /** Signs a user in through the API and returns the session token. */
  signIn(userId: string): Promise<string>;
}

/** Services as the bridge builds them, except: in-memory store, manual clock, scripted OpenID. */
export function testBridge(opts: { policy?: InstitutionPolicy; admins?: string[] } = {}): TestBridge {
  const clock = new ManualClock();
  const logger = memoryLogger();
  const store = openSqliteStore(':memory:', { durable: false });
  const policyFile = writePolicyFile(opts.policy ?? samplePolicy());
  const policy = new PolicyService({ file: policyFile, serverName: SERVER, clock, logger, pollMs: 0 });
  const metrics = new Metrics();
  const audit = new AuditService({ store: store.audit, clock });
  const roles = new RoleResolver({ roster: store.roster, serverName: SERVER, bootstrapAdmins: opts.admins ?? [`@admin:${SERVER}`] });
  const openIdTokens = new Map<string, string>();
  const openid = {
    async verify(token: string, serverName: string, trusted: readonly string[]): Promise<string> {
      if (!trusted.includes(serverName)) throw new BridgeError(403, 'M_FORBIDDEN', `Server '${serverName}' is not trusted`);
      const user = openIdTokens.get(token);
      if (!user || !user.endsWith(`:${serverName}`)) throw new BridgeError(401, 'M_UNKNOWN_TOKEN', 'unknown OpenID token');
      return user;
    },
    onOutcome() {},
  } as unknown as OpenIdVerifier;
  const homeserver = new HomeserverClient({ baseUrl: 'http://127.0.0.1:1', asToken: 'as', botUserId: `@peerline-bot:${SERVER}` });
  const handlers = new AppserviceHandlers();
  const services: BridgeServices = {
    serverName: SERVER, appserviceId: 'peerline', maxBodyBytes: 64 * 1024, trustForwardedFor: false, hsToken: HS_TOKEN,
    clock, logger, metrics, store, policy, audit, roles, openid, homeserver, handlers,
    sessions: new SessionService({ store: store.sessions, clock, ttlMs: 15 * 60_000, maxLifetimeMs: 12 * 3600_000 }),
    roster: new RosterService({ store: store.roster, audit, roles, policy: () => policy.current(), clock }),
    limiter: new RateLimiter({ clock }),
    readiness: new ReadinessService({ store, policy, homeserver: { versions: async () => ({ versions: ['v1.12'] }) } }),
    processor: new TransactionProcessor({ store: store.appservice, handlers, logger, clock, metrics }),
    lastPing: { ts: null },
  };
  const { app, router } = createApp(services);
  let n = 0;
  return {
    services, store, clock, app, router, logs: logger.lines, openIdTokens,
    async signIn(userId: string) {
      const token = `openid-${++n}`;
      openIdTokens.set(token, userId);
      const res = await app.request('/v1/session', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ access_token: token, matrix_server_name: userId.slice(userId.indexOf(':') + 1) }),
      });
      if (res.status !== 200) throw new Error(`sign-in of ${userId} failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { session_token: string }).session_token;
    },
  };
}
