// Questions the matcher and the escalation router ask of the roster under the policy in force:
// is a training record valid, which topics may a supporter take, how many sessions may they hold,
// is a counsellor on duty. Pure functions of (record, policy, time).
import { isScheduleOpen, type InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { CounsellorRecord, SupporterRecord, TrainingRecord } from '../store/store.ts';

const DAY_MS = 86_400_000;

/** 'YYYY-MM-DD' → ms at 00:00 UTC. */
function dayStart(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** The instant a record stops counting: its own expiry or completion + valid_days, whichever is first. */
export function trainingExpiresTs(rec: TrainingRecord, policy: InstitutionPolicy): number | null {
  const module = policy.supporters.training.modules.find((m) => m.id === rec.module);
  if (!module) return null;
  const byPolicy = dayStart(rec.completed) + (module.valid_days + 1) * DAY_MS;
  const byRecord = rec.expires !== null ? dayStart(rec.expires) + DAY_MS : Number.POSITIVE_INFINITY;
  return Math.min(byPolicy, byRecord);
}

/** Whether the supporter holds a valid, current-enough completion of a module at `now`. */
export function hasValidTraining(s: Pick<SupporterRecord, 'training'>, moduleId: string, policy: InstitutionPolicy, now: number): boolean {
  const module = policy.supporters.training.modules.find((m) => m.id === moduleId);
  if (!module) return false;
  return s.training.some((t) => {
    if (t.module !== moduleId || t.version < module.min_version || dayStart(t.completed) > now) return false;
    const end = trainingExpiresTs(t, policy);
    return end !== null && now < end;
  });
}

/** Modules a supporter is missing (required ones first, then those of the topic). */
export function missingTraining(s: Pick<SupporterRecord, 'training'>, policy: InstitutionPolicy, now: number, topicId?: string): string[] {
  const needed = [...policy.supporters.training.required];
  if (topicId !== undefined) needed.push(...(policy.topics.find((t) => t.id === topicId)?.needs_training ?? []));
  return [...new Set(needed)].filter((m) => !hasValidTraining(s, m, policy, now));
}

/** Topics the supporter both offers and is currently trained for (none when inactive). */
export function qualifiedTopics(s: SupporterRecord, policy: InstitutionPolicy, now: number): string[] {
  if (!s.active) return [];
  if (missingTraining(s, policy, now).length > 0) return [];
  return s.topics.filter((id) => {
    const topic = policy.topics.find((t) => t.id === id);
    return topic !== undefined && topic.needs_training.every((m) => hasValidTraining(s, m, policy, now));
  });
}

/** Concurrent sessions the supporter may hold under the policy. */
export function effectiveCapacity(s: SupporterRecord, policy: InstitutionPolicy): number {
  return Math.min(s.capacity ?? policy.supporters.capacity.default, policy.supporters.capacity.max);
}

/** Whether the counsellor receives escalations at `at`: active, in the policy's team, within their hours. */
export function isCounsellorOnDuty(c: CounsellorRecord, policy: InstitutionPolicy, at: Date): boolean {
  if (!c.active || c.team !== policy.escalation.counsellor_team) return false;
  return isScheduleOpen(c.on_duty ?? policy.escalation.on_duty, at);
}
