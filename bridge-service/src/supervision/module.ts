// The supervision module (issue #9): caseloads for supervisors, review flags, wellbeing breaks, the
// daily cap's status, and debrief rooms. The matcher reads breaks and today's counts itself (through
// matching/eligibility.ts); this module only nudges it when a break starts or ends.
import type { BridgeModule } from '../bridge.ts';
import type { BridgeServices } from '../app.ts';
import type { ApiRouter } from '../api/route.ts';
import { Caseload } from './caseload.ts';
import { SupporterCare } from './care.ts';
import { Debriefs } from './debriefs.ts';
import type { SupervisionContext, SupervisionHomeserver } from './context.ts';
import { register as registerRoutes } from './routes.ts';

export interface SupervisionModuleOptions {
  /** Default: the bridge's HomeserverClient (unit tests pass a fake). */
  homeserver?: SupervisionHomeserver;
  /** Called when a supporter's break starts or ends (the matching module's kick). */
  onSupporterChange?: () => void;
}

export interface SupervisionParts {
  context: SupervisionContext;
  caseload: Caseload;
  care: SupporterCare;
  debriefs: Debriefs;
}

export type SupervisionModule = BridgeModule & { readonly parts: SupervisionParts };

export function supervisionModule(opts: SupervisionModuleOptions = {}): SupervisionModule {
  let parts: SupervisionParts | null = null;
  return {
    name: 'supervision',
    get parts(): SupervisionParts {
      if (!parts) throw new Error('the supervision module is not registered yet');
      return parts;
    },
    register(s: BridgeServices, router: ApiRouter): void {
      const c: SupervisionContext = {
        store: s.store.supervision, escalation: s.store.escalation,
        sessionOf: async (id) => {
          const row = await s.store.matching.session(id);
          return row && { supporter: row.supporter, student: row.student, room_id: row.room_id, role: row.role };
        },
        roster: s.store.roster, audit: s.audit, policy: () => s.policy.current(), clock: s.clock, logger: s.logger.child({ component: 'supervision' }),
        homeserver: opts.homeserver ?? s.homeserver, serverName: s.serverName, supporterChanged: () => opts.onSupporterChange?.(),
      };
      const caseload = new Caseload(c);
      parts = { context: c, caseload, care: new SupporterCare(c, caseload), debriefs: new Debriefs(c) };
      registerRoutes(router, { c, ...parts });
    },
  };
}
