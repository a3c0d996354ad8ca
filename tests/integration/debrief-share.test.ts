// Sharing in a debrief with the student's consent, through the real bridge, a real homeserver and
// real matrix-js-sdk clients with Rust crypto: the student chose two messages when consenting to
// escalate; after the session the supporter's device reads exactly those (decrypted on the device,
// from the peer room it has been removed from) and posts them into the encrypted debrief room, where
// the supervisor reads them decrypted. The bridge never carries the content. Once the student's
// consent is withdrawn, nothing more can be shared.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredUser, TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { collectMessages, joinEncryptedRoom, newClient, waitFor, type Client } from '../helpers/client.ts';
import { encodeConsentPublicKey, generateConsentKeyPair, newConsentReceipt, signConsentReceipt } from '../../protocol/src/consent.ts';
import { noShareReason, postDebriefShare, prepareDebriefShare, type DebriefShareDeps } from '../../web-client/src/state/debrief-share.ts';
import type { DebriefView, SupervisionBridge } from '../../web-client/src/bridge/supervision-api.ts';

const enc = encodeURIComponent;
const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const trainingFor = (policy: unknown): { module: string; version: number; completed: string }[] =>
  (policy as { supporters: { training: { modules: { id: string; min_version: number }[] } } }).supporters.training.modules
    .map((m) => ({ module: m.id, version: m.min_version, completed: day(-30) }));

