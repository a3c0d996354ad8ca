// Response-time targets: each escalation is due within the policy's target for its severity (fixed
// when it was created). A breach — no claim by the due time — is raised once: a row the admin lists,
// an audit entry and a metric. A periodic job (`runOnce` on an injected clock) finds them; a late
// claim raises its own at once.
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../logger.ts';
import type { AuditService } from '../services/audit.ts';
import type { EscalationRecord, EscalationStore, ResponseBreach } from '../store/escalation-store.ts';
import type { EscalationMetrics } from './metrics.ts';

export class BreachMonitor {
  private readonly store: EscalationStore;
  private readonly audit: AuditService;
  private readonly metrics: EscalationMetrics;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(opts: { store: EscalationStore; audit: AuditService; metrics: EscalationMetrics; clock: Clock; logger: Logger }) {
    this.store = opts.store;
    this.audit = opts.audit;
    this.metrics = opts.metrics;
    this.clock = opts.clock;
    this.logger = opts.logger;
  }

  /** Raises every breach not raised yet; returns the new ones. */
  async runOnce(): Promise<ResponseBreach[]> {
    const now = this.clock.now();
    const raised: ResponseBreach[] = [];
    for (const e of await this.store.overdueWithoutBreach(now)) {
      const b = await this.raise(e, now);
      if (b) raised.push(b);
    }
    return raised;
  }

  /** Raises the breach of one escalation if it is one and was not raised. */
  async check(e: EscalationRecord): Promise<ResponseBreach | null> {
    const now = this.clock.now();
    const answeredOrNow = e.claimed_ts ?? e.closed_ts ?? now;
    return e.due_ts < answeredOrNow ? this.raise(e, now) : null;
  }

  private async raise(e: EscalationRecord, now: number): Promise<ResponseBreach | null> {
    const b: ResponseBreach = { escalation_id: e.escalation_id, severity: e.severity, created_ts: e.created_ts, due_ts: e.due_ts, detected_ts: now };
    const fresh = await this.store.recordBreach(b, {
      actor: 'system', action: 'escalation.response_breached', subject: e.escalation_id,
      details: { severity: e.severity, due_ts: e.due_ts, target_minutes: Math.round((e.due_ts - e.created_ts) / 60_000), status: e.status, claimed: e.claimed_ts !== null },
    });
    if (!fresh) return null;
    this.audit.noteAppended();
    this.metrics.breaches.inc({ severity: e.severity });
    this.logger.warn('escalation response target breached', { escalation_id: e.escalation_id, severity: e.severity });
    return b;
  }
}
