// The escalation store's contract, run against SQLite and PostgreSQL alike: consent keys and their
// rotation, receipts (a replay refused), conditional transitions, invites, breaches and the facts
// figures read — every audited change with its entry in the same transaction.
import { describe, expect, it } from 'vitest';
import { findChainBreak, type AuditDraft } from '../../core/audit-chain.ts';
import type { SignedConsentReceipt } from '../../../../protocol/src/consent.ts';
import type { SeverityLevel } from '../../../../protocol/src/common-schemas.ts';
import { ReceiptReplayError, type EscalationRecord, type EscalationStore, type StoredReceipt } from '../escalation-store.ts';
import type { Store } from '../store.ts';
import { storeBackends, type TestStore } from '../test-fixture.ts';

const backends = storeBackends();

const escalationOf = (t: TestStore): EscalationStore => (t.store as Partial<Store>).escalation!;
const STUDENT = '@s1:a.example';
const draft = (action: string, subject: string | null = null): AuditDraft => ({ actor: STUDENT, action, subject, details: {} });

function receiptAndEscalation(n: string, over: Partial<EscalationRecord> = {}): [StoredReceipt, EscalationRecord] {
  const signed = { receipt: { receipt_id: `rc-${n}`, nonce: `nonce-${n}`, scope: ['escalate'] }, key_id: 'ed25519:k1', signature: 'sig' } as unknown as SignedConsentReceipt;
  const receipt: StoredReceipt = {
    receipt_id: `rc-${n}`, nonce: `nonce-${n}`, student_user_id: STUDENT, key_id: 'ed25519:k1', signed, receipt_sha256: `sha-${n}`,
    accepted_ts: over.created_ts ?? 1_000, withdrawn_ts: null, escalation_id: `es-${n}`,
  };
  const escalation: EscalationRecord = {
    escalation_id: `es-${n}`, receipt_id: `rc-${n}`, student_user_id: STUDENT, peer_room_id: '!peer:a.example', request_id: `rq-${n}`,
    topic: 'exam-stress', severity: 'high', room_id: null, status: 'opening', created_ts: 1_000, due_ts: 61_000, claimed_by: null,
    claimed_ts: null, counsellor_joined_ts: null, closed_ts: null, outcome: null, updated_ts: over.created_ts ?? 1_000, ...over,
  };
  return [receipt, escalation];
}

async function withKey(e: EscalationStore): Promise<void> {
  await e.registerConsentKey({ key_id: 'ed25519:k1', user_id: STUDENT, public_key: 'pk1', registered_ts: 500, retired_ts: null }, () => draft('consent.key.register'));
}

