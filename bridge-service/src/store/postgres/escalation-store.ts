// Consent keys, accepted receipts, escalations, their invites and response-time breaches in
// PostgreSQL, shared by several bridge replicas. Races between replicas are settled by the database:
// a receipt's nonce and id are UNIQUE (a replay, or two requests with one receipt, store it once);
// transitions are single conditional UPDATEs (a concurrent one waits on the row lock, re-checks its
// condition and changes nothing, so an escalation is claimed once); a user's key registrations are
// serialised by an advisory lock, with a partial unique index keeping one current key per user.
import type { AuditDraft, AuditEntry } from '../../core/audit-chain.ts';
import {
  ReceiptReplayError,
  type ConsentKeyRecord, type EscalationFact, type EscalationInvite, type EscalationPatch, type EscalationRecord,
  type EscalationStatus, type EscalationStore, type ResponseBreach, type StoredReceipt,
} from '../escalation-store.ts';
import type { SignedConsentReceipt } from '../../../../protocol/src/consent.ts';
import { SEVERITY_LEVELS, type SeverityLevel } from '../../../../protocol/src/common-schemas.ts';
import type { PgDatabase, PgMigration } from './database.ts';
import type { PgAuditStore } from './audit-store.ts';

export const pgEscalationMigrations: PgMigration[] = [{
  name: 'escalation/001-tables',
  sql: `
    CREATE TABLE consent_keys (
      key_id TEXT PRIMARY KEY,
      -- Insertion order: the tie-break among keys registered in one millisecond (SQLite's rowid).
      seq BIGINT GENERATED ALWAYS AS IDENTITY,
      user_id TEXT NOT NULL,
      public_key TEXT NOT NULL,
      registered_ts BIGINT NOT NULL,
      retired_ts BIGINT
    );
    CREATE INDEX consent_keys_by_user ON consent_keys(user_id);
    CREATE UNIQUE INDEX consent_keys_one_current ON consent_keys(user_id) WHERE retired_ts IS NULL;
    CREATE TABLE consent_receipts (
      receipt_id TEXT PRIMARY KEY,
      seq BIGINT GENERATED ALWAYS AS IDENTITY,
      nonce TEXT NOT NULL UNIQUE,
      student_user_id TEXT NOT NULL,
      key_id TEXT NOT NULL REFERENCES consent_keys(key_id),
      signed TEXT NOT NULL,
      receipt_sha256 TEXT NOT NULL,
      accepted_ts BIGINT NOT NULL,
      withdrawn_ts BIGINT,
      escalation_id TEXT NOT NULL UNIQUE
    );
    CREATE INDEX consent_receipts_by_student ON consent_receipts(student_user_id, accepted_ts);
    CREATE TABLE escalations (
      escalation_id TEXT PRIMARY KEY,
      receipt_id TEXT NOT NULL UNIQUE REFERENCES consent_receipts(receipt_id),
      student_user_id TEXT NOT NULL,
      peer_room_id TEXT NOT NULL,
      request_id TEXT NOT NULL,
      topic TEXT NOT NULL,
      severity TEXT NOT NULL,
      severity_rank INTEGER NOT NULL,
      room_id TEXT UNIQUE,
      status TEXT NOT NULL,
      created_ts BIGINT NOT NULL,
      due_ts BIGINT NOT NULL,
      claimed_by TEXT,
      claimed_ts BIGINT,
      counsellor_joined_ts BIGINT,
      closed_ts BIGINT,
      outcome TEXT,
      updated_ts BIGINT NOT NULL
    );
    CREATE INDEX escalations_by_urgency ON escalations(status, severity_rank DESC, created_ts);
    CREATE INDEX escalations_by_created ON escalations(created_ts);
    CREATE INDEX escalations_by_claimed ON escalations(claimed_ts);
    CREATE TABLE escalation_invites (
      escalation_id TEXT NOT NULL REFERENCES escalations(escalation_id),
      user_id TEXT NOT NULL,
      role TEXT NOT NULL,
      invited_ts BIGINT NOT NULL,
      joined_ts BIGINT,
      rescinded_ts BIGINT,
      PRIMARY KEY (escalation_id, user_id)
    );
    CREATE TABLE escalation_breaches (
      escalation_id TEXT PRIMARY KEY REFERENCES escalations(escalation_id),
      severity TEXT NOT NULL,
      created_ts BIGINT NOT NULL,
      due_ts BIGINT NOT NULL,
      detected_ts BIGINT NOT NULL
    );
    CREATE INDEX escalation_breaches_by_detected ON escalation_breaches(detected_ts);
  `,
}];

