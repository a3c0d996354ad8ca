// Shared by the report's tests and its benchmark (excluded from the build): seeds a store with a
// program's worth of facts through the stores' own write paths — requests with their audit fact,
// matches and session ends as audit facts, escalations with their receipts, anonymous feedback — so
// the report reads them exactly as it reads the real ones. Deterministic for a given seed.
import type { Store } from '../store/store.ts';
import type { RequestRow } from '../store/matching-store.ts';
import type { EscalationRecord, StoredReceipt } from '../store/escalation-store.ts';
import { isoWeekOf, localDate } from '../figures/iso-week.ts';
import { FEEDBACK_THEMES } from '../../../protocol/src/feedback.ts';

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** mulberry32: a small seeded generator. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type SeedStore = Pick<Store, 'audit' | 'matching' | 'escalation'> & { feedback?: Store['feedback'] | undefined };

export interface ProgramSeed {
  fromTs: number;
  days: number;
  sessions: number;
  topics: string[];
  students: number;
  timeZone: string;
  /** Minutes per severity (the policy's response targets). */
  targets: Record<string, number>;
  server?: string;
  seed?: number;
  /** Share of sessions that escalate (default 3 %). */
  escalationShare?: number;
  /** Share of sessions with feedback, when the store has a feedback store (default 40 %). */
  feedbackShare?: number;
}

export interface SeedCounts { requests: number; sessions: number; escalations: number; feedback: number }

/** A request row for our own student, waiting (the report reads only its topic, time and student). */
export function requestRow(id: string, student: string, topic: string, ts: number, server = 'a.example'): RequestRow {
  return {
    id, origin: 'local', student, institution: server, remote_id: null, topic, language: null, region: null, minor: false, status: 'expired',
    created_ts: ts, queued_ts: ts, updated_ts: ts, expires_ts: ts + 3_600_000, matched_ts: null, closed_ts: null, close_reason: null, session_id: null,
  };
}

/** An escalation with its receipt and, unless `claimedTs` is null, its first claim. */
export async function seedEscalation(store: SeedStore, e: { id: string; student: string; topic: string; severity: string; createdTs: number; dueTs: number; claimedTs: number | null }): Promise<void> {
  const keyId = `ed25519:key-${e.student}`;
  if (!(await store.escalation.consentKey(keyId))) {
    await store.escalation.registerConsentKey({ key_id: keyId, user_id: e.student, public_key: 'x'.repeat(43), registered_ts: e.createdTs, retired_ts: null },
      () => ({ actor: e.student, action: 'consent.key.registered', subject: keyId, details: {} }));
  }
  const receipt: StoredReceipt = {
    receipt_id: `rcpt-${e.id}`, nonce: `nonce-${e.id}`, student_user_id: e.student, key_id: keyId, signed: {} as StoredReceipt['signed'],
    receipt_sha256: '0'.repeat(64), accepted_ts: e.createdTs, withdrawn_ts: null, escalation_id: e.id,
  };
  const record: EscalationRecord = {
    escalation_id: e.id, receipt_id: receipt.receipt_id, student_user_id: e.student, peer_room_id: `!peer-${e.id}:a.example`, request_id: `req-${e.id}`,
    topic: e.topic, severity: e.severity as EscalationRecord['severity'], room_id: null, status: e.claimedTs === null ? 'queued' : 'claimed',
    created_ts: e.createdTs, due_ts: e.dueTs, claimed_by: e.claimedTs === null ? null : '@coun:a.example', claimed_ts: e.claimedTs,
    counsellor_joined_ts: null, closed_ts: null, outcome: null, updated_ts: e.claimedTs ?? e.createdTs,
  };
  await store.escalation.acceptReceipt(receipt, record, { actor: 'system', action: 'escalation.created', subject: e.id, details: { topic: e.topic } });
}

/** Seeds `sessions` matched and ended sessions over `days` days, plus unmatched requests, escalations and feedback. */
export async function seedProgram(store: SeedStore, o: ProgramSeed): Promise<SeedCounts> {
  const rnd = seededRandom(o.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const server = o.server ?? 'a.example';
  const counts: SeedCounts = { requests: 0, sessions: 0, escalations: 0, feedback: 0 };
  const span = o.days * DAY_MS - 3 * 3_600_000;
  const unmatched = Math.round(o.sessions * 0.15);
  for (let i = 0; i < o.sessions + unmatched; i++) {
    const id = `seed-${i}`;
    const topic = pick(o.topics);
    const student = `@s-${Math.floor(rnd() * o.students)}:${server}`;
    const created = o.fromTs + Math.floor(rnd() * span);
    await store.matching.insertRequest(requestRow(id, student, topic, created, server), {
      facts: [{ actor: 'system', action: 'request.created', subject: id, details: { request_id: id, topic, minor: false } }],
    });
    counts.requests++;
    if (i >= o.sessions) continue;
    const wait = Math.floor(10_000 + rnd() * 20 * MIN_MS);
    const scope = rnd() < 0.1 ? 'partner' : 'institution';
    await store.audit.append({ actor: 'system', action: 'request.matched', subject: id, details: { request_id: id, topic, wait_ms: wait, scope } }, created + wait);
    const duration = Math.floor(10 * MIN_MS + rnd() * 50 * MIN_MS);
    const ended = created + wait + duration;
    await store.audit.append({ actor: 'system', action: 'session.ended', subject: `ps-${id}`, details: { request_id: id, topic, outcome: 'completed', duration_ms: duration, check_in_offered: false } }, ended);
    counts.sessions++;
    if (rnd() < (o.escalationShare ?? 0.03)) {
      const severity = pick(SEVERITIES);
      const target = (o.targets[severity] ?? 60) * MIN_MS;
      const response = rnd() < 0.1 ? null : Math.floor(rnd() * target * 1.5);
      await seedEscalation(store, { id: `esc-${i}`, student, topic, severity, createdTs: ended - MIN_MS, dueTs: ended - MIN_MS + target, claimedTs: response === null ? null : ended - MIN_MS + response });
      counts.escalations++;
    }
    if (store.feedback && rnd() < (o.feedbackShare ?? 0.4)) {
      const week = isoWeekOf(localDate(ended, o.timeZone));
      const themes = FEEDBACK_THEMES.filter(() => rnd() < 0.3);
      await store.feedback.submit({ nonce_hash: `nonce-${i}`, ticket_week: week }, {
        week, topic, supporter: null, helpfulness: (1 + Math.floor(rnd() * 5)) as 1 | 2 | 3 | 4 | 5, felt_safe: rnd() < 0.9, themes,
      }, ended);
      counts.feedback++;
    }
  }
  return counts;
}
