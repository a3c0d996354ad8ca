// The group moderation module: moderators' actions on group members (through the bot) and message
// reports, with the periodic deletion of reports past the group retention period.
import type { BridgeModule } from '../bridge.ts';
import type { BridgeServices } from '../app.ts';
import type { ApiRouter } from '../api/route.ts';
import { GroupAccess, ModerationMetrics, type ModerationContext, type ModerationHomeserver } from './context.ts';
import { GroupModeration } from './group-moderation.ts';
import { MessageReports } from './reports.ts';
import { register as registerRoutes } from './routes.ts';

export interface ModerationModuleOptions {
  /** Default: the bridge's HomeserverClient (unit tests pass a fake). */
  homeserver?: ModerationHomeserver;
  /** Period of the report retention sweep; default 10 minutes. */
  purgeEveryMs?: number;
}

export interface ModerationParts {
  context: ModerationContext;
  moderation: GroupModeration;
  reports: MessageReports;
}

export type ModerationModule = BridgeModule & { readonly parts: ModerationParts };

export function moderationModule(opts: ModerationModuleOptions = {}): ModerationModule {
  let parts: ModerationParts | null = null;
  let timer: NodeJS.Timeout | null = null;
  let purging: Promise<unknown> | null = null;

  return {
    name: 'moderation',
    get parts(): ModerationParts {
      if (!parts) throw new Error('the moderation module is not registered yet');
      return parts;
    },
    register(s: BridgeServices, router: ApiRouter): void {
      const c: ModerationContext = {
        store: s.store.moderation, matching: s.store.matching, roster: s.store.roster, roles: s.roles, audit: s.audit,
        policy: () => s.policy.current(), clock: s.clock, logger: s.logger.child({ component: 'moderation' }),
        homeserver: opts.homeserver ?? s.homeserver, metrics: new ModerationMetrics(s.metrics),
      };
      const access = new GroupAccess(c);
      parts = { context: c, moderation: new GroupModeration(c, access), reports: new MessageReports(c, access) };
      registerRoutes(router, parts);
    },
    start(): void {
      const p = parts!;
      const sweep = (): void => {
        purging ??= p.reports.purgeDue()
          .catch((e: unknown) => p.context.logger.error('report retention sweep failed', { error: (e as Error).message }))
          .finally(() => { purging = null; });
      };
      sweep();
      timer = setInterval(sweep, opts.purgeEveryMs ?? 10 * 60_000);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await purging;
    },
  };
}
