// Where figures come from. A `FigureSource` yields facts — what happened, on which topic, when, and
// how long it took — and never who. Two sources exist:
//
// - `AuditFigureSource` reads the audit log. The requests/matching module feeds it by recording
//   these actions (details are what the figures read; further fields are ignored):
//     request.created  { request_id, topic }            → requests
//     request.matched  { request_id, topic, wait_ms }   → matches, and waits (wait_ms = matched − created)
//     session.ended    { request_id, topic }            → sessions (counted in the week they end)
//   A module may instead hand the figures service a FigureSource of its own over its tables.
// - `EscalationFigureSource` reads the escalation store: escalations (week of creation) and
//   response times (first claim − creation, week of the claim).
import type { AuditDetails } from '../core/audit-chain.ts';
import type { EscalationStore } from '../store/escalation-store.ts';
import type { FiguresStore } from '../store/figures-store.ts';

export type FigureFact =
  | { kind: 'request'; topic: string; ts: number }
  | { kind: 'match'; topic: string; ts: number; wait_ms: number | null }
  | { kind: 'session'; topic: string; ts: number }
  | { kind: 'escalation'; topic: string; ts: number }
  | { kind: 'response'; topic: string; ts: number; response_ms: number };

export interface FigureSource {
  /** Facts whose ts is in [fromTs, toTs). */
  facts(fromTs: number, toTs: number): Promise<FigureFact[]>;
}

/** The audit actions the requests/matching module records for figures. */
export const FIGURE_AUDIT_ACTIONS = {
  requestCreated: 'request.created',
  requestMatched: 'request.matched',
  sessionEnded: 'session.ended',
} as const;

const topicOf = (d: AuditDetails): string | null => (typeof d['topic'] === 'string' && d['topic'] !== '' ? d['topic'] : null);

export class AuditFigureSource implements FigureSource {
  private readonly store: FiguresStore;

  constructor(store: FiguresStore) {
    this.store = store;
  }

  async facts(fromTs: number, toTs: number): Promise<FigureFact[]> {
    const a = FIGURE_AUDIT_ACTIONS;
    const out: FigureFact[] = [];
    for (const e of await this.store.auditFacts([a.requestCreated, a.requestMatched, a.sessionEnded], fromTs, toTs)) {
      const topic = topicOf(e.details);
      if (topic === null) continue;
      if (e.action === a.requestCreated) out.push({ kind: 'request', topic, ts: e.ts });
      else if (e.action === a.sessionEnded) out.push({ kind: 'session', topic, ts: e.ts });
      else {
        const w = e.details['wait_ms'];
        out.push({ kind: 'match', topic, ts: e.ts, wait_ms: typeof w === 'number' && Number.isFinite(w) && w >= 0 ? w : null });
      }
    }
    return out;
  }
}

export class EscalationFigureSource implements FigureSource {
  private readonly store: EscalationStore;

  constructor(store: EscalationStore) {
    this.store = store;
  }

  async facts(fromTs: number, toTs: number): Promise<FigureFact[]> {
    const out: FigureFact[] = [];
    for (const e of await this.store.escalationFacts(fromTs, toTs)) {
      if (e.created_ts >= fromTs && e.created_ts < toTs) out.push({ kind: 'escalation', topic: e.topic, ts: e.created_ts });
      if (e.claimed_ts !== null && e.claimed_ts >= fromTs && e.claimed_ts < toTs) {
        out.push({ kind: 'response', topic: e.topic, ts: e.claimed_ts, response_ms: e.claimed_ts - e.created_ts });
      }
    }
    return out;
  }
}
