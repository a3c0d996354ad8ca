// The consent and escalation metrics (labels are reasons, severities and events — never ids).
import type { Counter, Histogram, Metrics } from '../services/metrics.ts';

export class EscalationMetrics {
  readonly keysRegistered: Counter;
  readonly refusals: Counter;
  readonly escalations: Counter;
  readonly breaches: Counter;
  readonly responseSeconds: Histogram;

  constructor(m: Metrics) {
    this.keysRegistered = m.counter('bridge_consent_keys_registered_total', 'Consent keys registered, by rotation (first, rotated)', ['rotation']);
    this.refusals = m.counter('bridge_consent_refusals_total', 'Escalations refused for their consent receipt, by reason', ['reason']);
    this.escalations = m.counter('bridge_escalations_total', 'Escalation lifecycle events (opened, queued, claimed, handed_over, resolved, withdrawn)', ['event']);
    this.breaches = m.counter('bridge_escalation_response_breaches_total', 'Escalations not claimed within the policy response target, by severity', ['severity']);
    this.responseSeconds = m.histogram('bridge_escalation_response_seconds', 'Time from escalation to first counsellor claim, by severity', ['severity'],
      [30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600]);
  }
}
