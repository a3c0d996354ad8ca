// Anonymous session feedback from the web client: the student's one-time ticket (asked for as soon as
// a session is seen ended, whether or not the student answers — so having one says nothing), the
// answer sent with the ticket and without the session token, and the supporter's own aggregate.
// Tickets wait in local storage only until they are used, skipped or expired.
import { FEEDBACK_THEMES, type FeedbackInput, type FeedbackTheme, type FeedbackTicketView, type SupporterFeedbackView } from '../../../protocol/src/feedback.ts';
import { BridgeError, type BridgeClient } from './bridge-client.ts';
import type { PeerSessionView } from './sessions-api.ts';

export { FEEDBACK_THEMES, type FeedbackTheme, type SupporterFeedbackView };

const seg = encodeURIComponent;

/** POST /v1/sessions/{sessionId}/feedback-ticket */
export function requestFeedbackTicket(b: BridgeClient, sessionId: string): Promise<FeedbackTicketView> {
  return b.request<FeedbackTicketView>('POST', `/v1/sessions/${seg(sessionId)}/feedback-ticket`);
}

/** POST /v1/feedback — sent without the session token: the ticket is the only credential. */
export async function sendFeedback(b: BridgeClient, input: FeedbackInput): Promise<void> {
  await b.request('POST', '/v1/feedback', { body: input, auth: false });
}

/** GET /v1/feedback/mine — the supporter's released aggregate, or "fewer than 5". */
export function myFeedback(b: BridgeClient): Promise<SupporterFeedbackView> {
  return b.request<SupporterFeedbackView>('GET', '/v1/feedback/mine');
}

const STORE_KEY = 'peerline.feedback-tickets';

/** Per session: a ticket waiting for an answer, or `done` (answered, skipped, or none to be had). */
type Entry = { ticket: string; topic: string } | 'done';

function load(): Record<string, Entry> {
  try {
    const v = JSON.parse(localStorage.getItem(STORE_KEY) ?? '{}') as unknown;
    return v !== null && typeof v === 'object' ? (v as Record<string, Entry>) : {};
  } catch {
    return {};
  }
}

function save(entries: Record<string, Entry>): void {
  try {
    if (Object.keys(entries).length === 0) localStorage.removeItem(STORE_KEY);
    else localStorage.setItem(STORE_KEY, JSON.stringify(entries));
  } catch { /* storage blocked: the prompt simply does not come back */ }
}

export interface PendingFeedback { sessionId: string; topic: string; ticket: string }

/**
 * Asks for the ticket of every ended session of the student not seen before, forgets entries of
 * sessions no longer listed, and returns the newest session waiting for an answer (or null).
 * Never throws: feedback must not get in the way of anything.
 */
export async function collectFeedbackTickets(b: BridgeClient, sessions: readonly PeerSessionView[]): Promise<PendingFeedback | null> {
  const entries = load();
  const listed = new Set(sessions.map((s) => s.session_id));
  for (const id of Object.keys(entries)) if (!listed.has(id)) delete entries[id];
  for (const s of sessions) {
    if (s.role !== 'student' || s.status !== 'ended' || entries[s.session_id] !== undefined) continue;
    try {
      const t = await requestFeedbackTicket(b, s.session_id);
      entries[s.session_id] = { ticket: t.ticket, topic: s.topic };
    } catch (e) {
      // Issued before (another device), closed, or not ours: nothing to ask. Network trouble: try next time.
      if (e instanceof BridgeError && e.status >= 400 && e.status < 500) entries[s.session_id] = 'done';
    }
  }
  save(entries);
  for (const s of sessions) {
    const e = entries[s.session_id];
    if (e !== undefined && e !== 'done') return { sessionId: s.session_id, topic: e.topic, ticket: e.ticket };
  }
  return null;
}

/** The student answered or skipped: the ticket is forgotten. */
export function finishFeedback(sessionId: string): void {
  const entries = load();
  entries[sessionId] = 'done';
  save(entries);
}

/**
 * Sends the answer and forgets the ticket. `sent`; `gone` when the bridge will not take it (used,
 * expired: the ticket is forgotten too); throws on network trouble (the ticket is kept to retry).
 */
export async function answerFeedback(b: BridgeClient, p: PendingFeedback, a: { helpfulness: number; feltSafe: boolean; themes: FeedbackTheme[] }): Promise<'sent' | 'gone'> {
  try {
    await sendFeedback(b, { ticket: p.ticket, helpfulness: a.helpfulness, felt_safe: a.feltSafe, themes: a.themes });
    finishFeedback(p.sessionId);
    return 'sent';
  } catch (e) {
    if (e instanceof BridgeError && (e.status === 409 || e.status === 410 || e.status === 400)) {
      finishFeedback(p.sessionId);
      return 'gone';
    }
    throw e;
  }
}
