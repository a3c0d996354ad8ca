// Consent keys, accepted receipts, escalations, their invites and response-time breaches in SQLite.
// The receipt's nonce and id are UNIQUE, so a replay is refused by the database itself — after a
// restart, and when two requests race with one receipt. Audited changes append their audit entry
// in the same transaction.
import type { AuditDraft, AuditEntry } from '../../core/audit-chain.ts';
import {
  ReceiptReplayError,
  type ConsentKeyRecord, type EscalationFact, type EscalationInvite, type EscalationPatch, type EscalationRecord,
  type EscalationStatus, type EscalationStore, type ResponseBreach, type StoredReceipt,
} from '../escalation-store.ts';
import type { SignedConsentReceipt } from '../../../../protocol/src/consent.ts';
import { SEVERITY_LEVELS, type SeverityLevel } from '../../../../protocol/src/common-schemas.ts';
import type { Migration, SqlValue, SqliteDatabase } from './database.ts';
import type { SqliteAuditStore } from './audit-store.ts';

export const escalationMigrations: Migration[] = [{
  name: 'escalation/001-tables',
  sql: `
    CREATE TABLE consent_keys (
      key_id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      public_key TEXT NOT NULL,
      registered_ts INTEGER NOT NULL,
      retired_ts INTEGER
    );
    CREATE INDEX consent_keys_by_user ON consent_keys(user_id);
    CREATE TABLE consent_receipts (
      receipt_id TEXT PRIMARY KEY,
      nonce TEXT NOT NULL UNIQUE,
      student_user_id TEXT NOT NULL,
      key_id TEXT NOT NULL REFERENCES consent_keys(key_id),
      signed TEXT NOT NULL,
      receipt_sha256 TEXT NOT NULL,
      accepted_ts INTEGER NOT NULL,
      withdrawn_ts INTEGER,
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
      created_ts INTEGER NOT NULL,
      due_ts INTEGER NOT NULL,
      claimed_by TEXT,
      claimed_ts INTEGER,
      counsellor_joined_ts INTEGER,
      closed_ts INTEGER,
      outcome TEXT,
      updated_ts INTEGER NOT NULL
    );
    CREATE INDEX escalations_by_urgency ON escalations(status, severity_rank DESC, created_ts);
    CREATE INDEX escalations_by_created ON escalations(created_ts);
    CREATE TABLE escalation_invites (
      escalation_id TEXT NOT NULL REFERENCES escalations(escalation_id),
      user_id TEXT NOT NULL,
      role TEXT NOT NULL,
      invited_ts INTEGER NOT NULL,
      joined_ts INTEGER,
      rescinded_ts INTEGER,
      PRIMARY KEY (escalation_id, user_id)
    );
    CREATE TABLE escalation_breaches (
      escalation_id TEXT PRIMARY KEY REFERENCES escalations(escalation_id),
      severity TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      due_ts INTEGER NOT NULL,
      detected_ts INTEGER NOT NULL
    );
    CREATE INDEX escalation_breaches_by_detected ON escalation_breaches(detected_ts);
  `,
}];

interface ReceiptRow {
  receipt_id: string; nonce: string; student_user_id: string; key_id: string; signed: string;
  receipt_sha256: string; accepted_ts: number; withdrawn_ts: number | null; escalation_id: string;
}

type EscalationRow = EscalationRecord & { severity_rank: number };

const toReceipt = (r: ReceiptRow): StoredReceipt => ({ ...r, signed: JSON.parse(r.signed) as SignedConsentReceipt });

function toEscalation(r: EscalationRow): EscalationRecord {
  const { severity_rank: _rank, ...rec } = r;
  return rec;
}

const rank = (s: SeverityLevel): number => SEVERITY_LEVELS.indexOf(s);
const PATCH_COLUMNS = ['status', 'room_id', 'claimed_by', 'claimed_ts', 'counsellor_joined_ts', 'closed_ts', 'outcome'] as const;

export class SqliteEscalationStore implements EscalationStore {
  private readonly db: SqliteDatabase;
  private readonly audit: SqliteAuditStore;

