// Consented escalation end to end, against a real homeserver and the real bridge process: a student
// (matrix-js-sdk with Rust crypto) signs a consent receipt with libsodium on their "device", the
// bridge verifies it and creates the escalation room through its bot, the on-duty counsellor (another
// real client) is invited and decrypts what the student posts. Forged, expired, replayed, wrong-key
// and wrong-scope receipts are refused with a clear error and create nothing — checked on the
// homeserver itself: the counsellors get no invite. A replay after a bridge restart is refused too.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { collectMessages, newClient, waitFor, type Client } from '../helpers/client.ts';
import { HomeserverClient } from '../../bridge-service/src/services/homeserver-client.ts';
import {
  encodeConsentPublicKey, generateConsentKeyPair, newConsentReceipt, sha256Base64, signConsentReceipt,
  type ConsentKeyPair, type ConsentReceipt, type ConsentScope, type SignedConsentReceipt,
} from '../../protocol/src/consent.ts';
import { CONSENT_RECEIPT_EVENT_TYPE, SESSION_EVENT_TYPE } from '../../protocol/src/event-types.ts';

const enc = encodeURIComponent;

interface EscalationBody {
  escalation_id: string;
  receipt_id: string;
  status: string;
  room_id: string;
  counsellors_invited: number;
  errcode?: string;
  error?: string;
  reason?: string;
}

