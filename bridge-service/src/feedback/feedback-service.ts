// Issues feedback tickets to the student of an ended session, counts anonymous responses, and tells
// supporters their own released aggregate. See module.ts for the privacy design.
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { FEEDBACK_MIN_RESPONSES, type FeedbackTheme, type FeedbackTicketView, type SupporterFeedbackView } from '../../../protocol/src/feedback.ts';
import type { Clock } from '../core/clock.ts';
import { BridgeError, notFound } from '../errors.ts';
import type { FeedbackStore } from '../store/feedback-store.ts';
import type { MatchingStore } from '../store/matching-store.ts';
import { openTicket, sealTicket, shiftWeek, ticketWeek, weekOfTs } from './tickets.ts';

export interface FeedbackDeps {
  store: FeedbackStore;
  matching: MatchingStore;
  policy: () => InstitutionPolicy;
  clock: Clock;
  /** Our server name: per-supporter counters are kept only for our own supporters. */
  serverName: string;
}

const ticketInvalid = (): BridgeError => new BridgeError(400, 'ORG.PEERLINE.FEEDBACK_TICKET_INVALID', 'This is not a feedback ticket of this service');
const ticketExpired = (): BridgeError => new BridgeError(410, 'ORG.PEERLINE.FEEDBACK_TICKET_EXPIRED', 'This feedback ticket has expired');

export class FeedbackService {
  private readonly d: FeedbackDeps;

  constructor(d: FeedbackDeps) {
    this.d = d;
  }

  private week(ts: number): string {
    return weekOfTs(ts, this.d.policy().support_hours.time_zone);
  }

  /** A ticket is accepted in its session's week and the week after. */
  private currentWeek(): string {
    return this.week(this.d.clock.now());
  }

  /** POST /v1/sessions/{sessionId}/feedback-ticket */
  async issueTicket(sessionId: string, userId: string): Promise<FeedbackTicketView> {
    const s = await this.d.matching.session(sessionId);
    // Only our own student of the session (partner sessions have no student here).
    if (!s || s.student !== userId) throw notFound(`No session ${sessionId} of yours`);
    if (s.status !== 'ended' || s.ended_ts === null) throw new BridgeError(409, 'ORG.PEERLINE.SESSION_NOT_ENDED', 'Feedback opens when the session has ended');
    const week = this.week(s.ended_ts);
    const validUntil = shiftWeek(week, 1);
    if (this.currentWeek() > validUntil) throw new BridgeError(410, 'ORG.PEERLINE.FEEDBACK_CLOSED', 'Feedback on this session is closed');
    const key = await this.d.store.ticketKey(week, true);
    if (!key) throw new Error('no feedback ticket key');
    if (!(await this.d.store.markTicketIssued(s.id, week))) {
      throw new BridgeError(409, 'ORG.PEERLINE.FEEDBACK_TICKET_ISSUED', 'The feedback ticket of this session was issued already');
    }
    return { ticket: sealTicket(key, week, { supporter: s.supporter, topic: s.topic }), valid_until_week: validUntil };
  }

  /** POST /v1/feedback — anonymous: the ticket is the only credential. */
  async submit(input: { ticket: string; helpfulness: number; felt_safe: boolean; themes: FeedbackTheme[] }): Promise<void> {
    const week = ticketWeek(input.ticket);
    if (week === null) throw ticketInvalid();
    if (this.currentWeek() > shiftWeek(week, 1)) throw ticketExpired();
    const key = await this.d.store.ticketKey(week, false);
    // No key: never issued that week (forged), or purged (expired) — either way not usable.
    if (!key) throw ticketExpired();
    const t = openTicket(key, input.ticket);
    if (!t) throw ticketInvalid();
    const own = t.supporter.endsWith(`:${this.d.serverName}`);
    const result = await this.d.store.submit({ nonce_hash: t.nonce_hash, ticket_week: t.week }, {
      week: t.week, topic: t.topic, supporter: own ? t.supporter : null,
      helpfulness: input.helpfulness as 1 | 2 | 3 | 4 | 5, felt_safe: input.felt_safe, themes: input.themes,
    }, FEEDBACK_MIN_RESPONSES);
    if (result === 'used') throw new BridgeError(409, 'ORG.PEERLINE.FEEDBACK_TICKET_USED', 'This feedback ticket has been used already');
  }

  /** GET /v1/feedback/mine */
  async mine(supporter: string): Promise<SupporterFeedbackView> {
    const t = await this.d.store.supporterTotals(supporter);
    if (!t || t.responses < FEEDBACK_MIN_RESPONSES) return { responses: 'fewer than 5' };
    const sum = t.helpfulness.reduce((acc, n, i) => acc + n * (i + 1), 0);
    return { ...t, helpfulness_mean: Math.round((sum / t.responses) * 100) / 100 };
  }

  /** Forgets ticket keys and markers no ticket can be accepted under any more. */
  purgeExpired(): Promise<number> {
    return this.d.store.purgeTickets(shiftWeek(this.currentWeek(), -1));
  }
}
