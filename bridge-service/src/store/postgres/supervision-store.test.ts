// The supervision store's contract, run against SQLite and PostgreSQL alike: one unreviewed flag per
// session, reviewed once, breaks in force until their end, debriefs opened once, and the caseload
// read from the matching and escalation tables without the student or the room.
import { describe, expect, it } from 'vitest';
import { findChainBreak } from '../../core/audit-chain.ts';
import { DuplicateFlagError, type ReviewFlagRecord, type SupervisionStore } from '../supervision-store.ts';
import type { Store } from '../store.ts';
import { storeBackends, type TestStore } from '../test-fixture.ts';

const backends = storeBackends();
const supervisionOf = (t: TestStore): SupervisionStore => (t.store as Partial<Store>).supervision!;
const draft = (action: string, subject: string) => ({ actor: '@sup:a.example', action, subject, details: {} });
const flag = (id: string, over: Partial<ReviewFlagRecord> = {}): ReviewFlagRecord => ({
  flag_id: id, session_id: 'ps_1', supporter: '@sup:a.example', reason_code: 'risk_unclear', created_ts: 1_000, reviewed_ts: null, reviewed_by: null, ...over,
});

/** A peer session row as the matching store writes it (raw, so the test needs no matching flow). */
async function session(t: TestStore, id: string, over: { supporter?: string; status?: string; created?: number; ended?: number | null; outcome?: string | null; request?: string } = {}): Promise<void> {
  const ended = over.ended === undefined ? null : over.ended;
  await t.sql(`INSERT INTO matching_sessions (id, request_id, role, room_id, student, supporter, student_server, supporter_server, topic, status, created_ts,
    student_joined_ts, supporter_joined_ts, ended_ts, ended_by, outcome, checkin_proposed_ts, checkin_status, checkin_answered_ts)
    VALUES ('${id}', '${over.request ?? `rq_${id}`}', 'host', '!room-${id}:a.example', '@student-${id}:a.example', '${over.supporter ?? '@sup:a.example'}', 'a.example', 'a.example',
    'exam-stress', '${over.status ?? 'ended'}', ${over.created ?? 1_000}, NULL, NULL, ${ended ?? 'NULL'}, NULL, ${over.outcome ? `'${over.outcome}'` : 'NULL'}, NULL, NULL, NULL)`);
}

async function escalation(t: TestStore, requestId: string): Promise<void> {
  await t.sql("INSERT INTO consent_keys (key_id, user_id, public_key, registered_ts, retired_ts) VALUES ('k1', '@student:a.example', 'x', 1, NULL)");
  await t.sql(`INSERT INTO consent_receipts (receipt_id, nonce, student_user_id, key_id, signed, receipt_sha256, accepted_ts, withdrawn_ts, escalation_id)
    VALUES ('r1', 'n1', '@student:a.example', 'k1', '{}', 'h', 1, NULL, 'esc_1')`);
  await t.sql(`INSERT INTO escalations (escalation_id, receipt_id, student_user_id, peer_room_id, request_id, topic, severity, severity_rank, room_id, status,
    created_ts, due_ts, claimed_by, claimed_ts, counsellor_joined_ts, closed_ts, outcome, updated_ts)
    VALUES ('esc_1', 'r1', '@student:a.example', '!p:a.example', '${requestId}', 'exam-stress', 'high', 3, NULL, 'queued', 1, 2, NULL, NULL, NULL, NULL, NULL, 1)`);
}

