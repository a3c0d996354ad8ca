// Group moderation and message reports at the bridge: moderators mute, kick or ban members (the
// bridge's bot acts in the room) and read and close reports; any group member reports a message
// with only the text they chose to share. Shapes mirror bridge-service/src/moderation/schemas.ts.
import type { BridgeClient } from './bridge-client.ts';

export type ModerationAction = 'mute' | 'unmute' | 'kick' | 'ban' | 'unban';
export const MODERATION_ACTIONS: readonly ModerationAction[] = ['mute', 'unmute', 'kick', 'ban', 'unban'];

export type ReportReason = 'harassment' | 'self-harm-risk' | 'spam' | 'other';
export const REPORT_REASONS: readonly ReportReason[] = ['harassment', 'self-harm-risk', 'spam', 'other'];

/** The bridge's limits (longer input is refused with 400). */
export const MODERATION_REASON_MAX = 500;
export const REPORT_TEXT_MAX = 2000;

export interface GroupMemberState {
  user_id: string;
  display_name: string | null;
  /** join, invite, leave or ban */
  membership: string;
  muted: boolean;
}

export interface ModerationResult {
  group_id: string;
  action: ModerationAction;
  member: GroupMemberState;
  applied_ts: number;
}

export interface ReportView {
  report_id: string;
  group_id: string;
  room_id: string;
  event_id: string;
  /** Who sent the reported message; the reporter is never named. */
  reported_user_id: string;
  reason_code: ReportReason;
  shared_text: string | null;
  created_ts: number;
  closed_ts: number | null;
  closed_by: string | null;
}

export interface ReportInput {
  room_id: string;
  event_id: string;
  reason_code: ReportReason;
  /** Only what the reporter chose to share; omit when nothing. */
  shared_text?: string;
}

const enc = encodeURIComponent;

/** POST /v1/groups/{groupId}/moderation */
export function moderateMember(bridge: BridgeClient, groupId: string, input: { action: ModerationAction; user_id: string; reason: string }): Promise<ModerationResult> {
  return bridge.request<ModerationResult>('POST', `/v1/groups/${enc(groupId)}/moderation`, { body: input });
}

/** GET /v1/groups/{groupId}/members (moderators) */
export async function groupMembers(bridge: BridgeClient, groupId: string): Promise<GroupMemberState[]> {
  return (await bridge.request<{ members: GroupMemberState[] }>('GET', `/v1/groups/${enc(groupId)}/members`)).members;
}

/** POST /v1/reports */
export function reportMessage(bridge: BridgeClient, input: ReportInput): Promise<{ report_id: string; group_id: string; created_ts: number }> {
  return bridge.request('POST', '/v1/reports', { body: input });
}

/** GET /v1/reports?group_id=&status= (moderators) */
export async function groupReports(bridge: BridgeClient, groupId: string, status: 'open' | 'all' = 'open'): Promise<ReportView[]> {
  return (await bridge.request<{ reports: ReportView[] }>('GET', `/v1/reports?group_id=${enc(groupId)}&status=${status}`)).reports;
}

/** POST /v1/reports/{reportId}/close */
export function closeReport(bridge: BridgeClient, reportId: string): Promise<ReportView> {
  return bridge.request<ReportView>('POST', `/v1/reports/${enc(reportId)}/close`);
}

/** The reporter's own words are at most this long (the rest of REPORT_TEXT_MAX is for the quoted message). */
export const REPORT_NOTE_MAX = 500;

/**
 * What a report shares, from the reporter's choices: the message's text (quoted, "> " per line)
 * only when they ticked it, then their own words when they wrote some; undefined when nothing.
 * The quoted message is shortened so that the whole fits the bridge's limit.
 */
export function sharedReportText(choice: { includeMessage: boolean; messageText: string; ownWords: string }): string | undefined {
  const note = choice.ownWords.trim().slice(0, REPORT_NOTE_MAX);
  let quoted = '';
  if (choice.includeMessage && choice.messageText.trim() !== '') {
    quoted = choice.messageText.trim().split('\n').map((l) => `> ${l}`).join('\n');
    const room = REPORT_TEXT_MAX - (note === '' ? 0 : note.length + 2);
    if (quoted.length > room) quoted = `${quoted.slice(0, room - 1)}…`;
  }
  const text = [quoted, note].filter((t) => t !== '').join('\n\n');
  return text === '' ? undefined : text;
}