  constructor(db: SqliteDatabase, audit: SqliteAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  // ── consent keys ──

  async consentKeys(userId: string): Promise<ConsentKeyRecord[]> {
    return this.db.all<ConsentKeyRecord>('SELECT * FROM consent_keys WHERE user_id = ? ORDER BY registered_ts, rowid', userId);
  }

  async consentKey(keyId: string): Promise<ConsentKeyRecord | undefined> {
    return this.db.get<ConsentKeyRecord>('SELECT * FROM consent_keys WHERE key_id = ?', keyId);
  }

  registerConsentKey(rec: ConsentKeyRecord, audit: (retired: string | null) => AuditDraft): Promise<{ retired: string | null; entry: AuditEntry }> {
    return this.db.write(() => {
      const current = this.db.get<{ key_id: string }>('SELECT key_id FROM consent_keys WHERE user_id = ? AND retired_ts IS NULL', rec.user_id);
      if (current) this.db.run('UPDATE consent_keys SET retired_ts = ? WHERE key_id = ?', rec.registered_ts, current.key_id);
      this.db.run(
        'INSERT INTO consent_keys (key_id, user_id, public_key, registered_ts, retired_ts) VALUES (?, ?, ?, ?, NULL)',
        rec.key_id, rec.user_id, rec.public_key, rec.registered_ts,
      );
      const retired = current?.key_id ?? null;
      return { retired, entry: this.audit.appendInWrite(audit(retired), rec.registered_ts) };
    });
  }

  // ── receipts ──

  async receiptUsed(receiptId: string, nonce: string): Promise<boolean> {
    return this.db.get('SELECT 1 AS x FROM consent_receipts WHERE receipt_id = ? OR nonce = ?', receiptId, nonce) !== undefined;
  }

  acceptReceipt(r: StoredReceipt, e: EscalationRecord, audit: AuditDraft): Promise<AuditEntry> {
    return this.db.write(() => {
      // Checked inside the write: two requests with one receipt cannot both pass.
      if (this.db.get('SELECT 1 AS x FROM consent_receipts WHERE receipt_id = ? OR nonce = ?', r.receipt_id, r.nonce)) throw new ReceiptReplayError();
      this.db.run(
        `INSERT INTO consent_receipts (receipt_id, nonce, student_user_id, key_id, signed, receipt_sha256, accepted_ts, withdrawn_ts, escalation_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.receipt_id, r.nonce, r.student_user_id, r.key_id, JSON.stringify(r.signed), r.receipt_sha256, r.accepted_ts, r.withdrawn_ts, r.escalation_id,
      );
      this.db.run(
        `INSERT INTO escalations (escalation_id, receipt_id, student_user_id, peer_room_id, request_id, topic, severity, severity_rank, room_id,
           status, created_ts, due_ts, claimed_by, claimed_ts, counsellor_joined_ts, closed_ts, outcome, updated_ts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        e.escalation_id, e.receipt_id, e.student_user_id, e.peer_room_id, e.request_id, e.topic, e.severity, rank(e.severity), e.room_id,
        e.status, e.created_ts, e.due_ts, e.claimed_by, e.claimed_ts, e.counsellor_joined_ts, e.closed_ts, e.outcome, e.updated_ts,
      );
      return this.audit.appendInWrite(audit, r.accepted_ts);
    });
  }

  async receipt(receiptId: string): Promise<StoredReceipt | undefined> {
    const row = this.db.get<ReceiptRow>('SELECT * FROM consent_receipts WHERE receipt_id = ?', receiptId);
    return row ? toReceipt(row) : undefined;
  }

  async receiptsOf(userId: string): Promise<StoredReceipt[]> {
    return this.db.all<ReceiptRow>('SELECT * FROM consent_receipts WHERE student_user_id = ? ORDER BY accepted_ts DESC, rowid DESC', userId).map(toReceipt);
  }

  withdraw(receiptId: string, from: readonly EscalationStatus[], now: number, audit: AuditDraft): Promise<EscalationRecord | undefined> {
    return this.db.write(() => {
      const r = this.db.get<ReceiptRow>('SELECT * FROM consent_receipts WHERE receipt_id = ? AND withdrawn_ts IS NULL', receiptId);
      if (!r) return undefined;
      const { changes } = this.db.run(
        `UPDATE escalations SET status = 'withdrawn', closed_ts = ?, updated_ts = ?
         WHERE escalation_id = ? AND status IN (${from.map(() => '?').join(', ')})`,
        now, now, r.escalation_id, ...from,
      );
      if (changes === 0) return undefined;
      this.db.run('UPDATE consent_receipts SET withdrawn_ts = ? WHERE receipt_id = ?', now, receiptId);
      this.audit.appendInWrite(audit, now);
      return toEscalation(this.db.get<EscalationRow>('SELECT * FROM escalations WHERE escalation_id = ?', r.escalation_id)!);
    });
  }

  // ── escalations ──

  async escalation(id: string): Promise<EscalationRecord | undefined> {
    const row = this.db.get<EscalationRow>('SELECT * FROM escalations WHERE escalation_id = ?', id);
    return row ? toEscalation(row) : undefined;
  }

  async escalationByRoom(roomId: string): Promise<EscalationRecord | undefined> {
    const row = this.db.get<EscalationRow>('SELECT * FROM escalations WHERE room_id = ?', roomId);
    return row ? toEscalation(row) : undefined;
  }

  async escalationsByUrgency(statuses: readonly EscalationStatus[]): Promise<EscalationRecord[]> {
    if (statuses.length === 0) return [];
    return this.db.all<EscalationRow>(
      `SELECT * FROM escalations WHERE status IN (${statuses.map(() => '?').join(', ')})
       ORDER BY severity_rank DESC, created_ts ASC, escalation_id ASC`,
      ...statuses,
    ).map(toEscalation);
  }

  transition(id: string, expect: { status: readonly EscalationStatus[]; claimed_by?: string }, patch: EscalationPatch, now: number, audit: AuditDraft | null): Promise<EscalationRecord | undefined> {
    return this.db.write(() => {
      const sets: string[] = ['updated_ts = ?'];
      const values: SqlValue[] = [now];
      for (const col of PATCH_COLUMNS) {
        if (!(col in patch)) continue;
        sets.push(`${col} = ?`);
        values.push(patch[col] ?? null);
      }
      let where = `escalation_id = ? AND status IN (${expect.status.map(() => '?').join(', ')})`;
      values.push(id, ...expect.status);
      if (expect.claimed_by !== undefined) {
        where += ' AND claimed_by = ?';
        values.push(expect.claimed_by);
      }
      const { changes } = this.db.run(`UPDATE escalations SET ${sets.join(', ')} WHERE ${where}`, ...values);
      if (changes === 0) return undefined;
      if (audit) this.audit.appendInWrite(audit, now);
      return toEscalation(this.db.get<EscalationRow>('SELECT * FROM escalations WHERE escalation_id = ?', id)!);
    });
  }

  async invites(escalationId: string): Promise<EscalationInvite[]> {
    return this.db.all<EscalationInvite>('SELECT * FROM escalation_invites WHERE escalation_id = ? ORDER BY invited_ts, user_id', escalationId);
  }

  putInvite(inv: EscalationInvite): Promise<void> {
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO escalation_invites (escalation_id, user_id, role, invited_ts, joined_ts, rescinded_ts) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (escalation_id, user_id) DO UPDATE SET invited_ts = excluded.invited_ts, rescinded_ts = excluded.rescinded_ts`,
        inv.escalation_id, inv.user_id, inv.role, inv.invited_ts, inv.joined_ts, inv.rescinded_ts,
      );
    });
  }

  markInviteJoined(escalationId: string, userId: string, ts: number): Promise<boolean> {
    return this.db.write(() => this.db.run(
      'UPDATE escalation_invites SET joined_ts = ? WHERE escalation_id = ? AND user_id = ? AND joined_ts IS NULL', ts, escalationId, userId,
    ).changes > 0);
  }

  markInviteRescinded(escalationId: string, userId: string, ts: number): Promise<void> {
    return this.db.write(() => {
      this.db.run('UPDATE escalation_invites SET rescinded_ts = ? WHERE escalation_id = ? AND user_id = ?', ts, escalationId, userId);
    });
  }

  // ── response targets ──

  async overdueWithoutBreach(now: number): Promise<EscalationRecord[]> {
    return this.db.all<EscalationRow>(
      `SELECT e.* FROM escalations e LEFT JOIN escalation_breaches b ON b.escalation_id = e.escalation_id
       WHERE b.escalation_id IS NULL AND e.due_ts < COALESCE(e.claimed_ts, e.closed_ts, ?)
       ORDER BY e.due_ts`,
      now,
    ).map(toEscalation);
  }

  recordBreach(b: ResponseBreach, audit: AuditDraft): Promise<boolean> {
    return this.db.write(() => {
      const { changes } = this.db.run(
        'INSERT INTO escalation_breaches (escalation_id, severity, created_ts, due_ts, detected_ts) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        b.escalation_id, b.severity, b.created_ts, b.due_ts, b.detected_ts,
      );
      if (changes === 0) return false;
      this.audit.appendInWrite(audit, b.detected_ts);
      return true;
    });
  }

  async breaches(limit: number, beforeDetectedTs?: number): Promise<(ResponseBreach & { status: EscalationStatus; claimed_ts: number | null; claimed_by: string | null })[]> {
    return this.db.all(
      `SELECT b.escalation_id, b.severity, b.created_ts, b.due_ts, b.detected_ts, e.status, e.claimed_ts, e.claimed_by
       FROM escalation_breaches b JOIN escalations e ON e.escalation_id = b.escalation_id
       WHERE b.detected_ts < ? ORDER BY b.detected_ts DESC, b.escalation_id LIMIT ?`,
      beforeDetectedTs ?? Number.MAX_SAFE_INTEGER, limit,
    );
  }

  // ── figures ──

  async escalationFacts(fromTs: number, toTs: number): Promise<EscalationFact[]> {
    return this.db.all<EscalationFact>(
      `SELECT topic, created_ts, claimed_ts FROM escalations
       WHERE (created_ts >= ? AND created_ts < ?) OR (claimed_ts >= ? AND claimed_ts < ?)`,
      fromTs, toTs, fromTs, toTs,
    );
  }
}
