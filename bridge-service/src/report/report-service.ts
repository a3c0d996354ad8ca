// The program report for admins (issue #9): participation, requests and matches, waits, sessions
// and their lengths, escalations and counsellor response times against the policy's targets,
// anonymous feedback and training coverage — by ISO week and topic, with totals per week, per topic
// and for the period. One tidy list of cells (section, week, topic, measure, value) feeds the JSON,
// the CSV and the printable HTML alike, so all three suppress the same cells (suppression.ts).
// Facts come from the audit log (as for the figures), the report store (distinct students asking,
// escalations with their targets), the feedback store when there is one, and the roster. Nothing in
// the report names a person: students are only counted.
import type { Clock } from '../core/clock.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { MIN_CELL_COUNT, percentileCell } from '../figures/figures-service.ts';
import { FIGURE_AUDIT_ACTIONS } from '../figures/sources.ts';
import { localDate } from '../figures/iso-week.ts';
import { FEEDBACK_THEMES } from '../../../protocol/src/feedback.ts';
import { hasValidTraining, qualifiedTopics } from '../services/roster-rules.ts';
import type { FiguresStore } from '../store/figures-store.ts';
import type { ReportStore } from '../store/report-store.ts';
import type { FeedbackStore } from '../store/feedback-store.ts';
import type { RosterStore } from '../store/store.ts';
import { CellTable, cellKey } from './suppression.ts';
import { reportPeriod, weekIndex } from './period.ts';
import type { ProgramReport } from '../../../protocol/src/program-report.ts';

const DAY_MS = 86_400_000;
export const EXPIRING_WITHIN_DAYS = 30;
export const ALL = 'all';
export const PARTNER_MATCHED_ACTION = 'partner_request.matched';

export const REPORT_SECTIONS = ['participation', 'requests', 'sessions', 'escalations', 'feedback', 'training'] as const;
export type ReportSection = typeof REPORT_SECTIONS[number];

export type { ProgramReport };

interface Agg {
  students: Set<string>;
  requests: number;
  matchesLocal: number;
  matchesPartner: number;
  servedForPartners: number;
  waits: number[];
  sessions: number;
  lengths: number[];
  escalations: number;
  withinTarget: number;
  late: number;
  responseTimes: number[];
  feedback: number;
  helpfulness: number[];
  feltSafeYes: number;
  feltSafeNo: number;
  themes: Map<string, number>;
}

const emptyAgg = (): Agg => ({
  students: new Set(), requests: 0, matchesLocal: 0, matchesPartner: 0, servedForPartners: 0, waits: [], sessions: 0, lengths: [],
  escalations: 0, withinTarget: 0, late: 0, responseTimes: [], feedback: 0, helpfulness: [0, 0, 0, 0, 0], feltSafeYes: 0, feltSafeNo: 0, themes: new Map(),
});

function mergeInto(a: Agg, b: Agg): void {
  for (const s of b.students) a.students.add(s);
  a.requests += b.requests; a.matchesLocal += b.matchesLocal; a.matchesPartner += b.matchesPartner; a.servedForPartners += b.servedForPartners;
  a.sessions += b.sessions; a.escalations += b.escalations; a.withinTarget += b.withinTarget; a.late += b.late;
  for (const w of b.waits) a.waits.push(w);
  for (const l of b.lengths) a.lengths.push(l);
  for (const r of b.responseTimes) a.responseTimes.push(r);
  a.feedback += b.feedback; a.feltSafeYes += b.feltSafeYes; a.feltSafeNo += b.feltSafeNo;
  for (let i = 0; i < 5; i++) a.helpfulness[i]! += b.helpfulness[i]!;
  for (const [t, n] of b.themes) a.themes.set(t, (a.themes.get(t) ?? 0) + n);
}

