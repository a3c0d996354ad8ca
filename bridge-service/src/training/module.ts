// The training module: supporters take the policy's training modules in the app; a passed check
// writes the completion on the roster, which the matcher reads.
import type { BridgeModule } from '../bridge.ts';
import type { BridgeServices } from '../app.ts';
import type { ApiRouter } from '../api/route.ts';
import { TrainingService } from './training-service.ts';
import { register as registerRoutes } from './routes.ts';

export type TrainingModule = BridgeModule & { readonly training: TrainingService };

export function trainingModule(): TrainingModule {
  let training: TrainingService | null = null;
  return {
    name: 'training',
    get training(): TrainingService {
      if (!training) throw new Error('the training module is not registered yet');
      return training;
    },
    register(s: BridgeServices, router: ApiRouter): void {
      training = new TrainingService({
        policy: () => s.policy.current(), modules: () => s.policy.trainingModules(), roster: s.roster, clock: s.clock,
      });
      registerRoutes(router, { training });
    },
  };
}
