// The report's period: whole ISO weeks ('YYYY-Www') in the institution's time zone, and the instants
// where those weeks begin, so that a year of facts is placed by a binary search rather than by a
// time-zone conversion each. Calendar arithmetic is the figures' (figures/iso-week.ts).
import { invalidParam } from '../errors.ts';
import { MAX_WEEKS } from '../figures/figures-service.ts';
import { addDays, dateUtc, isoWeekOf, localDate, mondayOf, weeksBetween } from '../figures/iso-week.ts';

export const DEFAULT_REPORT_WEEKS = 12;
export const MAX_REPORT_WEEKS = MAX_WEEKS;
const QUARTER_HOUR = 900_000;
const WEEK_RE = /^(\d{4})-W(\d{2})$/;

/** The Monday ('YYYY-MM-DD') of an ISO week, or null when there is no such week. */
export function mondayOfWeek(week: string): string | null {
  const m = WEEK_RE.exec(week);
  if (!m) return null;
  const n = Number(m[2]);
  if (n < 1 || n > 53) return null;
  // 4 January is always in week 1.
  const monday = addDays(mondayOf(`${m[1]}-01-04`), (n - 1) * 7);
  return isoWeekOf(monday) === week ? monday : null;
}

/** The first instant whose local date is `date` or later (time-zone offsets are whole quarter hours). */
function localMidnight(date: string, tz: string): number {
  let t = dateUtc(date) - 15 * 3_600_000;
  while (localDate(t, tz) < date) t += QUARTER_HOUR;
  return t;
}

export interface ReportPeriod {
  weeks: string[];
  /** Monday of the first week, Sunday of the last (local dates). */
  from: string;
  to: string;
  /** starts[i]: the instant week i begins; starts[weeks.length]: the end of the period. */
  starts: number[];
}

/** `from`/`to` as 'YYYY-Www'; default: the DEFAULT_REPORT_WEEKS weeks up to the current one. */
export function reportPeriod(q: { from?: string | undefined; to?: string | undefined }, now: number, tz: string): ReportPeriod {
  const monday = (name: string, v: string): string => {
    const d = mondayOfWeek(v);
    if (d === null) throw invalidParam(`${name}: expected an ISO week 'YYYY-Www', found '${v}'`);
    return d;
  };
  const lastMonday = q.to !== undefined ? monday('to', q.to) : mondayOf(localDate(now, tz));
  const firstMonday = q.from !== undefined ? monday('from', q.from) : addDays(lastMonday, -7 * (DEFAULT_REPORT_WEEKS - 1));
  if (firstMonday > lastMonday) throw invalidParam(`from (${q.from ?? isoWeekOf(firstMonday)}) is after to (${q.to ?? isoWeekOf(lastMonday)})`);
  const to = addDays(lastMonday, 6);
  const weeks = weeksBetween(firstMonday, to);
  if (weeks.length > MAX_REPORT_WEEKS) throw invalidParam(`at most ${MAX_REPORT_WEEKS} weeks at once; ${weeks[0]} to ${weeks.at(-1)} spans ${weeks.length}`);
  const starts = weeks.map((_, i) => localMidnight(addDays(firstMonday, 7 * i), tz));
  starts.push(localMidnight(addDays(lastMonday, 7), tz));
  return { weeks, from: firstMonday, to, starts };
}

/** Index of the week holding `ts`, or -1 outside the period. */
export function weekIndex(p: ReportPeriod, ts: number): number {
  const s = p.starts;
  if (ts < s[0]! || ts >= s[s.length - 1]!) return -1;
  let lo = 0;
  let hi = s.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! <= ts) lo = mid; else hi = mid;
  }
  return lo;
}
