// The consent and escalation module: builds its services from the bridge's, adds its routes and
// its membership handler, and runs the periodic job (finish escalations left `opening`, raise
// response-time breaches).
import type { BridgeModule } from '../bridge.ts';
import type { BridgeServices } from '../app.ts';
import type { ApiRouter } from '../api/route.ts';
import { ConsentKeyService } from './consent-keys.ts';
import { ConsentRefusals, ConsentVerifier } from './consent-verifier.ts';
import { EscalationService } from './escalation-service.ts';
import { BreachMonitor } from './breach-monitor.ts';
import { EscalationMetrics } from './metrics.ts';
import type { EscalationHomeserver } from './escalation-room.ts';
import { register as registerRoutes } from './routes.ts';

export interface EscalationModuleOptions {
  /** Default: the bridge's HomeserverClient (unit tests pass a fake). */
  homeserver?: EscalationHomeserver;
  /** Period of the job; default 30 s. */
  tickMs?: number;
}

export interface EscalationParts {
  keys: ConsentKeyService;
  verifier: ConsentVerifier;
  escalations: EscalationService;
  breaches: BreachMonitor;
  metrics: EscalationMetrics;
  /** One run of the periodic job. */
  tick(): Promise<void>;
}

export type EscalationModule = BridgeModule & { readonly parts: EscalationParts };

export function escalationModule(opts: EscalationModuleOptions = {}): EscalationModule {
  let parts: EscalationParts | null = null;
  let services: BridgeServices | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  const tick = async (): Promise<void> => {
    const p = parts!;
    const s = services!;
    try {
      await p.escalations.resumeOpening();
      await p.breaches.runOnce();
    } catch (e) {
      s.logger.error('escalation job failed', { error: (e as Error).message });
    }
  };

  return {
    name: 'escalation',
    get parts(): EscalationParts {
      if (!parts) throw new Error('the escalation module is not registered yet');
      return parts;
    },
    register(s: BridgeServices, router: ApiRouter): void {
      services = s;
      const homeserver = opts.homeserver ?? s.homeserver;
      const store = s.store.escalation;
      const metrics = new EscalationMetrics(s.metrics);
      const refusals = new ConsentRefusals({ audit: s.audit, metrics, logger: s.logger });
      const verifier = new ConsentVerifier({ store, homeserver, refusals, clock: s.clock, institution: () => s.policy.current().institution.server_name });
      const breaches = new BreachMonitor({ store, audit: s.audit, metrics, clock: s.clock, logger: s.logger });
      const escalations = new EscalationService({
        store, roster: s.store.roster, roles: s.roles, policy: () => s.policy.current(), homeserver,
        audit: s.audit, refusals, breaches, metrics, clock: s.clock, logger: s.logger,
      });
      const keys = new ConsentKeyService({ store, audit: s.audit, clock: s.clock, metrics });
      parts = { keys, verifier, escalations, breaches, metrics, tick };
      registerRoutes(router, { keys, verifier, escalations, store, clock: s.clock });
      s.handlers.onRoomEvent('escalation', 'm.room.member', (ev) => escalations.onMembership(ev));
    },
    start(): void {
      // Not awaited: a homeserver that is still starting must not hold the bridge's start-up.
      const runOnce = (): void => {
        running ??= tick().finally(() => { running = null; });
      };
      runOnce();
      timer = setInterval(runOnce, opts.tickMs ?? 30_000);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
