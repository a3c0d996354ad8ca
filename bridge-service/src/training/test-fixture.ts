// Shared by the training module's unit tests (excluded from the build): the bridge's services with
// the policy's 'listening' module taught in the app (a small module file), the matching and the
// training modules registered on one app, and helpers to call it as a given user.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createApp } from '../app.ts';
import { samplePolicy, testBridge, SERVER, type TestBridge } from '../test-fixture.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { TrainingModuleFile } from '../../../protocol/src/training.ts';
import { FakeHomeserver } from '../matching/test-fixture.ts';
import { matchingModule, type MatchingParts } from '../matching/module.ts';
import type { SupporterInput } from '../services/roster.ts';
import { trainingModule } from './module.ts';

/** The 'listening' module as the tests teach it: version 2 (the sample policy's min_version), three questions, two to pass. */
export function listeningModule(): TrainingModuleFile {
  return {
    id: 'listening', version: 2, title: 'Active listening', language: 'en', estimated_minutes: 10, summary: 'Listening so people feel heard.',
    sections: [
      { kind: 'text', heading: 'Why listen', paragraphs: ['Most people want to be heard first.'] },
      {
        kind: 'scenario', heading: 'The first message', situation: 'A student writes that they cannot revise.', prompt: 'What do you say?',
        choices: [
          { text: 'Make a timetable.', good: false, feedback: 'Advice too early.' },
          { text: 'It sounds like you feel stuck. What happens when you sit down?', good: true, feedback: 'You reflect and ask an open question.' },
        ],
      },
    ],
    check: {
      pass_mark: 2,
      questions: [
        { question: 'Which is an open question?', choices: [{ text: 'Did you sleep?' }, { text: 'What has this week been like?', correct: true }] },
        { question: 'Which replies shut a conversation down?', choices: [{ text: 'Others have it worse.', correct: true }, { text: 'That sounds hard to carry.' }, { text: "It'll be fine.", correct: true }] },
        { question: 'Who decides about a counsellor?', choices: [{ text: 'The student', correct: true }, { text: 'The supporter' }] },
      ],
    },
  };
}

/** Answers to listeningModule()'s check, all correct. */
export const ALL_CORRECT = [[1], [0, 2], [0]];

export interface TrainingFixture extends TestBridge {
  hs: FakeHomeserver;
  matching: MatchingParts;
  /** The module file's path (tests rewrite it and reload). */
  moduleFile: string;
  api<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Puts a supporter on the roster with these training records and signs them in. */
  supporter(localpart: string, training: SupporterInput['training'], topics?: string[]): Promise<{ userId: string; token: string }>;
  student(localpart: string): Promise<{ userId: string; token: string }>;
  /** Runs the matcher until nothing is pending. */
  settle(): Promise<void>;
}

export function trainingFixture(opts: { module?: unknown; policy?: (p: InstitutionPolicy) => void } = {}): TrainingFixture {
  const dir = mkdtempSync(join(tmpdir(), 'peerline-training-'));
  const moduleFile = join(dir, 'listening.yaml');
  writeFileSync(moduleFile, stringify(opts.module ?? listeningModule()));
  const policy = samplePolicy();
  policy.supporters.training.modules[0]!.file = moduleFile;
  opts.policy?.(policy);
  const base = testBridge({ policy });
  const hs = new FakeHomeserver();
  const matching = matchingModule({ homeserver: hs, manualJobs: true });
  const training = trainingModule();
  const { app } = createApp(base.services, [(r) => matching.register(base.services, r), (r) => training.register(base.services, r)]);
  const api = async <T>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await app.request(path, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return {
    ...base, hs, matching: matching.parts, moduleFile, api,
    async supporter(localpart, records, topics = ['exam-stress']) {
      const userId = `@${localpart}:${SERVER}`;
      await base.services.roster.putSupporter(`@admin:${SERVER}`, userId, { topics, training: records });
      return { userId, token: await base.signIn(userId) };
    },
    async student(localpart) {
      const userId = `@${localpart}:${SERVER}`;
      return { userId, token: await base.signIn(userId) };
    },
    async settle() {
      await new Promise((r) => setImmediate(r));
      await matching.parts.engine.idle();
    },
  };
}
