// `admin audit verify`: checks the bridge's audit hash chain. Offline (the default when the bridge
// config or --db is given) it reads the SQLite file read-only, so it works on a stopped installation
// and on a backup copy; --online asks the running bridge (GET /v1/admin/audit), which verifies the
// same chain itself.
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { findChainBreak, type AuditEntry, type ChainBreak } from '../core/audit-chain.ts';
import { AdminError, describeError, type AdminSession } from './admin-session.ts';
import type { BridgeConfig } from '../config.ts';
import { openBridgeStore } from '../store/open.ts';
import { AuditService } from '../services/audit.ts';
import { systemClock } from '../core/clock.ts';

export interface AuditVerdict {
  ok: boolean;
  length: number;
  head_hash: string | null;
  first_break: ChainBreak | null;
}

const BATCH = 1000;

export function verifyAuditFile(path: string): AuditVerdict {
  if (!existsSync(path)) throw new AdminError(`no bridge database at ${path}`, 2);
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get();
    if (!hasTable) throw new AdminError(`${path} has no audit_log table; is it the bridge's database?`, 2);
    const page = db.prepare('SELECT seq, ts, actor, action, subject, details, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
    let prev: { seq: number; hash: string } | null = null;
    let checked = 0;
    for (;;) {
      const raw = page.all(prev?.seq ?? 0, BATCH) as (Omit<AuditEntry, 'details'> & { details: string })[];
      if (raw.length === 0) break;
      const entries: AuditEntry[] = [];
      for (const r of raw) {
        let details: AuditEntry['details'];
        try {
          details = JSON.parse(r.details) as AuditEntry['details'];
        } catch {
          const brk = { seq: r.seq, reason: 'details are not valid JSON (entry was altered)' };
          return { ok: false, length: checked + entries.length, head_hash: null, first_break: brk };
        }
        entries.push({ ...r, seq: Number(r.seq), ts: Number(r.ts), details });
      }
      const brk = findChainBreak(entries, prev);
      if (brk) return { ok: false, length: checked + entries.findIndex((e) => e.seq >= brk.seq), head_hash: null, first_break: brk };
      checked += entries.length;
      const last = entries[entries.length - 1]!;
      prev = { seq: last.seq, hash: last.hash };
    }
    return { ok: true, length: checked, head_hash: prev?.hash ?? null, first_break: null };
  } finally {
    db.close();
  }
}

export async function verifyAuditOnline(session: AdminSession): Promise<AuditVerdict> {
  const res = await session.bridge<{ chain: AuditVerdict }>('GET', '/v1/admin/audit?limit=1');
  if (res.status !== 200) throw new AdminError(`the bridge did not return the audit chain status (${describeError(res)})`);
  return res.body.chain;
}

export function describeVerdict(v: AuditVerdict, source: string): string {
  if (v.ok) return `audit chain intact (${source}): ${v.length} entries, head ${v.head_hash ?? '(empty log)'}\n`;
  return `audit chain BROKEN (${source}) at entry ${v.first_break!.seq}: ${v.first_break!.reason}; ${v.length} entries before it verified\n`;
}

/** Verifies the chain in the store the bridge config names (PostgreSQL), as the running bridge would. */
export async function verifyAuditInStore(cfg: Pick<BridgeConfig, 'database_url' | 'data_dir'>): Promise<AuditVerdict> {
  let store;
  try {
    store = await openBridgeStore(cfg, { maxConnections: 1 });
  } catch (e) {
    throw new AdminError((e as Error).message, 1);
  }
  try {
    return await new AuditService({ store: store.audit, clock: systemClock }).verify();
  } finally {
    await store.close();
  }
}