describe.each(backends)('escalation store on $name', (backend) => {
  it('registers consent keys, retiring the current one, and keeps every key for old receipts', async () => {
    const t = await backend.open();
    const e = escalationOf(t);
    const first = await e.registerConsentKey({ key_id: 'ed25519:k1', user_id: STUDENT, public_key: 'pk1', registered_ts: 500, retired_ts: null }, (r) => ({ ...draft('consent.key.register'), details: { retired: r } }));
    expect(first.retired).toBeNull();
    const second = await e.registerConsentKey({ key_id: 'ed25519:k2', user_id: STUDENT, public_key: 'pk2', registered_ts: 500, retired_ts: null }, (r) => ({ ...draft('consent.key.register'), details: { retired: r } }));
    expect(second.retired).toBe('ed25519:k1');
    expect(second.entry.details).toEqual({ retired: 'ed25519:k1' });
    expect(await e.consentKeys(STUDENT)).toEqual([
      { key_id: 'ed25519:k1', user_id: STUDENT, public_key: 'pk1', registered_ts: 500, retired_ts: 500 },
      { key_id: 'ed25519:k2', user_id: STUDENT, public_key: 'pk2', registered_ts: 500, retired_ts: null },
    ]);
    expect(await e.consentKey('ed25519:k2')).toMatchObject({ retired_ts: null });
    expect(await e.consentKey('ed25519:nothing')).toBeUndefined();
    expect(await e.consentKeys('@other:a.example')).toEqual([]);
  });

  it('accepts a receipt with its opening escalation once, and refuses the same id or nonce again', async () => {
    const t = await backend.open();
    const e = escalationOf(t);
    await withKey(e);
    const [r, esc] = receiptAndEscalation('1');
    expect(await e.receiptUsed(r.receipt_id, 'other')).toBe(false);
    const entry = await e.acceptReceipt(r, esc, draft('escalation.create', esc.escalation_id));
    expect(entry).toMatchObject({ action: 'escalation.create', ts: 1_000 });
    expect(await e.receipt(r.receipt_id)).toEqual(r);
    expect(await e.escalation(esc.escalation_id)).toEqual(esc);
    expect(await e.receiptUsed(r.receipt_id, 'other')).toBe(true);
    expect(await e.receiptUsed('other', r.nonce)).toBe(true);
    const [sameNonce, esc2] = receiptAndEscalation('2');
    await expect(e.acceptReceipt({ ...sameNonce, nonce: r.nonce }, esc2, draft('escalation.create'))).rejects.toBeInstanceOf(ReceiptReplayError);
    await expect(e.acceptReceipt({ ...sameNonce, receipt_id: r.receipt_id }, esc2, draft('escalation.create'))).rejects.toBeInstanceOf(ReceiptReplayError);
    expect(await e.escalation(esc2.escalation_id)).toBeUndefined();
    expect((await t.store.audit.range(1, 10)).map((a) => a.action)).toEqual(['consent.key.register', 'escalation.create']);
  });

  it('lists a student\'s receipts newest first and withdraws one only from the allowed statuses', async () => {
    const t = await backend.open();
    const e = escalationOf(t);
    await withKey(e);
    for (const [n, ts] of [['a', 1_000], ['b', 3_000], ['c', 3_000]] as const) {
      const [r, esc] = receiptAndEscalation(n, { created_ts: ts });
      await e.acceptReceipt(r, esc, draft('escalation.create'));
    }
    expect((await e.receiptsOf(STUDENT)).map((r) => r.receipt_id)).toEqual(['rc-c', 'rc-b', 'rc-a']);
    await e.transition('es-a', { status: ['opening'] }, { status: 'claimed', claimed_by: '@c:a.example', claimed_ts: 2_000 }, 2_000, null);
    expect(await e.withdraw('rc-a', ['opening', 'queued'], 4_000, draft('escalation.withdraw'))).toBeUndefined();
    expect((await e.receipt('rc-a'))!.withdrawn_ts).toBeNull();
    const withdrawn = await e.withdraw('rc-b', ['opening', 'queued'], 4_000, draft('escalation.withdraw'));
    expect(withdrawn).toMatchObject({ escalation_id: 'es-b', status: 'withdrawn', closed_ts: 4_000, updated_ts: 4_000 });
    expect((await e.receipt('rc-b'))!.withdrawn_ts).toBe(4_000);
    expect(await e.withdraw('rc-b', ['opening', 'queued', 'withdrawn'], 5_000, draft('escalation.withdraw'))).toBeUndefined();
    expect(await e.withdraw('rc-nothing', ['opening'], 5_000, draft('escalation.withdraw'))).toBeUndefined();
    expect((await t.store.audit.range(1, 20)).filter((a) => a.action === 'escalation.withdraw')).toHaveLength(1);
  });

  it('transitions only from the expected status (and holder), patches just the given columns, audits when asked', async () => {
    const t = await backend.open();
    const e = escalationOf(t);
    await withKey(e);
    const [r, esc] = receiptAndEscalation('1');
    await e.acceptReceipt(r, esc, draft('escalation.create'));
    expect(await e.transition('es-1', { status: ['queued'] }, { status: 'claimed' }, 2_000, draft('x'))).toBeUndefined();
    const queued = await e.transition('es-1', { status: ['opening'] }, { status: 'queued', room_id: '!esc:a.example' }, 2_000, null);
    expect(queued).toEqual({ ...esc, status: 'queued', room_id: '!esc:a.example', updated_ts: 2_000 });
    expect(await e.escalationByRoom('!esc:a.example')).toEqual(queued);
    const claimed = await e.transition('es-1', { status: ['queued'] }, { status: 'claimed', claimed_by: '@c1:a.example', claimed_ts: 3_000 }, 3_000, draft('escalation.claim'));
    expect(claimed).toMatchObject({ status: 'claimed', claimed_by: '@c1:a.example', claimed_ts: 3_000, room_id: '!esc:a.example' });
    // Only the holder hands over; a patch to null clears the column.
    expect(await e.transition('es-1', { status: ['claimed'], claimed_by: '@c2:a.example' }, { outcome: 'x' }, 4_000, draft('x'))).toBeUndefined();
    const resolved = await e.transition('es-1', { status: ['claimed'], claimed_by: '@c1:a.example' }, { status: 'resolved', closed_ts: 5_000, outcome: 'referred', room_id: null }, 5_000, draft('escalation.resolve'));
    expect(resolved).toMatchObject({ status: 'resolved', closed_ts: 5_000, outcome: 'referred', room_id: null, claimed_ts: 3_000 });
    expect(await e.transition('nothing', { status: ['claimed'] }, { status: 'resolved' }, 5_000, draft('x'))).toBeUndefined();
    expect((await t.store.audit.range(1, 20)).map((a) => a.action)).toEqual(['consent.key.register', 'escalation.create', 'escalation.claim', 'escalation.resolve']);
    expect(await e.escalationsByUrgency([])).toEqual([]);
  });

  it('orders escalations most severe first, then longest waiting', async () => {
    const t = await backend.open();
    const e = escalationOf(t);
    await withKey(e);
    const cases: [string, SeverityLevel, number][] = [['a', 'medium', 1_000], ['b', 'critical', 3_000], ['c', 'high', 2_000], ['d', 'critical', 2_000], ['f', 'low', 500], ['e', 'critical', 2_000]];
    for (const [n, severity, ts] of cases) {
      const [r, esc] = receiptAndEscalation(n, { severity, created_ts: ts, status: 'queued' });
      await e.acceptReceipt(r, esc, draft('escalation.create'));
    }
    await e.transition('es-f', { status: ['queued'] }, { status: 'resolved' }, 9_000, null);
    expect((await e.escalationsByUrgency(['queued', 'claimed'])).map((x) => x.escalation_id)).toEqual(['es-d', 'es-e', 'es-b', 'es-c', 'es-a']);
    expect((await e.escalationsByUrgency(['resolved'])).map((x) => x.escalation_id)).toEqual(['es-f']);
  });

  it('records invites, renews a rescinded one, and marks only the first join', async () => {
    const t = await backend.open();
    const e = escalationOf(t);
    await withKey(e);
    const [r, esc] = receiptAndEscalation('1');
    await e.acceptReceipt(r, esc, draft('escalation.create'));
    await e.putInvite({ escalation_id: 'es-1', user_id: '@c2:a.example', role: 'counsellor', invited_ts: 2_000, joined_ts: null, rescinded_ts: null });
    await e.putInvite({ escalation_id: 'es-1', user_id: STUDENT, role: 'student', invited_ts: 2_000, joined_ts: null, rescinded_ts: null });
    await e.putInvite({ escalation_id: 'es-1', user_id: '@c1:a.example', role: 'counsellor', invited_ts: 1_500, joined_ts: null, rescinded_ts: null });
    expect(await e.markInviteJoined('es-1', STUDENT, 2_500)).toBe(true);
    expect(await e.markInviteJoined('es-1', STUDENT, 2_600)).toBe(false);
    expect(await e.markInviteJoined('es-1', '@nobody:a.example', 2_600)).toBe(false);
    await e.markInviteRescinded('es-1', '@c2:a.example', 3_000);
    expect((await e.invites('es-1')).map((i) => [i.user_id, i.invited_ts, i.joined_ts, i.rescinded_ts])).toEqual([
      ['@c1:a.example', 1_500, null, null], ['@c2:a.example', 2_000, null, 3_000], [STUDENT, 2_000, 2_500, null],
    ]);
    await e.putInvite({ escalation_id: 'es-1', user_id: '@c2:a.example', role: 'counsellor', invited_ts: 4_000, joined_ts: null, rescinded_ts: null });
    expect((await e.invites('es-1')).at(-1)).toEqual({ escalation_id: 'es-1', user_id: '@c2:a.example', role: 'counsellor', invited_ts: 4_000, joined_ts: null, rescinded_ts: null });
    expect(await e.invites('es-nothing')).toEqual([]);
  });

  it('finds overdue escalations without a breach, records each breach once, and pages breaches newest first', async () => {
    const t = await backend.open();
    const e = escalationOf(t);
    await withKey(e);
    // due 2 000: claimed late; due 5 000: still open; due 9 000: claimed in time; due 3 000: closed late.
    const specs: [string, Partial<EscalationRecord>][] = [
      ['late', { due_ts: 2_000, status: 'claimed', claimed_ts: 2_500, claimed_by: '@c:a.example' }],
      ['open', { due_ts: 5_000, status: 'queued' }],
      ['ok', { due_ts: 9_000, status: 'claimed', claimed_ts: 4_000, claimed_by: '@c:a.example' }],
      ['closed', { due_ts: 3_000, status: 'withdrawn', closed_ts: 3_500 }],
    ];
    for (const [n, over] of specs) {
      const [r, esc] = receiptAndEscalation(n, over);
      await e.acceptReceipt(r, esc, draft('escalation.create'));
    }
    expect((await e.overdueWithoutBreach(4_000)).map((x) => x.escalation_id)).toEqual(['es-late', 'es-closed']);
    expect((await e.overdueWithoutBreach(6_000)).map((x) => x.escalation_id)).toEqual(['es-late', 'es-closed', 'es-open']);
    const breach = (id: string, due: number, detected: number) => ({ escalation_id: id, severity: 'high' as const, created_ts: 1_000, due_ts: due, detected_ts: detected });
    expect(await e.recordBreach(breach('es-late', 2_000, 6_000), draft('escalation.breach'))).toBe(true);
    expect(await e.recordBreach(breach('es-late', 2_000, 6_100), draft('escalation.breach'))).toBe(false);
    expect(await e.recordBreach(breach('es-open', 5_000, 7_000), draft('escalation.breach'))).toBe(true);
    expect(await e.recordBreach(breach('es-closed', 3_000, 7_000), draft('escalation.breach'))).toBe(true);
    expect((await e.overdueWithoutBreach(10_000)).map((x) => x.escalation_id)).toEqual([]);
    const all = await e.breaches(10);
    expect(all.map((b) => [b.escalation_id, b.detected_ts, b.status, b.claimed_ts, b.claimed_by])).toEqual([
      ['es-closed', 7_000, 'withdrawn', null, null], ['es-open', 7_000, 'queued', null, null], ['es-late', 6_000, 'claimed', 2_500, '@c:a.example'],
    ]);
    expect(all[2]).toMatchObject({ severity: 'high', created_ts: 1_000, due_ts: 2_000 });
    expect((await e.breaches(10, 7_000)).map((b) => b.escalation_id)).toEqual(['es-late']);
    expect((await e.breaches(1)).map((b) => b.escalation_id)).toEqual(['es-closed']);
    const audit = await t.store.audit.range(1, 20);
    expect(audit.filter((a) => a.action === 'escalation.breach').map((a) => a.ts)).toEqual([6_000, 7_000, 7_000]);
    expect(findChainBreak(audit, null)).toBeNull();
  });

  it('gives figures the topic and times of escalations created or first claimed in the window, never who', async () => {
    const t = await backend.open();
    const e = escalationOf(t);
    await withKey(e);
    const specs: [string, Partial<EscalationRecord>][] = [
      ['before', { created_ts: 500, claimed_ts: 1_500, topic: 'low-mood' }],
      ['inside', { created_ts: 1_200, topic: 'exam-stress' }],
      ['outside', { created_ts: 100, claimed_ts: 200, topic: 'x' }],
      ['edge', { created_ts: 2_000, topic: 'y' }],
    ];
    for (const [n, over] of specs) {
      const [r, esc] = receiptAndEscalation(n, over);
      await e.acceptReceipt(r, esc, draft('escalation.create'));
    }
    const facts = await e.escalationFacts(1_000, 2_000);
    expect([...facts].sort((a, b) => a.created_ts - b.created_ts)).toEqual([
      { topic: 'low-mood', created_ts: 500, claimed_ts: 1_500 },
      { topic: 'exam-stress', created_ts: 1_200, claimed_ts: null },
    ]);
  });
});
