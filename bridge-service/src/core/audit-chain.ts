// The audit log's hash chain: every entry's hash covers its own fields and the previous entry's
// hash, in canonical JSON, so changing, inserting or deleting any entry breaks every later link.
// Pure functions: the store seals entries with them, the verifier re-computes them.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../protocol/src/canonical-json.ts';

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** Integers only (canonical JSON has no floats). */
export type AuditDetails = { [key: string]: JsonValue };

/** What a caller records: who did what to whom. Never message content, tokens or keys. */
export interface AuditDraft {
  /** Matrix user id of the actor, or `system`. */
  actor: string;
  /** Dotted verb, e.g. `roster.supporter.put`. */
  action: string;
  /** What the action was about (a user id, a room id, …), or null. */
  subject: string | null;
  details: AuditDetails;
}

export interface AuditEntry extends AuditDraft {
  seq: number;
  /** Milliseconds since the epoch. */
  ts: number;
  prev_hash: string;
  hash: string;
}

/** SHA-256 (hex) of the canonical JSON of every field except `hash`. */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  const fields = { seq: e.seq, ts: e.ts, actor: e.actor, action: e.action, subject: e.subject, details: e.details, prev_hash: e.prev_hash };
  return createHash('sha256').update(canonicalJson(fields), 'utf8').digest('hex');
}

/** Seals a draft as the entry after `prev` (null: the first entry). */
export function sealAuditEntry(draft: AuditDraft, ts: number, prev: { seq: number; hash: string } | null): AuditEntry {
  const unsealed = { ...draft, seq: prev ? prev.seq + 1 : 1, ts, prev_hash: prev ? prev.hash : GENESIS_HASH };
  return { ...unsealed, hash: auditEntryHash(unsealed) };
}

export interface ChainBreak {
  seq: number;
  reason: string;
}

/**
 * Checks entries in order, continuing from `prev` (the last verified entry, or null at the start).
 * Returns the first broken link, or null. Missing sequence numbers count as breaks (a deleted row).
 */
export function findChainBreak(entries: readonly AuditEntry[], prev: { seq: number; hash: string } | null): ChainBreak | null {
  let last = prev;
  for (const e of entries) {
    const expectedSeq = last ? last.seq + 1 : 1;
    if (e.seq !== expectedSeq) return { seq: expectedSeq, reason: `entry ${expectedSeq} is missing (next present is ${e.seq})` };
    const expectedPrev = last ? last.hash : GENESIS_HASH;
    if (e.prev_hash !== expectedPrev) return { seq: e.seq, reason: `prev_hash does not match the hash of entry ${e.seq - 1}` };
    let recomputed: string;
    try {
      recomputed = auditEntryHash(e);
    } catch (err) {
      return { seq: e.seq, reason: `entry cannot be canonicalised: ${(err as Error).message}` };
    }
    if (recomputed !== e.hash) return { seq: e.seq, reason: 'hash does not match the entry\'s fields (entry was altered)' };
    last = { seq: e.seq, hash: e.hash };
  }
  return null;
}
