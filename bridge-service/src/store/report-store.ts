// What the evaluation report (report/) reads beyond the figures' audit facts: who asked — only to
// count distinct students per week, never to list them — and escalations with their severity and
// response-time target. One query each, over a time window.
export interface ReportRequestFact {
  created_ts: number;
  topic: string;
  /** The asking student (null once erased); the report only counts distinct values. */
  student: string | null;
}

export interface ReportEscalationFact {
  topic: string;
  severity: string;
  created_ts: number;
  /** created_ts + the policy's target for the severity, fixed at creation. */
  due_ts: number;
  claimed_ts: number | null;
}

export interface ReportStore {
  /** Our own students' requests (origin local) created in [fromTs, toTs). */
  requestFacts(fromTs: number, toTs: number): Promise<ReportRequestFact[]>;
  /** Escalations created, or first claimed, in [fromTs, toTs). */
  escalationFacts(fromTs: number, toTs: number): Promise<ReportEscalationFact[]>;
}

// The bridge-wide Store gains the report store (augmentation, so store.ts stays as it is).
declare module './store.ts' {
  interface Store {
    report: ReportStore;
  }
}
