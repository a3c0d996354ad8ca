// Shared by the supervision module's unit tests (excluded from the build): the bridge's services over
// an in-memory store with a manual clock, the matching and supervision modules registered with a
// fake homeserver, and helpers to match a student with a supporter and to store a consent receipt.
import { createApp } from '../app.ts';
import { testBridge, SERVER, type TestBridge } from '../test-fixture.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { ConsentShare } from '../../../protocol/src/consent.ts';
import { matchingModule, type MatchingParts } from '../matching/module.ts';
import { FakeHomeserver, TRAINED } from '../matching/test-fixture.ts';
import { supervisionModule, type SupervisionParts } from './module.ts';

export interface SupervisionFixture extends TestBridge {
  hs: FakeHomeserver;
  matching: MatchingParts;
  parts: SupervisionParts;
  api<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }>;
  supporter(localpart: string, opts?: { available?: boolean }): Promise<{ userId: string; token: string }>;
  student(localpart: string): Promise<{ userId: string; token: string }>;
  counsellor(localpart: string, opts?: { team?: string; server?: string }): Promise<{ userId: string; token: string }>;
  settle(): Promise<void>;
  /** A student asks, the supporter gets the offer and accepts: the active session. */
  match(student: { token: string }, supporter: { token: string }, topic?: string): Promise<{ session_id: string; room_id: string }>;
  /** Stores an accepted consent receipt of the student for the room, as the escalation module would. */
  consent(studentId: string, roomId: string, share: ConsentShare): Promise<string>;
}

export function supervisionFixture(opts: { policy?: InstitutionPolicy } = {}): SupervisionFixture {
  const base = testBridge(opts.policy ? { policy: opts.policy } : {});
  const hs = new FakeHomeserver();
  const matching = matchingModule({ homeserver: hs, manualJobs: true });
  const supervision = supervisionModule({ homeserver: hs, onSupporterChange: () => matching.parts.context.signals.kick() });
  const { app } = createApp(base.services, [(r) => matching.register(base.services, r), (r) => supervision.register(base.services, r)]);
  const call = async <T>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await app.request(path, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const admin = `@admin:${SERVER}`;
  let receipts = 0;
  const settle = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r));
    await matching.parts.engine.idle();
  };
  return {
    ...base, hs, matching: matching.parts, parts: supervision.parts, api: call, settle,
    async supporter(localpart, o = {}) {
      const userId = `@${localpart}:${SERVER}`;
      await base.services.roster.putSupporter(admin, userId, { topics: ['exam-stress'], training: TRAINED, capacity: 4 });
      const token = await base.signIn(userId);
      if (o.available !== false) {
        const r = await call('PUT', '/v1/supporters/me/availability', token, { available: true });
        if (r.status !== 200) throw new Error(`availability of ${userId}: ${r.status}`);
      }
      return { userId, token };
    },
    async student(localpart) {
      const userId = `@${localpart}:${SERVER}`;
      return { userId, token: await base.signIn(userId) };
    },
    async counsellor(localpart, o = {}) {
      const userId = `@${localpart}:${o.server ?? SERVER}`;
      await base.store.roster.putCounsellor({ user_id: userId, team: o.team ?? 'wellbeing', on_duty: null, active: true, updated_ts: base.clock.now(), updated_by: admin },
        { actor: admin, action: 'roster.counsellor.put', subject: userId, details: {} });
      return { userId, token: await base.signIn(userId) };
    },
    async match(student, supporter, topic = 'exam-stress') {
      const req = await call<{ request_id: string }>('POST', '/v1/requests', student.token, { topic });
      if (req.status !== 201) throw new Error(`request: ${req.status} ${JSON.stringify(req.body)}`);
      await settle();
      const offers = await call<{ offers: { offer_id: string }[] }>('GET', '/v1/offers', supporter.token);
      const offer = offers.body.offers[0];
      if (!offer) throw new Error('no offer came');
      const s = await call<{ session_id: string; room_id: string }>('POST', `/v1/offers/${offer.offer_id}/accept`, supporter.token);
      if (s.status !== 200) throw new Error(`accept: ${s.status} ${JSON.stringify(s.body)}`);
      return s.body;
    },
    async consent(studentId, roomId, share) {
      const n = ++receipts;
      const keyId = `ed25519:key${n}`;
      const now = base.clock.now();
      const esc = base.store.escalation;
      await esc.registerConsentKey({ key_id: keyId, user_id: studentId, public_key: 'x', registered_ts: now, retired_ts: null },
        () => ({ actor: studentId, action: 'consent.key.registered', subject: keyId, details: {} }));
      const receiptId = `receipt${String(n).padStart(16, '0')}`;
      const session = await base.store.matching.sessionByRoom(roomId);
      const scope = share === 'summary' ? { share, summary_sha256: 'a'.repeat(43) } : share === 'messages' ? { share, event_ids: ['$e:a.example'] } : { share };
      await esc.acceptReceipt({
        receipt_id: receiptId, nonce: `nonce${n}`, student_user_id: studentId, key_id: keyId, receipt_sha256: 'h'.repeat(43), accepted_ts: now, withdrawn_ts: null,
        escalation_id: `esc_${n}`,
        signed: {
          receipt: {
            version: 1, receipt_id: receiptId, student_user_id: studentId, room_id: roomId, scope, counsellor_institution: SERVER, severity: 'medium',
            created_ts: now, expires_ts: now + 600_000, nonce: `nonce${n}`,
          },
          signature: 's', key_id: keyId,
        } as never,
      }, {
        escalation_id: `esc_${n}`, receipt_id: receiptId, student_user_id: studentId, peer_room_id: roomId, request_id: session?.request_id ?? 'rq_none', topic: 'exam-stress',
        severity: 'medium', room_id: null, status: 'opening', created_ts: now, due_ts: now + 600_000, claimed_by: null, claimed_ts: null,
        counsellor_joined_ts: null, closed_ts: null, outcome: null, updated_ts: now,
      }, { actor: studentId, action: 'consent.receipt.accepted', subject: receiptId, details: {} });
      return receiptId;
    },
  };
}
