// Plain facts the counsellor desk derives from queue items: order (severity, then waiting time),
// how long an escalation has waited by now, whether it is past its response target, and durations
// in the reader's language. Pure functions; the components put them into words.
import type { QueueItem, SeverityLevel } from '../../../bridge/counsellor-api.ts';

export const SEVERITY_RANK: Record<SeverityLevel, number> = { critical: 4, high: 3, medium: 2, low: 1 };

/**
 * Waiting time as of `elapsedMs` after the bridge answered: a queued escalation keeps waiting, a
 * claimed one stopped waiting at its first claim.
 */
export function waitingNow(item: QueueItem, elapsedMs: number): number {
  return item.claimed_ts === null ? item.waiting_ms + Math.max(0, elapsedMs) : item.waiting_ms;
}

/** Past its response target: unclaimed beyond the target, or first claimed after it. */
export function isOverdue(item: QueueItem, elapsedMs: number): boolean {
  return item.claimed_ts === null ? waitingNow(item, elapsedMs) > item.target_minutes * 60_000 : item.overdue;
}

/** Most severe first, then longest waiting (the bridge's order, kept if items arrive otherwise). */
export function sortQueue(items: readonly QueueItem[]): QueueItem[] {
  return [...items].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.created_ts - b.created_ts);
}

/** "12 min", "1 h 5 min" (or "1 Std. 5 Min." in German): whole minutes, at least one. */
export function formatDuration(ms: number, locale: string): string {
  const total = Math.max(1, Math.floor(ms / 60_000));
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  const unit = (u: 'hour' | 'minute', n: number): string => new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'short' }).format(n);
  if (hours === 0) return unit('minute', minutes);
  return minutes === 0 ? unit('hour', hours) : `${unit('hour', hours)} ${unit('minute', minutes)}`;
}

/** A moment as date and time in the reader's language. */
export function formatMoment(ts: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ts));
}

/** What changed between two fetches of the queue, for the live region. */
export function queueChanges(before: readonly QueueItem[], after: readonly QueueItem[]): { arrived: QueueItem[]; left: QueueItem[] } {
  const was = new Set(before.map((i) => i.escalation_id));
  const is = new Set(after.map((i) => i.escalation_id));
  return { arrived: after.filter((i) => !was.has(i.escalation_id)), left: before.filter((i) => !is.has(i.escalation_id)) };
}
