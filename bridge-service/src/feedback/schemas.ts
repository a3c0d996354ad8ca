// TypeBox schemas of the session feedback API, built from the fixed lists in protocol/src/feedback.ts.
import { Type } from '@sinclair/typebox';
import { FEEDBACK_THEMES, HELPFULNESS_MAX, HELPFULNESS_MIN } from '../../../protocol/src/feedback.ts';

const Counts5 = Type.Tuple([Type.Integer(), Type.Integer(), Type.Integer(), Type.Integer(), Type.Integer()], { description: 'Responses with helpfulness 1, 2, 3, 4, 5' });

export const FeedbackTicketSchema = Type.Object({
  ticket: Type.String({ description: 'One-time, anonymous: send it with POST /v1/feedback (no session token needed)' }),
  valid_until_week: Type.String({ description: "Last ISO week ('YYYY-Www') the ticket is accepted in" }),
}, { title: 'FeedbackTicket' });

export const FeedbackInputSchema = Type.Object({
  ticket: Type.String({ minLength: 1, maxLength: 1024 }),
  helpfulness: Type.Integer({ minimum: HELPFULNESS_MIN, maximum: HELPFULNESS_MAX, description: '1 (not helpful) … 5 (very helpful)' }),
  felt_safe: Type.Boolean(),
  themes: Type.Array(Type.Union(FEEDBACK_THEMES.map((t) => Type.Literal(t))), { maxItems: FEEDBACK_THEMES.length, uniqueItems: true, description: 'Chosen from the fixed list; counted, never stored as words' }),
}, { additionalProperties: false, title: 'FeedbackInput' });

export const FeedbackRecordedSchema = Type.Object({ recorded: Type.Literal(true) }, { title: 'FeedbackRecorded' });

export const SupporterFeedbackSchema = Type.Union([
  Type.Object({
    responses: Type.Integer({ minimum: 5 }), helpfulness: Counts5, helpfulness_mean: Type.Number(),
    felt_safe_yes: Type.Integer(), felt_safe_no: Type.Integer(), themes: Type.Record(Type.String(), Type.Integer()),
  }),
  Type.Object({ responses: Type.Literal('fewer than 5') }),
], { title: 'SupporterFeedback', description: 'Your aggregate, released in batches of at least 5 responses; suppressed until the first batch is complete' });
