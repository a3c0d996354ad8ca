import { describe, expect, it } from 'vitest';
import type { SeverityLevel } from '../../../protocol/src/common-schemas.ts';
import { CONSENT_RECEIPT_EVENT_TYPE, SESSION_EVENT_TYPE } from '../../../protocol/src/event-types.ts';
import { receiptHash } from '../../../protocol/src/consent.ts';
import { SERVER } from '../test-fixture.ts';
import { BOT, StudentDevice, escalationTestBridge, type EscalationTestBridge } from './test-fixture.ts';
import { aclOwnServerOnly } from './escalation-room.ts';

const ADMIN = `@admin:${SERVER}`;
const C1 = `@coun-1:${SERVER}`;
const C2 = `@coun-2:${SERVER}`;
const OFF_DUTY = `@coun-sunday:${SERVER}`;
const OTHER_TEAM = `@coun-careers:${SERVER}`;

interface QueueItem {
  escalation_id: string;
  status: string;
  severity: string;
  claimed_by: string | null;
  room_id: string;
  receipt: { signed: { receipt: { receipt_id: string } }; signature_valid: boolean };
  counsellors: { user_id: string; rescinded_ts: number | null }[];
}

async function world(): Promise<{ b: EscalationTestBridge; c1: string; c2: string; admin: string }> {
  const b = escalationTestBridge();
  const roster = b.services.roster;
  await roster.putCounsellor(ADMIN, C1, {});
  await roster.putCounsellor(ADMIN, C2, {});
  await roster.putCounsellor(ADMIN, OFF_DUTY, { on_duty: { time_zone: 'Europe/London', weekly: { sunday: [{ start: '08:00', end: '20:00' }] } } });
  await roster.putCounsellor(ADMIN, OTHER_TEAM, { team: 'careers' });
  return { b, c1: await b.signIn(C1), c2: await b.signIn(C2), admin: await b.signIn(ADMIN) };
}

/** A student with a registered key who escalates from a fresh peer room. */
async function escalate(b: EscalationTestBridge, n: number, severity: SeverityLevel = 'high', topic = 'exam-stress'): Promise<{ student: StudentDevice; token: string; id: string; roomId: string; receiptId: string }> {
  const student = await StudentDevice.create(`@s-${n}:${SERVER}`);
  const token = await b.signIn(student.userId);
  await b.call('POST', '/v1/consent/keys', token, { public_key: student.publicKey });
  const peer = b.hs.peerRoom(student.userId, { topic });
  const receipt = await student.receipt({ roomId: peer, now: b.clock.now(), severity });
  const res = await b.call<{ escalation_id: string; room_id: string }>('POST', '/v1/escalations', token, { receipt: await student.sign(receipt), room_id: peer, scope: receipt.scope });
  expect(res.status).toBe(200);
  return { student, token, id: res.body.escalation_id, roomId: res.body.room_id, receiptId: receipt.receipt_id };
}

