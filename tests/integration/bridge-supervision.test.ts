// Supervision through the real bridge and a real homeserver: a supporter who had a session asks for a
// debrief; the bot's room is encrypted from its first event, history from joining, bot 100, only the
// supporter and the supervisor invited, its debrief state says nothing of the student — and the
// bridge refuses to let anything of the student be shared without the student's consent receipt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';

const enc = encodeURIComponent;
const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
/** A current completion of every module the policy lists (whatever the sample policy's modules are). */
const trainingFor = (policy: unknown): { module: string; version: number; completed: string }[] =>
  (policy as { supporters: { training: { modules: { id: string; min_version: number }[] } } }).supporters.training.modules
    .map((m) => ({ module: m.id, version: m.min_version, completed: day(-30) }));

type StateEvent = { type: string; state_key?: string; sender: string; content: Record<string, unknown> };

describe('supervision debriefs', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;
  let bot: string;
  let supporter: RegisteredUser;
  let counsellor: RegisteredUser;
  let student: RegisteredUser;
  let tokens: Record<'admin' | 'supporter' | 'counsellor' | 'student', string>;

  beforeAll(async () => {
    let policy: unknown;
    ({ hs, bridge } = await startHomeserverWithBridge({ policy: (name) => (policy = testPolicy(name)), admins: (name) => [`@admin:${name}`] }));
    bot = `@${bridge.senderLocalpart}:${hs.serverName}`;
    const [admin, sup, coun, stu] = await Promise.all([hs.registerUser('admin'), hs.registerUser('sup-1'), hs.registerUser('coun-1'), hs.registerUser('s-9xq4w2')]);
    supporter = sup; counsellor = coun; student = stu;
    const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    expect((await bridge.api('PUT', `/v1/admin/roster/supporters/${enc(sup.userId)}`, { token: adminToken, body: { topics: ['exam-stress'], training: trainingFor(policy) } })).status).toBe(200);
    expect((await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(coun.userId)}`, { token: adminToken, body: {} })).status).toBe(200);
    tokens = {
      admin: adminToken,
      supporter: (await signInToBridge(bridge, hs, sup)).session_token,
      counsellor: (await signInToBridge(bridge, hs, coun)).session_token,
      student: (await signInToBridge(bridge, hs, stu)).session_token,
    };
  });

  afterAll(async () => {
    await bridge?.stop();
    await hs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
  });

  it('opens an encrypted debrief room for supporter and supervisor with nothing of the student, and refuses a share without consent', async () => {
    // A session to debrief: the student asks, the supporter takes it, the bot makes the peer room.
    expect((await bridge.api('PUT', '/v1/supporters/me/availability', { token: tokens.supporter, body: { available: true } })).status).toBe(200);
    expect((await bridge.api('POST', '/v1/requests', { token: tokens.student, body: { topic: 'exam-stress' } })).status).toBe(201);
    let offer: { offer_id: string } | undefined;
    for (let i = 0; i < 6 && !offer; i++) offer = (await bridge.api<{ offers: { offer_id: string }[] }>('GET', '/v1/offers?timeout_ms=5000', { token: tokens.supporter })).body.offers[0];
    expect(offer).toBeDefined();
    const session = await bridge.api<{ session_id: string; room_id: string }>('POST', `/v1/offers/${offer!.offer_id}/accept`, { token: tokens.supporter });
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    expect((await bridge.api('POST', `/v1/sessions/${session.body.session_id}/end`, { token: tokens.supporter, body: { outcome: 'completed' } })).status).toBe(200);

    // Students and supporters cannot read caseloads; the supervisor sees metadata only.
    expect((await bridge.api<{ errcode: string }>('GET', '/v1/supervision/caseload', { token: tokens.student })).body.errcode).toBe('M_FORBIDDEN');
    expect((await bridge.api<{ errcode: string }>('GET', '/v1/supervision/caseload', { token: tokens.supporter })).body.errcode).toBe('M_FORBIDDEN');
    const caseload = await bridge.api('GET', `/v1/supervision/caseload/${enc(supporter.userId)}`, { token: tokens.counsellor });
    expect(caseload.status).toBe(200);
    expect(JSON.stringify(caseload.body)).not.toContain(student.userId);
    expect(JSON.stringify(caseload.body)).not.toContain(session.body.room_id);

    const debrief = await bridge.api<{ debrief_id: string; room_id: string; supervisor: string; consent: unknown; session: unknown }>(
      'POST', '/v1/supervision/debriefs', { token: tokens.supporter, body: { session_id: session.body.session_id } },
    );
    expect(debrief.status, JSON.stringify(debrief.body)).toBe(201);
    expect(debrief.body).toMatchObject({ supervisor: counsellor.userId, consent: { available: false, share: null }, session: { topic: 'exam-stress' } });
    const roomId = debrief.body.room_id;

    // The room as the homeserver holds it (read by the bot, which made it).
    const events = (await api<{ chunk: StateEvent[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=f&limit=100`, { token: bridge.asToken })).body.chunk;
    const types = events.map((e) => (e.type === 'm.room.member' ? `member:${String(e.content['membership'])}` : e.type));
    const encryptionAt = types.indexOf('m.room.encryption');
    expect(encryptionAt).toBeGreaterThan(0);
    expect(encryptionAt).toBeLessThan(types.indexOf('member:invite'));
    const state = (type: string): Record<string, unknown> => events.find((e) => e.type === type)!.content;
    expect(state('m.room.encryption')).toEqual({ algorithm: 'm.megolm.v1.aes-sha2' });
    expect(state('m.room.history_visibility')).toEqual({ history_visibility: 'joined' });
    expect(state('m.room.join_rules')).toEqual({ join_rule: 'invite' });
    expect(state('m.room.create')['m.federate']).toBe(false);
    expect((state('m.room.power_levels') as { users: Record<string, number> }).users).toEqual({ [bot]: 100 });
    expect(state('org.peerline.debrief')).toEqual({
      debrief_id: debrief.body.debrief_id, institution: hs.serverName, supporter: supporter.userId, supervisor: counsellor.userId, about_session: true, created_ts: expect.any(Number),
    });
    // Members: the bot joined, the supporter and the supervisor invited — nobody else, and no message of any kind.
    const members = Object.fromEntries(events.filter((e) => e.type === 'm.room.member').map((e) => [e.state_key, e.content['membership']]));
    expect(members).toEqual({ [bot]: 'join', [supporter.userId]: 'invite', [counsellor.userId]: 'invite' });
    expect(events.filter((e) => e.state_key === undefined)).toEqual([]);
    const everything = JSON.stringify(events);
    for (const secret of [student.userId, session.body.room_id, session.body.session_id, 'exam-stress']) expect(everything).not.toContain(secret);

    // The student did not consent in that session: nothing of theirs may be shared.
    const share = await bridge.api<{ errcode: string }>('POST', `/v1/supervision/debriefs/${debrief.body.debrief_id}/share`, { token: tokens.supporter, body: { share: 'summary' } });
    expect([share.status, share.body.errcode]).toEqual([403, 'ORG.PEERLINE.NO_CONSENT']);
    // The supervisor finds the debrief with its room.
    const listed = await bridge.api<{ debriefs: { debrief_id: string; room_id: string }[] }>('GET', '/v1/supervision/debriefs', { token: tokens.counsellor });
    expect(listed.body.debriefs.map((d) => [d.debrief_id, d.room_id])).toEqual([[debrief.body.debrief_id, roomId]]);
    // Both can join the room the bot made.
    for (const u of [supporter, counsellor]) expect((await api(hs, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/join`, { token: u.accessToken, body: {} })).status).toBe(200);
  });
});
