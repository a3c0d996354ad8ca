// A supporter training module: one YAML file in the institution's policy folder (named by the policy's
// `supporters.training.modules[].file`), taught in the web client and graded by the bridge. Text
// sections and scenarios (choices with feedback, not graded) in order, then a short check whose
// correct answers never leave the bridge. The TypeBox schema below is the published format;
// `checkTrainingModule` adds what a schema cannot say (a good choice per scenario, a reachable
// pass mark, the id and version the policy expects). Problems are path-named like the policy's.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describeSchemaErrors, SlugSchema, type PolicyProblem } from './policy.ts';

export const TRAINING_MODULE_SCHEMA_ID = 'https://peerline.org/schemas/training-module/v1.json';

const text = (description: string, maxLength: number) => Type.String({ minLength: 1, maxLength, description });

export const TrainingTextSectionSchema = Type.Object({
  kind: Type.Literal('text', { description: "'text'" }),
  heading: text('the heading of the section', 200),
  paragraphs: Type.Array(text('a paragraph of plain text', 4000), { minItems: 1, maxItems: 40, description: 'a list of 1 to 40 paragraphs' }),
}, { additionalProperties: false, title: 'text section' });

export const ScenarioChoiceSchema = Type.Object({
  text: text('what the supporter could say or do', 1000),
  good: Type.Boolean({ description: 'whether this is a good response (true or false)' }),
  feedback: text('the feedback shown once this choice is taken', 2000),
}, { additionalProperties: false, title: 'scenario choice' });

export const TrainingScenarioSectionSchema = Type.Object({
  kind: Type.Literal('scenario', { description: "'scenario'" }),
  heading: text('the heading of the scenario', 200),
  situation: text('the situation the supporter is in', 4000),
  prompt: Type.Optional(text('the question put to the supporter, such as "What do you say?"', 300)),
  choices: Type.Array(ScenarioChoiceSchema, { minItems: 2, maxItems: 6, description: 'a list of 2 to 6 choices' }),
}, { additionalProperties: false, title: 'scenario' });

export const TrainingSectionSchema = Type.Union([TrainingTextSectionSchema, TrainingScenarioSectionSchema], {
  'x-expected': "a section with kind 'text' (heading, paragraphs) or 'scenario' (heading, situation, choices)",
});

export const CheckChoiceSchema = Type.Object({
  text: text('the text of the answer', 1000),
  correct: Type.Optional(Type.Boolean({ description: 'whether this answer is correct (default false)' })),
}, { additionalProperties: false, title: 'answer' });

export const CheckQuestionSchema = Type.Object({
  question: text('the question', 1000),
  choices: Type.Array(CheckChoiceSchema, { minItems: 2, maxItems: 6, description: 'a list of 2 to 6 answers' }),
}, { additionalProperties: false, title: 'check question (several correct answers: all of them must be chosen)' });

export const TrainingCheckSchema = Type.Object({
  pass_mark: Type.Number({
    exclusiveMinimum: 0,
    description: 'a fraction of the questions above 0 and below 1 (0.8), or a whole number of questions (4)',
  }),
  questions: Type.Array(CheckQuestionSchema, { minItems: 1, maxItems: 30, description: 'a list of 1 to 30 questions' }),
}, { additionalProperties: false, title: 'final check' });

export const TrainingModuleFileSchema = Type.Object({
  id: SlugSchema,
  version: Type.Integer({ minimum: 1, description: 'the version of the module (a whole number from 1; raise it when the content changes)' }),
  title: text('the title supporters see', 200),
  language: Type.String({ pattern: '^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$', 'x-expected': "a BCP 47 language tag such as 'en' or 'de'" }),
  estimated_minutes: Type.Integer({ minimum: 1, maximum: 600, description: 'a whole number from 1 to 600 (minutes the module takes)' }),
  summary: Type.Optional(text('a one-paragraph summary shown in the list', 1000)),
  sections: Type.Array(TrainingSectionSchema, { minItems: 1, maxItems: 60, description: 'a list of 1 to 60 sections, in the order they are taught' }),
  check: TrainingCheckSchema,
}, { additionalProperties: false, $id: TRAINING_MODULE_SCHEMA_ID, title: 'Peerline training module' });

