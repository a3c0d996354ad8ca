// The domain stores (moderation, escalation) on one PostgreSQL database shared by several bridge
// replicas: when two replicas act on the same thing at the same moment, exactly one wins and the
// audit chain stays whole.
import { describe, expect, it } from 'vitest';
import { findChainBreak, type AuditDraft } from '../../core/audit-chain.ts';
import type { SignedConsentReceipt } from '../../../../protocol/src/consent.ts';
import { DuplicateReportError, type ModerationStore, type ReportRecord } from '../moderation-store.ts';
import { ReceiptReplayError, type EscalationRecord, type EscalationStore, type StoredReceipt } from '../escalation-store.ts';
import type { Store } from '../store.ts';
import { storeBackends, type TestStore } from '../test-fixture.ts';

const postgres = storeBackends().find((b) => b.name === 'PostgreSQL')!;
const STUDENT = '@s1:a.example';
const draft = (action: string): AuditDraft => ({ actor: STUDENT, action, subject: null, details: {} });
const moderationOf = (t: TestStore): ModerationStore => (t.store as Partial<Store>).moderation!;
const escalationOf = (t: TestStore): EscalationStore => (t.store as Partial<Store>).escalation!;

function receiptAndEscalation(n: string, nonce = `nonce-${n}`): [StoredReceipt, EscalationRecord] {
  const signed = { receipt: { receipt_id: `rc-${n}`, nonce }, key_id: 'ed25519:k1', signature: 'sig' } as unknown as SignedConsentReceipt;
  return [
    { receipt_id: `rc-${n}`, nonce, student_user_id: STUDENT, key_id: 'ed25519:k1', signed, receipt_sha256: `sha-${n}`, accepted_ts: 1_000, withdrawn_ts: null, escalation_id: `es-${n}` },
    {
      escalation_id: `es-${n}`, receipt_id: `rc-${n}`, student_user_id: STUDENT, peer_room_id: '!peer:a.example', request_id: `rq-${n}`, topic: 'exam-stress',
      severity: 'high', room_id: null, status: 'queued', created_ts: 1_000, due_ts: 2_000, claimed_by: null, claimed_ts: null,
      counsellor_joined_ts: null, closed_ts: null, outcome: null, updated_ts: 1_000,
    },
  ];
}

async function twoReplicasWithEscalation(): Promise<[TestStore, TestStore]> {
  const [a, b] = await postgres.openReplicas!(2);
  await escalationOf(a!).registerConsentKey({ key_id: 'ed25519:k1', user_id: STUDENT, public_key: 'pk1', registered_ts: 500, retired_ts: null }, () => draft('consent.key.register'));
  const [r, e] = receiptAndEscalation('1');
  await escalationOf(a!).acceptReceipt(r, e, draft('escalation.create'));
  return [a!, b!];
}

async function auditIntact(t: TestStore): Promise<string[]> {
  const entries = await t.store.audit.range(1, 1_000);
  expect(findChainBreak(entries, null)).toBeNull();
  return entries.map((e) => e.action);
}

