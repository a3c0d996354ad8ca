// Anonymous session feedback (issue #9): what students said about a finished peer session, stored so
// that nobody — not even an admin reading the database — can tie a response to a student or to a
// session. Rows carry no user id, no session or ticket id and no time finer than the ISO week.
//
// The aggregate shape below is the contract the evaluation report reads; implementations may add
// methods (tickets, submission, per-supporter aggregates) beside it.

/** Feedback summed over one ISO week ('2026-W48') and topic. */
export interface FeedbackAggregateRow {
  /** ISO week, 'YYYY-Www'. */
  week: string;
  topic: string;
  responses: number;
  /** Counts of helpfulness 1, 2, 3, 4, 5 (index 0 = 1). */
  helpfulness: [number, number, number, number, number];
  felt_safe_yes: number;
  felt_safe_no: number;
  /** Theme id (from the fixed list in protocol) → how many responses chose it. */
  themes: Record<string, number>;
}


/** Summed answers: one batch of a supporter's responses, or the total released to them. */
export interface FeedbackTotals {
  responses: number;
  helpfulness: [number, number, number, number, number];
  felt_safe_yes: number;
  felt_safe_no: number;
  themes: Record<string, number>;
}

/** One response as it is counted: nothing in it names the student, the session or the ticket. */
export interface FeedbackResponse {
  /** ISO week of the session's end. */
  week: string;
  topic: string;
  /** The supporter's user id when they are on our roster's server (per-supporter counters); else null. */
  supporter: string | null;
  helpfulness: 1 | 2 | 3 | 4 | 5;
  felt_safe: boolean;
  themes: readonly string[];
}

export interface FeedbackSpend {
  /** SHA-256 (hex) of the ticket's secret nonce: the spent-ticket marker, kept until `ticket_week` is purged. */
  nonce_hash: string;
  /** The week the ticket belongs to (its key's week). */
  ticket_week: string;
}

export interface FeedbackStore {
  /** Rows for weeks from `fromWeek` to `toWeek` inclusive ('YYYY-Www'), by week then topic. */
  aggregate(fromWeek: string, toWeek: string): Promise<FeedbackAggregateRow[]>;

  /** The week's ticket key (32 random bytes), created on first use; one key for every replica. */
  ticketKey(week: string, create: boolean): Promise<Uint8Array | undefined>;
  /** Records that a session's ticket was issued; false when it was already (one ticket per session). */
  markTicketIssued(sessionId: string, week: string): Promise<boolean>;
  /** Whether a session's ticket was issued (its marker not yet purged). */
  ticketIssued(sessionId: string): Promise<boolean>;
  /**
   * Atomically spends a ticket and counts the response: `used` (nothing written) when the ticket was
   * spent before. A supporter's pending batch is released once it holds FEEDBACK_MIN_RESPONSES.
   */
  submit(spend: FeedbackSpend, r: FeedbackResponse, releaseAt: number): Promise<'recorded' | 'used'>;
  /** What has been released to a supporter (whole batches only); undefined when nothing yet. */
  supporterTotals(supporter: string): Promise<FeedbackTotals | undefined>;
  /** Deletes ticket keys, spent markers and issued markers of weeks before `beforeWeek`; returns rows deleted. */
  purgeTickets(beforeWeek: string): Promise<number>;
}

/** The increments of one response: responses, h1..h5, safe_yes, safe_no. */
export function responseIncrements(r: FeedbackResponse): number[] {
  return [1, ...[1, 2, 3, 4, 5].map((h) => (h === r.helpfulness ? 1 : 0)), r.felt_safe ? 1 : 0, r.felt_safe ? 0 : 1];
}

// The bridge-wide Store gains the feedback store (augmentation, so store.ts stays as it is).
declare module './store.ts' {
  interface Store {
    feedback: FeedbackStore;
  }
}
