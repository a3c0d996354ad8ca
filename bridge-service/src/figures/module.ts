// The aggregate-figures module: the figures service over the audit log (requests, matches and
// sessions, as the matching module records them) and the escalation store.
import type { BridgeModule } from '../bridge.ts';
import type { BridgeServices } from '../app.ts';
import type { ApiRouter } from '../api/route.ts';
import { FiguresService } from './figures-service.ts';
import { AuditFigureSource, EscalationFigureSource } from './sources.ts';
import { register as registerRoutes } from './routes.ts';

export type FiguresModule = BridgeModule & { readonly figures: FiguresService };

export function figuresModule(): FiguresModule {
  let figures: FiguresService | null = null;
  return {
    name: 'figures',
    get figures(): FiguresService {
      if (!figures) throw new Error('the figures module is not registered yet');
      return figures;
    },
    register(s: BridgeServices, router: ApiRouter): void {
      figures = new FiguresService({
        sources: [new AuditFigureSource(s.store.figures), new EscalationFigureSource(s.store.escalation)],
        policy: () => s.policy.current(),
        clock: s.clock,
      });
      registerRoutes(router, { figures });
    },
  };
}
