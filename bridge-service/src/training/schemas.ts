// TypeBox schemas of the training API: they validate the attempt body and describe every answer in
// the OpenAPI document. The content schema is the module file's, minus the check's answers.
import { Type } from '@sinclair/typebox';
import { TrainingSectionSchema } from '../../../protocol/src/training.ts';
import { TRAINING_STATES } from '../services/training-status.ts';

const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);

export const TrainingStatusSchema = Type.Union(TRAINING_STATES.map((s) => Type.Literal(s)), {
  description: 'valid, expiring (within 30 days) — both count for matching; expired, missing, outdated (below min_version) do not',
});

export const TrainingSummarySchema = Type.Object({
  id: Type.String(),
  label: Type.String({ description: "The policy's name of the module" }),
  in_app: Type.Boolean({ description: 'Taught in the app (the policy names a module file); otherwise taken elsewhere and recorded by an admin' }),
  title: Nullable(Type.String()),
  summary: Nullable(Type.String()),
  version: Nullable(Type.Integer({ description: 'The version taught in the app now' })),
  min_version: Type.Integer(),
  valid_days: Type.Integer(),
  estimated_minutes: Nullable(Type.Integer()),
  required: Type.Boolean({ description: 'Every supporter needs it, whatever the topic' }),
  topics: Type.Array(Type.String(), { description: 'Topics that need it (besides every topic, when required)' }),
  status: TrainingStatusSchema,
  completed: Nullable(Type.String({ description: 'Completion date of the record the status is about' })),
  completed_version: Nullable(Type.Integer()),
  expires: Nullable(Type.String({ description: 'Last day that completion counts' })),
  newer_version: Type.Boolean({ description: 'The app teaches a newer version than the one completed (it still counts while valid)' }),
}, { title: 'TrainingSummary' });

export const TrainingListSchema = Type.Object({ modules: Type.Array(TrainingSummarySchema) }, { title: 'TrainingList' });

export const TrainingQuestionViewSchema = Type.Object({
  question: Type.String(),
  choices: Type.Array(Type.Object({ text: Type.String() })),
  multiple: Type.Boolean({ description: 'More than one answer is correct: all of them must be chosen' }),
}, { title: 'TrainingQuestion' });

export const TrainingContentSchema = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  title: Type.String(),
  language: Type.String(),
  estimated_minutes: Type.Integer(),
  summary: Nullable(Type.String()),
  sections: Type.Array(TrainingSectionSchema),
  check: Type.Object({
    pass_mark: Type.Integer({ description: 'Correct answers needed to pass' }),
    questions: Type.Array(TrainingQuestionViewSchema),
  }, { description: 'The final check, without its answers (the bridge grades)' }),
}, { title: 'TrainingContent' });

export const TrainingAttemptInputSchema = Type.Object({
  version: Type.Integer({ minimum: 1, description: 'The version of the content the answers are for' }),
  answers: Type.Array(
    Type.Array(Type.Integer({ minimum: 0, maximum: 5 }), { maxItems: 6, uniqueItems: true, description: 'indexes of the chosen answers' }),
    { maxItems: 30, description: 'Per question, in order, the indexes of the chosen answers' },
  ),
}, { additionalProperties: false, title: 'TrainingAttemptInput' });

export const TrainingAttemptResultSchema = Type.Object({
  module: Type.String(),
  version: Type.Integer(),
  score: Type.Integer(),
  total: Type.Integer(),
  pass_mark: Type.Integer(),
  passed: Type.Boolean(),
  questions: Type.Array(Type.Object({ correct: Type.Boolean() }), { description: 'Per question, whether it was answered correctly — only when passed (empty after a failed attempt)' }),
  training: TrainingSummarySchema,
}, { title: 'TrainingAttemptResult' });
