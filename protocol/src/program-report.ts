// The program report's wire format (issue #9), shared by the bridge that builds it and the web client
// that shows it. Plain types, no TypeBox: the web client imports this file. Every cell under the
// minimum count — and every cell that would reveal one by subtraction — arrives suppressed.

export interface ReportCell {
  section: string;
  /** ISO week 'YYYY-Www', or 'all' for the whole period. */
  week: string;
  /** Topic id, or 'all'. */
  topic: string;
  measure: string;
  /** null when suppressed. */
  value: number | null;
  suppressed: boolean;
}

export interface ProgramReport {
  from_week: string;
  to_week: string;
  /** Monday of the first week and Sunday of the last (local dates). */
  from: string;
  to: string;
  time_zone: string;
  minimum_cell_count: number;
  generated_ts: number;
  /** Training coverage is a snapshot on this local date (the report's day), not a weekly series. */
  training_as_of: string;
  weeks: string[];
  topics: { id: string; label: string }[];
  modules: { id: string; label: string }[];
  response_targets_minutes: Record<string, number>;
  /** False when the bridge keeps no feedback store: the feedback section is then empty. */
  feedback_available: boolean;
  themes: string[];
  cells: ReportCell[];
}