describe('sharing in a debrief with the student\'s consent', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;
  let student: RegisteredUser;
  let supporter: RegisteredUser;
  let counsellor: RegisteredUser;
  let tokens: Record<'student' | 'supporter' | 'counsellor', string>;
  const clients: Client[] = [];

  beforeAll(async () => {
    let policy: unknown;
    ({ hs, bridge } = await startHomeserverWithBridge({ policy: (name) => (policy = testPolicy(name)), admins: (name) => [`@admin:${name}`] }));
    const [admin, sup, coun, stu] = await Promise.all([hs.registerUser('admin'), hs.registerUser('sup-d'), hs.registerUser('coun-d'), hs.registerUser(`s-${randomBytes(3).toString('hex')}`)]);
    supporter = sup; counsellor = coun; student = stu;
    const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    expect((await bridge.api('PUT', `/v1/admin/roster/supporters/${enc(sup.userId)}`, { token: adminToken, body: { topics: ['exam-stress'], training: trainingFor(policy) } })).status).toBe(200);
    expect((await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(coun.userId)}`, { token: adminToken, body: {} })).status).toBe(200);
    const [s1, s2, s3] = await Promise.all([stu, sup, coun].map(async (u) => (await signInToBridge(bridge, hs, u)).session_token));
    tokens = { student: s1!, supporter: s2!, counsellor: s3! };
  });

  afterAll(async () => {
    for (const c of clients) c.stopClient();
    await bridge?.stop();
    await hs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
  });

  /** The web client's bridge requester, for the supporter (throws with status and errcode like BridgeClient). */
  const supporterBridge: SupervisionBridge = {
    async request<T>(method: string, path: string, o: { body?: unknown } = {}): Promise<T> {
      const res = await bridge.api<T & { errcode?: string }>(method, path, { token: tokens.supporter, ...(o.body !== undefined ? { body: o.body } : {}) });
      if (res.status >= 300) throw Object.assign(new Error(`bridge ${res.status}`), { status: res.status, errcode: res.body.errcode });
      return res.body;
    },
  } as SupervisionBridge;

  it('posts exactly the chosen messages, decrypted on the supporter\'s device, into the debrief room for the supervisor — and nothing once consent is withdrawn', async () => {
    const [cs, cp, cc] = await Promise.all([newClient(hs.baseUrl, student), newClient(hs.baseUrl, supporter), newClient(hs.baseUrl, counsellor)]);
    clients.push(cs, cp, cc);

    // A session: the student asks, the supporter takes it, both join the encrypted peer room and talk.
    expect((await bridge.api('PUT', '/v1/supporters/me/availability', { token: tokens.supporter, body: { available: true } })).status).toBe(200);
    expect((await bridge.api('POST', '/v1/requests', { token: tokens.student, body: { topic: 'exam-stress' } })).status).toBe(201);
    let offer: { offer_id: string } | undefined;
    for (let i = 0; i < 6 && !offer; i++) offer = (await bridge.api<{ offers: { offer_id: string }[] }>('GET', '/v1/offers?timeout_ms=5000', { token: tokens.supporter })).body.offers[0];
    const session = await bridge.api<{ session_id: string; room_id: string }>('POST', `/v1/offers/${offer!.offer_id}/accept`, { token: tokens.supporter });
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    const peerRoom = session.body.room_id;
    await Promise.all([joinEncryptedRoom(cs, peerRoom), joinEncryptedRoom(cp, peerRoom)]);
    await waitFor('both members in the peer room', () => cs.getRoom(peerRoom)?.getJoinedMembers().some((m) => m.userId === supporter.userId)
      && cp.getRoom(peerRoom)?.getJoinedMembers().some((m) => m.userId === student.userId));
    const atSupporter = collectMessages(cp, peerRoom);
    const chosen1 = (await cs.sendTextMessage(peerRoom, 'I have not slept properly since the exams began')).event_id;
    const notChosen = (await cs.sendTextMessage(peerRoom, 'my sister is called Mira')).event_id;
    const chosen2 = (await cs.sendTextMessage(peerRoom, 'sometimes I feel I cannot cope')).event_id;
    await waitFor('the supporter decrypting the student\'s messages', () => atSupporter.bodies.length === 3);
    expect(notChosen).not.toBe(chosen1);

    // The student consents to escalate, sharing two chosen messages (a receipt signed on their device).
    const keys = await generateConsentKeyPair();
    expect((await bridge.api('POST', '/v1/consent/keys', { token: tokens.student, body: { public_key: encodeConsentPublicKey(keys.publicKey) } })).status).toBe(200);
    const scope = { share: 'messages' as const, event_ids: [chosen1, chosen2] };
    const signed = await signConsentReceipt(await newConsentReceipt({
      student_user_id: student.userId, room_id: peerRoom, scope, counsellor_institution: hs.serverName, severity: 'high',
    }, { now: Date.now(), ttlMs: 10 * 60_000 }), keys.secretKey);
    const escalated = await bridge.api<{ receipt_id: string }>('POST', '/v1/escalations', { token: tokens.student, body: { receipt: signed, room_id: peerRoom, scope } });
    expect(escalated.status, JSON.stringify(escalated.body)).toBe(200);

    // The session ends (the supporter is removed from the peer room); the supporter asks for a debrief about it.
    expect((await bridge.api('POST', `/v1/sessions/${session.body.session_id}/end`, { token: tokens.supporter, body: { outcome: 'referred' } })).status).toBe(200);
    await waitFor('the supporter out of the peer room', () => cp.getRoom(peerRoom)?.getMyMembership() === 'leave');
    const debrief = await bridge.api<DebriefView>('POST', '/v1/supervision/debriefs', { token: tokens.supporter, body: { session_id: session.body.session_id } });
    expect(debrief.status, JSON.stringify(debrief.body)).toBe(201);
    expect(debrief.body.consent).toEqual({ available: true, share: 'messages', receipt_id: escalated.body.receipt_id, scope: { room_id: peerRoom, event_ids: [chosen1, chosen2] } });
    const debriefRoom = debrief.body.room_id!;
    await Promise.all([joinEncryptedRoom(cp, debriefRoom), joinEncryptedRoom(cc, debriefRoom)]);
    await waitFor('both members in the debrief room', () => cp.getRoom(debriefRoom)?.getJoinedMembers().some((m) => m.userId === counsellor.userId));
    const atSupervisor = collectMessages(cc, debriefRoom);

    // The supporter's device: reads the peer room's messages itself (fetched and decrypted here), sends into the debrief room.
    const deps: DebriefShareDeps = {
      bridge: supporterBridge,
      async readMessage(roomId, eventId) {
        const event = cp.getEventMapper()(await cp.fetchRoomEvent(roomId, eventId));
        await cp.decryptEventIfNeeded(event);
        const body = event.getContent()['body'];
        return event.isDecryptionFailure() || typeof body !== 'string' ? null : { body, mine: event.getSender() === supporter.userId };
      },
      async sendEventTo(roomId, type, content) {
        return (await (cp.sendEvent.bind(cp) as (r: string, t: string, c: Record<string, unknown>) => Promise<{ event_id: string }>)(roomId, type, content)).event_id;
      },
    };
    expect(noShareReason(debrief.body)).toBeNull();
    const shareOffer = await prepareDebriefShare(deps, debrief.body);
    expect(shareOffer.items.map((i) => [i.from, i.body])).toEqual([['student', 'I have not slept properly since the exams began'], ['student', 'sometimes I feel I cannot cope']]);
    expect(await postDebriefShare(deps, shareOffer, (r) => `Shared with the student's consent (receipt ${r}):`)).toBe(2);
    const heading = `Shared with the student's consent (receipt ${escalated.body.receipt_id}):`;
    await waitFor('the supervisor decrypting the shared messages', () => atSupervisor.bodies.length === 2);
    expect(atSupervisor.bodies).toEqual([`${heading}\n> I have not slept properly since the exams began`, `${heading}\n> sometimes I feel I cannot cope`]);
    expect(atSupervisor.failures).toEqual([]);
    expect(atSupervisor.bodies.join('\n')).not.toContain('Mira');
    // The homeserver holds the debrief room's messages as ciphertext only.
    const events = await fetch(`${hs.baseUrl}/_matrix/client/v3/rooms/${enc(debriefRoom)}/messages?dir=f&limit=50`, { headers: { Authorization: `Bearer ${counsellor.accessToken}` } });
    const stored = JSON.stringify(await events.json());
    expect(stored).toContain('m.room.encrypted');
    expect(stored).not.toContain('since the exams began');

    // The student withdraws their consent: the bridge refuses, and the client offers nothing more.
    expect((await bridge.api('POST', `/v1/consent/receipts/${escalated.body.receipt_id}/withdraw`, { token: tokens.student, body: {} })).status).toBe(200);
    const after = await bridge.api<DebriefView>('GET', `/v1/supervision/debriefs/${debrief.body.debrief_id}`, { token: tokens.supporter });
    expect(after.body.consent).toEqual({ available: false, share: null, receipt_id: null, scope: null });
    expect(noShareReason(after.body)).toBe('no-consent');
    await expect(prepareDebriefShare(deps, after.body)).rejects.toThrow(/no-consent/);
    await expect(postDebriefShare(deps, shareOffer, () => 'again')).rejects.toMatchObject({ status: 403, errcode: 'ORG.PEERLINE.NO_CONSENT' });
    expect(atSupervisor.bodies).toHaveLength(2);
  }, 90_000);
});