/** Additive counts per section: their totals by week, topic and period get complementary suppression. */
const ADDITIVE: Record<ReportSection, readonly string[]> = {
  participation: [],
  requests: ['requests', 'matches', 'matches_local', 'matches_partner', 'served_for_partners'],
  sessions: ['sessions'],
  escalations: ['escalations', 'responses', 'responses_within_target', 'responses_late'],
  feedback: ['responses', 'helpfulness_1', 'helpfulness_2', 'helpfulness_3', 'helpfulness_4', 'helpfulness_5', 'felt_safe_yes', 'felt_safe_no'],
  training: [],
};

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export interface ReportServiceDeps {
  figures: FiguresStore;
  report: ReportStore;
  roster: RosterStore;
  /** Absent until the bridge keeps anonymous feedback. */
  feedback: () => FeedbackStore | undefined;
  policy: () => InstitutionPolicy;
  clock: Clock;
}

export class ReportService {
  private readonly d: ReportServiceDeps;

  constructor(d: ReportServiceDeps) {
    this.d = d;
  }

  /** `from`/`to`: ISO weeks 'YYYY-Www'; default the last 12 weeks up to the current one. */
  async report(q: { from?: string | undefined; to?: string | undefined } = {}): Promise<ProgramReport> {
    const policy = this.d.policy();
    const tz = policy.support_hours.time_zone;
    const now = this.d.clock.now();
    const period = reportPeriod(q, now, tz);
    const { weeks, starts } = period;
    const fromTs = starts[0]!;
    const toTs = starts[starts.length - 1]!;
    const a = FIGURE_AUDIT_ACTIONS;
    const feedbackStore = this.d.feedback();

    // One read per source, all at once.
    const [auditFacts, requests, escalations, feedback, supporters] = await Promise.all([
      this.d.figures.auditFacts([a.requestCreated, a.requestMatched, PARTNER_MATCHED_ACTION, a.sessionEnded], fromTs, toTs),
      this.d.report.requestFacts(fromTs, toTs),
      this.d.report.escalationFacts(fromTs, toTs),
      feedbackStore ? feedbackStore.aggregate(weeks[0]!, weeks.at(-1)!) : Promise.resolve([]),
      this.d.roster.supporters(),
    ]);

    const topics = policy.topics.map((t) => t.id);
    const fine = new Map<string, Agg>();
    const at = (wi: number, topic: string): Agg => {
      if (!topics.includes(topic)) topics.push(topic);
      const key = `${wi}\u0000${topic}`;
      let g = fine.get(key);
      if (!g) fine.set(key, g = emptyAgg());
      return g;
    };

    for (const f of auditFacts) {
      const topic = str(f.details['topic']);
      const wi = weekIndex(period, f.ts);
      if (topic === null || wi < 0) continue;
      const g = at(wi, topic);
      switch (f.action) {
        case a.requestCreated: g.requests++; break;
        case a.requestMatched: {
          if (f.details['scope'] === 'partner') g.matchesPartner++; else g.matchesLocal++;
          const w = num(f.details['wait_ms']);
          if (w !== null) g.waits.push(w);
          break;
        }
        case PARTNER_MATCHED_ACTION: g.servedForPartners++; break;
        case a.sessionEnded: {
          g.sessions++;
          const l = num(f.details['duration_ms']);
          if (l !== null) g.lengths.push(l);
          break;
        }
      }
    }
    for (const r of requests) {
      const wi = weekIndex(period, r.created_ts);
      if (wi >= 0 && r.student !== null) at(wi, r.topic).students.add(r.student);
    }
    for (const e of escalations) {
      const created = weekIndex(period, e.created_ts);
      if (created >= 0) at(created, e.topic).escalations++;
      if (e.claimed_ts === null) continue;
      const claimed = weekIndex(period, e.claimed_ts);
      if (claimed < 0) continue;
      const g = at(claimed, e.topic);
      g.responseTimes.push(e.claimed_ts - e.created_ts);
      if (e.claimed_ts <= e.due_ts) g.withinTarget++; else g.late++;
    }
    const weekPos = new Map(weeks.map((w, i) => [w, i]));
    const themes = new Set<string>(FEEDBACK_THEMES);
    for (const r of feedback) {
      const wi = weekPos.get(r.week);
      if (wi === undefined) continue;
      const g = at(wi, r.topic);
      g.feedback += r.responses;
      for (let i = 0; i < 5; i++) g.helpfulness[i]! += r.helpfulness[i] ?? 0;
      g.feltSafeYes += r.felt_safe_yes;
      g.feltSafeNo += r.felt_safe_no;
      for (const [t, n] of Object.entries(r.themes)) {
        themes.add(t);
        g.themes.set(t, (g.themes.get(t) ?? 0) + n);
      }
    }
    // The fixed list in its order, then any retired theme found in the rows.
    const themeList = [...themes];

    // Aggregates at every level: week × topic, week, topic, period.
    const weekLabels = [...weeks, ALL];
    const topicLabels = [...topics, ALL];
    const levels = new Map<string, Agg>();
    const level = (w: string, t: string): Agg => {
      const key = `${w}\u0000${t}`;
      let g = levels.get(key);
      if (!g) levels.set(key, g = emptyAgg());
      return g;
    };
    weeks.forEach((w, wi) => {
      for (const t of topics) {
        const g = fine.get(`${wi}\u0000${t}`);
        if (!g) { level(w, t); continue; }
        for (const [lw, lt] of [[w, t], [w, ALL], [ALL, t], [ALL, ALL]] as const) mergeInto(level(lw, lt), g);
      }
    });

    const table = new CellTable();
    for (const w of weekLabels) {
      for (const t of topicLabels) this.emitLevel(table, w, t, level(w, t), feedbackStore !== undefined, themeList);
    }
    for (const section of REPORT_SECTIONS) {
      const measures = section === 'feedback' ? [...ADDITIVE.feedback, ...themeList.map((th) => `theme:${th}`)] : ADDITIVE[section];
      if (section === 'feedback' && !feedbackStore) continue;
      for (const m of measures) {
        const k = (w: string, t: string): string => cellKey(section, w, t, m);
        for (const w of weeks) table.group(k(w, ALL), topics.map((t) => k(w, t)));
        for (const t of topics) table.group(k(ALL, t), weeks.map((w) => k(w, t)));
        table.group(k(ALL, ALL), weeks.map((w) => k(w, ALL)));
        table.group(k(ALL, ALL), topics.map((t) => k(ALL, t)));
      }
    }
    const today = localDate(now, tz);
    this.emitTraining(table, policy, supporters, now);

    return {
      from_week: weeks[0]!, to_week: weeks.at(-1)!, from: period.from, to: period.to, time_zone: tz, minimum_cell_count: MIN_CELL_COUNT,
      generated_ts: now, training_as_of: today, weeks,
      topics: topics.map((id) => ({ id, label: policy.topics.find((t) => t.id === id)?.label ?? id })),
      modules: policy.supporters.training.modules.map((m) => ({ id: m.id, label: m.label })),
      response_targets_minutes: { ...policy.escalation.response_targets_minutes },
      feedback_available: feedbackStore !== undefined, themes: themeList,
      cells: table.cells(),
    };
  }

