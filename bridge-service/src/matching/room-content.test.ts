import { describe, expect, it } from 'vitest';
import { aclHost, coordinationRoomRequest, powerLevels, serverAclContent, supportRoomRequest } from './room-content.ts';

const session = { request_id: 'rq_abcdefgh', topic: 'exam-stress', institutions: ['a.example', 'b.example:8448'], created_ts: 1_700_000_000_000, kind: 'peer' as const };

describe('room shapes', () => {
  it('admits exactly the institutions involved in the ACL, by host without port, and never IP literals', () => {
    expect(aclHost('b.example:8448')).toBe('b.example');
    expect(aclHost('[::1]:8448')).toBe('[::1]');
    expect(serverAclContent(['b.example:8448', 'a.example', 'a.example:443'])).toEqual({ allow: ['a.example', 'b.example'], deny: [], allow_ip_literals: false });
    expect(() => serverAclContent(['a.example', '10.0.0.7:8448'])).toThrow(/IP literal/);
    expect(() => serverAclContent(['[2001:db8::1]'])).toThrow(/IP literal/);
  });

  it('makes a peer room encrypted from its first initial event, joined-only history, bot 100 and members 0, session state validated', () => {
    const req = supportRoomRequest({ botUserId: '@bot:a.example', session, invite: ['@s:a.example'], retentionDays: 30 });
    expect(req.initial_state![0]).toEqual({ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } });
    expect(req.initial_state!.find((e) => e.type === 'm.room.history_visibility')!.content).toEqual({ history_visibility: 'joined' });
    expect(req.initial_state!.find((e) => e.type === 'org.peerline.session')!.content).toEqual(session);
    // The homeserver prunes content past the policy's retention (30 days here).
    expect(req.initial_state!.find((e) => e.type === 'm.room.retention')!.content).toEqual({ max_lifetime: 30 * 86_400_000 });
    expect((req.power_level_content_override!['events'] as Record<string, number>)['m.room.retention']).toBe(100);
    expect(req.power_level_content_override).toMatchObject({ users: { '@bot:a.example': 100 }, users_default: 0, events_default: 0, state_default: 100, invite: 100, kick: 100, ban: 100, redact: 100 });
    expect((req.power_level_content_override!['events'] as Record<string, number>)['org.peerline.session']).toBe(100);
    expect(req.name).toBeUndefined();
    // Two institutions: the room federates; one institution: it never leaves its homeserver.
    expect(req.creation_content).toBeUndefined();
    expect(supportRoomRequest({ botUserId: '@bot:a.example', session: { ...session, institutions: ['a.example'] }, invite: [], retentionDays: 30 }).creation_content).toEqual({ 'm.federate': false });
  });

  it('refuses to put anything but metadata into the session state', () => {
    expect(() => supportRoomRequest({ botUserId: '@bot:a.example', session: { ...session, note: 'feeling low' } as never, invite: [], retentionDays: 30 })).toThrow(/schema/);
    expect(() => supportRoomRequest({ botUserId: '@bot:a.example', session: { ...session, topic: 'Feeling low' }, invite: [], retentionDays: 30 })).toThrow(/schema/);
  });

  it('makes an ended session\'s room read-only for members', () => {
    expect(powerLevels(['@bot:a.example'], { readOnly: true })).toMatchObject({ events_default: 100, users: { '@bot:a.example': 100 } });
  });

  it('makes the coordination room unencrypted, shared between the two bots only', () => {
    const req = coordinationRoomRequest({ botUserId: '@bot:a.example', partnerBotUserId: '@bot:b.example', own: 'a.example', partner: 'b.example' });
    expect(req.initial_state!.some((e) => e.type === 'm.room.encryption')).toBe(false);
    expect(req.invite).toBeUndefined();
    expect(req.power_level_content_override).toMatchObject({ users: { '@bot:a.example': 100, '@bot:b.example': 100 }, users_default: 0 });
    expect(req.initial_state!.find((e) => e.type === 'org.peerline.coordination.room')!.content).toEqual({ version: 1, institutions: ['a.example', 'b.example'] });
  });
});