describe('escalation room', () => {
  it('is encrypted from its first event, history visible from joining, bot 100 and members 0, ACL of the own institution, with session and receipt state', async () => {
    const { b } = await world();
    const e = await escalate(b, 1, 'critical', 'low-mood');
    const [room] = b.hs.escalationRooms();
    const req = room!.request!;
    expect(req.initial_state![0]).toEqual({ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } });
    const state = Object.fromEntries(req.initial_state!.map((s) => [`${s.type}|${s.state_key}`, s.content]));
    expect(state['m.room.history_visibility|']).toEqual({ history_visibility: 'joined' });
    expect(state['m.room.server_acl|']).toEqual({ allow: [SERVER], deny: [], allow_ip_literals: false });
    expect(state[`${SESSION_EVENT_TYPE}|`]).toMatchObject({ kind: 'escalation', topic: 'low-mood', institutions: [SERVER] });
    const stored = (await b.services.store.escalation.receipt(e.receiptId))!;
    expect(state[`${CONSENT_RECEIPT_EVENT_TYPE}|${e.receiptId}`]).toEqual({ receipt_id: e.receiptId, receipt_sha256: await receiptHash(stored.signed.receipt) });
    expect(req.power_level_content_override).toMatchObject({ users: { [BOT]: 100 }, users_default: 0, events_default: 0, state_default: 100, invite: 100, kick: 100 });
    expect(req.invite).toBeUndefined();
  });

  it('admits only the own server in its ACL, by host name without the port', () => {
    expect(aclOwnServerOnly('a.example')).toEqual({ allow: ['a.example'], deny: [], allow_ip_literals: false });
    expect(aclOwnServerOnly('localhost:8448')).toEqual({ allow: ['localhost'], deny: [], allow_ip_literals: false });
    expect(aclOwnServerOnly('192.0.2.7:8448')).toEqual({ allow: ['192.0.2.7'], deny: [], allow_ip_literals: true });
    expect(aclOwnServerOnly('[2001:db8::1]:8448')).toEqual({ allow: ['[2001:db8::1]'], deny: [], allow_ip_literals: true });
  });

  it('invites only counsellors on duty now and in the policy\'s team', async () => {
    const { b } = await world();
    const e = await escalate(b, 1);
    expect(b.hs.membership(e.roomId, C1)).toBe('invite');
    expect(b.hs.membership(e.roomId, C2)).toBe('invite');
    expect(b.hs.membership(e.roomId, OFF_DUTY)).toBeUndefined();
    expect(b.hs.membership(e.roomId, OTHER_TEAM)).toBeUndefined();
  });

  it('answers 202 while the homeserver is unreachable, and the periodic job finishes the room later', async () => {
    const { b } = await world();
    const student = await StudentDevice.create(`@s-9:${SERVER}`);
    const token = await b.signIn(student.userId);
    await b.call('POST', '/v1/consent/keys', token, { public_key: student.publicKey });
    const peer = b.hs.peerRoom(student.userId);
    const receipt = await student.receipt({ roomId: peer, now: b.clock.now() });
    const signed = await student.sign(receipt);
    // Verification reads the peer room; the homeserver goes away right after.
    const consent = await b.escalation.parts.verifier.verify({ signed, studentUserId: student.userId, roomId: peer, scope: receipt.scope });
    b.hs.down = true;
    const opening = await b.escalation.parts.escalations.open(consent);
    expect(opening).toMatchObject({ status: 'opening', room_id: null });
    await b.escalation.parts.tick();
    expect((await b.escalation.parts.escalations.escalation(opening.escalation_id))!.status).toBe('opening');
    b.hs.down = false;
    await b.escalation.parts.tick();
    const done = (await b.escalation.parts.escalations.escalation(opening.escalation_id))!;
    expect(done.status).toBe('queued');
    expect(b.hs.membership(done.room_id!, student.userId)).toBe('invite');
    expect(b.hs.membership(done.room_id!, C1)).toBe('invite');
    expect(b.hs.escalationRooms().length).toBe(1);
  });
});

