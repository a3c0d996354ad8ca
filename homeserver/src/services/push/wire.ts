// Wires the push module into a homeserver: migrations, services, routes, sync contributors, hooks.
import type { HomeserverServices } from '../../app.ts';
import type { Router } from '../../api/router.ts';
import { PushStore, pushMigrations } from '../../storage/push-store.ts';
import { registerPushRoutes } from '../../api/client/push-rules.ts';
import { PushRulesService } from './push-rules.ts';
import { PushersService } from './pushers.ts';
import { pushRulesSyncContributor } from './sync-contributor.ts';

export interface PushModule {
  rules: PushRulesService;
  pushers: PushersService;
}

/**
 * Returns the services so the composition root can expose them (the room/sync code evaluates
 * `rules.ruleset(userId)` with `evaluatePushRules` from ./evaluator.ts for notification counts).
 */
export function wirePushRules(s: HomeserverServices, routers: { client: Router; federation: Router }): PushModule {
  s.db.migrate(pushMigrations);
  s.streams.includeTable(s.db, 'push_rules_stream');
  const store = new PushStore(s.db);
  const rules = new PushRulesService({ db: s.db, store, streams: s.streams, notifier: s.notifier });
  const pushers = new PushersService({ db: s.db, store, clock: s.clock });
  registerPushRoutes(routers.client, { rules, pushers });
  s.sync.addContributor(pushRulesSyncContributor(rules));
  s.accounts.onDeviceDeleted((userId, deviceId) => {
    pushers.removeForDevice(userId, deviceId).catch((e: unknown) => {
      s.logger.warn('removing pushers of a deleted device failed', { error: (e as Error).message });
    });
  });
  return { rules, pushers };
}
