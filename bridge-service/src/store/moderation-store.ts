// Storage of message reports in support groups: what a member reported (the room and event, a
// reason code, and only the text the reporter chose to share), who closed it, and when it is to be
// deleted under the group retention period. Moderation actions themselves live in the audit log.
import type { AuditDraft } from '../core/audit-chain.ts';

export const REPORT_REASONS = ['harassment', 'self-harm-risk', 'spam', 'other'] as const;
export type ReportReason = typeof REPORT_REASONS[number];

export interface ReportRecord {
  report_id: string;
  group_id: string;
  room_id: string;
  event_id: string;
  /** The sender of the reported event, as the homeserver knows it (metadata, not content). */
  reported_user_id: string;
  /** Never shown to anyone but the reporter themselves; moderators see the report without it. */
  reporter: string;
  reason_code: ReportReason;
  /** Only the plaintext the reporter chose to share; null when they shared none. */
  shared_text: string | null;
  created_ts: number;
  closed_ts: number | null;
  closed_by: string | null;
  /** The report (and its text) is deleted after this time. */
  purge_after_ts: number;
}

export class DuplicateReportError extends Error {
  constructor() {
    super('this member has already reported this message');
  }
}

export interface ModerationStore {
  /** Inserts the report with its audit entry; throws DuplicateReportError for a second report of one event by one member. */
  insertReport(r: ReportRecord, audit: AuditDraft): Promise<void>;
  report(id: string): Promise<ReportRecord | undefined>;
  /** Newest first; `open` only the ones not closed. */
  reportsOfGroup(groupId: string, opts: { open: boolean; limit: number }): Promise<ReportRecord[]>;
  /** Closes an open report with its audit entry; false when it was closed already (nothing written). */
  closeReport(id: string, by: string, now: number, audit: AuditDraft): Promise<boolean>;
  /** Deletes reports past their retention time; returns how many (audited as one entry when any). */
  purgeReports(now: number, audit: (count: number) => AuditDraft): Promise<number>;
}

// The bridge-wide Store gains the moderation store (augmentation, so store.ts stays as it is).
declare module './store.ts' {
  interface Store {
    moderation: ModerationStore;
  }
}