describe('counsellor queue', () => {
  it('orders by severity, then by waiting time, and shows each item\'s verified receipt', async () => {
    const { b, c1 } = await world();
    const order: [number, SeverityLevel][] = [[1, 'low'], [2, 'high'], [3, 'critical'], [4, 'high'], [5, 'medium'], [6, 'critical']];
    const ids = new Map<number, string>();
    for (const [n, sev] of order) {
      ids.set(n, (await escalate(b, n, sev)).id);
      b.clock.advance(60_000);
    }
    const q = await b.call<{ items: QueueItem[] }>('GET', '/v1/escalations/queue', c1);
    expect(q.status).toBe(200);
    expect(q.body.items.map((i) => i.escalation_id)).toEqual([3, 6, 2, 4, 5, 1].map((n) => ids.get(n)));
    expect(q.body.items.every((i) => i.receipt.signature_valid)).toBe(true);
  });

  it('lets one counsellor claim, refuses a colleague, hands over, and resolves with an outcome', async () => {
    const { b, c1, c2 } = await world();
    const e = await escalate(b, 1);
    b.clock.advance(5 * 60_000);
    const claim = await b.call<QueueItem>('POST', `/v1/escalations/${e.id}/claim`, c1);
    expect(claim).toMatchObject({ status: 200, body: { status: 'claimed', claimed_by: C1 } });
    // The colleague's unanswered invite is taken back.
    expect(b.hs.membership(e.roomId, C2)).toBe('leave');
    expect((await b.call('POST', `/v1/escalations/${e.id}/claim`, c1)).status).toBe(200);
    expect(await b.call('POST', `/v1/escalations/${e.id}/claim`, c2)).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.ESCALATION_CLAIMED' } });
    expect((await b.call('POST', `/v1/escalations/${e.id}/handover`, c2, { to: C1 })).status).toBe(403);
    expect((await b.call('POST', `/v1/escalations/${e.id}/handover`, c1, { to: `@nobody:${SERVER}` })).status).toBe(400);
    const handed = await b.call<QueueItem>('POST', `/v1/escalations/${e.id}/handover`, c1, { to: C2 });
    expect(handed).toMatchObject({ status: 200, body: { claimed_by: C2 } });
    expect(b.hs.membership(e.roomId, C2)).toBe('invite');
    expect((await b.call('POST', `/v1/escalations/${e.id}/resolve`, c1, { outcome: 'support_provided' })).status).toBe(403);
    expect((await b.call('POST', `/v1/escalations/${e.id}/resolve`, c2, { outcome: 'not-a-code' })).status).toBe(400);
    const resolved = await b.call<QueueItem>('POST', `/v1/escalations/${e.id}/resolve`, c2, { outcome: 'referred_internal' });
    expect(resolved).toMatchObject({ status: 200, body: { status: 'resolved' } });
    expect((await b.call<{ items: QueueItem[] }>('GET', '/v1/escalations/queue', c1)).body.items).toEqual([]);
    const actions = (await b.services.audit.latest(50)).map((x) => x.action);
    for (const a of ['escalation.claimed', 'escalation.handed_over', 'escalation.resolved', 'escalation.invites_rescinded']) expect(actions).toContain(a);
    const claimed = (await b.services.audit.latest(50)).find((x) => x.action === 'escalation.claimed')!;
    expect(claimed.details).toMatchObject({ response_ms: 5 * 60_000, within_target: true });
  });

  it('invites a counsellor who was off duty when they claim', async () => {
    const { b } = await world();
    const e = await escalate(b, 1);
    const off = await b.signIn(OFF_DUTY);
    expect(b.hs.membership(e.roomId, OFF_DUTY)).toBeUndefined();
    expect((await b.call('POST', `/v1/escalations/${e.id}/claim`, off)).status).toBe(200);
    expect(b.hs.membership(e.roomId, OFF_DUTY)).toBe('invite');
  });

  it('shows when the bridge accepted each receipt, besides the signed time', async () => {
    const { b, c1 } = await world();
    const signedAt = b.clock.now();
    await escalate(b, 1);
    const q = await b.call<{ items: { created_ts: number; receipt: { accepted_ts: number; signed: { receipt: { created_ts: number } } } }[] }>('GET', '/v1/escalations/queue', c1);
    expect(q.body.items[0]!.receipt.accepted_ts).toBe(b.clock.now());
    expect(q.body.items[0]!.receipt.signed.receipt.created_ts).toBe(signedAt);
  });

  it('lists the colleagues a counsellor can hand over to: active counsellors of the institution but oneself, on duty first', async () => {
    const { b, c1 } = await world();
    await b.services.roster.putCounsellor(ADMIN, `@coun-gone:${SERVER}`, { active: false });
    const r = await b.call<{ colleagues: { user_id: string; on_duty_now: boolean }[] }>('GET', '/v1/escalations/colleagues', c1);
    expect(r.status).toBe(200);
    expect(r.body.colleagues).toEqual([
      { user_id: C2, on_duty_now: true },
      { user_id: OTHER_TEAM, on_duty_now: false },
      { user_id: OFF_DUTY, on_duty_now: false },
    ]);
    const student = await b.signIn(`@s-1:${SERVER}`);
    expect((await b.call('GET', '/v1/escalations/colleagues', student)).status).toBe(403);
  });

  it('answers 404 for an unknown escalation', async () => {
    const { b, c1 } = await world();
    expect((await b.call('POST', '/v1/escalations/esc_AAAAAAAAAAAAAAAAAAAAAA/claim', c1)).status).toBe(404);
    expect((await b.call('POST', '/v1/escalations/nonsense/claim', c1)).status).toBe(404);
  });
});

