// Clock skew of a few minutes: homeserver A (and its bridge) run 4 minutes ahead of the machine,
// homeserver B 3 minutes behind it (PEERLINE_CLOCK_OFFSET_MS, a setting for tests only), and the
// student's device keeps the machine's time. Federation still works both ways (joins, messages,
// signing keys fetched and request signatures checked across the skew), device-key queries reach
// the other server, a user of B signs in to A's bridge through B's OpenID userinfo, and A's bridge
// accepts consent receipts whose clock is within the allowed skew of its own while refusing, with a
// clear errcode, those from further in the future or already expired by its clock.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { prepareBridge, signInToBridge, startBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { freePort } from '../helpers/ports.ts';
import { ENCRYPTION_STATE, newClient, waitFor, type Client } from '../helpers/client.ts';
import { HomeserverClient } from '../../bridge-service/src/services/homeserver-client.ts';
import { encodeConsentPublicKey, generateConsentKeyPair, newConsentReceipt, signConsentReceipt, type ConsentKeyPair } from '../../protocol/src/consent.ts';
import { SESSION_EVENT_TYPE } from '../../protocol/src/event-types.ts';
import { CONSENT_MAX_SKEW_MS } from '../../bridge-service/src/escalation/consent-verifier.ts';

const enc = encodeURIComponent;
const MIN = 60_000;
const A_AHEAD_MS = 4 * MIN;
const B_BEHIND_MS = 3 * MIN;

