import { describe, expect, it } from 'vitest';
import { encodeConsentPublicKey, generateConsentKeyPair, type ConsentScope, type SignedConsentReceipt } from '../../../protocol/src/consent.ts';
import { PARTNER, SERVER } from '../test-fixture.ts';
import { StudentDevice, escalationTestBridge, escalationTestBridgeOver, tempDbFile, type EscalationTestBridge } from './test-fixture.ts';
import { CONSENT_MAX_SKEW_MS, VerifiedConsent } from './consent-verifier.ts';

const COUNSELLOR = `@coun:${SERVER}`;
const ADMIN = `@admin:${SERVER}`;

interface Setup {
  b: EscalationTestBridge;
  student: StudentDevice;
  token: string;
  peer: string;
}

async function setup(b: EscalationTestBridge = escalationTestBridge()): Promise<Setup> {
  const student = await StudentDevice.create(`@s-7kq2m9:${SERVER}`);
  const token = await b.signIn(student.userId);
  const reg = await b.call('POST', '/v1/consent/keys', token, { public_key: student.publicKey });
  expect(reg.status).toBe(200);
  await b.services.roster.putCounsellor(ADMIN, COUNSELLOR, {});
  return { b, student, token, peer: b.hs.peerRoom(student.userId) };
}

async function escalateWith(x: Setup, signed: SignedConsentReceipt, ask: { room?: string; scope?: ConsentScope } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return x.b.call('POST', '/v1/escalations', x.token, { receipt: signed, room_id: ask.room ?? signed.receipt.room_id, scope: ask.scope ?? signed.receipt.scope });
}

const auditHead = async (b: EscalationTestBridge): Promise<{ auditSeq: number }> => ({ auditSeq: (await b.services.store.audit.head())?.seq ?? 0 });

