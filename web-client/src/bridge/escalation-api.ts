// The bridge calls of consented escalation (DESIGN.md flow 4), as functions over a signed-in
// BridgeClient: the policy's risk-detection settings, registering the device's consent key,
// escalating with a signed receipt, reading the student's receipts (is the counsellor in yet?), and
// withdrawing consent while no counsellor has joined.
import type { BridgeClient } from './bridge-client.ts';
import type { ConsentScope, SignedConsentReceipt } from '../../../protocol/src/consent.ts';
import type { RiskDetection } from '../../../protocol/src/policy.ts';

/** The part of BridgeClient these calls need (tests pass a fake). */
export type BridgeRequester = Pick<BridgeClient, 'request'>;

export type EscalationStatus = 'opening' | 'queued' | 'claimed' | 'resolved' | 'withdrawn';

export interface EscalationView {
  escalation_id: string;
  receipt_id: string;
  status: EscalationStatus;
  /** The escalation room; null while the bridge is still creating it (status `opening`). */
  room_id: string | null;
  severity: string;
  created_ts: number;
  due_ts: number;
  counsellors_invited: number;
}

export interface ReceiptView {
  receipt_id: string;
  withdrawn_ts: number | null;
  withdrawable: boolean;
  escalation: { escalation_id: string; status: EscalationStatus; room_id: string | null; counsellor_joined: boolean; outcome: string | null };
}

/** What the escalation controller reads from the policy. */
export interface EscalationPolicySettings {
  risk_detection: Partial<RiskDetection> | null;
  /** Days escalation rooms are kept: content still waiting to be shared is not kept longer. */
  escalation_retention_days: number | null;
}

/** GET /v1/policy — the risk-detection settings and the escalation rooms' retention. */
export async function fetchEscalationPolicy(bridge: BridgeRequester): Promise<EscalationPolicySettings> {
  const p = await bridge.request<{ risk_detection?: Partial<RiskDetection>; retention_days?: { escalation?: unknown } }>('GET', '/v1/policy');
  const days = p.retention_days?.escalation;
  return { risk_detection: p.risk_detection ?? null, escalation_retention_days: typeof days === 'number' && Number.isFinite(days) && days > 0 ? days : null };
}

/** POST /v1/consent/keys */
export function registerConsentKey(bridge: BridgeRequester, body: { public_key: string }): Promise<{ key: { key_id: string; current: boolean }; retired_key_id: string | null }> {
  return bridge.request('POST', '/v1/consent/keys', { body });
}

/** POST /v1/escalations — the receipt's room and scope are sent alongside, as the bridge checks they match. */
export function escalate(bridge: BridgeRequester, receipt: SignedConsentReceipt, scope: ConsentScope): Promise<EscalationView> {
  return bridge.request<EscalationView>('POST', '/v1/escalations', { body: { receipt, room_id: receipt.receipt.room_id, scope } });
}

/** GET /v1/consent/receipts */
export async function listReceipts(bridge: BridgeRequester): Promise<ReceiptView[]> {
  return (await bridge.request<{ receipts: ReceiptView[] }>('GET', '/v1/consent/receipts')).receipts;
}

/** POST /v1/consent/receipts/{receiptId}/withdraw */
export function withdrawConsent(bridge: BridgeRequester, receiptId: string): Promise<{ receipt_id: string; escalation_id: string; status: EscalationStatus; invites_rescinded: number }> {
  return bridge.request('POST', `/v1/consent/receipts/${encodeURIComponent(receiptId)}/withdraw`);
}