describe('servers whose clocks are minutes apart', () => {
  let a: TestHomeserver;
  let b: TestHomeserver;
  let bridge: TestBridge;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let bobClient: Client;
  let roomId: string;

  beforeAll(async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const [nameA, nameB] = [`localhost:${portA}`, `localhost:${portB}`];
    const prepared = await prepareBridge({ serverName: nameA });
    [a, b] = await Promise.all([
      startHomeserver({
        federationPort: portA, serverName: nameA, env: { PEERLINE_CLOCK_OFFSET_MS: String(A_AHEAD_MS) },
        extraArgs: ['--federation-insecure-skip-verify-for', nameB, '--appservice', prepared.registrationFile],
      }),
      startHomeserver({
        federationPort: portB, serverName: nameB, env: { PEERLINE_CLOCK_OFFSET_MS: String(-B_BEHIND_MS) },
        extraArgs: ['--federation-insecure-skip-verify-for', nameA],
      }),
    ]);
    bridge = await startBridge({
      homeserver: a, prepared, policy: testPolicy(nameA, [nameB]), admins: [`@admin:${nameA}`],
      federationEndpoints: { [nameB]: `https://127.0.0.1:${portB}` }, env: { PEERLINE_CLOCK_OFFSET_MS: String(A_AHEAD_MS) },
    });
    [alice, bob] = await Promise.all([a.registerUser('alice'), b.registerUser('bob')]);
    bobClient = await newClient(b.baseUrl, bob);
  });

  afterAll(async () => {
    bobClient?.stopClient();
    await bridge?.stop();
    bridge?.cleanup();
    for (const hs of [a, b]) {
      await hs?.stop();
      hs?.cleanup();
    }
  });

  it('runs each server on its own clock (the test-only offset is in effect)', async () => {
    const ts = async (hs: TestHomeserver, user: RegisteredUser): Promise<number> => {
      const room = await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: user.accessToken, body: {} });
      const state = await api<{ type: string; origin_server_ts: number }[]>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(room.body.room_id)}/state`, { token: user.accessToken });
      expect(state.status).toBe(200);
      return state.body.find((e) => e.type === 'm.room.create')!.origin_server_ts;
    };
    const before = Date.now();
    const [tsA, tsB] = [await ts(a, alice), await ts(b, bob)];
    const after = Date.now();
    expect(tsA).toBeGreaterThanOrEqual(before + A_AHEAD_MS);
    expect(tsA).toBeLessThanOrEqual(after + A_AHEAD_MS);
    expect(tsB).toBeGreaterThanOrEqual(before - B_BEHIND_MS);
    expect(tsB).toBeLessThanOrEqual(after - B_BEHIND_MS);
    expect(bridge.output()).toContain('PEERLINE_CLOCK_OFFSET_MS is set');
  });

  it('federates both ways: a join across the skew, and messages from each side arrive at the other', async () => {
    roomId = (await api<{ room_id: string }>(a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { invite: [bob.userId], initial_state: [ENCRYPTION_STATE] } })).body.room_id;
    await waitFor('bob\'s invite', () => bobClient.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
    expect((await api(b, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, { token: bob.accessToken, body: {} })).status).toBe(200);
    const say = async (hs: TestHomeserver, user: RegisteredUser, body: string): Promise<string> => {
      const r = await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${randomBytes(6).toString('hex')}`, { token: user.accessToken, body: { msgtype: 'm.text', body } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.event_id;
    };
    const fromA = await say(a, alice, 'sent from the server ahead');
    const fromB = await say(b, bob, 'sent from the server behind');
    const has = async (hs: TestHomeserver, user: RegisteredUser, id: string): Promise<boolean> =>
      (await api(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(id)}`, { token: user.accessToken })).status === 200;
    await waitFor('A\'s message at B', () => has(b, bob, fromA), 30_000);
    await waitFor('B\'s message at A', () => has(a, alice, fromB), 30_000);
  });

  it('answers device-key queries for the other server\'s users', async () => {
    const q = await api<{ device_keys: Record<string, Record<string, unknown>>; failures: Record<string, unknown> }>(a, 'POST', '/_matrix/client/v3/keys/query', { token: alice.accessToken, body: { device_keys: { [bob.userId]: [] } } });
    expect(q.status).toBe(200);
    expect(q.body.failures).toEqual({});
    expect(Object.keys(q.body.device_keys[bob.userId] ?? {})).toEqual([bob.deviceId]);
  });

  it('signs a user of the server behind in to the bridge of the server ahead through OpenID userinfo', async () => {
    const session = await signInToBridge(bridge, b, bob);
    expect(session.user_id).toBe(bob.userId);
  });

  describe('consent receipts signed on a device whose clock differs from the bridge\'s', () => {
    let student: RegisteredUser;
    let studentToken: string;
    let keys: ConsentKeyPair;
    let peerRoom: string;

    beforeAll(async () => {
      student = await a.registerUser(`s-${randomBytes(3).toString('hex')}`);
      const counsellor = await a.registerUser('coun');
      const admin = await a.registerUser('admin');
      const adminToken = (await signInToBridge(bridge, a, admin)).session_token;
      expect((await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(counsellor.userId)}`, { token: adminToken, body: {} })).status).toBe(200);
      const bot = new HomeserverClient({ baseUrl: a.baseUrl, asToken: bridge.asToken, botUserId: `@${bridge.senderLocalpart}:${a.serverName}` });
      ({ room_id: peerRoom } = await bot.createRoom({
        preset: 'private_chat',
        initial_state: [ENCRYPTION_STATE, { type: SESSION_EVENT_TYPE, state_key: '', content: { request_id: 'req-skew', topic: 'exam-stress', institutions: [a.serverName], created_ts: Date.now(), kind: 'peer' } }],
      }));
      await bot.invite(peerRoom, student.userId);
      expect((await api(a, 'POST', `/_matrix/client/v3/join/${enc(peerRoom)}`, { token: student.accessToken, body: {} })).status).toBe(200);
      studentToken = (await signInToBridge(bridge, a, student)).session_token;
      keys = await generateConsentKeyPair();
      expect((await bridge.api('POST', '/v1/consent/keys', { token: studentToken, body: { public_key: encodeConsentPublicKey(keys.publicKey) } })).status).toBe(200);
    });

    /** Escalates with a receipt made on a device whose clock reads `deviceMinusBridgeMs` off the bridge's. */
    async function escalate(deviceMinusBridgeMs: number, ttlMs = 10 * MIN): Promise<{ status: number; body: { errcode?: string; error?: string; receipt_id?: string } }> {
      const receipt = await newConsentReceipt({
        student_user_id: student.userId, room_id: peerRoom, scope: { share: 'nothing' }, counsellor_institution: a.serverName, severity: 'high',
      }, { now: Date.now() + A_AHEAD_MS + deviceMinusBridgeMs, ttlMs });
      const signed = await signConsentReceipt(receipt, keys.secretKey);
      return bridge.api('POST', '/v1/escalations', { token: studentToken, body: { receipt: signed, room_id: peerRoom, scope: signed.receipt.scope } });
    }

    it('accepts a receipt from a device within the allowed skew, ahead of or behind the bridge', async () => {
      expect(CONSENT_MAX_SKEW_MS).toBe(2 * MIN);
      for (const skew of [90_000, -90_000, -A_AHEAD_MS]) {
        const r = await escalate(skew);
        expect(r.status, `${skew} ms: ${JSON.stringify(r.body)}`).toBe(200);
      }
    });

    it('refuses a receipt from a device further ahead than the allowed skew: 403 CONSENT_NOT_YET_VALID', async () => {
      const r = await escalate(CONSENT_MAX_SKEW_MS + MIN);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ errcode: 'ORG.PEERLINE.CONSENT_NOT_YET_VALID', error: expect.stringMatching(/clock/) });
    });

    it('refuses a receipt already expired by the bridge\'s clock beyond the skew: 403 CONSENT_EXPIRED', async () => {
      const r = await escalate(-(5 * MIN), 2 * MIN);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ errcode: 'ORG.PEERLINE.CONSENT_EXPIRED', error: expect.any(String) });
    });
  });
});
