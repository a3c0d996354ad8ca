// The training API for supporters: their modules with status, a module's content, and attempts at
// its check (graded here; the answers never go to the client).
import { rolesOnly } from '../middleware/auth.ts';
import type { ApiRouter } from '../api/route.ts';
import type { TrainingService } from './training-service.ts';
import { TrainingAttemptInputSchema, TrainingAttemptResultSchema, TrainingContentSchema, TrainingListSchema } from './schemas.ts';

const SUPPORTER = rolesOnly('supporter');

export function register(router: ApiRouter, d: { training: TrainingService }): void {
  /** GET /v1/training */
  router.add({
    method: 'get', path: '/v1/training', operationId: 'listTraining', tag: 'training', access: SUPPORTER,
    summary: 'Your training modules: status (valid, expiring, expired, missing, outdated), expiry, and the topics each unlocks',
    responses: { 200: { description: 'Modules', schema: TrainingListSchema } },
    handler: async ({ principal }) => ({ modules: await d.training.list(principal.user_id) }),
  });

  /** GET /v1/training/{moduleId} */
  router.add({
    method: 'get', path: '/v1/training/{moduleId}', operationId: 'getTrainingModule', tag: 'training', access: SUPPORTER,
    summary: 'A module as taught: text, scenarios with feedback, and the check without its answers',
    responses: { 200: { description: 'Content', schema: TrainingContentSchema }, 404: { description: 'Not in the policy, or not taught in the app' } },
    handler: ({ params }) => d.training.view(params['moduleId']!),
  });

  /** POST /v1/training/{moduleId}/attempts */
  router.add({
    method: 'post', path: '/v1/training/{moduleId}/attempts', operationId: 'attemptTrainingCheck', tag: 'training', access: SUPPORTER,
    summary: "Answer a module's check: graded by the bridge; a pass records the completion on your roster entry",
    body: TrainingAttemptInputSchema,
    responses: {
      200: { description: 'Score, pass or not, and per-question correctness', schema: TrainingAttemptResultSchema },
      400: { description: 'Answers that do not fit the check (M_INVALID_PARAM)' },
      404: { description: 'Not in the policy, or not taught in the app' },
      409: { description: 'The module changed since it was loaded (ORG.PEERLINE.TRAINING_VERSION_STALE, with current_version)' },
    },
    handler: ({ principal, params, body }) => d.training.attempt(principal.user_id, params['moduleId']!, body),
  });
}
