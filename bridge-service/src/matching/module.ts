// The requests-and-matching module: builds its parts from the bridge's services, adds its routes
// and appservice handlers, and runs its jobs — offer and request expiry, no-shows and check-ins
// (every `tickMs`), the retention sweep (every `purgeEveryMs`), and the coordination links.
import type { BridgeModule } from '../bridge.ts';
import type { BridgeServices } from '../app.ts';
import type { ApiRouter } from '../api/route.ts';
import { COORDINATION_AVAILABILITY_EVENT_TYPE, COORDINATION_EVENT_TYPE } from '../../../protocol/src/coordination.ts';
import { MatchingEngine } from './engine.ts';
import { PeerSessions } from './peer-sessions.ts';
import { PartnerCoordination } from './partner-coordination.ts';
import { SupportRequests } from './requests.ts';
import { SupportGroups } from './groups.ts';
import { Wakeups } from './wakeups.ts';
import { MatchingMetrics, timingsFromEnv, type MatchingContext, type MatchingHomeserver, type MatchingTimings } from './context.ts';
import { register as registerRequestRoutes } from './api-requests.ts';
import { register as registerSessionRoutes } from './api-sessions.ts';

export interface MatchingModuleOptions {
  /** Default: the bridge's HomeserverClient (unit tests pass a fake). */
  homeserver?: MatchingHomeserver;
  /** Default: DEFAULT_TIMINGS, with PEERLINE_MATCHING_*_MS overrides from the environment. */
  timings?: Partial<MatchingTimings>;
  /** Do not start the periodic jobs (unit tests call `parts.tick()` themselves). */
  manualJobs?: boolean;
}

export interface MatchingParts {
  context: MatchingContext;
  engine: MatchingEngine;
  sessions: PeerSessions;
  coordination: PartnerCoordination;
  requests: SupportRequests;
  groups: SupportGroups;
  /** One run of the periodic job: expiries, no-shows, check-ins, links, outbox. */
  tick(): Promise<void>;
}

export type MatchingModule = BridgeModule & { readonly parts: MatchingParts };

export function matchingModule(opts: MatchingModuleOptions = {}): MatchingModule {
  let parts: MatchingParts | null = null;
  const timers: NodeJS.Timeout[] = [];
  let ticking: Promise<void> | null = null;
  let purging: Promise<unknown> | null = null;

  return {
    name: 'matching',
    get parts(): MatchingParts {
      if (!parts) throw new Error('the matching module is not registered yet');
      return parts;
    },
    register(s: BridgeServices, router: ApiRouter): void {
      const signals = { kick: () => {}, availabilityChanged: () => {}, flushOutbox: () => {} };
      const c: MatchingContext = {
        store: s.store.matching, roster: s.store.roster, audit: s.audit, policy: () => s.policy.current(), clock: s.clock,
        logger: s.logger.child({ component: 'matching' }), homeserver: opts.homeserver ?? s.homeserver, serverName: s.serverName,
        timings: { ...timingsFromEnv(process.env), ...opts.timings }, wakeups: new Wakeups(s.store.signals), metrics: new MatchingMetrics(s.metrics), signals,
        supervision: s.store.supervision,
      };
      const sessions = new PeerSessions(c);
      const engine = new MatchingEngine(c, sessions);
      const coordination = new PartnerCoordination(c, engine, sessions);
      const requests = new SupportRequests(c);
      const groups = new SupportGroups(c);
      signals.kick = () => engine.kick();
      signals.availabilityChanged = () => coordination.availabilityChanged();
      signals.flushOutbox = () => coordination.flush();
      const tick = async (): Promise<void> => {
        const steps: [string, () => Promise<unknown>][] = [
          ['expiry', () => engine.expire()],
          ['sessions', () => sessions.sweep()],
          // A room still being made after a minute was left behind by a failure: make it now.
          ['rooms left creating', () => sessions.resumeCreating(60_000)],
          ['links', () => coordination.ensureLinks()],
        ];
        for (const [what, step] of steps) {
          try {
            await step();
          } catch (e) {
            c.logger.error(`matching job failed: ${what}`, { error: (e as Error).message });
          }
        }
        coordination.flush();
      };
      parts = { context: c, engine, sessions, coordination, requests, groups, tick };
      registerRequestRoutes(router, { c, requests, engine });
      registerSessionRoutes(router, { c, sessions, groups, coordination });
      s.handlers.onRoomEvent('matching', 'm.room.member', (ev) => sessions.onMembership(ev));
      s.handlers.onRoomEvent('coordination', ['m.room.member', COORDINATION_EVENT_TYPE, COORDINATION_AVAILABILITY_EVENT_TYPE], (ev) => coordination.onEvent(ev));
      s.policy.onChange(() => {
        void coordination.ensureLinks();
        coordination.availabilityChanged();
        engine.kick();
      });
    },
    start(): void {
      const p = parts!;
      if (opts.manualJobs) return;
      const c = p.context;
      // Not awaited: a homeserver that is still starting must not hold the bridge's start-up.
      void (async () => {
        try {
          await p.sessions.resumeCreating();
        } catch (e) {
          c.logger.warn('resuming sessions left creating failed; will retry at next start', { error: (e as Error).message });
        }
        await p.tick();
        p.coordination.availabilityChanged();
      })();
      const every = (ms: number, fn: () => void): void => {
        const t = setInterval(fn, ms);
        t.unref();
        timers.push(t);
      };
      every(c.timings.tickMs, () => {
        ticking ??= p.tick().finally(() => { ticking = null; });
      });
      every(c.timings.purgeEveryMs, () => {
        purging ??= p.sessions.purgeDue().catch((e: unknown) => c.logger.error('retention sweep failed', { error: (e as Error).message })).finally(() => { purging = null; });
      });
    },
    async stop(): Promise<void> {
      for (const t of timers.splice(0)) clearInterval(t);
      if (!parts) return;
      parts.engine.stop();
      parts.coordination.stop();
      await parts.engine.idle();
      await parts.coordination.flushed();
      await ticking;
      await purging;
    },
  };
}
