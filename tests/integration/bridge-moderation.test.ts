// Group moderation and message reports through the real bridge and a real homeserver: a supporter
// trained for the group's topic mutes a member (the homeserver then refuses their messages), kicks
// them (no longer joined) and bans them (cannot join again); a member reports a message with only
// the text they chose to share, and the moderator sees it without the reporter. Students and
// untrained supporters are refused. Messages are sent as ciphertext-shaped events: the homeserver's
// power-level checks are about the event, not its content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';

const enc = encodeURIComponent;
const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const TRAINING = [
  { module: 'active-listening', version: 1, completed: day(-30) },
  { module: 'boundaries-confidentiality', version: 1, completed: day(-30) },
  { module: 'risk-and-escalation', version: 1, completed: day(-30) },
  { module: 'group-moderation', version: 1, completed: day(-30) },
];

describe('group moderation against a real homeserver', () => {
  let hs: TestHomeserver;
  let bridge: TestBridge;
  let sup: RegisteredUser; let other: RegisteredUser; let s1: RegisteredUser; let s2: RegisteredUser;
  const tokens = new Map<string, string>();
  let group: { group_id: string; room_id: string };
  let txn = 0;

  const token = async (u: RegisteredUser): Promise<string> => {
    if (!tokens.has(u.userId)) tokens.set(u.userId, (await signInToBridge(bridge, hs, u)).session_token);
    return tokens.get(u.userId)!;
  };
  /** Sends an m.room.encrypted event as the user; returns the homeserver's answer. */
  const send = (u: RegisteredUser): Promise<{ status: number; body: { event_id?: string; errcode?: string } }> =>
    api(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(group.room_id)}/send/m.room.encrypted/t${++txn}`, {
      token: u.accessToken, body: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgAEnB0ZXN0', sender_key: 'k', session_id: 's', device_id: u.deviceId },
    });
  const membership = async (u: RegisteredUser): Promise<string> => {
    const r = await api<{ membership: string }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(group.room_id)}/state/m.room.member/${enc(u.userId)}`, { token: sup.accessToken });
    return r.body.membership;
  };
  const moderate = async (by: RegisteredUser, action: string, target: RegisteredUser, reason = `Reason for ${action}`) =>
    bridge.api<{ member: { membership: string; muted: boolean }; errcode?: string }>('POST', `/v1/groups/${group.group_id}/moderation`, { token: await token(by), body: { action, user_id: target.userId, reason } });

  beforeAll(async () => {
    const started = await startHomeserverWithBridge({ policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`] });
    hs = started.hs;
    bridge = started.bridge;
    const admin = await hs.registerUser('admin');
    const users = await Promise.all(['sup', 'other', 's-mod1', 's-mod2'].map((l) => hs.registerUser(l)));
    [sup, other, s1, s2] = users as [RegisteredUser, RegisteredUser, RegisteredUser, RegisteredUser];
    const adminToken = await token(admin);
    tokens.set('admin', adminToken);
    for (const [u, topics] of [[sup, ['exam-stress']], [other, ['low-mood']]] as const) {
      const r = await bridge.api('PUT', `/v1/admin/roster/supporters/${enc(u.userId)}`, { token: adminToken, body: { topics, training: TRAINING } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const created = await bridge.api<{ group_id: string; room_id: string }>('POST', '/v1/groups', { token: await token(sup), body: { topic: 'exam-stress', name: 'Exam stress circle' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    group = created.body;
    for (const u of [sup, s1, s2]) {
      if (u !== sup) expect((await bridge.api('POST', `/v1/groups/${group.group_id}/join`, { token: await token(u) })).status).toBe(200);
      const j = await api(hs, 'POST', `/_matrix/client/v3/join/${enc(group.room_id)}`, { token: u.accessToken, body: {} });
      expect(j.status, JSON.stringify(j.body)).toBe(200);
    }
  });

  afterAll(async () => {
    await bridge?.stop();
    await hs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
  });

  it('takes a report from a member with only the shared text, and shows it to the moderator without the reporter', async () => {
    const sent = await send(s2);
    expect(sent.status).toBe(200);
    const r = await bridge.api<{ report_id: string }>('POST', '/v1/reports', {
      token: await token(s1), body: { room_id: group.room_id, event_id: sent.body.event_id, reason_code: 'harassment', shared_text: 'the words I chose to share' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await bridge.api('GET', `/v1/reports?group_id=${group.group_id}`, { token: await token(s2) })).status).toBe(403);
    expect((await bridge.api('GET', `/v1/reports?group_id=${group.group_id}`, { token: await token(other) })).status).toBe(403);
    const list = await bridge.api<{ reports: { report_id: string; reported_user_id: string; shared_text: string }[] }>('GET', `/v1/reports?group_id=${group.group_id}`, { token: await token(sup) });
    expect(list.body.reports).toEqual([expect.objectContaining({ report_id: r.body.report_id, reported_user_id: s2.userId, shared_text: 'the words I chose to share' })]);
    expect(JSON.stringify(list.body)).not.toContain(s1.userId);
    expect((await bridge.api('POST', `/v1/reports/${r.body.report_id}/close`, { token: await token(sup) })).status).toBe(200);
  });

  it('refuses moderation by a student and by a supporter not trained for the topic', async () => {
    expect((await moderate(s1, 'mute', s2)).status).toBe(403);
    expect((await moderate(other, 'kick', s2)).status).toBe(403);
    expect(await membership(s2)).toBe('join');
  });

  it('mutes a member: the homeserver rejects their messages until they are unmuted', async () => {
    const muted = await moderate(sup, 'mute', s2, 'Kept posting after a warning');
    expect(muted.status, JSON.stringify(muted.body)).toBe(200);
    expect(muted.body.member.muted).toBe(true);
    const refused = await send(s2);
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe('M_FORBIDDEN');
    expect((await send(s1)).status).toBe(200);
    expect((await moderate(sup, 'unmute', s2)).status).toBe(200);
    expect((await send(s2)).status).toBe(200);
  });

  it('kicks a member out of the room, and a ban keeps them from joining again', async () => {
    expect((await moderate(sup, 'kick', s2, 'Spamming links')).status).toBe(200);
    expect(await membership(s2)).toBe('leave');
    const joined = await api<{ joined: Record<string, unknown> }>(hs, 'GET', `/_matrix/client/v3/rooms/${enc(group.room_id)}/joined_members`, { token: sup.accessToken });
    expect(Object.keys(joined.body.joined)).not.toContain(s2.userId);
    expect((await send(s2)).status).toBe(403);
    const banned = await moderate(sup, 'ban', s2, 'Threats to another member');
    expect(banned.status, JSON.stringify(banned.body)).toBe(200);
    expect(await membership(s2)).toBe('ban');
    expect((await api(hs, 'POST', `/_matrix/client/v3/join/${enc(group.room_id)}`, { token: s2.accessToken, body: {} })).status).toBe(403);
    // Asking the bridge to join again is refused plainly, not as a homeserver failure.
    const again = await bridge.api<{ errcode: string; error: string }>('POST', `/v1/groups/${group.group_id}/join`, { token: await token(s2) });
    expect(again.status, JSON.stringify(again.body)).toBe(403);
    expect(again.body.error).toMatch(/removed you from this group/);
  });

  it('audits every action with the moderator\'s reason and every report without its text', async () => {
    const audit = await bridge.api<{ entries: { actor: string; action: string; subject: string; details: Record<string, unknown> }[]; chain: { ok: boolean } }>(
      'GET', '/v1/admin/audit?limit=200', { token: tokens.get('admin')! });
    expect(audit.body.chain.ok).toBe(true);
    const moderation = audit.body.entries.filter((e) => e.action.startsWith('group.moderation.')).reverse();
    expect(moderation.map((e) => [e.actor, e.action, e.details['target'], e.details['reason']])).toEqual([
      [sup.userId, 'group.moderation.mute', s2.userId, 'Kept posting after a warning'],
      [sup.userId, 'group.moderation.unmute', s2.userId, 'Reason for unmute'],
      [sup.userId, 'group.moderation.kick', s2.userId, 'Spamming links'],
      [sup.userId, 'group.moderation.ban', s2.userId, 'Threats to another member'],
    ]);
    expect(audit.body.entries.some((e) => e.action === 'group.report.created')).toBe(true);
    expect(JSON.stringify(audit.body)).not.toContain('the words I chose to share');
  });
});
