// Training in the app: the signed-in supporter's standing with each module of the policy, the
// content of a module (without the check's answers), and grading an attempt. A pass writes the
// completion to the roster through the roster service (audited, with the score), so the matcher
// counts it at once; the content and its version come from the policy folder (services/training-modules.ts).
import type { Static } from '@sinclair/typebox';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { gradeTrainingCheck, passMarkCount, type TrainingModuleFile } from '../../../protocol/src/training.ts';
import { BridgeError, notFound } from '../errors.ts';
import type { Clock } from '../core/clock.ts';
import type { RosterService } from '../services/roster.ts';
import type { TrainingModules } from '../services/training-modules.ts';
import { moduleStanding } from '../services/training-status.ts';
import type { TrainingRecord } from '../store/store.ts';
import type { TrainingAttemptResultSchema, TrainingContentSchema, TrainingSummarySchema } from './schemas.ts';

const DAY_MS = 86_400_000;

export type TrainingSummary = Static<typeof TrainingSummarySchema>;
export type TrainingContent = Static<typeof TrainingContentSchema>;
export type TrainingAttemptResult = Static<typeof TrainingAttemptResultSchema>;

export interface TrainingDeps {
  policy: () => InstitutionPolicy;
  modules: () => TrainingModules;
  roster: RosterService;
  clock: Clock;
}

export class TrainingService {
  private readonly d: TrainingDeps;

  constructor(d: TrainingDeps) {
    this.d = d;
  }

  /** Every module of the policy with the supporter's standing (required ones first, in policy order). */
  async list(userId: string): Promise<TrainingSummary[]> {
    const policy = this.d.policy();
    const record = await this.d.roster.supporter(userId);
    const required = new Set(policy.supporters.training.required);
    const summaries = policy.supporters.training.modules.map((m) => this.summary(policy, m.id, record.training));
    return [...summaries.filter((s) => required.has(s.id)), ...summaries.filter((s) => !required.has(s.id))];
  }

  private summary(policy: InstitutionPolicy, moduleId: string, training: readonly TrainingRecord[]): TrainingSummary {
    const m = policy.supporters.training.modules.find((x) => x.id === moduleId)!;
    const content = this.d.modules().get(moduleId);
    const standing = moduleStanding(training, moduleId, policy, this.d.clock.now());
    return {
      id: m.id, label: m.label, in_app: content !== undefined, title: content?.title ?? null, summary: content?.summary ?? null,
      version: content?.version ?? null, min_version: m.min_version, valid_days: m.valid_days, estimated_minutes: content?.estimated_minutes ?? null,
      required: policy.supporters.training.required.includes(m.id),
      topics: policy.topics.filter((t) => t.needs_training.includes(m.id)).map((t) => t.id),
      status: standing.status, completed: standing.record?.completed ?? null, completed_version: standing.record?.version ?? null,
      expires: standing.expires,
      newer_version: content !== undefined && standing.record !== null && standing.record.version < content.version,
    };
  }

  private content(moduleId: string): TrainingModuleFile {
    const policy = this.d.policy();
    if (!policy.supporters.training.modules.some((m) => m.id === moduleId)) throw notFound(`No training module '${moduleId}' in the policy`);
    const c = this.d.modules().get(moduleId);
    if (!c) throw notFound(`The module '${moduleId}' is not taught in the app; your institution records it on the roster`);
    return c;
  }

  /** The module as taught, without which answers of the check are correct. */
  view(moduleId: string): TrainingContent {
    const c = this.content(moduleId);
    return {
      id: c.id, version: c.version, title: c.title, language: c.language, estimated_minutes: c.estimated_minutes, summary: c.summary ?? null,
      sections: c.sections,
      check: {
        pass_mark: passMarkCount(c.check),
        questions: c.check.questions.map((q) => ({
          question: q.question,
          choices: q.choices.map((ch) => ({ text: ch.text })),
          multiple: q.choices.filter((ch) => ch.correct === true).length > 1,
        })),
      },
    };
  }

  /** Grades an attempt; a pass records the completion (today, valid for the module's valid_days) on the roster. */
  async attempt(userId: string, moduleId: string, input: { version: number; answers: number[][] }): Promise<TrainingAttemptResult> {
    const c = this.content(moduleId);
    if (input.version !== c.version) {
      throw new BridgeError(409, 'ORG.PEERLINE.TRAINING_VERSION_STALE',
        `The module '${moduleId}' changed: version ${c.version} is taught now, your answers are for version ${input.version}. Load it again and retake the check.`,
        { current_version: c.version });
    }
    const questions = c.check.questions;
    if (input.answers.length !== questions.length) {
      throw new BridgeError(400, 'M_INVALID_PARAM', `expected answers to ${questions.length} questions, found ${input.answers.length}`);
    }
    input.answers.forEach((a, i) => {
      const n = questions[i]!.choices.length;
      if (a.length === 0) throw new BridgeError(400, 'M_INVALID_PARAM', `answers[${i}]: expected at least one chosen answer`);
      if (a.some((j) => j >= n)) throw new BridgeError(400, 'M_INVALID_PARAM', `answers[${i}]: expected answer indexes below ${n}`);
    });
    const record = await this.d.roster.supporter(userId);
    const grade = gradeTrainingCheck(c.check, input.answers);
    let training = record.training;
    if (grade.passed) {
      const policy = this.d.policy();
      const validDays = policy.supporters.training.modules.find((m) => m.id === moduleId)!.valid_days;
      const now = this.d.clock.now();
      const completed = new Date(now).toISOString().slice(0, 10);
      const expires = new Date(Date.parse(`${completed}T00:00:00Z`) + validDays * DAY_MS).toISOString().slice(0, 10);
      const score = Math.round((100 * grade.score) / grade.total);
      const updated = await this.d.roster.recordTraining(userId, userId, { module: moduleId, version: c.version, completed, expires, score }, {
        via: 'app', score: grade.score, total: grade.total, pass_mark: grade.pass_mark,
      });
      training = updated.training;
    }
    return {
      module: moduleId, version: c.version, score: grade.score, total: grade.total, pass_mark: grade.pass_mark, passed: grade.passed,
      // Which answers were right only once the check is passed: per-question results after a failed
      // attempt would let a supporter find every answer by trial without reading the module.
      questions: grade.passed ? grade.correct.map((correct) => ({ correct })) : [],
      training: this.summary(this.d.policy(), moduleId, training),
    };
  }
}
