// What supporters do for their own practice and wellbeing: flag one of their sessions for a
// supervisor's review (a reason code from a fixed list), pause themselves for a wellbeing break
// (optionally until a time) and resume; and what they are told about it — including that the
// policy's daily cap keeps requests away for the rest of the day. Every change is audited.
import type { Static } from '@sinclair/typebox';
import { BridgeError, invalidParam, notFound } from '../errors.ts';
import { newSupervisionId } from './debrief-room.ts';
import { DuplicateFlagError } from '../store/supervision-store.ts';
import type { ReviewFlagReason } from '../../../protocol/src/event-type-names.ts';
import { blockOf, dailySessionCap } from '../matching/eligibility.ts';
import { requireSupervisor, type SupervisionContext } from './context.ts';
import { flagView, type Caseload } from './caseload.ts';
import type { FlagViewSchema, SupporterStatusSchema } from './schemas.ts';

/** A break may be set at most this far ahead. */
export const MAX_BREAK_MS = 30 * 86_400_000;

export class SupporterCare {
  private readonly c: SupervisionContext;
  private readonly caseload: Caseload;

  constructor(c: SupervisionContext, caseload: Caseload) {
    this.c = c;
    this.caseload = caseload;
  }

  private async flagViews(flags: Awaited<ReturnType<SupervisionContext['store']['flags']>>): Promise<Static<typeof FlagViewSchema>[]> {
    const now = this.c.clock.now();
    return Promise.all(flags.map(async (f) => flagView(f, await this.c.store.caseloadSession(f.session_id), now)));
  }

  /** GET /v1/supervision/me */
  async status(userId: string): Promise<Static<typeof SupporterStatusSchema>> {
    const now = this.c.clock.now();
    const t = await this.caseload.today(now);
    const onBreak = t.breaks.get(userId) ?? null;
    const today = t.counts.get(userId) ?? 0;
    const policy = this.c.policy();
    return {
      user_id: userId, on_break: onBreak, blocked: blockOf(onBreak !== null, today, policy), sessions_today: today, daily_cap: dailySessionCap(policy),
      day_start_ts: t.dayStart, flags: await this.flagViews(await this.c.store.flags({ open: false, supporter: userId, limit: 50 })),
    };
  }

  async startBreak(userId: string, untilTs: number | undefined): Promise<Static<typeof SupporterStatusSchema>> {
    const now = this.c.clock.now();
    if (untilTs !== undefined && (untilTs <= now || untilTs > now + MAX_BREAK_MS)) throw invalidParam('until_ts must be in the future and at most 30 days ahead');
    await this.c.store.putBreak({ user_id: userId, started_ts: now, until_ts: untilTs ?? null }, {
      actor: userId, action: 'supervision.break.started', subject: userId, details: { until_ts: untilTs ?? null },
    });
    this.c.supporterChanged();
    return this.status(userId);
  }

  async endBreak(userId: string): Promise<Static<typeof SupporterStatusSchema>> {
    await this.c.store.endBreak(userId, this.c.clock.now(), { actor: userId, action: 'supervision.break.ended', subject: userId, details: {} });
    this.c.supporterChanged();
    return this.status(userId);
  }

  /** POST /v1/supervision/flags: the supporter flags one of their own sessions. */
  async flag(userId: string, sessionId: string, reason: ReviewFlagReason): Promise<Static<typeof FlagViewSchema>> {
    const s = await this.c.store.caseloadSession(sessionId);
    if (!s || s.supporter !== userId || s.status === 'failed') throw notFound(`No session ${sessionId} of yours`);
    const now = this.c.clock.now();
    const f = { flag_id: newSupervisionId('fl'), session_id: sessionId, supporter: userId, reason_code: reason, created_ts: now, reviewed_ts: null, reviewed_by: null };
    try {
      await this.c.store.insertFlag(f, { actor: userId, action: 'supervision.flag.raised', subject: sessionId, details: { flag_id: f.flag_id, reason_code: reason, topic: s.topic } });
    } catch (e) {
      if (e instanceof DuplicateFlagError) throw new BridgeError(409, 'ORG.PEERLINE.ALREADY_FLAGGED', 'This session already waits for a supervisor\'s review');
      throw e;
    }
    this.c.audit.noteAppended();
    return flagView(f, s, now);
  }

  /** GET /v1/supervision/flags (supervisors) */
  async flags(supervisor: string, open: boolean): Promise<Static<typeof FlagViewSchema>[]> {
    await requireSupervisor(this.c, supervisor);
    return this.flagViews(await this.c.store.flags({ open, limit: 200 }));
  }

  /** POST /v1/supervision/flags/{flagId}/review (supervisors) */
  async review(supervisor: string, flagId: string): Promise<Static<typeof FlagViewSchema>> {
    await requireSupervisor(this.c, supervisor);
    const f = await this.c.store.flag(flagId);
    if (!f) throw notFound('No flag with this id');
    const now = this.c.clock.now();
    const done = await this.c.store.reviewFlag(flagId, supervisor, now, {
      actor: supervisor, action: 'supervision.flag.reviewed', subject: f.session_id, details: { flag_id: flagId, supporter: f.supporter },
    });
    if (!done) throw new BridgeError(409, 'ORG.PEERLINE.ALREADY_REVIEWED', 'This flag was reviewed already');
    this.c.audit.noteAppended();
    return flagView((await this.c.store.flag(flagId))!, await this.c.store.caseloadSession(f.session_id), now);
  }
}
