// Queue items as the bridge answers GET /v1/escalations/queue, for the counsellor desk's tests.
import type { QueueItem, SeverityLevel } from '../../../bridge/counsellor-api.ts';

export const T0 = Date.UTC(2025, 2, 10, 9, 30);
export const ME = '@coun-1:a.example';
export const COLLEAGUE = '@coun-2:a.example';

export function queueItem(o: { id?: string; severity?: SeverityLevel; waitingMin?: number; targetMin?: number; claimedBy?: string | null; share?: 'nothing' | 'summary' | 'messages'; valid?: boolean; topic?: string } = {}): QueueItem {
  const id = o.id ?? 'esc_AAAAAAAAAAAAAAAAAAAAAA';
  const waiting = (o.waitingMin ?? 5) * 60_000;
  const target = o.targetMin ?? 15;
  const claimedBy = o.claimedBy ?? null;
  const share = o.share ?? 'summary';
  const scope = share === 'summary' ? { share, summary_sha256: 'x'.repeat(43) } : share === 'messages' ? { share, event_ids: ['$a:a.example', '$b:a.example', '$c:a.example'] } : { share };
  return {
    escalation_id: id, status: claimedBy ? 'claimed' : 'queued', severity: o.severity ?? 'high', topic: o.topic ?? 'exam-stress',
    student_user_id: '@s-7kq2m9:a.example', room_id: `!room-${id}:a.example`, created_ts: T0, waiting_ms: waiting,
    due_ts: T0 + target * 60_000, target_minutes: target, overdue: waiting > target * 60_000,
    claimed_by: claimedBy, claimed_ts: claimedBy ? T0 + waiting : null,
    receipt: {
      signed: {
        receipt: {
          version: 1, receipt_id: `rcpt-${id.slice(4)}`, student_user_id: '@s-7kq2m9:a.example', room_id: '!peer:a.example', scope,
          counsellor_institution: 'a.example', severity: o.severity ?? 'high', created_ts: T0 - 30_000, expires_ts: T0 + 570_000, nonce: `nonce-${id.slice(4)}`,
        },
        signature: 'sig', key_id: 'ed25519:key',
      },
      signature_valid: o.valid ?? true, accepted_ts: T0,
    },
    counsellors: [],
  };
}
