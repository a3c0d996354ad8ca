// Storage of supervision (issue #9): sessions a supporter flagged for a supervisor's review (a reason
// code, never words about the student), supporters' wellbeing breaks, and the debrief rooms the bot
// opened between a supporter and a supervisor. The caseload reads the matching tables as metadata
// only — never the student's user id, never a room id: the rows below have no field for either.
import type { AuditDraft } from '../core/audit-chain.ts';
import type { ReviewFlagReason } from '../../../protocol/src/event-type-names.ts';

export interface ReviewFlagRecord {
  flag_id: string;
  session_id: string;
  /** The supporter who flagged their own session. */
  supporter: string;
  reason_code: ReviewFlagReason;
  created_ts: number;
  reviewed_ts: number | null;
  reviewed_by: string | null;
}

export interface WellbeingBreakRecord {
  user_id: string;
  started_ts: number;
  /** The break ends by itself at this time; null = until the supporter resumes. */
  until_ts: number | null;
}

/**
 * opening: stored, the room is being made; open: the room exists and both are invited; failed: the
 * room could not be made (the supporter may ask again).
 */
export type DebriefStatus = 'opening' | 'open' | 'failed';

/** The debrief room's retention, kept with the bot's other rooms (matching_rooms, kind 'debrief') so the purge sweep empties it too. */
export interface DebriefRoomRetention {
  institutions: string[];
  created_ts: number;
  purge_after_ts: number;
}

export interface DebriefRecord {
  debrief_id: string;
  supporter: string;
  supervisor: string;
  /** The supporter's session it is about, if any. */
  session_id: string | null;
  room_id: string | null;
  status: DebriefStatus;
  created_ts: number;
}

/** One of a supporter's sessions as a supervisor may see it: metadata only. */
export interface CaseloadSessionRow {
  session_id: string;
  supporter: string;
  topic: string;
  /** host: our student; partner: a partner institution's student. */
  role: 'host' | 'partner';
  status: 'creating' | 'active' | 'ended' | 'failed';
  created_ts: number;
  ended_ts: number | null;
  /** The wrap-up outcome the session ended with (completed, referred, …, or a system outcome). */
  outcome: string | null;
  check_in_status: 'offered' | 'accepted' | 'declined' | 'started' | null;
  /** A consented escalation came out of this session. */
  escalated: boolean;
}

export class DuplicateFlagError extends Error {
  constructor() {
    super('this session already has a flag waiting for review');
  }
}

export interface SupervisionStore {
  // flags
  /** Inserts the flag with its audit entry; DuplicateFlagError while the session has an unreviewed flag. */
  insertFlag(f: ReviewFlagRecord, audit: AuditDraft): Promise<void>;
  flag(id: string): Promise<ReviewFlagRecord | undefined>;
  /** Newest first; `open` only unreviewed ones; `supporter` only theirs. */
  flags(opts: { open: boolean; supporter?: string; limit: number }): Promise<ReviewFlagRecord[]>;
  /** Marks an unreviewed flag reviewed with its audit entry; false when it was reviewed already (nothing written). */
  reviewFlag(id: string, by: string, now: number, audit: AuditDraft): Promise<boolean>;

  // wellbeing breaks
  wellbeingBreak(userId: string): Promise<WellbeingBreakRecord | undefined>;
  /** Breaks that have not ended by `now` (no until, or until after now). */
  breaksAt(now: number): Promise<WellbeingBreakRecord[]>;
  /** Starts (or changes) the supporter's break, with its audit entry. */
  putBreak(b: WellbeingBreakRecord, audit: AuditDraft): Promise<void>;
  /** Ends the break; false when there was none in force (nothing audited). */
  endBreak(userId: string, now: number, audit: AuditDraft): Promise<boolean>;

  // debriefs
  insertDebrief(d: DebriefRecord, audit: AuditDraft): Promise<void>;
  /**
   * opening → open with the room, and the room registered for the retention sweep in the same write;
   * undefined when it was not opening (nothing written).
   */
  openDebrief(id: string, roomId: string, retention: DebriefRoomRetention): Promise<DebriefRecord | undefined>;
  /** opening → failed (its room could not be made); false when it was not opening. */
  failDebrief(id: string): Promise<boolean>;
  debrief(id: string): Promise<DebriefRecord | undefined>;
  /** Debriefs the user takes part in (as supporter or supervisor), newest first. */
  debriefsOf(userId: string, limit: number): Promise<DebriefRecord[]>;

  // caseload (reads of the matching and escalation tables)
  /** The supporter's sessions started at or after `sinceTs`, newest first. */
  caseloadSessions(supporter: string, sinceTs: number, limit: number): Promise<CaseloadSessionRow[]>;
  /** One session's caseload row (any supporter). */
  caseloadSession(sessionId: string): Promise<CaseloadSessionRow | undefined>;
  /** Sessions started at or after `sinceTs` per supporter, failed ones not counted (the daily cap). */
  sessionsStartedSince(sinceTs: number): Promise<Map<string, number>>;
}

// The bridge-wide Store gains the supervision store (augmentation, so store.ts stays as it is).
declare module './store.ts' {
  interface Store {
    supervision: SupervisionStore;
  }
}