describe.each(backends)('supervision store on $name', (backend) => {
  it('keeps one unreviewed flag per session, reviews it once, and audits each change', async () => {
    const t = await backend.open();
    const s = supervisionOf(t);
    await s.insertFlag(flag('f1'), draft('supervision.flag.raised', 'ps_1'));
    expect(await s.flag('f1')).toEqual(flag('f1'));
    await expect(s.insertFlag(flag('f2', { created_ts: 2_000 }), draft('supervision.flag.raised', 'ps_1'))).rejects.toBeInstanceOf(DuplicateFlagError);
    await s.insertFlag(flag('f3', { session_id: 'ps_2', supporter: '@other:a.example', created_ts: 3_000 }), draft('supervision.flag.raised', 'ps_2'));
    expect((await s.flags({ open: true, limit: 10 })).map((f) => f.flag_id)).toEqual(['f3', 'f1']);
    expect((await s.flags({ open: true, supporter: '@sup:a.example', limit: 10 })).map((f) => f.flag_id)).toEqual(['f1']);
    expect(await s.reviewFlag('f1', '@coun:a.example', 5_000, draft('supervision.flag.reviewed', 'ps_1'))).toBe(true);
    expect(await s.reviewFlag('f1', '@coun2:a.example', 6_000, draft('supervision.flag.reviewed', 'ps_1'))).toBe(false);
    expect(await s.flag('f1')).toMatchObject({ reviewed_ts: 5_000, reviewed_by: '@coun:a.example' });
    expect((await s.flags({ open: true, limit: 10 })).map((f) => f.flag_id)).toEqual(['f3']);
    expect((await s.flags({ open: false, limit: 1 })).map((f) => f.flag_id)).toEqual(['f3']);
    // Reviewed, the session may be flagged again.
    await s.insertFlag(flag('f4', { created_ts: 7_000 }), draft('supervision.flag.raised', 'ps_1'));
    const audit = await t.store.audit.range(1, 20);
    expect(audit.map((e) => e.action)).toEqual(['supervision.flag.raised', 'supervision.flag.raised', 'supervision.flag.reviewed', 'supervision.flag.raised']);
    expect(findChainBreak(audit, null)).toBeNull();
  });

  it('holds a break until it is ended or runs out; ending one that is not in force writes nothing', async () => {
    const t = await backend.open();
    const s = supervisionOf(t);
    await s.putBreak({ user_id: '@a:a.example', started_ts: 1_000, until_ts: null }, draft('supervision.break.started', '@a:a.example'));
    await s.putBreak({ user_id: '@b:a.example', started_ts: 1_000, until_ts: 5_000 }, draft('supervision.break.started', '@b:a.example'));
    expect((await s.breaksAt(2_000)).map((b) => b.user_id)).toEqual(['@a:a.example', '@b:a.example']);
    expect((await s.breaksAt(5_000)).map((b) => b.user_id)).toEqual(['@a:a.example']);
    expect(await s.endBreak('@b:a.example', 6_000, draft('supervision.break.ended', '@b:a.example'))).toBe(false);
    expect(await s.wellbeingBreak('@b:a.example')).toBeUndefined();
    // Starting again replaces the break.
    await s.putBreak({ user_id: '@a:a.example', started_ts: 3_000, until_ts: 9_000 }, draft('supervision.break.started', '@a:a.example'));
    expect(await s.wellbeingBreak('@a:a.example')).toEqual({ user_id: '@a:a.example', started_ts: 3_000, until_ts: 9_000 });
    expect(await s.endBreak('@a:a.example', 4_000, draft('supervision.break.ended', '@a:a.example'))).toBe(true);
    expect(await s.breaksAt(4_000)).toEqual([]);
    expect((await t.store.audit.range(1, 20)).map((e) => e.action)).toEqual(['supervision.break.started', 'supervision.break.started', 'supervision.break.started', 'supervision.break.ended']);
  });

  it('stores a debrief, opens it once with its room, and lists it for both members', async () => {
    const t = await backend.open();
    const s = supervisionOf(t);
    const d = { debrief_id: 'db_1', supporter: '@sup:a.example', supervisor: '@coun:a.example', session_id: 'ps_1', room_id: null, status: 'opening' as const, created_ts: 1_000 };
    await s.insertDebrief(d, draft('supervision.debrief.requested', 'db_1'));
    await s.insertDebrief({ ...d, debrief_id: 'db_2', session_id: null, created_ts: 2_000 }, draft('supervision.debrief.requested', 'db_2'));
    const retention = { institutions: ['a.example'], created_ts: 1_000, purge_after_ts: 9_000 };
    expect(await s.openDebrief('db_1', '!d:a.example', retention)).toEqual({ ...d, room_id: '!d:a.example', status: 'open' });
    expect(await s.openDebrief('db_1', '!other:a.example', retention)).toBeUndefined();
    // The room is in the retention sweep with the bot's other rooms; the second open wrote nothing.
    expect(await (t.store as Partial<Store>).matching!.roomsDue(9_000, 10)).toEqual([
      { room_id: '!d:a.example', kind: 'debrief', ref_id: 'db_1', institutions: ['a.example'], created_ts: 1_000, purge_after_ts: 9_000, purged_ts: null },
    ]);
    // A debrief whose room could not be made fails once; an open one does not.
    expect(await s.failDebrief('db_2')).toBe(true);
    expect(await s.failDebrief('db_2')).toBe(false);
    expect(await s.failDebrief('db_1')).toBe(false);
    expect(await s.debrief('db_2')).toMatchObject({ status: 'failed', room_id: null });
    expect(await s.debrief('db_1')).toMatchObject({ room_id: '!d:a.example' });
    expect((await s.debriefsOf('@coun:a.example', 10)).map((x) => x.debrief_id)).toEqual(['db_2', 'db_1']);
    expect((await s.debriefsOf('@sup:a.example', 1)).map((x) => x.debrief_id)).toEqual(['db_2']);
    expect(await s.debriefsOf('@else:a.example', 10)).toEqual([]);
  });

  it('reads the caseload as metadata — with escalations, without student or room — and counts sessions per day without failed ones', async () => {
    const t = await backend.open();
    const s = supervisionOf(t);
    await session(t, 'ps_1', { created: 1_000, ended: 4_000, outcome: 'completed' });
    await session(t, 'ps_2', { created: 5_000, status: 'active', request: 'rq_esc' });
    await session(t, 'ps_3', { created: 6_000, status: 'failed' });
    await session(t, 'ps_4', { created: 7_000, supporter: '@other:a.example' });
    await escalation(t, 'rq_esc');
    const rows = await s.caseloadSessions('@sup:a.example', 0, 10);
    expect(rows).toEqual([
      { session_id: 'ps_3', supporter: '@sup:a.example', topic: 'exam-stress', role: 'host', status: 'failed', created_ts: 6_000, ended_ts: null, outcome: null, check_in_status: null, escalated: false },
      { session_id: 'ps_2', supporter: '@sup:a.example', topic: 'exam-stress', role: 'host', status: 'active', created_ts: 5_000, ended_ts: null, outcome: null, check_in_status: null, escalated: true },
      { session_id: 'ps_1', supporter: '@sup:a.example', topic: 'exam-stress', role: 'host', status: 'ended', created_ts: 1_000, ended_ts: 4_000, outcome: 'completed', check_in_status: null, escalated: false },
    ]);
    expect((await s.caseloadSessions('@sup:a.example', 5_000, 10)).map((r) => r.session_id)).toEqual(['ps_3', 'ps_2']);
    expect(await s.caseloadSession('ps_4')).toMatchObject({ supporter: '@other:a.example', escalated: false });
    expect(await s.caseloadSession('nothing')).toBeUndefined();
    expect(await s.sessionsStartedSince(1_000)).toEqual(new Map([['@sup:a.example', 2], ['@other:a.example', 1]]));
    expect(await s.sessionsStartedSince(5_500)).toEqual(new Map([['@other:a.example', 1]]));
  });
});
