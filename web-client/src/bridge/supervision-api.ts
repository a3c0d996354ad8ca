// Supervision at the bridge (issue #9): supervisors read caseloads (metadata only) and review flagged
// sessions; supporters flag sessions, take wellbeing breaks, see the daily cap and ask for debriefs.
// Shapes mirror bridge-service/src/supervision/schemas.ts.
import type { BridgeClient } from './bridge-client.ts';
import { REVIEW_FLAG_REASONS, type ReviewFlagReason } from '../../../protocol/src/event-type-names.ts';

export { REVIEW_FLAG_REASONS, type ReviewFlagReason };

/** What the calls need of the bridge client (tests give a fake). */
export type SupervisionBridge = Pick<BridgeClient, 'request'>;

export type SupporterBlock = 'wellbeing_break' | 'daily_cap';
export interface WellbeingBreak { started_ts: number; until_ts: number | null }

export interface SupporterSummary {
  user_id: string;
  roster_active: boolean;
  sessions: number;
  active_now: number;
  median_duration_ms: number | null;
  topics: Record<string, number>;
  escalations: number;
  outcomes: Record<string, number>;
  check_ins_offered: number;
  flags_open: number;
  on_break: WellbeingBreak | null;
  sessions_today: number;
  daily_cap: number | null;
  blocked: SupporterBlock | null;
}

export interface CaseloadView { since_ts: number; day_start_ts: number; supporters: SupporterSummary[] }

export interface CaseloadSession {
  session_id: string;
  topic: string;
  status: string;
  scope: 'institution' | 'partner';
  started_ts: number;
  ended_ts: number | null;
  duration_ms: number;
  outcome: string | null;
  check_in: string | null;
  escalated: boolean;
  flag: { flag_id: string; reason_code: ReviewFlagReason; reviewed: boolean } | null;
}

export interface SupporterCaseload { summary: SupporterSummary; sessions: CaseloadSession[] }

export interface FlagView {
  flag_id: string;
  session_id: string;
  supporter: string;
  reason_code: ReviewFlagReason;
  created_ts: number;
  reviewed_ts: number | null;
  reviewed_by: string | null;
  session: { topic: string; started_ts: number; ended_ts: number | null; duration_ms: number; outcome: string | null; escalated: boolean } | null;
}

export interface SupervisionStatus {
  user_id: string;
  on_break: WellbeingBreak | null;
  blocked: SupporterBlock | null;
  sessions_today: number;
  daily_cap: number | null;
  day_start_ts: number;
  flags: FlagView[];
}

export interface DebriefView {
  debrief_id: string;
  supporter: string;
  supervisor: string;
  /** failed: the room could not be made; ask again. */
  status: 'opening' | 'open' | 'failed';
  room_id: string | null;
  created_ts: number;
  session: { topic: string; started_ts: number; duration_ms: number } | null;
  consent: {
    available: boolean;
    share: 'summary' | 'messages' | null;
    receipt_id: string | null;
    /** Only for the supporter: the session's peer room and the messages the student chose. */
    scope: { room_id: string; event_ids: string[] } | null;
  };
}

/** The bridge's yes to a share: the receipt it rests on and exactly what it covers. */
export interface DebriefShareAllowed { debrief_id: string; share: 'summary' | 'messages'; receipt_id: string; room_id: string; event_ids: string[] }

/** A supporter's own session, as GET /v1/sessions lists it (the fields used here). */
export interface OwnSession { session_id: string; role: string; status: string; topic: string; created_ts: number; ended_ts: number | null }

const enc = encodeURIComponent;

/** GET /v1/supervision/caseload */
export async function getCaseload(b: SupervisionBridge, days = 30): Promise<CaseloadView> {
  return b.request<CaseloadView>('GET', `/v1/supervision/caseload?days=${days}`);
}

/** GET /v1/supervision/caseload/{userId} */
export async function getSupporterCaseload(b: SupervisionBridge, userId: string, days = 30): Promise<SupporterCaseload> {
  return b.request<SupporterCaseload>('GET', `/v1/supervision/caseload/${enc(userId)}?days=${days}`);
}

/** GET /v1/supervision/flags */
export async function listFlags(b: SupervisionBridge, open = true): Promise<FlagView[]> {
  return (await b.request<{ flags: FlagView[] }>('GET', `/v1/supervision/flags?open=${open}`)).flags;
}

/** POST /v1/supervision/flags/{flagId}/review */
export async function reviewFlag(b: SupervisionBridge, flagId: string): Promise<FlagView> {
  return b.request<FlagView>('POST', `/v1/supervision/flags/${enc(flagId)}/review`);
}

/** POST /v1/supervision/flags */
export async function flagSession(b: SupervisionBridge, sessionId: string, reason: ReviewFlagReason): Promise<FlagView> {
  return b.request<FlagView>('POST', '/v1/supervision/flags', { body: { session_id: sessionId, reason_code: reason } });
}

/** GET /v1/supervision/me */
export async function supervisionStatus(b: SupervisionBridge): Promise<SupervisionStatus> {
  return b.request<SupervisionStatus>('GET', '/v1/supervision/me');
}

/** PUT /v1/supervision/me/break */
export async function startBreak(b: SupervisionBridge, untilTs: number | null): Promise<SupervisionStatus> {
  return b.request<SupervisionStatus>('PUT', '/v1/supervision/me/break', { body: untilTs === null ? {} : { until_ts: untilTs } });
}

/** DELETE /v1/supervision/me/break */
export async function endBreak(b: SupervisionBridge): Promise<SupervisionStatus> {
  return b.request<SupervisionStatus>('DELETE', '/v1/supervision/me/break');
}

/** GET /v1/supervision/supervisors */
export async function listSupervisors(b: SupervisionBridge): Promise<string[]> {
  return (await b.request<{ supervisors: { user_id: string }[] }>('GET', '/v1/supervision/supervisors')).supervisors.map((s) => s.user_id);
}

/** POST /v1/supervision/debriefs */
export async function requestDebrief(b: SupervisionBridge, input: { supervisor?: string; session_id?: string }): Promise<DebriefView> {
  return b.request<DebriefView>('POST', '/v1/supervision/debriefs', { body: input });
}

/** GET /v1/supervision/debriefs */
export async function listDebriefs(b: SupervisionBridge): Promise<DebriefView[]> {
  return (await b.request<{ debriefs: DebriefView[] }>('GET', '/v1/supervision/debriefs')).debriefs;
}

/** POST /v1/supervision/debriefs/{debriefId}/share: asked before the client shares anything of the student. */
export async function checkDebriefShare(b: SupervisionBridge, debriefId: string, share: 'summary' | 'messages'): Promise<DebriefShareAllowed> {
  return b.request<DebriefShareAllowed>('POST', `/v1/supervision/debriefs/${enc(debriefId)}/share`, { body: { share } });
}

/** GET /v1/sessions (the supporter's own sessions, to flag or debrief one). */
export async function ownSessions(b: SupervisionBridge): Promise<OwnSession[]> {
  return (await b.request<{ sessions: OwnSession[] }>('GET', '/v1/sessions')).sessions.filter((s) => s.role === 'supporter' && s.status !== 'failed');
}

/** "1 h 5 min" style durations are localised by the components; this gives whole minutes. */
export function durationMinutes(ms: number): number {
  return Math.max(0, Math.round(ms / 60_000));
}
