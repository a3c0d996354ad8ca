// The student's calls to the bridge beyond asking: their requests (to resume a wait after a reload),
// their peer sessions (end one, answer a check-in), support groups (list, join) and their consent
// receipts (list, withdraw). Shapes follow the bridge's schemas (matching/schemas.ts, escalation/schemas.ts).
import type { BridgeClient, SupportRequestView } from './bridge-client.ts';
import type { PeerSessionView, SupportGroupView } from './sessions-api.ts';

export type { CheckInStatus, CheckInView, PeerSessionView, SessionStatus, SupportGroupView } from './sessions-api.ts';
export { listGroups, listSessions } from './sessions-api.ts';

export type EscalationStatus = 'opening' | 'queued' | 'claimed' | 'resolved' | 'withdrawn';
export type ConsentShare = 'nothing' | 'summary' | 'messages';

export interface ConsentReceiptView {
  receipt_id: string;
  receipt: {
    receipt: {
      receipt_id: string;
      room_id: string;
      scope: { share: ConsentShare; summary_sha256?: string; event_ids?: string[] };
      counsellor_institution: string;
      severity: string;
      created_ts: number;
      expires_ts: number;
    };
    key_id: string;
    signature: string;
  };
  signature_valid: boolean;
  accepted_ts: number;
  withdrawn_ts: number | null;
  withdrawable: boolean;
  escalation: { escalation_id: string; status: EscalationStatus; room_id: string | null; counsellor_joined: boolean; outcome: string | null };
}

export interface WithdrawalView { receipt_id: string; escalation_id: string; status: EscalationStatus; invites_rescinded: number }

const seg = encodeURIComponent;

/** GET /v1/requests — the student's recent requests, newest first. */
export async function listRequests(b: BridgeClient): Promise<SupportRequestView[]> {
  return (await b.request<{ requests: SupportRequestView[] }>('GET', '/v1/requests')).requests;
}

/** The request still waiting for a supporter (waiting or offered), if any. */
export function openRequest(requests: SupportRequestView[]): SupportRequestView | null {
  return requests.find((r) => r.status === 'waiting' || r.status === 'offered') ?? null;
}

/** POST /v1/sessions/{sessionId}/end */
export function endSession(b: BridgeClient, sessionId: string): Promise<PeerSessionView> {
  return b.request<PeerSessionView>('POST', `/v1/sessions/${seg(sessionId)}/end`, { body: {} });
}

/** POST /v1/sessions/{sessionId}/check-in */
export function answerCheckIn(b: BridgeClient, sessionId: string, accept: boolean): Promise<PeerSessionView> {
  return b.request<PeerSessionView>('POST', `/v1/sessions/${seg(sessionId)}/check-in`, { body: { accept } });
}

/** POST /v1/groups/{groupId}/join — the bridge's bot invites the caller into the group's room. */
export function joinGroup(b: BridgeClient, groupId: string): Promise<SupportGroupView> {
  return b.request<SupportGroupView>('POST', `/v1/groups/${seg(groupId)}/join`);
}

/** GET /v1/consent/receipts — the student's consent receipts, newest first. */
export async function listReceipts(b: BridgeClient): Promise<ConsentReceiptView[]> {
  return (await b.request<{ receipts: ConsentReceiptView[] }>('GET', '/v1/consent/receipts')).receipts;
}

/** POST /v1/consent/receipts/{receiptId}/withdraw */
export function withdrawConsent(b: BridgeClient, receiptId: string): Promise<WithdrawalView> {
  return b.request<WithdrawalView>('POST', `/v1/consent/receipts/${seg(receiptId)}/withdraw`);
}
