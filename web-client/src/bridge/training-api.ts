// The supporter's training on the bridge: their modules with status, a module's content (the check
// without its answers) and attempts at the check, graded by the bridge. Plain functions over the
// signed-in BridgeClient; the shapes mirror bridge-service/src/training/schemas.ts.
import type { BridgeClient } from './bridge-client.ts';

/** valid and expiring count for matching; expired, missing and outdated do not. */
export type TrainingStatus = 'valid' | 'expiring' | 'expired' | 'missing' | 'outdated';

/** One module of the policy with the supporter's standing (GET /v1/training). */
export interface TrainingSummary {
  id: string;
  label: string;
  /** Taught in the app; otherwise taken elsewhere and recorded by an admin. */
  in_app: boolean;
  title: string | null;
  summary: string | null;
  version: number | null;
  min_version: number;
  valid_days: number;
  estimated_minutes: number | null;
  /** Every supporter needs it, whatever the topic. */
  required: boolean;
  /** Topics that need it. */
  topics: string[];
  status: TrainingStatus;
  completed: string | null;
  completed_version: number | null;
  /** Last day the completion counts. */
  expires: string | null;
  newer_version: boolean;
}

export interface TrainingTextSection { kind: 'text'; heading: string; paragraphs: string[] }
export interface TrainingScenarioSection {
  kind: 'scenario';
  heading: string;
  situation: string;
  prompt?: string;
  choices: { text: string; good: boolean; feedback: string }[];
}
export type TrainingSection = TrainingTextSection | TrainingScenarioSection;

export interface TrainingQuestion { question: string; choices: { text: string }[]; multiple: boolean }

/** GET /v1/training/{id} */
export interface TrainingContent {
  id: string;
  version: number;
  title: string;
  language: string;
  estimated_minutes: number;
  summary: string | null;
  sections: TrainingSection[];
  check: { pass_mark: number; questions: TrainingQuestion[] };
}

/** POST /v1/training/{id}/attempts */
export interface TrainingAttemptResult {
  module: string;
  version: number;
  score: number;
  total: number;
  pass_mark: number;
  passed: boolean;
  questions: { correct: boolean }[];
  training: TrainingSummary;
}

/** The errcode of an attempt at a version the bridge no longer teaches. */
export const TRAINING_VERSION_STALE = 'ORG.PEERLINE.TRAINING_VERSION_STALE';

/** GET /v1/training */
export async function listTraining(b: BridgeClient): Promise<TrainingSummary[]> {
  return (await b.request<{ modules: TrainingSummary[] }>('GET', '/v1/training')).modules;
}

/** GET /v1/training/{moduleId} */
export function getTrainingModule(b: BridgeClient, moduleId: string): Promise<TrainingContent> {
  return b.request<TrainingContent>('GET', `/v1/training/${encodeURIComponent(moduleId)}`);
}

/** POST /v1/training/{moduleId}/attempts — answers per question, in order, as indexes of the chosen answers. */
export function submitTrainingAttempt(b: BridgeClient, moduleId: string, input: { version: number; answers: number[][] }): Promise<TrainingAttemptResult> {
  return b.request<TrainingAttemptResult>('POST', `/v1/training/${encodeURIComponent(moduleId)}/attempts`, { body: input });
}