describe('consented escalation through the real bridge', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;
  let bot: HomeserverClient;
  let student: RegisteredUser;
  let counsellor: RegisteredUser;
  let colleague: RegisteredUser;
  let admin: RegisteredUser;
  let cs: Client;
  let cc: Client;
  let studentToken: string;
  let counsellorToken: string;
  let keys: ConsentKeyPair;
  let peerRoom: string;
  let accepted: SignedConsentReceipt;
  let escalationRoom: string;
  let escalationId: string;

  beforeAll(async () => {
    const started = await startHomeserverWithBridge({ policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`] });
    hs = started.hs;
    bridge = started.bridge;
    student = await hs.registerUser(`s-${randomBytes(3).toString('hex')}`);
    counsellor = await hs.registerUser('coun');
    colleague = await hs.registerUser('coun-2');
    admin = await hs.registerUser('admin');
    const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    for (const c of [counsellor, colleague]) {
      expect((await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(c.userId)}`, { token: adminToken, body: {} })).status).toBe(200);
    }
    bot = new HomeserverClient({ baseUrl: hs.baseUrl, asToken: bridge.asToken, botUserId: `@${bridge.senderLocalpart}:${hs.serverName}` });
    // The peer room, as the matching module's bot makes it: encrypted, with session metadata.
    ({ room_id: peerRoom } = await bot.createRoom({
      preset: 'private_chat',
      initial_state: [
        { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
        { type: SESSION_EVENT_TYPE, state_key: '', content: { request_id: 'req-integration-1', topic: 'exam-stress', institutions: [hs.serverName], created_ts: Date.now(), kind: 'peer' } },
      ],
    }));
    await bot.invite(peerRoom, student.userId);
    cs = await newClient(hs.baseUrl, student);
    cc = await newClient(hs.baseUrl, counsellor);
    await cs.joinRoom(peerRoom);
    studentToken = (await signInToBridge(bridge, hs, student)).session_token;
    counsellorToken = (await signInToBridge(bridge, hs, counsellor)).session_token;
    keys = await generateConsentKeyPair();
    const reg = await bridge.api('POST', '/v1/consent/keys', { token: studentToken, body: { public_key: encodeConsentPublicKey(keys.publicKey) } });
    expect(reg.status).toBe(200);
  });

  afterAll(async () => {
    cs?.stopClient();
    cc?.stopClient();
    await bridge?.stop();
    await hs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
  });

  const receipt = (o: { scope?: ConsentScope; now?: number; ttlMs?: number } = {}): Promise<ConsentReceipt> => newConsentReceipt({
    student_user_id: student.userId, room_id: peerRoom, scope: o.scope ?? { share: 'nothing' }, counsellor_institution: hs.serverName, severity: 'high',
  }, { now: o.now ?? Date.now(), ttlMs: o.ttlMs ?? 10 * 60_000 });

  const escalate = (signed: SignedConsentReceipt, scope: ConsentScope = signed.receipt.scope): Promise<{ status: number; body: EscalationBody }> =>
    bridge.api<EscalationBody>('POST', '/v1/escalations', { token: studentToken, body: { receipt: signed, room_id: peerRoom, scope } });

  /** Rooms the user is invited to or in, as the homeserver says (a fresh, stateless /sync). */
  async function roomsOf(user: RegisteredUser): Promise<{ invite: string[]; join: string[] }> {
    const r = await api<{ rooms?: { invite?: Record<string, unknown>; join?: Record<string, unknown> } }>(hs, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: user.accessToken });
    expect(r.status).toBe(200);
    return { invite: Object.keys(r.body.rooms?.invite ?? {}), join: Object.keys(r.body.rooms?.join ?? {}) };
  }

  async function expectRefused(res: { status: number; body: EscalationBody }, status: number, reason: string, errcode: RegExp): Promise<void> {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body).toMatchObject({ reason, errcode: expect.stringMatching(errcode), error: expect.any(String) });
    for (const c of [counsellor, colleague]) expect((await roomsOf(c)).invite, `${c.userId} got no invite`).toEqual([]);
    const receipts = await bridge.api<{ receipts: unknown[] }>('GET', '/v1/consent/receipts', { token: studentToken });
    expect(receipts.body.receipts).toEqual([]);
    const queue = await bridge.api<{ items: unknown[] }>('GET', '/v1/escalations/queue', { token: counsellorToken });
    expect(queue.body.items).toEqual([]);
  }

  it('refuses a forged receipt (changed after signing): 403, nothing created', async () => {
    const signed = await signConsentReceipt(await receipt(), keys.secretKey);
    signed.receipt.severity = 'critical';
    await expectRefused(await escalate(signed), 403, 'bad_signature', /CONSENT_BAD_SIGNATURE/);
  });

  it('refuses an expired receipt: 403, nothing created', async () => {
    const signed = await signConsentReceipt(await receipt({ now: Date.now() - 60 * 60_000 }), keys.secretKey);
    await expectRefused(await escalate(signed), 403, 'expired', /CONSENT_EXPIRED/);
  });

  it('refuses a receipt signed with a key the student never registered: 403, nothing created', async () => {
    const other = await generateConsentKeyPair();
    await expectRefused(await escalate(await signConsentReceipt(await receipt(), other.secretKey)), 403, 'unknown_key', /CONSENT_UNKNOWN_KEY/);
  });

  it('refuses a receipt whose scope is not what the request shares: 403, nothing created', async () => {
    const signed = await signConsentReceipt(await receipt({ scope: { share: 'nothing' } }), keys.secretKey);
    const asked: ConsentScope = { share: 'summary', summary_sha256: await sha256Base64('what I chose to share') };
    await expectRefused(await escalate(signed, asked), 403, 'scope_mismatch', /CONSENT_SCOPE_MISMATCH/);
  });

  it('escalates with a valid receipt: the on-duty counsellors are invited to an encrypted room of the own institution', async () => {
    accepted = await signConsentReceipt(await receipt({ scope: { share: 'summary', summary_sha256: await sha256Base64('a summary') } }), keys.secretKey);
    const res = await escalate(accepted);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'queued', receipt_id: accepted.receipt.receipt_id, counsellors_invited: 2 });
    escalationRoom = res.body.room_id;
    escalationId = res.body.escalation_id;
    for (const c of [counsellor, colleague]) expect((await roomsOf(c)).invite).toEqual([escalationRoom]);
    expect((await roomsOf(student)).invite).toEqual([escalationRoom]);

    const state = async (type: string, key = ''): Promise<Record<string, unknown>> => bot.getStateEvent(escalationRoom, type, key);
    expect(await state('m.room.encryption')).toMatchObject({ algorithm: 'm.megolm.v1.aes-sha2' });
    expect(await state('m.room.history_visibility')).toEqual({ history_visibility: 'joined' });
    expect(await state('m.room.server_acl')).toMatchObject({ allow: [hs.serverName.replace(/:[0-9]+$/, '')], deny: [], allow_ip_literals: false });
    expect(await state(SESSION_EVENT_TYPE)).toMatchObject({ kind: 'escalation', topic: 'exam-stress', request_id: 'req-integration-1', institutions: [hs.serverName] });
    expect(await state(CONSENT_RECEIPT_EVENT_TYPE, accepted.receipt.receipt_id)).toMatchObject({ receipt_id: accepted.receipt.receipt_id, receipt_sha256: expect.any(String) });
    const pl = await state('m.room.power_levels');
    expect(pl).toMatchObject({ users: { [bot.botUserId]: 100 }, users_default: 0, events_default: 0, invite: 100 });
    // Encrypted from its first event: m.room.encryption precedes every non-state event.
    const timeline = await bot.request<{ chunk: { type: string; state_key?: string }[] }>('GET', `/_matrix/client/v3/rooms/${enc(escalationRoom)}/messages`, { query: { dir: 'f', limit: '100' } });
    const encryptionAt = timeline.chunk.findIndex((e) => e.type === 'm.room.encryption');
    expect(encryptionAt).toBeGreaterThan(-1);
    expect(timeline.chunk.findIndex((e) => e.state_key === undefined)).toBe(-1);
  });

  it('lets the counsellor decrypt what the student posts in the escalation room, and the bot holds no device', async () => {
    const atCounsellor = collectMessages(cc, escalationRoom);
    // The student is in the room first (invited at once); the counsellor joins when they respond.
    await waitFor('the student\'s client to see the invite', () => cs.getRoom(escalationRoom)?.getMyMembership() === 'invite');
    await cs.joinRoom(escalationRoom);
    await waitFor('the counsellor\'s client to see the invite', () => cc.getRoom(escalationRoom)?.getMyMembership() === 'invite');
    await cc.joinRoom(escalationRoom);
    await waitFor('the student to see the counsellor in the room', () => cs.getRoom(escalationRoom)?.getMember(counsellor.userId)?.membership === 'join');
    const shared = `what I chose to share ${randomBytes(6).toString('hex')}`;
    await cs.sendTextMessage(escalationRoom, shared);
    await waitFor('the counsellor to decrypt the student\'s message', () => atCounsellor.bodies.includes(shared), 30_000);
    expect(atCounsellor.failures).toEqual([]);

    // The bridge's bot has no device, so no client can share a room key with it.
    const q = await api<{ device_keys: Record<string, Record<string, unknown>> }>(hs, 'POST', '/_matrix/client/v3/keys/query', { token: student.accessToken, body: { device_keys: { [bot.botUserId]: [] } } });
    expect(Object.keys(q.body.device_keys[bot.botUserId] ?? {})).toEqual([]);
    expect((await cs.getCrypto()!.getUserDeviceInfo([bot.botUserId])).get(bot.botUserId)?.size ?? 0).toBe(0);

    // The bridge heard the counsellor join (appservice transaction): consent can no longer be withdrawn.
    await waitFor('the bridge to record the counsellor\'s join', async () => {
      const r = await bridge.api<{ receipts: { receipt_id: string; withdrawable: boolean; escalation: { counsellor_joined: boolean } }[] }>('GET', '/v1/consent/receipts', { token: studentToken });
      return r.body.receipts.find((x) => x.receipt_id === accepted.receipt.receipt_id)?.escalation.counsellor_joined === true;
    });
    const w = await bridge.api('POST', `/v1/consent/receipts/${accepted.receipt.receipt_id}/withdraw`, { token: studentToken });
    expect(w).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.CONSENT_ALREADY_SHARED' } });
  });

  it('shows the counsellor the escalation with its receipt; claiming takes back the colleague\'s invite; resolving closes it', async () => {
    const q = await bridge.api<{ items: { escalation_id: string; receipt: { signed: SignedConsentReceipt; signature_valid: boolean } }[] }>('GET', '/v1/escalations/queue', { token: counsellorToken });
    expect(q.body.items).toHaveLength(1);
    expect(q.body.items[0]!.escalation_id).toBe(escalationId);
    expect(q.body.items[0]!.receipt).toMatchObject({ signature_valid: true, signed: { receipt: { receipt_id: accepted.receipt.receipt_id, scope: { share: 'summary' } } } });
    expect((await bridge.api('POST', `/v1/escalations/${escalationId}/claim`, { token: counsellorToken })).status).toBe(200);
    expect((await roomsOf(colleague)).invite).toEqual([]);
    const resolved = await bridge.api('POST', `/v1/escalations/${escalationId}/resolve`, { token: counsellorToken, body: { outcome: 'support_provided' } });
    expect(resolved).toMatchObject({ status: 200, body: { status: 'resolved' } });
  });

  it('refuses the same receipt again (replay): 409, and the counsellors get no new invite', async () => {
    const before = await roomsOf(counsellor);
    const again = await escalate(accepted);
    expect(again).toMatchObject({ status: 409, body: { reason: 'replayed', errcode: 'ORG.PEERLINE.CONSENT_REPLAYED' } });
    expect(await roomsOf(counsellor)).toEqual(before);
    expect((await roomsOf(colleague)).invite).toEqual([]);
  });

  it('refuses the replay after a bridge restart too', async () => {
    await bridge.restart();
    studentToken = (await signInToBridge(bridge, hs, student)).session_token;
    const before = await roomsOf(counsellor);
    const again = await escalate(accepted);
    expect(again).toMatchObject({ status: 409, body: { reason: 'replayed' } });
    expect(await roomsOf(counsellor)).toEqual(before);
    expect((await roomsOf(colleague)).invite).toEqual([]);
  });

  it('withdraws consent before a counsellor joins: the escalation closes and the invites are taken back', async () => {
    const signed = await signConsentReceipt(await receipt(), keys.secretKey);
    const res = await escalate(signed);
    expect(res.status).toBe(200);
    const room = res.body.room_id;
    expect((await roomsOf(colleague)).invite).toEqual([room]);
    const w = await bridge.api('POST', `/v1/consent/receipts/${signed.receipt.receipt_id}/withdraw`, { token: studentToken });
    expect(w).toMatchObject({ status: 200, body: { status: 'withdrawn', invites_rescinded: 2 } });
    expect((await roomsOf(colleague)).invite).toEqual([]);
    expect((await roomsOf(counsellor)).invite).toEqual([]);
    const q = await bridge.api<{ items: unknown[] }>('GET', '/v1/escalations/queue', { token: counsellorToken });
    expect(q.body.items).toEqual([]);
  });

  it('keeps every step in an intact audit chain, and counts refusals in the metrics', async () => {
    const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    const audit = await bridge.api<{ entries: { action: string; details: { reason?: string } }[]; chain: { ok: boolean } }>('GET', '/v1/admin/audit?limit=1000', { token: adminToken });
    expect(audit.body.chain.ok).toBe(true);
    const actions = audit.body.entries.map((e) => e.action);
    for (const a of ['consent.key.registered', 'consent.receipt.accepted', 'escalation.room_created', 'escalation.created', 'escalation.counsellor_joined',
      'escalation.claimed', 'escalation.invites_rescinded', 'escalation.resolved', 'consent.receipt.withdrawn']) expect(actions, a).toContain(a);
    const reasons = audit.body.entries.filter((e) => e.action === 'consent.receipt.refused').map((e) => e.details.reason).sort();
    expect(reasons).toEqual(['bad_signature', 'expired', 'replayed', 'replayed', 'scope_mismatch', 'unknown_key']);
    const metrics = await fetch(`${bridge.url}/metrics`).then((r) => r.text());
    // Counted since the restart: the one replay refused after it.
    expect(metrics).toMatch(/bridge_consent_refusals_total\{reason="replayed"\} 1/);
  });
});