/** Advisory-lock namespace (two-key form: namespace, hash of the user id) for key registrations. */
const LOCK_CONSENT_KEYS = 7_401_003;
const UNIQUE_VIOLATION = '23505';
const REPLAY_CONSTRAINTS = new Set(['consent_receipts_pkey', 'consent_receipts_nonce_key']);

const KEY_COLUMNS = 'key_id, user_id, public_key, registered_ts, retired_ts';
const RECEIPT_COLUMNS = 'receipt_id, nonce, student_user_id, key_id, signed, receipt_sha256, accepted_ts, withdrawn_ts, escalation_id';
const ESCALATION_COLUMNS = `escalation_id, receipt_id, student_user_id, peer_room_id, request_id, topic, severity, room_id, status,
  created_ts, due_ts, claimed_by, claimed_ts, counsellor_joined_ts, closed_ts, outcome, updated_ts`;
const prefixed = (alias: string, columns: string): string => columns.split(',').map((c) => `${alias}.${c.trim()}`).join(', ');

interface ReceiptRow {
  receipt_id: string; nonce: string; student_user_id: string; key_id: string; signed: string;
  receipt_sha256: string; accepted_ts: number; withdrawn_ts: number | null; escalation_id: string;
}

const toReceipt = (r: ReceiptRow): StoredReceipt => ({ ...r, signed: JSON.parse(r.signed) as SignedConsentReceipt });
const rank = (s: SeverityLevel): number => SEVERITY_LEVELS.indexOf(s);
const PATCH_COLUMNS = ['status', 'room_id', 'claimed_by', 'claimed_ts', 'counsellor_joined_ts', 'closed_ts', 'outcome'] as const;

export class PgEscalationStore implements EscalationStore {
  private readonly db: PgDatabase;
  private readonly audit: PgAuditStore;

