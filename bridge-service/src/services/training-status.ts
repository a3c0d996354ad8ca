// Where a supporter stands with each training module of the policy, and why a topic they picked
// cannot reach them: the same rules the matcher applies (roster-rules.ts), said per module so the
// supporter can be told plainly what to do. Pure functions of (record, policy, time).
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { SupporterRecord, TrainingRecord } from '../store/store.ts';
import { qualifiedTopics, trainingExpiresTs } from './roster-rules.ts';

const DAY_MS = 86_400_000;
/** A valid completion that ends within this many days is "expiring". */
export const EXPIRING_SOON_DAYS = 30;

/** valid / expiring count for matching; expired / missing / outdated do not. */
export type TrainingState = 'valid' | 'expiring' | 'expired' | 'missing' | 'outdated';
export const TRAINING_STATES: readonly TrainingState[] = ['valid', 'expiring', 'expired', 'missing', 'outdated'];

export interface ModuleStanding {
  module: string;
  label: string;
  status: TrainingState;
  /** The completion the status is about (the best one), or null when none. */
  record: TrainingRecord | null;
  /** The last day that completion counts ('YYYY-MM-DD'), or null. */
  expires: string | null;
}

const dateOf = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

/** The supporter's standing with one module at `now`. */
export function moduleStanding(training: readonly TrainingRecord[], moduleId: string, policy: InstitutionPolicy, now: number): ModuleStanding {
  const module = policy.supporters.training.modules.find((m) => m.id === moduleId);
  const label = module?.label ?? moduleId;
  const records = training.filter((t) => t.module === moduleId && Date.parse(`${t.completed}T00:00:00Z`) <= now);
  if (!module || records.length === 0) return { module: moduleId, label, status: 'missing', record: null, expires: null };
  const current = records.filter((t) => t.version >= module.min_version);
  if (current.length === 0) {
    const newest = records.reduce((a, b) => (b.version > a.version || (b.version === a.version && b.completed > a.completed) ? b : a));
    return { module: moduleId, label, status: 'outdated', record: newest, expires: null };
  }
  // The completion that lasts longest decides.
  let best = current[0]!;
  let bestEnd = trainingExpiresTs(best, policy) ?? 0;
  for (const t of current.slice(1)) {
    const end = trainingExpiresTs(t, policy) ?? 0;
    if (end > bestEnd) { best = t; bestEnd = end; }
  }
  const expires = dateOf(bestEnd - DAY_MS);
  const status: TrainingState = now >= bestEnd ? 'expired' : bestEnd - now <= EXPIRING_SOON_DAYS * DAY_MS ? 'expiring' : 'valid';
  return { module: moduleId, label, status, record: best, expires };
}

export const countsForMatching = (s: TrainingState): boolean => s === 'valid' || s === 'expiring';

export interface BlockedTopic {
  topic: string;
  /** The topic is not among the supporter's topics on the roster (an admin adds it). */
  not_on_roster: boolean;
  /** The modules that keep it from the supporter: required ones first, then the topic's. */
  training: ModuleStanding[];
}

/**
 * Topics the supporter picked (on the roster, or in their availability) that no request can reach
 * them for, each with the reasons. An inactive roster entry blocks everything and is said elsewhere.
 */
export function blockedTopics(record: SupporterRecord | undefined, picked: readonly string[], policy: InstitutionPolicy, now: number): BlockedTopic[] {
  const qualified = new Set(record ? qualifiedTopics(record, policy, now) : []);
  const onRoster = new Set(record?.topics ?? []);
  const wanted = [...new Set([...(record?.topics ?? []), ...picked])].filter((t) => policy.topics.some((x) => x.id === t));
  const out: BlockedTopic[] = [];
  for (const id of wanted) {
    if (qualified.has(id) || (record !== undefined && !record.active)) continue;
    const topic = policy.topics.find((t) => t.id === id)!;
    const needed = [...new Set([...policy.supporters.training.required, ...topic.needs_training])];
    const training = needed.map((m) => moduleStanding(record?.training ?? [], m, policy, now)).filter((s) => !countsForMatching(s.status));
    out.push({ topic: id, not_on_roster: !onRoster.has(id), training });
  }
  return out;
}
