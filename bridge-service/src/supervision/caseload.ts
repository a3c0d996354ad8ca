// A supporter's caseload as a supervisor sees it: counts, topics, durations, wrap-up outcomes,
// escalations, flags, the break and the day's count against the cap — metadata only. The views are
// built field by field from rows that have no student and no room, so nothing else can slip in.
import type { Static } from '@sinclair/typebox';
import { notFound } from '../errors.ts';
import type { CaseloadSessionRow, ReviewFlagRecord } from '../store/supervision-store.ts';
import type { SupporterRecord } from '../store/store.ts';
import { blockOf, capDayStart, dailySessionCap } from '../matching/eligibility.ts';
import { requireSupervisor, serverOf, type SupervisionContext } from './context.ts';
import type { CaseloadSchema, CaseloadSessionSchema, FlagViewSchema, SupporterCaseloadSchema, SupporterSummarySchema } from './schemas.ts';

const DAY_MS = 86_400_000;
export const DEFAULT_WINDOW_DAYS = 30;
const MAX_SESSIONS = 1000;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

const durationOf = (s: CaseloadSessionRow, now: number): number => Math.max(0, (s.ended_ts ?? now) - s.created_ts);

export function sessionMeta(s: CaseloadSessionRow, now: number): NonNullable<Static<typeof FlagViewSchema>['session']> {
  return { topic: s.topic, started_ts: s.created_ts, ended_ts: s.ended_ts, duration_ms: durationOf(s, now), outcome: s.outcome, escalated: s.escalated };
}

export function flagView(f: ReviewFlagRecord, s: CaseloadSessionRow | undefined, now: number): Static<typeof FlagViewSchema> {
  return {
    flag_id: f.flag_id, session_id: f.session_id, supporter: f.supporter, reason_code: f.reason_code, created_ts: f.created_ts,
    reviewed_ts: f.reviewed_ts, reviewed_by: f.reviewed_by, session: s ? sessionMeta(s, now) : null,
  };
}

export class Caseload {
  private readonly c: SupervisionContext;

  constructor(c: SupervisionContext) {
    this.c = c;
  }

  /** Today's session counts and the breaks in force, as the matcher sees them. */
  async today(now: number): Promise<{ dayStart: number; counts: Map<string, number>; breaks: Map<string, { started_ts: number; until_ts: number | null }> }> {
    const dayStart = capDayStart(this.c.policy(), now);
    const [counts, breaks] = await Promise.all([this.c.store.sessionsStartedSince(dayStart), this.c.store.breaksAt(now)]);
    return { dayStart, counts, breaks: new Map(breaks.map((b) => [b.user_id, { started_ts: b.started_ts, until_ts: b.until_ts }])) };
  }

  private summary(
    rec: Pick<SupporterRecord, 'user_id' | 'active'>, sessions: CaseloadSessionRow[], openFlags: number,
    t: Awaited<ReturnType<Caseload['today']>>, now: number,
  ): Static<typeof SupporterSummarySchema> {
    const counted = sessions.filter((s) => s.status !== 'failed');
    const topics: Record<string, number> = {};
    const outcomes: Record<string, number> = {};
    for (const s of counted) {
      topics[s.topic] = (topics[s.topic] ?? 0) + 1;
      if (s.status === 'ended' && s.outcome !== null) outcomes[s.outcome] = (outcomes[s.outcome] ?? 0) + 1;
    }
    const policy = this.c.policy();
    const onBreak = t.breaks.get(rec.user_id) ?? null;
    const today = t.counts.get(rec.user_id) ?? 0;
    return {
      user_id: rec.user_id, roster_active: rec.active, sessions: counted.length, active_now: counted.filter((s) => s.status === 'active' || s.status === 'creating').length,
      median_duration_ms: median(counted.filter((s) => s.status === 'ended').map((s) => durationOf(s, now))), topics,
      escalations: counted.filter((s) => s.escalated).length, outcomes, check_ins_offered: counted.filter((s) => s.check_in_status !== null).length,
      flags_open: openFlags, on_break: onBreak, sessions_today: today, daily_cap: dailySessionCap(policy), blocked: blockOf(onBreak !== null, today, policy),
    };
  }

  private async ownSupporters(): Promise<SupporterRecord[]> {
    return (await this.c.roster.supporters()).filter((s) => serverOf(s.user_id) === this.c.serverName).sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
  }

  /** GET /v1/supervision/caseload: every supporter of this institution. */
  async overview(supervisor: string, days: number): Promise<Static<typeof CaseloadSchema>> {
    await requireSupervisor(this.c, supervisor);
    const now = this.c.clock.now();
    const since = now - days * DAY_MS;
    const t = await this.today(now);
    const open = new Map<string, number>();
    for (const f of await this.c.store.flags({ open: true, limit: 10_000 })) open.set(f.supporter, (open.get(f.supporter) ?? 0) + 1);
    const out: Static<typeof SupporterSummarySchema>[] = [];
    for (const rec of await this.ownSupporters()) {
      out.push(this.summary(rec, await this.c.store.caseloadSessions(rec.user_id, since, MAX_SESSIONS), open.get(rec.user_id) ?? 0, t, now));
    }
    return { since_ts: since, day_start_ts: t.dayStart, supporters: out };
  }

  /** GET /v1/supervision/caseload/{userId}: one supporter's sessions (audited: who looked at whose caseload). */
  async detail(supervisor: string, supporter: string, days: number): Promise<Static<typeof SupporterCaseloadSchema>> {
    await requireSupervisor(this.c, supervisor);
    const rec = await this.c.roster.supporter(supporter);
    if (!rec || serverOf(supporter) !== this.c.serverName) throw notFound('No supporter of this institution with this id');
    const now = this.c.clock.now();
    const since = now - days * DAY_MS;
    const [sessions, flags, t] = await Promise.all([
      this.c.store.caseloadSessions(supporter, since, MAX_SESSIONS), this.c.store.flags({ open: false, supporter, limit: 10_000 }), this.today(now),
    ]);
    // Newest flag per session (flags come newest first).
    const flagOf = new Map<string, ReviewFlagRecord>();
    for (const f of flags) if (!flagOf.has(f.session_id)) flagOf.set(f.session_id, f);
    await this.c.audit.record({ actor: supervisor, action: 'supervision.caseload.viewed', subject: supporter, details: { days, sessions: sessions.length } });
    const view = (s: CaseloadSessionRow): Static<typeof CaseloadSessionSchema> => {
      const f = flagOf.get(s.session_id);
      return {
        session_id: s.session_id, topic: s.topic, status: s.status, scope: s.role === 'host' ? 'institution' : 'partner', started_ts: s.created_ts,
        ended_ts: s.ended_ts, duration_ms: durationOf(s, now), outcome: s.outcome, check_in: s.check_in_status, escalated: s.escalated,
        flag: f ? { flag_id: f.flag_id, reason_code: f.reason_code, reviewed: f.reviewed_ts !== null } : null,
      };
    };
    return { summary: this.summary(rec, sessions, flags.filter((f) => f.reviewed_ts === null).length, t, now), sessions: sessions.map(view) };
  }
}
