// The evaluation-report module (issue #9): the program report over the audit log, the report store,
// the feedback store (when the bridge has one) and the roster, for admins only.
import type { BridgeModule } from '../bridge.ts';
import type { BridgeServices } from '../app.ts';
import type { ApiRouter } from '../api/route.ts';
import type { Store } from '../store/store.ts';
import type { FeedbackStore } from '../store/feedback-store.ts';
import { ReportService } from './report-service.ts';
import { register as registerRoutes } from './routes.ts';

export type ReportModule = BridgeModule & { readonly report: ReportService };

export function reportModule(): ReportModule {
  let report: ReportService | null = null;
  return {
    name: 'report',
    get report(): ReportService {
      if (!report) throw new Error('the report module is not registered yet');
      return report;
    },
    register(s: BridgeServices, router: ApiRouter): void {
      // The feedback store arrives with the feedback module; until then the section says so.
      const store = s.store as Store & { feedback?: FeedbackStore };
      report = new ReportService({
        figures: s.store.figures, report: s.store.report, roster: s.store.roster, feedback: () => store.feedback,
        policy: () => s.policy.current(), clock: s.clock,
      });
      registerRoutes(router, { report, audit: s.audit, policy: () => s.policy.current() });
    },
  };
}