describe('PostgreSQL domain stores shared by several bridge replicas', () => {
  it('claims an escalation once when two counsellors on two replicas claim it at the same moment', async () => {
    const [a, b] = await twoReplicasWithEscalation();
    for (let round = 0; round < 5; round++) {
      const claim = (t: TestStore, who: string) => escalationOf(t).transition('es-1', { status: ['queued'] }, { status: 'claimed', claimed_by: who, claimed_ts: 3_000 + round }, 3_000 + round, draft('escalation.claim'));
      const results = await Promise.all([claim(a, '@c-a:a.example'), claim(b, '@c-b:a.example')]);
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await escalationOf(b).escalation('es-1')).toMatchObject({ status: 'claimed', claimed_by: winners[0]!.claimed_by });
      // Put it back for the next round (the holder releases it).
      expect(await escalationOf(a).transition('es-1', { status: ['claimed'], claimed_by: winners[0]!.claimed_by! }, { status: 'queued', claimed_by: null }, 4_000, null)).toBeDefined();
    }
    const actions = await auditIntact(a);
    expect(actions.filter((x) => x === 'escalation.claim')).toHaveLength(5);
  });

  it('lets only one of a withdrawal and a claim racing on two replicas take effect', async () => {
    const [a, b] = await twoReplicasWithEscalation();
    const [withdrawn, claimed] = await Promise.all([
      escalationOf(a).withdraw('rc-1', ['opening', 'queued'], 3_000, draft('escalation.withdraw')),
      escalationOf(b).transition('es-1', { status: ['queued'] }, { status: 'claimed', claimed_by: '@c:a.example', claimed_ts: 3_000 }, 3_000, draft('escalation.claim')),
    ]);
    expect([withdrawn, claimed].filter((x) => x !== undefined)).toHaveLength(1);
    const stored = (await escalationOf(a).escalation('es-1'))!;
    const receipt = (await escalationOf(b).receipt('rc-1'))!;
    if (withdrawn) expect([stored.status, receipt.withdrawn_ts]).toEqual(['withdrawn', 3_000]);
    else expect([stored.status, receipt.withdrawn_ts]).toEqual(['claimed', null]);
    const actions = await auditIntact(a);
    expect(actions.filter((x) => x === 'escalation.withdraw' || x === 'escalation.claim')).toHaveLength(1);
  });

  it('accepts one receipt once when two replicas receive it at the same moment (same nonce, another id too)', async () => {
    const [a, b] = await twoReplicasWithEscalation();
    const [r2, e2] = receiptAndEscalation('2');
    const [r3, e3] = receiptAndEscalation('3', r2.nonce);
    const results = await Promise.allSettled([
      escalationOf(a).acceptReceipt(r2, e2, draft('escalation.create')),
      escalationOf(b).acceptReceipt(r2, e2, draft('escalation.create')),
      escalationOf(b).acceptReceipt(r3, e3, draft('escalation.create')),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ReceiptReplayError);
    expect(await a.sql(`SELECT COUNT(*) AS n FROM consent_receipts WHERE nonce = 'nonce-2'`)).toEqual([{ n: 1 }]);
    expect((await auditIntact(b)).filter((x) => x === 'escalation.create')).toHaveLength(2);
  });

  it('records a breach once when two replicas\' monitors detect it together', async () => {
    const [a, b] = await twoReplicasWithEscalation();
    const breach = { escalation_id: 'es-1', severity: 'high' as const, created_ts: 1_000, due_ts: 2_000, detected_ts: 5_000 };
    const results = await Promise.all([escalationOf(a).recordBreach(breach, draft('escalation.breach')), escalationOf(b).recordBreach(breach, draft('escalation.breach'))]);
    expect(results.sort()).toEqual([false, true]);
    expect((await auditIntact(a)).filter((x) => x === 'escalation.breach')).toHaveLength(1);
    expect(await escalationOf(b).overdueWithoutBreach(9_000)).toEqual([]);
  });

  it('keeps one current consent key when two replicas register keys for one student at once', async () => {
    const [a, b] = await postgres.openReplicas!(2);
    const key = (n: number) => ({ key_id: `ed25519:k${n}`, user_id: STUDENT, public_key: `pk${n}`, registered_ts: 500 + n, retired_ts: null });
    const results = await Promise.all([1, 2, 3, 4].map((n) => escalationOf(n % 2 ? a! : b!).registerConsentKey(key(n), () => draft('consent.key.register'))));
    // Each registration retired the one before it: one chain of rotations, one key left current.
    expect(results.filter((r) => r.retired === null)).toHaveLength(1);
    expect(new Set(results.map((r) => r.retired).filter((x) => x !== null)).size).toBe(3);
    const keys = await escalationOf(a!).consentKeys(STUDENT);
    expect(keys.filter((k) => k.retired_ts === null)).toHaveLength(1);
    await auditIntact(a!);
  });

  it('stores one report when a member reports one message through two replicas at once, and closes it once', async () => {
    const [a, b] = await postgres.openReplicas!(2);
    const report = (id: string): ReportRecord => ({
      report_id: id, group_id: 'gr_1', room_id: '!g:a.example', event_id: '$e', reported_user_id: '@bad:a.example', reporter: STUDENT,
      reason_code: 'spam', shared_text: null, created_ts: 1_000, closed_ts: null, closed_by: null, purge_after_ts: 9_000,
    });
    const inserted = await Promise.allSettled([moderationOf(a!).insertReport(report('r-a'), draft('group.report.create')), moderationOf(b!).insertReport(report('r-b'), draft('group.report.create'))]);
    expect(inserted.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = inserted.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(DuplicateReportError);
    const [stored] = await moderationOf(a!).reportsOfGroup('gr_1', { open: true, limit: 10 });
    const closes = await Promise.all([
      moderationOf(a!).closeReport(stored!.report_id, '@m1:a.example', 2_000, draft('group.report.close')),
      moderationOf(b!).closeReport(stored!.report_id, '@m2:a.example', 2_000, draft('group.report.close')),
    ]);
    expect(closes.sort()).toEqual([false, true]);
    expect(await auditIntact(b!)).toEqual(['group.report.create', 'group.report.close']);
  });
});