describe('withdrawing consent', () => {
  it('closes the escalation and takes back the invites while no counsellor has joined', async () => {
    const { b } = await world();
    const e = await escalate(b, 1);
    const before = await b.call<{ receipts: { withdrawable: boolean; signature_valid: boolean }[] }>('GET', '/v1/consent/receipts', e.token);
    expect(before.body.receipts).toEqual([expect.objectContaining({ withdrawable: true, signature_valid: true })]);
    const w = await b.call('POST', `/v1/consent/receipts/${e.receiptId}/withdraw`, e.token);
    expect(w).toMatchObject({ status: 200, body: { status: 'withdrawn', invites_rescinded: 2 } });
    expect(b.hs.membership(e.roomId, C1)).toBe('leave');
    expect(b.hs.membership(e.roomId, C2)).toBe('leave');
    const after = await b.call<{ receipts: { withdrawable: boolean; withdrawn_ts: number | null; escalation: { status: string } }[] }>('GET', '/v1/consent/receipts', e.token);
    expect(after.body.receipts[0]).toMatchObject({ withdrawable: false, withdrawn_ts: b.clock.now(), escalation: { status: 'withdrawn' } });
    expect(await b.call('POST', `/v1/consent/receipts/${e.receiptId}/withdraw`, e.token)).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.CONSENT_ALREADY_WITHDRAWN' } });
    expect((await b.services.audit.latest(5)).map((x) => x.action)).toContain('consent.receipt.withdrawn');
  });

  it('is refused once a counsellor has joined, whether the bridge heard of the join or asks the homeserver', async () => {
    const { b } = await world();
    const heard = await escalate(b, 1);
    b.hs.setMembership(heard.roomId, C1, 'join');
    await b.escalation.parts.escalations.onMembership({ room_id: heard.roomId, state_key: C1, content: { membership: 'join' }, origin_server_ts: b.clock.now() });
    expect(await b.call('POST', `/v1/consent/receipts/${heard.receiptId}/withdraw`, heard.token)).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.CONSENT_ALREADY_SHARED' } });
    const unheard = await escalate(b, 2);
    b.hs.setMembership(unheard.roomId, C2, 'join');
    expect(await b.call('POST', `/v1/consent/receipts/${unheard.receiptId}/withdraw`, unheard.token)).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.CONSENT_ALREADY_SHARED' } });
    expect((await b.escalation.parts.escalations.escalation(unheard.id))!.status).toBe('queued');
    expect((await b.services.audit.latest(20)).map((x) => x.action)).toContain('escalation.counsellor_joined');
  });

  it('answers 404 for another student\'s receipt', async () => {
    const { b } = await world();
    const e = await escalate(b, 1);
    const other = await b.signIn(`@s-other:${SERVER}`);
    expect((await b.call('POST', `/v1/consent/receipts/${e.receiptId}/withdraw`, other)).status).toBe(404);
    expect((await b.escalation.parts.escalations.escalation(e.id))!.status).toBe('queued');
  });
});
