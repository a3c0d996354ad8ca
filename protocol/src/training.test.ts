import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validatePolicy } from './policy.ts';
import { gradeTrainingCheck, passMarkCount, trainingModuleJsonSchema, validateTrainingModule, type TrainingModuleFile } from './training.ts';

const policies = resolve(import.meta.dirname, '../../bridge-service/policies');

function good(): TrainingModuleFile {
  return {
    id: 'listening', version: 1, title: 'Listening', language: 'en', estimated_minutes: 5,
    sections: [
      { kind: 'text', heading: 'Intro', paragraphs: ['Listen first.'] },
      { kind: 'scenario', heading: 'A', situation: 'They are stuck.', choices: [{ text: 'Advise', good: false, feedback: 'Too soon.' }, { text: 'Reflect', good: true, feedback: 'Yes.' }] },
    ],
    check: { pass_mark: 0.5, questions: [
      { question: 'Q1', choices: [{ text: 'a' }, { text: 'b', correct: true }] },
      { question: 'Q2', choices: [{ text: 'a', correct: true }, { text: 'b' }, { text: 'c', correct: true }] },
    ] },
  };
}

function problemsOf(mutate: (m: Record<string, unknown>) => void, expect_ = {}): { path: string; message: string }[] {
  const doc = structuredClone(good()) as unknown as Record<string, unknown>;
  mutate(doc);
  const v = validateTrainingModule(doc, expect_);
  if (v.ok) throw new Error('expected the module to be invalid');
  return v.problems;
}

describe('training module files', () => {
  it('accepts the starter set shipped with the sample policies, each listed by a policy under its id', () => {
    for (const name of ['school-a.yaml', 'school-b.yaml']) {
      const v = validatePolicy(parse(readFileSync(resolve(policies, name), 'utf8')));
      if (!v.ok) throw new Error(JSON.stringify(v.problems));
      const modules = v.policy.supporters.training.modules;
      expect(modules.map((m) => m.id).sort()).toEqual(['active-listening', 'boundaries-confidentiality', 'group-moderation', 'risk-and-escalation']);
      for (const m of modules) {
        const file = validateTrainingModule(parse(readFileSync(resolve(policies, m.file!), 'utf8')), { id: m.id, minVersion: m.min_version });
        if (!file.ok) throw new Error(`${m.file}: ${JSON.stringify(file.problems)}`);
        expect(file.module.check.questions.length).toBeGreaterThanOrEqual(5);
        expect(file.module.sections.filter((s) => s.kind === 'scenario').length).toBeGreaterThanOrEqual(2);
      }
      // Every topic's modules are taught in the app.
      for (const t of v.policy.topics) for (const id of t.needs_training) expect(modules.find((m) => m.id === id)?.file).toBeDefined();
    }
  });

  it('accepts a small valid module', () => {
    expect(validateTrainingModule(good())).toMatchObject({ ok: true });
  });

  it('names the path of a missing or mistyped field', () => {
    expect(problemsOf((d) => { delete d['title']; })).toContainEqual({ path: '$.title', message: 'is required' });
    expect(problemsOf((d) => { d['version'] = 0; })).toContainEqual({ path: '$.version', message: expect.stringContaining('expected the version of the module (a whole number from 1') });
    expect(problemsOf((d) => { d['estimated_minutes'] = 'ten'; })[0]!.path).toBe('$.estimated_minutes');
    expect(problemsOf((d) => { (d['check'] as { questions: { choices: unknown[] }[] }).questions[1]!.choices = [{ text: 'only one', correct: true }]; }))
      .toContainEqual({ path: '$.check.questions[1].choices', message: expect.stringContaining('expected a list of 2–6 items') });
    expect(problemsOf((d) => { (d['sections'] as Record<string, unknown>[])[0]!['colour'] = 'red'; })[0]!.path).toBe('$.sections[0]');
    expect(problemsOf((d) => { d['extra'] = 1; })).toContainEqual({ path: '$.extra', message: 'is not a known setting (check its spelling and indentation)' });
  });

  it('requires a good choice in every scenario and a correct answer in every question', () => {
    const problems = problemsOf((d) => {
      (d['sections'] as { choices?: { good: boolean }[] }[])[1]!.choices!.forEach((c) => { c.good = false; });
      (d['check'] as { questions: { choices: { correct?: boolean }[] }[] }).questions[0]!.choices.forEach((c) => { delete c.correct; });
    });
    expect(problems).toEqual([
      { path: '$.sections[1].choices', message: 'expected at least one choice with good: true' },
      { path: '$.check.questions[0].choices', message: 'expected at least one answer with correct: true' },
    ]);
  });

  it('checks the pass mark, the id the policy lists and its min_version', () => {
    expect(problemsOf((d) => { (d['check'] as { pass_mark: number }).pass_mark = 3; })).toEqual([{ path: '$.check.pass_mark', message: 'expected at most the number of questions (2), found 3' }]);
    expect(problemsOf((d) => { (d['check'] as { pass_mark: number }).pass_mark = 1.5; })[0]!.path).toBe('$.check.pass_mark');
    expect(problemsOf(() => {}, { id: 'boundaries', minVersion: 2 })).toEqual([
      { path: '$.id', message: 'expected the id the policy lists this file under, "boundaries", found "listening"' },
      { path: '$.version', message: "expected at least the policy's min_version 2, found 1" },
    ]);
  });

  it('grades exactly the correct answers as right, and passes by fraction or count', () => {
    const check = good().check;
    expect(passMarkCount(check)).toBe(1);
    expect(passMarkCount({ ...check, pass_mark: 0.8 })).toBe(2);
    expect(passMarkCount({ ...check, pass_mark: 2 })).toBe(2);
    expect(gradeTrainingCheck(check, [[1], [0, 2]])).toEqual({ score: 2, total: 2, pass_mark: 1, passed: true, correct: [true, true] });
    // A partly chosen multiple answer, or an extra wrong one, is wrong.
    expect(gradeTrainingCheck(check, [[0], [0]])).toMatchObject({ score: 0, passed: false, correct: [false, false] });
    expect(gradeTrainingCheck(check, [[1], [0, 1, 2]]).correct).toEqual([true, false]);
    expect(gradeTrainingCheck(check, [[1, 7], []]).correct).toEqual([false, false]);
  });

  it('publishes its JSON Schema', () => {
    expect(trainingModuleJsonSchema()).toMatchObject({ $id: 'https://peerline.org/schemas/training-module/v1.json', title: 'Peerline training module' });
  });
});
