// Wires the appservice module into a homeserver: registrations from `app_service_config_files`,
// as_token authentication, rate-limit exemptions, the persistent event queue and one pusher per
// appservice, the ping route, and Synapse's admin registration API (which lives here because it is
// how operators and tests bootstrap accounts without the interactive /register flow).
import type { HomeserverServices } from '../../app.ts';
import type { Router } from '../../api/router.ts';
import { AppserviceStore, appserviceMigrations } from '../../storage/appservice-store.ts';
import { register as registerAdmin } from '../../api/client/admin.ts';
import { register as registerPing } from '../../api/appservice/ping.ts';
import { MatrixError } from '../../api/errors.ts';
import { loadRegistrations } from './registration.ts';
import { AppserviceRegistry, setAppserviceRegistry } from './registry.ts';
import { appserviceAuthenticator, appserviceRateLimitExempt } from './auth.ts';
import { AppserviceQueue } from './queue.ts';
import { AppservicePusher, DEFAULT_BACKOFF, type Backoff } from './pusher.ts';
import { setAppserviceHooks } from './hooks.ts';
import { createAppserviceHooks } from './session-hooks.ts';

/**
 * Retry timing for transactions. `PEERLINE_APPSERVICE_RETRY_MS=<initial>[,<max>]` shortens it for
 * tests that take an appservice down; production keeps Synapse's 1 s … 5 min.
 */
export function backoffFromEnv(value: string | undefined): Backoff {
  if (value === undefined || value === '') return DEFAULT_BACKOFF;
  const m = /^(\d+)(?:,(\d+))?$/.exec(value);
  if (!m || Number(m[1]) <= 0) throw new Error(`PEERLINE_APPSERVICE_RETRY_MS must be '<initial ms>[,<max ms>]', got '${value}'`);
  const initialMs = Number(m[1]);
  return { initialMs, maxMs: Math.max(initialMs, m[2] ? Number(m[2]) : DEFAULT_BACKOFF.maxMs) };
}

export function wireAppservices(s: HomeserverServices, routers: { client: Router; federation: Router }): void {
  // Throws with the file and field named; the CLI prints it and exits.
  const registry = new AppserviceRegistry(loadRegistrations(s.config.app_service_config_files), s.config.server_name);
  setAppserviceRegistry(s, registry);
  // Registration, login and alias routes consult these even with no appservice configured.
  setAppserviceHooks(s, createAppserviceHooks(s, registry));
  s.db.migrate(appserviceMigrations);

  const pushers = new Map<string, AppservicePusher>();
  registerAdmin(routers.client, s);
  registerPing(routers.client, s, { registry, onPingOk: (id) => pushers.get(id)?.retryNow() });
  if (registry.all.length === 0) return;

  // First, so as_token requests do not cost a failed access-token lookup.
  s.authenticators.unshift(appserviceAuthenticator(s, registry));
  const exempt = appserviceRateLimitExempt(registry);
  const previousExempt = s.rateLimitExempt;
  s.rateLimitExempt = (userId, appserviceId) => exempt(userId, appserviceId) || previousExempt(userId, appserviceId);

  const store = new AppserviceStore(s.db);
  const backoff = backoffFromEnv(process.env['PEERLINE_APPSERVICE_RETRY_MS']);
  for (const as of registry.all) {
    pushers.set(as.id, new AppservicePusher({ appservice: as, db: s.db, store, rooms: s.rooms, logger: s.logger, backoff }));
  }
  const queue = new AppserviceQueue({
    db: s.db, store, events: s.eventsStore, logger: s.logger, appservices: registry.all,
    onEnqueued: (ids) => { for (const id of ids) pushers.get(id)?.wake(); },
  });
  queue.init();
  s.persister.onPersisted(() => queue.trigger());

  s.startHooks.push(async () => {
    for (const as of registry.all) {
      if (s.accounts.userExists(as.sender)) continue;
      try {
        await s.accounts.createUser({ localpart: as.reg.senderLocalpart, password: null, appserviceId: as.id });
      } catch (e) {
        if (!(e instanceof MatrixError && e.errcode === 'M_USER_IN_USE')) throw e;
      }
    }
    for (const p of pushers.values()) p.start();
    // Catch up on events committed before a crash but never queued; runs alongside start-up.
    queue.trigger();
  });
  s.stopHooks.push(async () => {
    await queue.stop();
    await Promise.all([...pushers.values()].map((p) => p.stop()));
  });
}