  private emitLevel(table: CellTable, w: string, t: string, g: Agg, withFeedback: boolean, themes: string[]): void {
    const stat = (section: string, measure: string, samples: number[], p: number): void => {
      table.stat(section, w, t, measure, percentileCell(samples, p).value ?? 0, samples.length);
    };

    table.count('participation', w, t, 'students_asking', g.students.size);

    table.count('requests', w, t, 'requests', g.requests);
    const matches = table.count('requests', w, t, 'matches', g.matchesLocal + g.matchesPartner);
    table.group(matches, [table.count('requests', w, t, 'matches_local', g.matchesLocal), table.count('requests', w, t, 'matches_partner', g.matchesPartner)]);
    table.count('requests', w, t, 'served_for_partners', g.servedForPartners);
    stat('requests', 'wait_median_ms', g.waits, 50);
    stat('requests', 'wait_p90_ms', g.waits, 90);

    table.count('sessions', w, t, 'sessions', g.sessions);
    stat('sessions', 'length_median_ms', g.lengths, 50);
    stat('sessions', 'length_p90_ms', g.lengths, 90);

    table.count('escalations', w, t, 'escalations', g.escalations);
    const responses = table.count('escalations', w, t, 'responses', g.withinTarget + g.late);
    const within = table.count('escalations', w, t, 'responses_within_target', g.withinTarget);
    const late = table.count('escalations', w, t, 'responses_late', g.late);
    table.group(responses, [within, late]);
    table.derive('escalations', w, t, 'responses_within_target_percent', (get) => share(get(within), get(late)));
    stat('escalations', 'response_median_ms', g.responseTimes, 50);
    stat('escalations', 'response_p90_ms', g.responseTimes, 90);

    if (!withFeedback) return;
    const total = table.count('feedback', w, t, 'responses', g.feedback);
    const rated = g.helpfulness.reduce((s, n) => s + n, 0);
    const h = g.helpfulness.map((n, i) => table.count('feedback', w, t, `helpfulness_${i + 1}`, n));
    table.group(total, h, [g.feedback - rated]);
    const sum = g.helpfulness.reduce((s, n, i) => s + n * (i + 1), 0);
    table.stat('feedback', w, t, 'helpfulness_mean', rated > 0 ? Math.round((sum / rated) * 100) / 100 : 0, rated);
    const yes = table.count('feedback', w, t, 'felt_safe_yes', g.feltSafeYes);
    const no = table.count('feedback', w, t, 'felt_safe_no', g.feltSafeNo);
    table.group(total, [yes, no], [g.feedback - g.feltSafeYes - g.feltSafeNo]);
    table.derive('feedback', w, t, 'felt_safe_percent', (get) => share(get(yes), get(no)));
    for (const th of themes) table.count('feedback', w, t, `theme:${th}`, g.themes.get(th) ?? 0);
  }

