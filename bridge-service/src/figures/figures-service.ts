// Aggregate figures for admins: per topic and ISO week (in the institution's time zone), counts of
// requests, matches, sessions and escalations, and median/p90 of waits and counsellor response
// times. Privacy rules:
// - every cell computed from fewer than MIN_CELL_COUNT facts is suppressed (null, suppressed: true),
//   zero included, so a cell never tells "one student, on this topic, that week";
// - periods are whole ISO weeks (the asked range is widened to them), and there are no totals, so
//   no two answers differ by a part of a week or a single suppressed cell;
// - facts carry topics and times only; nothing names a student.
import { invalidParam } from '../errors.ts';
import type { Clock } from '../core/clock.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { addDays, dateUtc, isoWeekOf, isValidDate, localDate, mondayOf, weeksBetween } from './iso-week.ts';
import type { FigureFact, FigureSource } from './sources.ts';

export const MIN_CELL_COUNT = 5;
export const MAX_WEEKS = 106;
export const DEFAULT_WEEKS = 12;
const DAY_MS = 86_400_000;

export interface FigureCell {
  value: number | null;
  suppressed: boolean;
}

export interface FiguresRow {
  week: string;
  topic: string;
  requests: FigureCell;
  matches: FigureCell;
  wait_median_ms: FigureCell;
  wait_p90_ms: FigureCell;
  sessions: FigureCell;
  escalations: FigureCell;
  response_median_ms: FigureCell;
  response_p90_ms: FigureCell;
}

export interface FiguresReport {
  /** Monday of the first week and Sunday of the last: the asked range widened to whole weeks. */
  from: string;
  to: string;
  time_zone: string;
  minimum_cell_count: number;
  weeks: string[];
  topics: string[];
  cells: FiguresRow[];
}

const SUPPRESSED: FigureCell = { value: null, suppressed: true };

/** A count, suppressed under the minimum. */
export function countCell(n: number): FigureCell {
  return n < MIN_CELL_COUNT ? SUPPRESSED : { value: n, suppressed: false };
}

/** Nearest-rank percentile of the samples, suppressed when there are fewer than the minimum. */
export function percentileCell(samples: readonly number[], p: number): FigureCell {
  if (samples.length < MIN_CELL_COUNT) return SUPPRESSED;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return { value: Math.round(sorted[rank - 1]!), suppressed: false };
}

interface Tally {
  requests: number;
  matches: number;
  waits: number[];
  sessions: number;
  escalations: number;
  responses: number[];
}

export class FiguresService {
  private readonly sources: FigureSource[];
  private readonly policy: () => InstitutionPolicy;
  private readonly clock: Clock;

  constructor(opts: { sources: FigureSource[]; policy: () => InstitutionPolicy; clock: Clock }) {
    this.sources = [...opts.sources];
    this.policy = opts.policy;
    this.clock = opts.clock;
  }

  /** Another source of facts (e.g. the matching module's own tables). */
  addSource(source: FigureSource): void {
    this.sources.push(source);
  }

  /** `from`/`to` are local dates ('YYYY-MM-DD'); default: the last DEFAULT_WEEKS weeks up to today. */
  async report(q: { from?: string; to?: string } = {}): Promise<FiguresReport> {
    const policy = this.policy();
    const tz = policy.support_hours.time_zone;
    for (const [name, v] of [['from', q.from], ['to', q.to]] as const) {
      if (v !== undefined && !isValidDate(v)) throw invalidParam(`${name}: expected a date 'YYYY-MM-DD', found '${v}'`);
    }
    const to = q.to ?? localDate(this.clock.now(), tz);
    const from = q.from ?? addDays(mondayOf(to), -7 * (DEFAULT_WEEKS - 1));
    if (from > to) throw invalidParam(`from (${from}) is after to (${to})`);
    const first = mondayOf(from);
    const last = addDays(mondayOf(to), 6);
    const weeks = weeksBetween(first, last);
    if (weeks.length > MAX_WEEKS) throw invalidParam(`at most ${MAX_WEEKS} weeks at once; ${from} to ${to} spans ${weeks.length}`);

    // A day either side covers every time zone's offset; facts are then placed by their local date.
    const facts: FigureFact[] = [];
    for (const s of this.sources) facts.push(...await s.facts(dateUtc(first) - DAY_MS, dateUtc(last) + 2 * DAY_MS));

    const topics = policy.topics.map((t) => t.id);
    const tallies = new Map<string, Tally>();
    for (const f of facts) {
      const day = localDate(f.ts, tz);
      if (day < first || day > last) continue;
      if (!topics.includes(f.topic)) topics.push(f.topic);
      const key = `${isoWeekOf(day)}\u0000${f.topic}`;
      let t = tallies.get(key);
      if (!t) tallies.set(key, t = { requests: 0, matches: 0, waits: [], sessions: 0, escalations: 0, responses: [] });
      switch (f.kind) {
        case 'request': t.requests++; break;
        case 'match':
          t.matches++;
          if (f.wait_ms !== null) t.waits.push(f.wait_ms);
          break;
        case 'session': t.sessions++; break;
        case 'escalation': t.escalations++; break;
        case 'response': t.responses.push(f.response_ms); break;
      }
    }

    const cells: FiguresRow[] = [];
    for (const week of weeks) {
      for (const topic of topics) {
        const t = tallies.get(`${week}\u0000${topic}`) ?? { requests: 0, matches: 0, waits: [], sessions: 0, escalations: 0, responses: [] };
        cells.push({
          week, topic,
          requests: countCell(t.requests),
          matches: countCell(t.matches),
          wait_median_ms: percentileCell(t.waits, 50),
          wait_p90_ms: percentileCell(t.waits, 90),
          sessions: countCell(t.sessions),
          escalations: countCell(t.escalations),
          response_median_ms: percentileCell(t.responses, 50),
          response_p90_ms: percentileCell(t.responses, 90),
        });
      }
    }
    return { from: first, to: last, time_zone: tz, minimum_cell_count: MIN_CELL_COUNT, weeks, topics, cells };
  }
}
