// The bridge's storage contract: one interface per domain, all asynchronous so that a PostgreSQL
// implementation (several stateless bridge instances) can follow the SQLite one. Writes that must
// be audited take the audit draft and append it in the same transaction — an admin change without
// its audit entry (or the reverse) can never be committed.
//
// Modules that follow (requests/matching, rooms, consent/escalation) add their own interface here
// and a `Sqlite…Store` beside the others, reusing `SqliteDatabase` and the audit appender.
import type { AuditDraft, AuditEntry } from '../core/audit-chain.ts';
import type { Schedule } from '../../../protocol/src/policy.ts';

// ── roster ──────────────────────────────────────────────────────────────────────────────────────

export interface TrainingRecord {
  module: string;
  version: number;
  /** 'YYYY-MM-DD' */
  completed: string;
  /** 'YYYY-MM-DD'; null = completed + the module's valid_days in the policy. */
  expires: string | null;
  /** Percent of the module's final check answered correctly, when taken in the app; absent when an admin recorded it. */
  score?: number;
}

export interface SupporterRecord {
  user_id: string;
  topics: string[];
  training: TrainingRecord[];
  /** Concurrent sessions; null = the policy's default capacity. */
  capacity: number | null;
  active: boolean;
  updated_ts: number;
  updated_by: string;
}

export interface CounsellorRecord {
  user_id: string;
  /** Roster team; escalations go to the team the policy names. */
  team: string;
  /** Personal on-duty schedule; null = the policy's on-duty hours. */
  on_duty: Schedule | null;
  active: boolean;
  updated_ts: number;
  updated_by: string;
}

export interface AdminRecord {
  user_id: string;
  added_ts: number;
  added_by: string;
}

export interface RosterStore {
  supporter(userId: string): Promise<SupporterRecord | undefined>;
  supporters(): Promise<SupporterRecord[]>;
  putSupporter(rec: SupporterRecord, audit: AuditDraft): Promise<AuditEntry>;
  /**
   * Replaces the supporter's records of one module with `record` (a completion in the app), touching
   * nothing else of their entry — a concurrent admin change to topics, capacity or the active flag
   * stays. Undefined when there is no such supporter (nothing written or audited).
   */
  recordTraining(userId: string, record: TrainingRecord, audit: AuditDraft, now: number, by: string): Promise<AuditEntry | undefined>;
  /** Undefined when there was no such supporter (nothing audited). */
  removeSupporter(userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined>;

  counsellor(userId: string): Promise<CounsellorRecord | undefined>;
  counsellors(): Promise<CounsellorRecord[]>;
  putCounsellor(rec: CounsellorRecord, audit: AuditDraft): Promise<AuditEntry>;
  removeCounsellor(userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined>;

  admin(userId: string): Promise<AdminRecord | undefined>;
  admins(): Promise<AdminRecord[]>;
  putAdmin(rec: AdminRecord, audit: AuditDraft): Promise<AuditEntry>;
  removeAdmin(userId: string, audit: AuditDraft, now: number): Promise<AuditEntry | undefined>;
}

// ── sessions ────────────────────────────────────────────────────────────────────────────────────

export interface SessionRow {
  /** SHA-256 of the bearer token; the token itself is never stored. */
  token_hash: string;
  /** Stable across rotations: one sign-in. */
  session_id: string;
  user_id: string;
  created_ts: number;
  expires_ts: number;
  /** No rotation extends a session past this; then the client signs in again. */
  family_expires_ts: number;
  replaced_ts: number | null;
  revoked_ts: number | null;
}

export interface SessionStore {
  insert(row: SessionRow): Promise<void>;
  byTokenHash(tokenHash: string): Promise<SessionRow | undefined>;
  /** Marks `oldHash` replaced and inserts `next`, only if the old token is still current; false otherwise. */
  rotate(oldHash: string, next: SessionRow, now: number): Promise<boolean>;
  /** Revokes every token of one sign-in; returns how many were live. */
  revokeSession(sessionId: string, now: number): Promise<number>;
  revokeUser(userId: string, now: number): Promise<number>;
  /** Deletes rows whose sign-in ended before `now`. */
  purgeExpired(now: number): Promise<number>;
}

// ── audit ───────────────────────────────────────────────────────────────────────────────────────

export interface AuditStore {
  append(draft: AuditDraft, now: number): Promise<AuditEntry>;
  /** Entries with seq ≥ fromSeq, ascending. */
  range(fromSeq: number, limit: number): Promise<AuditEntry[]>;
  /** Entries with seq < beforeSeq (or the newest), descending. */
  latest(limit: number, beforeSeq?: number): Promise<AuditEntry[]>;
  head(): Promise<{ seq: number; hash: string } | null>;
}

// ── application-service transactions ────────────────────────────────────────────────────────────

export interface AppserviceEventRef {
  event_id: string;
  room_id: string;
  type: string;
}

export interface AppserviceStats {
  transactions_completed: number;
  /** Deliveries of already-completed transactions (acknowledged, not processed again). */
  redeliveries: number;
  events_handled: number;
  /** Should stay 0: an event whose handlers ran more than once. */
  events_handled_more_than_once: number;
  dead_letters: number;
}

export interface AppserviceTxnStore {
  /** Records a delivery; `completed` when the transaction was already fully processed. */
  noteDelivery(txnId: string, now: number): Promise<'new' | 'completed'>;
  completeTxn(txnId: string, eventCount: number, now: number): Promise<void>;
  eventDone(eventId: string): Promise<boolean>;
  markEventHandled(ev: AppserviceEventRef, txnId: string, now: number): Promise<void>;
  /** Counts a failed attempt; after `maxAttempts` the event is dead-lettered (skipped from then on). */
  recordEventFailure(ev: AppserviceEventRef, txnId: string, error: string, maxAttempts: number, now: number): Promise<{ failures: number; deadLettered: boolean }>;
  stats(): Promise<AppserviceStats>;
}

// ── the whole ───────────────────────────────────────────────────────────────────────────────────

/** Wake-ups between bridge replicas sharing one database (absent for a single-process store). */
export interface ReplicaSignals {
  /** Tells the other replicas that something about `key` changed. */
  publish(key: string): void;
  /** Calls `fn` for every key another replica published; returns the unsubscribe function. */
  subscribe(fn: (key: string) => void): () => void;
}

export interface Store {
  /** Present when other bridge processes may share this store. */
  signals?: ReplicaSignals;
  roster: RosterStore;
  sessions: SessionStore;
  audit: AuditStore;
  appservice: AppserviceTxnStore;
  /** Throws when the store cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Domain stores of the modules (each file also adds its field to `Store`).
export type * from './escalation-store.ts';
export type * from './feedback-store.ts';
export type * from './figures-store.ts';
export type * from './matching-store.ts';
export type * from './moderation-store.ts';
export type * from './supervision-store.ts';
export type * from './report-store.ts';
