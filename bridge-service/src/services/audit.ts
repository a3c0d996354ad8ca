// The audit log as services use it: record what happened (ids and metadata only — never message
// content, tokens or keys), read it back, and verify the whole hash chain.
import type { AuditStore } from '../store/store.ts';
import { findChainBreak, type AuditDraft, type AuditEntry, type ChainBreak } from '../core/audit-chain.ts';
import type { Clock } from '../core/clock.ts';

export interface ChainStatus {
  ok: boolean;
  /** Entries checked (the chain's length when ok). */
  length: number;
  /** The newest entry's hash: keep a copy elsewhere to detect truncation of the tail. */
  head_hash: string | null;
  first_break: ChainBreak | null;
}

const VERIFY_BATCH = 1000;

export class AuditService {
  private readonly store: AuditStore;
  private readonly clock: Clock;
  private readonly appended: (() => void)[] = [];

  constructor(opts: { store: AuditStore; clock: Clock }) {
    this.store = opts.store;
    this.clock = opts.clock;
  }

  /** Notified after each entry this service appends (metrics). */
  onAppend(fn: () => void): void {
    this.appended.push(fn);
  }

  /** Entries written by other services through their stores count here too. */
  noteAppended(): void {
    for (const fn of this.appended) fn();
  }

  async record(draft: AuditDraft): Promise<AuditEntry> {
    const entry = await this.store.append(draft, this.clock.now());
    this.noteAppended();
    return entry;
  }

  /** Newest first; `beforeSeq` pages back. */
  latest(limit: number, beforeSeq?: number): Promise<AuditEntry[]> {
    return this.store.latest(limit, beforeSeq);
  }

  /** Walks the whole chain from the first entry and reports the first broken link. */
  async verify(): Promise<ChainStatus> {
    let prev: { seq: number; hash: string } | null = null;
    let checked = 0;
    for (;;) {
      const batch = await this.store.range(prev ? prev.seq + 1 : 1, VERIFY_BATCH);
      if (batch.length === 0) break;
      const brk = findChainBreak(batch, prev);
      if (brk) return { ok: false, length: checked + batch.findIndex((e) => e.seq >= brk.seq), head_hash: (await this.store.head())?.hash ?? null, first_break: brk };
      checked += batch.length;
      const last = batch[batch.length - 1]!;
      prev = { seq: last.seq, hash: last.hash };
    }
    // A first row other than seq 1 (rows deleted from the start) shows up as an empty first batch.
    const head = await this.store.head();
    if (head && (prev === null || head.seq !== prev.seq)) {
      return { ok: false, length: checked, head_hash: head.hash, first_break: { seq: prev ? prev.seq + 1 : 1, reason: `entry ${prev ? prev.seq + 1 : 1} is missing` } };
    }
    return { ok: true, length: checked, head_hash: head?.hash ?? null, first_break: null };
  }
}