describe('consent keys', () => {
  it('registers a key, rotates to a new one (retiring the old), and treats the current key again as a no-op', async () => {
    const { b, token, student } = await setup();
    const list1 = await b.call<{ keys: { key_id: string; current: boolean }[] }>('GET', '/v1/consent/keys', token);
    expect(list1.body.keys).toEqual([expect.objectContaining({ key_id: student.keys.keyId, current: true })]);
    const again = await b.call<{ retired_key_id: string | null }>('POST', '/v1/consent/keys', token, { public_key: student.publicKey });
    expect(again).toMatchObject({ status: 200, body: { retired_key_id: null } });
    const next = await generateConsentKeyPair();
    const rotated = await b.call<{ key: { key_id: string }; retired_key_id: string }>('POST', '/v1/consent/keys', token, { public_key: encodeConsentPublicKey(next.publicKey) });
    expect(rotated.body).toMatchObject({ key: { key_id: next.keyId }, retired_key_id: student.keys.keyId });
    const list2 = await b.call<{ keys: { key_id: string; current: boolean }[] }>('GET', '/v1/consent/keys', token);
    expect(list2.body.keys.map((k) => [k.key_id, k.current])).toEqual([[student.keys.keyId, false], [next.keyId, true]]);
    const actions = (await b.services.audit.latest(10)).map((e) => [e.action, e.details['key_id']]);
    expect(actions).toContainEqual(['consent.key.registered', next.keyId]);
  });

  it('refuses to make a retired key current again, and a key another account registered', async () => {
    const { b, token, student } = await setup();
    const next = await generateConsentKeyPair();
    await b.call('POST', '/v1/consent/keys', token, { public_key: encodeConsentPublicKey(next.publicKey) });
    const back = await b.call('POST', '/v1/consent/keys', token, { public_key: student.publicKey });
    expect(back).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.CONSENT_KEY_RETIRED' } });
    const other = await b.signIn(`@s-other:${SERVER}`);
    const taken = await b.call('POST', '/v1/consent/keys', other, { public_key: encodeConsentPublicKey(next.publicKey) });
    expect(taken).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.CONSENT_KEY_IN_USE' } });
  });

  it('rejects a public key that is not 32 bytes of unpadded base64, naming the field', async () => {
    const { b, token } = await setup();
    const r = await b.call<{ error: string }>('POST', '/v1/consent/keys', token, { public_key: 'AAAA' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/public_key/);
  });
});

describe('escalation receipts: every verification outcome through the service', () => {
  it('accepts a valid receipt: stores it, creates the room and invites the student and the on-duty counsellor', async () => {
    const x = await setup();
    const r = await x.student.receipt({ roomId: x.peer, now: x.b.clock.now(), severity: 'critical' });
    const res = await escalateWith(x, await x.student.sign(r));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'queued', receipt_id: r.receipt_id, severity: 'critical', topic: 'exam-stress', counsellors_invited: 1 });
    const roomId = res.body['room_id'] as string;
    expect(x.b.hs.membership(roomId, x.student.userId)).toBe('invite');
    expect(x.b.hs.membership(roomId, COUNSELLOR)).toBe('invite');
    const stored = await x.b.services.store.escalation.receipt(r.receipt_id);
    expect(stored).toMatchObject({ student_user_id: x.student.userId, key_id: x.student.keys.keyId, withdrawn_ts: null });
    const actions = (await x.b.services.audit.latest(3)).map((e) => e.action).reverse();
    expect(actions).toEqual(['consent.receipt.accepted', 'escalation.room_created', 'escalation.created']);
  });

  const refusals: [string, number, string, (x: Setup) => Promise<{ status: number; body: Record<string, unknown> }>][] = [
    ['a forged receipt (changed after signing)', 403, 'bad_signature', async (x) => {
      const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now(), severity: 'low' }));
      signed.receipt.severity = 'critical';
      return escalateWith(x, signed);
    }],
    ['an expired receipt', 403, 'expired', async (x) => {
      const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() - 20 * 60_000 - CONSENT_MAX_SKEW_MS }));
      return escalateWith(x, signed);
    }],
    ['a receipt created in the future', 403, 'not_yet_valid', async (x) => escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() + 10 * 60_000 })))],
    ['a receipt signed with a key the student never registered', 403, 'unknown_key', async (x) => {
      const stranger = await generateConsentKeyPair();
      return escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() }), stranger));
    }],
    ['a receipt signed with another student\'s registered key', 403, 'unknown_key', async (x) => {
      const other = await StudentDevice.create(`@s-other:${SERVER}`);
      const otherToken = await x.b.signIn(other.userId);
      await x.b.call('POST', '/v1/consent/keys', otherToken, { public_key: other.publicKey });
      return escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() }), other.keys));
    }],
    ['a receipt signed with the student\'s retired key', 403, 'retired_key', async (x) => {
      const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() }));
        await x.b.call('POST', '/v1/consent/keys', x.token, { public_key: encodeConsentPublicKey((await generateConsentKeyPair()).publicKey) });
      return escalateWith(x, signed);
    }],
    ['a receipt for another scope than asked', 403, 'scope_mismatch', async (x) => {
      const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now(), scope: { share: 'nothing' } }));
      return escalateWith(x, signed, { scope: { share: 'messages', event_ids: ['$abc'] } });
    }],
    ['a receipt naming a partner institution\'s counsellors', 403, 'wrong_institution', async (x) => escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now(), institution: PARTNER })))],
    ['a receipt naming another student', 403, 'wrong_student', async (x) => escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now(), student: `@s-other:${SERVER}` })))],
    ['a receipt for another room than asked', 403, 'wrong_room', async (x) => {
      const other = x.b.hs.peerRoom(x.student.userId);
      return escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() })), { room: other });
    }],
    ['a receipt for a room the student has left', 403, 'not_in_room', async (x) => {
      x.b.hs.setMembership(x.peer, x.student.userId, 'leave');
      return escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() })));
    }],
    ['a receipt for a room the bot is not in', 403, 'not_a_peerline_room', async (x) => {
      const room = x.b.hs.peerRoom(x.student.userId, { botIn: false });
      return escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: room, now: x.b.clock.now() })));
    }],
    ['a receipt for a room without Peerline session state', 403, 'not_a_peerline_room', async (x) => {
      const room = x.b.hs.peerRoom(x.student.userId, { session: false });
      return escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: room, now: x.b.clock.now() })));
    }],
    ['a receipt valid for more than a day', 403, 'too_long_lived', async (x) => escalateWith(x, await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now(), ttlMs: 25 * 3600_000 })))],
  ];

  for (const [what, status, reason, attempt] of refusals) {
    it(`refuses ${what} with ${status} '${reason}', creating nothing`, async () => {
      const x = await setup();
      const before = await auditHead(x.b);
      const res = await attempt(x);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ errcode: expect.stringMatching(/^ORG\.PEERLINE\.CONSENT_/), error: expect.any(String), reason });
      // Setting up some cases (another student's key, a rotation) writes its own audit entries.
      const after = (await x.b.services.store.audit.range(before.auditSeq + 1, 100)).filter((e) => e.action !== 'consent.key.registered');
      expect(after.map((e) => e.action)).toEqual(['consent.receipt.refused']);
      expect(x.b.hs.escalationRooms()).toEqual([]);
      expect(x.b.hs.invitesOf(COUNSELLOR)).toEqual([]);
      expect(await x.b.services.store.escalation.receiptsOf(x.student.userId)).toEqual([]);
    });
  }

  it('refuses a malformed receipt at the boundary, naming the field', async () => {
    const x = await setup();
    const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() }));
    const res = await x.b.call<{ errcode: string; error: string }>('POST', '/v1/escalations', x.token, { receipt: { ...signed, signature: 'short' }, room_id: x.peer, scope: signed.receipt.scope });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/signature/);
    expect(x.b.hs.escalationRooms()).toEqual([]);
  });

  it('refuses a replayed receipt with 409 and creates nothing more', async () => {
    const x = await setup();
    const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() }));
    expect((await escalateWith(x, signed)).status).toBe(200);
    const rooms = x.b.hs.escalationRooms().length;
    const before = await auditHead(x.b);
    const again = await escalateWith(x, signed);
    expect(again).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.CONSENT_REPLAYED', reason: 'replayed' } });
    expect(x.b.hs.escalationRooms().length).toBe(rooms);
    expect((await x.b.services.store.audit.range(before.auditSeq + 1, 100)).map((e) => e.action)).toEqual(['consent.receipt.refused']);
  });

  it('refuses one receipt sent twice at once: one escalation, one replay refusal', async () => {
    const x = await setup();
    const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() }));
    const results = await Promise.all([escalateWith(x, signed), escalateWith(x, signed)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(x.b.hs.escalationRooms().length).toBe(1);
  });

  it('refuses a replay after a restart: new store, new services, same database file', async () => {
    const file = tempDbFile();
    const base = escalationTestBridge();
    const first = await setup(escalationTestBridgeOver(file, base));
    const signed = await first.student.sign(await first.student.receipt({ roomId: first.peer, now: first.b.clock.now() }));
    expect((await escalateWith(first, signed)).status).toBe(200);
    await first.b.services.store.close();

    const second = escalationTestBridgeOver(file, base);
    const token = await second.signIn(first.student.userId);
    const before = await auditHead(second);
    const again = await second.call('POST', '/v1/escalations', token, { receipt: signed, room_id: first.peer, scope: signed.receipt.scope });
    expect(again).toMatchObject({ status: 409, body: { reason: 'replayed' } });
    expect(second.hs.escalationRooms().length).toBe(1);
    expect((await second.services.store.audit.range(before.auditSeq + 1, 100)).map((e) => e.action)).toEqual(['consent.receipt.refused']);
    expect((await second.services.audit.verify()).ok).toBe(true);
    await second.services.store.close();
  });
});