  constructor(db: PgDatabase, audit: PgAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  // ── consent keys ──

  consentKeys(userId: string): Promise<ConsentKeyRecord[]> {
    return this.db.query<ConsentKeyRecord>(`SELECT ${KEY_COLUMNS} FROM consent_keys WHERE user_id = $1 ORDER BY registered_ts, seq`, [userId]);
  }

  async consentKey(keyId: string): Promise<ConsentKeyRecord | undefined> {
    return (await this.db.query<ConsentKeyRecord>(`SELECT ${KEY_COLUMNS} FROM consent_keys WHERE key_id = $1`, [keyId]))[0];
  }

  registerConsentKey(rec: ConsentKeyRecord, audit: (retired: string | null) => AuditDraft): Promise<{ retired: string | null; entry: AuditEntry }> {
    return this.db.tx(async (q) => {
      // Two registrations for one user (from any replica) take turns: the second retires the first's key.
      await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CONSENT_KEYS, rec.user_id]);
      const [current] = await q.query<{ key_id: string }>('SELECT key_id FROM consent_keys WHERE user_id = $1 AND retired_ts IS NULL', [rec.user_id]);
      if (current) await q.execute('UPDATE consent_keys SET retired_ts = $1 WHERE key_id = $2', [rec.registered_ts, current.key_id]);
      await q.execute(
        'INSERT INTO consent_keys (key_id, user_id, public_key, registered_ts, retired_ts) VALUES ($1, $2, $3, $4, NULL)',
        [rec.key_id, rec.user_id, rec.public_key, rec.registered_ts],
      );
      const retired = current?.key_id ?? null;
      return { retired, entry: await this.audit.appendInTx(q, audit(retired), rec.registered_ts) };
    });
  }

  // ── receipts ──

  async receiptUsed(receiptId: string, nonce: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 AS x FROM consent_receipts WHERE receipt_id = $1 OR nonce = $2', [receiptId, nonce])).length > 0;
  }

  async acceptReceipt(r: StoredReceipt, e: EscalationRecord, audit: AuditDraft): Promise<AuditEntry> {
    try {
      return await this.db.tx(async (q) => {
        if ((await q.query('SELECT 1 AS x FROM consent_receipts WHERE receipt_id = $1 OR nonce = $2', [r.receipt_id, r.nonce])).length > 0) throw new ReceiptReplayError();
        // A concurrent transaction with the same receipt waits here on the unique index, then fails.
        await q.execute(
          `INSERT INTO consent_receipts (${RECEIPT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [r.receipt_id, r.nonce, r.student_user_id, r.key_id, JSON.stringify(r.signed), r.receipt_sha256, r.accepted_ts, r.withdrawn_ts, r.escalation_id],
        );
        await q.execute(
          `INSERT INTO escalations (${ESCALATION_COLUMNS}, severity_rank)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
          [e.escalation_id, e.receipt_id, e.student_user_id, e.peer_room_id, e.request_id, e.topic, e.severity, e.room_id, e.status,
            e.created_ts, e.due_ts, e.claimed_by, e.claimed_ts, e.counsellor_joined_ts, e.closed_ts, e.outcome, e.updated_ts, rank(e.severity)],
        );
        return this.audit.appendInTx(q, audit, r.accepted_ts);
      });
    } catch (err) {
      const pgErr = err as { code?: string; constraint?: string };
      if (pgErr.code === UNIQUE_VIOLATION && pgErr.constraint !== undefined && REPLAY_CONSTRAINTS.has(pgErr.constraint)) throw new ReceiptReplayError();
      throw err;
    }
  }

  async receipt(receiptId: string): Promise<StoredReceipt | undefined> {
    const [row] = await this.db.query<ReceiptRow>(`SELECT ${RECEIPT_COLUMNS} FROM consent_receipts WHERE receipt_id = $1`, [receiptId]);
    return row ? toReceipt(row) : undefined;
  }

  async receiptsOf(userId: string): Promise<StoredReceipt[]> {
    return (await this.db.query<ReceiptRow>(
      `SELECT ${RECEIPT_COLUMNS} FROM consent_receipts WHERE student_user_id = $1 ORDER BY accepted_ts DESC, seq DESC`, [userId],
    )).map(toReceipt);
  }

  withdraw(receiptId: string, from: readonly EscalationStatus[], now: number, audit: AuditDraft): Promise<EscalationRecord | undefined> {
    return this.db.tx(async (q) => {
      // The row lock makes a concurrent withdrawal wait, then find the receipt withdrawn.
      const [r] = await q.query<{ escalation_id: string }>('SELECT escalation_id FROM consent_receipts WHERE receipt_id = $1 AND withdrawn_ts IS NULL FOR UPDATE', [receiptId]);
      if (!r) return undefined;
      const [updated] = await q.query<EscalationRecord>(
        `UPDATE escalations SET status = 'withdrawn', closed_ts = $1, updated_ts = $1
         WHERE escalation_id = $2 AND status = ANY($3::text[]) RETURNING ${ESCALATION_COLUMNS}`,
        [now, r.escalation_id, [...from]],
      );
      if (!updated) return undefined;
      await q.execute('UPDATE consent_receipts SET withdrawn_ts = $1 WHERE receipt_id = $2', [now, receiptId]);
      await this.audit.appendInTx(q, audit, now);
      return updated;
    });
  }

  // ── escalations ──

  async escalation(id: string): Promise<EscalationRecord | undefined> {
    return (await this.db.query<EscalationRecord>(`SELECT ${ESCALATION_COLUMNS} FROM escalations WHERE escalation_id = $1`, [id]))[0];
  }

  async escalationByRoom(roomId: string): Promise<EscalationRecord | undefined> {
    return (await this.db.query<EscalationRecord>(`SELECT ${ESCALATION_COLUMNS} FROM escalations WHERE room_id = $1`, [roomId]))[0];
  }

  async escalationsByUrgency(statuses: readonly EscalationStatus[]): Promise<EscalationRecord[]> {
    if (statuses.length === 0) return [];
    // COLLATE "C": SQLite's byte order for the last tie-break, whatever the database's locale.
    return this.db.query<EscalationRecord>(
      `SELECT ${ESCALATION_COLUMNS} FROM escalations WHERE status = ANY($1::text[])
       ORDER BY severity_rank DESC, created_ts ASC, escalation_id COLLATE "C" ASC`,
      [[...statuses]],
    );
  }

  transition(id: string, expect: { status: readonly EscalationStatus[]; claimed_by?: string }, patch: EscalationPatch, now: number, audit: AuditDraft | null): Promise<EscalationRecord | undefined> {
    return this.db.tx(async (q) => {
      const values: unknown[] = [now];
      const sets: string[] = ['updated_ts = $1'];
      for (const col of PATCH_COLUMNS) {
        if (!(col in patch)) continue;
        values.push(patch[col] ?? null);
        sets.push(`${col} = $${values.length}`);
      }
      values.push(id, [...expect.status]);
      let where = `escalation_id = $${values.length - 1} AND status = ANY($${values.length}::text[])`;
      if (expect.claimed_by !== undefined) {
        values.push(expect.claimed_by);
        where += ` AND claimed_by = $${values.length}`;
      }
      // One statement: a concurrent transition of the same escalation (another replica's claim) waits
      // for this one, re-checks the WHERE against the committed row, and matches nothing.
      const [updated] = await q.query<EscalationRecord>(`UPDATE escalations SET ${sets.join(', ')} WHERE ${where} RETURNING ${ESCALATION_COLUMNS}`, values);
      if (!updated) return undefined;
      if (audit) await this.audit.appendInTx(q, audit, now);
      return updated;
    });
  }

  invites(escalationId: string): Promise<EscalationInvite[]> {
    return this.db.query<EscalationInvite>(
      'SELECT escalation_id, user_id, role, invited_ts, joined_ts, rescinded_ts FROM escalation_invites WHERE escalation_id = $1 ORDER BY invited_ts, user_id COLLATE "C"',
      [escalationId],
    );
  }

  async putInvite(inv: EscalationInvite): Promise<void> {
    await this.db.execute(
      `INSERT INTO escalation_invites (escalation_id, user_id, role, invited_ts, joined_ts, rescinded_ts) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (escalation_id, user_id) DO UPDATE SET invited_ts = excluded.invited_ts, rescinded_ts = excluded.rescinded_ts`,
      [inv.escalation_id, inv.user_id, inv.role, inv.invited_ts, inv.joined_ts, inv.rescinded_ts],
    );
  }

  async markInviteJoined(escalationId: string, userId: string, ts: number): Promise<boolean> {
    return (await this.db.execute(
      'UPDATE escalation_invites SET joined_ts = $1 WHERE escalation_id = $2 AND user_id = $3 AND joined_ts IS NULL', [ts, escalationId, userId],
    )) > 0;
  }

  async markInviteRescinded(escalationId: string, userId: string, ts: number): Promise<void> {
    await this.db.execute('UPDATE escalation_invites SET rescinded_ts = $1 WHERE escalation_id = $2 AND user_id = $3', [ts, escalationId, userId]);
  }

  // ── response targets ──

  overdueWithoutBreach(now: number): Promise<EscalationRecord[]> {
    return this.db.query<EscalationRecord>(
      `SELECT ${prefixed('e', ESCALATION_COLUMNS)} FROM escalations e LEFT JOIN escalation_breaches b ON b.escalation_id = e.escalation_id
       WHERE b.escalation_id IS NULL AND e.due_ts < COALESCE(e.claimed_ts, e.closed_ts, $1)
       ORDER BY e.due_ts, e.escalation_id COLLATE "C"`,
      [now],
    );
  }

  async recordBreach(b: ResponseBreach, audit: AuditDraft): Promise<boolean> {
    return this.db.tx(async (q) => {
      // Two replicas' monitors detecting one breach: the second waits on the key, then inserts nothing.
      const inserted = await q.execute(
        'INSERT INTO escalation_breaches (escalation_id, severity, created_ts, due_ts, detected_ts) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
        [b.escalation_id, b.severity, b.created_ts, b.due_ts, b.detected_ts],
      );
      if (inserted === 0) return false;
      await this.audit.appendInTx(q, audit, b.detected_ts);
      return true;
    });
  }

  breaches(limit: number, beforeDetectedTs?: number): Promise<(ResponseBreach & { status: EscalationStatus; claimed_ts: number | null; claimed_by: string | null })[]> {
    return this.db.query(
      `SELECT b.escalation_id, b.severity, b.created_ts, b.due_ts, b.detected_ts, e.status, e.claimed_ts, e.claimed_by
       FROM escalation_breaches b JOIN escalations e ON e.escalation_id = b.escalation_id
       WHERE b.detected_ts < $1 ORDER BY b.detected_ts DESC, b.escalation_id COLLATE "C" LIMIT $2`,
      [beforeDetectedTs ?? Number.MAX_SAFE_INTEGER, limit],
    );
  }

  // ── figures ──

  escalationFacts(fromTs: number, toTs: number): Promise<EscalationFact[]> {
    return this.db.query<EscalationFact>(
      `SELECT topic, created_ts, claimed_ts FROM escalations
       WHERE (created_ts >= $1 AND created_ts < $2) OR (claimed_ts >= $1 AND claimed_ts < $2)
       ORDER BY created_ts, escalation_id COLLATE "C"`,
      [fromTs, toTs],
    );
  }
}