export type TrainingModuleFile = Static<typeof TrainingModuleFileSchema>;
export type TrainingSection = Static<typeof TrainingSectionSchema>;
export type TrainingCheck = Static<typeof TrainingCheckSchema>;

/** How many correct answers pass: a fraction is rounded up, a count is taken as is. */
export function passMarkCount(check: TrainingCheck): number {
  const n = check.questions.length;
  return check.pass_mark < 1 ? Math.ceil(check.pass_mark * n) : check.pass_mark;
}

export interface TrainingModuleExpectation {
  /** The id the policy lists the file under. */
  id?: string;
  /** The policy's `min_version`: an older file could never give a completion that counts. */
  minVersion?: number;
}

/** Checks what the schema cannot. Assumes the schema passed. */
export function checkTrainingModule(m: TrainingModuleFile, expect: TrainingModuleExpectation = {}): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  if (expect.id !== undefined && m.id !== expect.id) {
    out.push({ path: '$.id', message: `expected the id the policy lists this file under, ${JSON.stringify(expect.id)}, found ${JSON.stringify(m.id)}` });
  }
  if (expect.minVersion !== undefined && m.version < expect.minVersion) {
    out.push({ path: '$.version', message: `expected at least the policy's min_version ${expect.minVersion}, found ${m.version}` });
  }
  m.sections.forEach((s, i) => {
    if (s.kind === 'scenario' && !s.choices.some((c) => c.good)) {
      out.push({ path: `$.sections[${i}].choices`, message: 'expected at least one choice with good: true' });
    }
  });
  m.check.questions.forEach((q, i) => {
    if (!q.choices.some((c) => c.correct === true)) out.push({ path: `$.check.questions[${i}].choices`, message: 'expected at least one answer with correct: true' });
  });
  const pm = m.check.pass_mark;
  if (pm >= 1 && !Number.isInteger(pm)) {
    out.push({ path: '$.check.pass_mark', message: `expected a fraction below 1 or a whole number of questions, found ${pm}` });
  } else if (pm >= 1 && pm > m.check.questions.length) {
    out.push({ path: '$.check.pass_mark', message: `expected at most the number of questions (${m.check.questions.length}), found ${pm}` });
  }
  return out;
}

export type TrainingModuleValidation = { ok: true; module: TrainingModuleFile } | { ok: false; problems: PolicyProblem[] };

/** Validates a parsed module file: the schema first, then the rules above. */
export function validateTrainingModule(doc: unknown, expect: TrainingModuleExpectation = {}): TrainingModuleValidation {
  if (!Value.Check(TrainingModuleFileSchema, doc)) return { ok: false, problems: describeSchemaErrors(Value.Errors(TrainingModuleFileSchema, doc)) };
  const problems = checkTrainingModule(doc, expect);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, module: doc };
}

/** The module schema as a standalone JSON Schema (2020-12) document, as published for institutions. */
export function trainingModuleJsonSchema(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...(JSON.parse(JSON.stringify(TrainingModuleFileSchema)) as Record<string, unknown>) };
}

// ── grading ─────────────────────────────────────────────────────────────────────────────────────

export interface TrainingGrade {
  /** Questions answered correctly. */
  score: number;
  total: number;
  /** Correct answers needed to pass. */
  pass_mark: number;
  passed: boolean;
  /** Per question, in order: whether exactly the correct answers were chosen. */
  correct: boolean[];
}

/** Grades answers (per question, the indexes of the chosen answers). The caller checks their shape. */
export function gradeTrainingCheck(check: TrainingCheck, answers: readonly (readonly number[])[]): TrainingGrade {
  const correct = check.questions.map((q, i) => {
    const chosen = new Set(answers[i] ?? []);
    return q.choices.every((c, j) => (c.correct === true) === chosen.has(j)) && [...chosen].every((j) => j >= 0 && j < q.choices.length);
  });
  const score = correct.filter(Boolean).length;
  const pass = passMarkCount(check);
  return { score, total: check.questions.length, pass_mark: pass, passed: score >= pass, correct };
}