describe('VerifiedConsent: the only way into an escalation', () => {
  it('cannot be constructed outside the verifier', () => {
    const Ctor = VerifiedConsent as unknown as new (seal: symbol, f: object) => VerifiedConsent;
    expect(() => new Ctor(Symbol('VerifiedConsent'), {})).toThrow(/ConsentVerifier only/);
  });

  it('is refused by the escalation service when it is a look-alike object', async () => {
    const x = await setup();
    const fake = { receiptId: 'x', spend: () => ({}) } as unknown as VerifiedConsent;
    await expect(x.b.escalation.parts.escalations.open(fake)).rejects.toThrow(/VerifiedConsent/);
    expect(x.b.hs.escalationRooms()).toEqual([]);
  });

  it('opens one escalation only, however often it is passed in', async () => {
    const x = await setup();
    const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() }));
    const consent = await x.b.escalation.parts.verifier.verify({ signed, studentUserId: x.student.userId, roomId: x.peer, scope: signed.receipt.scope });
    await x.b.escalation.parts.escalations.open(consent);
    await expect(x.b.escalation.parts.escalations.open(consent)).rejects.toThrow(/already used/);
    expect(x.b.hs.escalationRooms().length).toBe(1);
  });

  it('goes stale a minute after verification', async () => {
    const x = await setup();
    const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() }));
    const consent = await x.b.escalation.parts.verifier.verify({ signed, studentUserId: x.student.userId, roomId: x.peer, scope: signed.receipt.scope });
    x.b.clock.advance(61_000);
    await expect(x.b.escalation.parts.escalations.open(consent)).rejects.toThrow(/stale/);
    expect(await x.b.services.store.escalation.receiptsOf(x.student.userId)).toEqual([]);
  });
});

