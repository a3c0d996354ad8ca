// Anonymous session feedback: the fixed list of themes a student may tick after a peer session, and
// the bounds of the answers. No TypeBox here, so the web client imports it without bundling schemas;
// the bridge builds its request schema from these lists.

/**
 * Themes a student may choose (any number). Words are never stored: only how many responses chose
 * each theme. New themes may be appended; ids are never renamed or reused.
 */
export const FEEDBACK_THEMES = [
  'listened-to',
  'practical-ideas',
  'felt-understood',
  'felt-rushed',
  'hard-to-follow',
  'wanted-counsellor',
  'would-come-back',
] as const;
export type FeedbackTheme = (typeof FEEDBACK_THEMES)[number];

export function isFeedbackTheme(id: string): id is FeedbackTheme {
  return (FEEDBACK_THEMES as readonly string[]).includes(id);
}

/** Helpfulness is 1 (not helpful) … 5 (very helpful). */
export const HELPFULNESS_MIN = 1;
export const HELPFULNESS_MAX = 5;

/** A supporter sees their own aggregate only in batches of at least this many responses. */
export const FEEDBACK_MIN_RESPONSES = 5;

/** A supporter's released aggregate (GET /v1/feedback/mine). */
export type SupporterFeedbackView =
  | { responses: number; helpfulness: [number, number, number, number, number]; helpfulness_mean: number; felt_safe_yes: number; felt_safe_no: number; themes: Record<string, number> }
  | { responses: 'fewer than 5' };

/** A one-time feedback ticket (POST /v1/sessions/{id}/feedback-ticket). */
export interface FeedbackTicketView {
  ticket: string;
  /** Last ISO week ('YYYY-Www') in which the ticket is accepted. */
  valid_until_week: string;
}

/** The body of POST /v1/feedback. */
export interface FeedbackInput {
  ticket: string;
  helpfulness: number;
  felt_safe: boolean;
  themes: FeedbackTheme[];
}
