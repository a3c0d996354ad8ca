import { describe, expect, it } from 'vitest';
import { SERVER, samplePolicy } from '../test-fixture.ts';
import { BOT } from '../matching/test-fixture.ts';
import { moderationFixture } from './test-fixture.ts';

type Err = { errcode: string; error: string };
type Result = { group_id: string; action: string; member: { user_id: string; membership: string; muted: boolean } };
type Report = { report_id: string; group_id: string; event_id: string; reported_user_id: string; reason_code: string; shared_text: string | null; closed_ts: number | null; closed_by: string | null };

describe('group moderation', () => {
  it('lets a supporter trained for the topic mute and unmute a member: the bot lowers their power level below sending', async () => {
    const f = moderationFixture();
    const sup = await f.supporter('sup');
    const s1 = await f.student('s-1');
    const g = await f.group(sup.token, [sup.userId, s1.userId]);
    const muted = await f.api<Result>('POST', `/v1/groups/${g.group_id}/moderation`, sup.token, { action: 'mute', user_id: s1.userId, reason: 'Repeated insults after a warning' });
    expect(muted.status).toBe(200);
    expect(muted.body).toMatchObject({ group_id: g.group_id, action: 'mute', member: { user_id: s1.userId, membership: 'join', muted: true } });
    const pl = f.hs.powerLevels.get(g.room_id)!;
    expect(pl.users).toEqual({ [BOT]: 100, [s1.userId]: -1 });
    expect(pl.events_default).toBe(0);
    // Everything else in the power levels stays as the bot made it.
    expect(pl.state_default).toBe(100);
    const again = await f.api<Err>('POST', `/v1/groups/${g.group_id}/moderation`, sup.token, { action: 'mute', user_id: s1.userId, reason: 'again' });
    expect(again).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.NO_CHANGE' } });
    const members = await f.api<{ members: { user_id: string; muted: boolean }[] }>('GET', `/v1/groups/${g.group_id}/members`, sup.token);
    expect(members.body.members.find((m) => m.user_id === s1.userId)?.muted).toBe(true);
    const unmuted = await f.api<Result>('POST', `/v1/groups/${g.group_id}/moderation`, sup.token, { action: 'unmute', user_id: s1.userId, reason: 'Apologised' });
    expect(unmuted.body.member.muted).toBe(false);
    expect(f.hs.powerLevels.get(g.room_id)!.users).toEqual({ [BOT]: 100 });
  });

  it('kicks and bans through the membership endpoints, with a neutral reason in the room and the moderator\'s reason in the audit log', async () => {
    const f = moderationFixture();
    const admin = await f.signIn(`@admin:${SERVER}`);
    const s1 = await f.student('s-1');
    const s2 = await f.student('s-2');
    const g = await f.group(admin, [s1.userId, s2.userId]);
    expect((await f.api('POST', `/v1/groups/${g.group_id}/moderation`, admin, { action: 'kick', user_id: s1.userId, reason: 'Spamming links' })).status).toBe(200);
    expect(f.hs.of('kick')).toEqual([{ op: 'kick', roomId: g.room_id, userId: s1.userId }]);
    expect(f.hs.members.get(g.room_id)!.get(s1.userId)).toBe('leave');
    // Kicked members are not members any more: a second kick is a 404.
    expect((await f.api('POST', `/v1/groups/${g.group_id}/moderation`, admin, { action: 'kick', user_id: s1.userId, reason: 'x' })).status).toBe(404);
    const banned = await f.api<Result>('POST', `/v1/groups/${g.group_id}/moderation`, admin, { action: 'ban', user_id: s2.userId, reason: 'Threats to another member' });
    expect(banned.body.member.membership).toBe('ban');
    expect(f.hs.of('ban')).toEqual([{ op: 'ban', roomId: g.room_id, userId: s2.userId }]);
    expect((await f.api('POST', `/v1/groups/${g.group_id}/moderation`, admin, { action: 'unban', user_id: s1.userId, reason: 'x' })).status).toBe(409);
    expect((await f.api<Result>('POST', `/v1/groups/${g.group_id}/moderation`, admin, { action: 'unban', user_id: s2.userId, reason: 'Ban was a mistake' })).body.member.membership).toBe('leave');

    const audit = (await f.services.audit.latest(20)).filter((e) => e.action.startsWith('group.moderation.')).reverse();
    expect(audit.map((e) => [e.actor, e.action, e.subject, e.details['target'], e.details['reason']])).toEqual([
      [`@admin:${SERVER}`, 'group.moderation.kick', g.group_id, s1.userId, 'Spamming links'],
      [`@admin:${SERVER}`, 'group.moderation.ban', g.group_id, s2.userId, 'Threats to another member'],
      [`@admin:${SERVER}`, 'group.moderation.unban', g.group_id, s2.userId, 'Ban was a mistake'],
    ]);
    expect((await f.services.audit.verify()).ok).toBe(true);
  });

  it('refuses students, supporters not trained for the topic, unknown groups and non-members, bad actions and empty reasons', async () => {
    const f = moderationFixture();
    const sup = await f.supporter('sup');
    const other = await f.supporter('other', ['low-mood']);
    const s1 = await f.student('s-1');
    const g = await f.group(sup.token, [sup.userId, s1.userId]);
    const path = `/v1/groups/${g.group_id}/moderation`;
    const kick = { action: 'kick', user_id: sup.userId, reason: 'x' };
    expect(await f.api<Err>('POST', path, s1.token, kick)).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    const untrained = await f.api<Err>('POST', path, other.token, { ...kick, user_id: s1.userId });
    expect(untrained).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    expect(untrained.body.error).toContain('exam-stress');
    expect(f.hs.of('kick')).toEqual([]);
    expect((await f.api('POST', '/v1/groups/gr_nothing/moderation', sup.token, { ...kick, user_id: s1.userId })).status).toBe(404);
    expect((await f.api('POST', path, sup.token, { ...kick, user_id: `@stranger:${SERVER}` })).status).toBe(404);
    expect((await f.api<Err>('POST', path, sup.token, { ...kick, action: 'shout' })).status).toBe(400);
    expect((await f.api('POST', path, sup.token, { ...kick, user_id: s1.userId, reason: '' })).status).toBe(400);
    expect((await f.api('POST', path, sup.token, { ...kick, user_id: s1.userId, reason: '   ' })).status).toBe(400);
    expect((await f.api('POST', path, sup.token, { ...kick, user_id: s1.userId, reason: 'x'.repeat(501) })).status).toBe(400);
    expect((await f.api('POST', path, sup.token, { ...kick, user_id: sup.userId })).status).toBe(400);
    expect((await f.api('POST', path, sup.token, { ...kick, user_id: BOT })).status).toBe(400);
    // A fellow moderator is not a supporter's to remove; an admin's.
    const peer = await f.supporter('peer');
    f.hs.join(g.room_id, peer.userId);
    expect((await f.api('POST', path, sup.token, { ...kick, user_id: peer.userId })).status).toBe(403);
    expect((await f.api('GET', `/v1/groups/${g.group_id}/members`, s1.token)).status).toBe(403);
    expect((await f.services.audit.latest(50)).filter((e) => e.action.startsWith('group.moderation.'))).toEqual([]);
  });

  it('lets the supporter who opened the group moderate it after their training lapsed', async () => {
    const f = moderationFixture();
    const sup = await f.supporter('sup');
    const s1 = await f.student('s-1');
    const g = await f.group(sup.token, [s1.userId]);
    await f.services.roster.putSupporter(`@admin:${SERVER}`, sup.userId, { topics: ['exam-stress'], training: [], capacity: null });
    expect((await f.api('POST', `/v1/groups/${g.group_id}/moderation`, sup.token, { action: 'mute', user_id: s1.userId, reason: 'Cooling off' })).status).toBe(200);
  });
});