  /** Supporters with valid training per module and per topic, as of now. Supporters are counted, never named. */
  private emitTraining(table: CellTable, policy: InstitutionPolicy, all: Awaited<ReturnType<RosterStore['supporters']>>, now: number): void {
    const active = all.filter((s) => s.active);
    const soon = now + EXPIRING_WITHIN_DAYS * DAY_MS;
    const activeKey = table.count('training', ALL, ALL, 'active_supporters', active.length);
    for (const m of policy.supporters.training.modules) {
      const valid = active.filter((s) => hasValidTraining(s, m.id, policy, now));
      // Expiring: valid now, and no completion of the module still valid 30 days from now.
      const expiring = valid.filter((s) => !hasValidTraining(s, m.id, policy, soon));
      const validKey = table.count('training', ALL, ALL, `valid:${m.id}`, valid.length);
      table.group(activeKey, [validKey], [active.length - valid.length]);
      const expiringKey = table.count('training', ALL, ALL, `expiring_within_${EXPIRING_WITHIN_DAYS}_days:${m.id}`, expiring.length);
      table.group(validKey, [expiringKey], [valid.length - expiring.length]);
    }
    for (const topic of policy.topics) {
      const offering = active.filter((s) => s.topics.includes(topic.id));
      const qualified = offering.filter((s) => qualifiedTopics(s, policy, now).includes(topic.id));
      const offeringKey = table.count('training', ALL, topic.id, 'offering_supporters', offering.length);
      const qualifiedKey = table.count('training', ALL, topic.id, 'qualified_supporters', qualified.length);
      table.group(offeringKey, [qualifiedKey], [offering.length - qualified.length]);
    }
  }
}

/** yes / (yes + no) in percent with one decimal, when both counts are shown. */
function share(yes: number | null, no: number | null): number | null {
  if (yes === null || no === null || yes + no === 0) return null;
  return Math.round((yes / (yes + no)) * 1000) / 10;
}
