// What aggregate figures read from storage: audit entries of chosen actions in a time window (the
// requests/matching module records its facts there; see figures/sources.ts for the action names).
import type { AuditDetails } from '../core/audit-chain.ts';

export interface AuditFact {
  ts: number;
  action: string;
  details: AuditDetails;
}

export interface FiguresStore {
  /** Audit entries whose action is one of `actions` and whose ts is in [fromTs, toTs), oldest first. */
  auditFacts(actions: readonly string[], fromTs: number, toTs: number): Promise<AuditFact[]>;
}

// The bridge-wide Store gains the figures store (augmentation, so store.ts stays as it is).
declare module './store.ts' {
  interface Store {
    figures: FiguresStore;
  }
}