describe('message reports', () => {
  it('takes a report from a member with only the text they shared; moderators see it without the reporter', async () => {
    const f = moderationFixture();
    const sup = await f.supporter('sup');
    const s1 = await f.student('s-1');
    const s2 = await f.student('s-2');
    const g = await f.group(sup.token, [sup.userId, s1.userId, s2.userId]);
    const ev = f.hs.message(g.room_id, s2.userId);
    const created = await f.api<{ report_id: string; group_id: string }>('POST', '/v1/reports', s1.token, {
      room_id: g.room_id, event_id: ev, reason_code: 'harassment', shared_text: 'They keep calling me names',
    });
    expect(created.status).toBe(201);
    expect(created.body.group_id).toBe(g.group_id);
    const list = await f.api<{ reports: Report[] }>('GET', `/v1/reports?group_id=${g.group_id}`, sup.token);
    expect(list.status).toBe(200);
    expect(list.body.reports).toHaveLength(1);
    expect(list.body.reports[0]).toMatchObject({ report_id: created.body.report_id, event_id: ev, reported_user_id: s2.userId, reason_code: 'harassment', shared_text: 'They keep calling me names', closed_ts: null });
    expect(JSON.stringify(list.body)).not.toContain(s1.userId);
    // Audited without the text.
    const entry = (await f.services.audit.latest(5)).find((e) => e.action === 'group.report.created')!;
    expect(entry.details).toEqual({ group_id: g.group_id, reason_code: 'harassment', text_shared: true });
    expect(JSON.stringify(await f.services.audit.latest(50))).not.toContain('calling me names');

    expect((await f.api<Err>('POST', '/v1/reports', s1.token, { room_id: g.room_id, event_id: ev, reason_code: 'spam' })).body.errcode).toBe('ORG.PEERLINE.ALREADY_REPORTED');
    const closed = await f.api<Report>('POST', `/v1/reports/${created.body.report_id}/close`, sup.token);
    expect(closed.body).toMatchObject({ closed_ts: f.clock.now(), closed_by: sup.userId });
    expect((await f.api('POST', `/v1/reports/${created.body.report_id}/close`, sup.token)).status).toBe(409);
    expect((await f.api<{ reports: Report[] }>('GET', `/v1/reports?group_id=${g.group_id}`, sup.token)).body.reports).toEqual([]);
    expect((await f.api<{ reports: Report[] }>('GET', `/v1/reports?group_id=${g.group_id}&status=all`, sup.token)).body.reports).toHaveLength(1);
  });

  it('stores no text when the reporter shared none', async () => {
    const f = moderationFixture();
    const admin = await f.signIn(`@admin:${SERVER}`);
    const s1 = await f.student('s-1');
    const s2 = await f.student('s-2');
    const g = await f.group(admin, [s1.userId, s2.userId]);
    await f.api('POST', '/v1/reports', s1.token, { room_id: g.room_id, event_id: f.hs.message(g.room_id, s2.userId), reason_code: 'self-harm-risk', shared_text: '  ' });
    const [r] = (await f.api<{ reports: Report[] }>('GET', `/v1/reports?group_id=${g.group_id}`, admin)).body.reports;
    expect(r).toMatchObject({ reason_code: 'self-harm-risk', shared_text: null });
  });

  it('refuses reports from non-members, of own messages, unknown rooms and events, bad reasons and long text; lists only to moderators', async () => {
    const f = moderationFixture();
    const sup = await f.supporter('sup');
    const other = await f.supporter('other', ['low-mood']);
    const s1 = await f.student('s-1');
    const s2 = await f.student('s-2');
    const outsider = await f.student('s-3');
    const g = await f.group(sup.token, [s1.userId, s2.userId]);
    const ev = f.hs.message(g.room_id, s2.userId);
    const report = (token: string, body: Record<string, unknown>): Promise<{ status: number; body: Err }> =>
      f.api<Err>('POST', '/v1/reports', token, { room_id: g.room_id, event_id: ev, reason_code: 'spam', ...body });
    expect((await report(outsider.token, {})).status).toBe(403);
    expect((await report(s2.token, {})).status).toBe(400);
    expect((await report(s1.token, { room_id: `!elsewhere:${SERVER}` })).status).toBe(404);
    expect((await report(s1.token, { event_id: '$nothing' })).status).toBe(404);
    expect((await report(s1.token, { reason_code: 'boring' })).status).toBe(400);
    expect((await report(s1.token, { shared_text: 'x'.repeat(2001) })).status).toBe(400);
    const ok = await f.api<{ report_id: string }>('POST', '/v1/reports', s1.token, { room_id: g.room_id, event_id: ev, reason_code: 'spam' });
    expect(ok.status).toBe(201);
    expect((await f.api('GET', `/v1/reports?group_id=${g.group_id}`, s1.token)).status).toBe(403);
    expect((await f.api('GET', `/v1/reports?group_id=${g.group_id}`, other.token)).status).toBe(403);
    expect((await f.api('POST', `/v1/reports/${ok.body.report_id}/close`, other.token)).status).toBe(403);
    expect((await f.api('POST', '/v1/reports/rp_nothing/close', sup.token)).status).toBe(404);
    expect((await f.api('GET', '/v1/reports?group_id=gr_nothing', sup.token)).status).toBe(404);
  });

  it('deletes reports when the group retention period ends, and audits the count', async () => {
    const f = moderationFixture();
    const admin = await f.signIn(`@admin:${SERVER}`);
    const s1 = await f.student('s-1');
    const s2 = await f.student('s-2');
    const g = await f.group(admin, [s1.userId, s2.userId]);
    await f.api('POST', '/v1/reports', s1.token, { room_id: g.room_id, event_id: f.hs.message(g.room_id, s2.userId), reason_code: 'other', shared_text: 'some words' });
    expect(await f.parts.reports.purgeDue()).toBe(0);
    f.clock.advance(samplePolicy().retention_days.group * 86_400_000);
    expect(await f.parts.reports.purgeDue()).toBe(1);
    // (the admin's session ended long ago: signing in again)
    expect((await f.api<{ reports: Report[] }>('GET', `/v1/reports?group_id=${g.group_id}&status=all`, await f.signIn(`@admin:${SERVER}`))).body.reports).toEqual([]);
    expect((await f.services.audit.latest(1))[0]).toMatchObject({ action: 'group.report.purged', details: { count: 1 } });
  });
});
