import { describe, expect, it } from 'vitest';
import { PARTNER, SERVER, samplePolicy } from '../test-fixture.ts';
import { BOT, matchingFixture } from './test-fixture.ts';
import { isMinor, median, nextOpening } from './requests.ts';
import { timingsFromEnv, DEFAULT_TIMINGS } from './context.ts';

type Group = { group_id: string; room_id: string; audience: string; joinable: boolean };

describe('support groups', () => {
  it('lets a supporter trained for the topic open a group, in an encrypted room of the bot, and invites them', async () => {
    const f = matchingFixture();
    const sup = await f.supporter('sup');
    const created = await f.api<Group>('POST', '/v1/groups', sup.token, { topic: 'exam-stress', name: 'Exam stress circle' });
    expect(created.status).toBe(201);
    const create = f.hs.of('createRoom')[0]!.request!;
    expect(create.invite).toEqual([sup.userId]);
    expect(create.initial_state![0]!.type).toBe('m.room.encryption');
    expect(create.power_level_content_override).toMatchObject({ users: { [BOT]: 100 }, users_default: 0 });
    expect(create.initial_state!.find((e) => e.type === 'org.peerline.session')!.content).toMatchObject({ request_id: created.body.group_id, kind: 'group', institutions: [SERVER] });
    const room = await f.parts.context.store.room(created.body.room_id);
    expect(room?.purge_after_ts).toBe(f.clock.now() + samplePolicy().retention_days.group * 86_400_000);
    const untrained = await f.api<{ errcode: string }>('POST', '/v1/groups', sup.token, { topic: 'low-mood', name: 'Low mood' });
    expect(untrained).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.NOT_TRAINED' } });
  });

  it('lets students of the institution join; partners\' users only consortium groups that both policies allow', async () => {
    const f = matchingFixture();
    const admin = await f.signIn(`@admin:${SERVER}`);
    const local = (await f.api<Group>('POST', '/v1/groups', admin, { topic: 'exam-stress', name: 'Ours' })).body;
    const shared = (await f.api<Group>('POST', '/v1/groups', admin, { topic: 'exam-stress', name: 'Shared', audience: 'consortium' })).body;
    expect(f.hs.of('createRoom')[1]!.request!.initial_state!.find((e) => e.type === 'm.room.server_acl')!.content).toEqual({ allow: ['a.example', 'b.example'], deny: [], allow_ip_literals: false });
    const s = await f.student('s-1');
    expect((await f.api('POST', `/v1/groups/${local.group_id}/join`, s.token)).status).toBe(200);
    expect(f.hs.of('invite').map((c) => c.userId)).toEqual([s.userId]);
    const partnerUser = await f.signIn(`@p-1:${PARTNER}`);
    expect((await f.api('POST', `/v1/groups/${local.group_id}/join`, partnerUser)).status).toBe(403);
    // The partner has not announced its policy: it cannot be known to allow it.
    expect((await f.api('POST', `/v1/groups/${shared.group_id}/join`, partnerUser)).status).toBe(403);
    await f.parts.context.store.putLink({ partner: PARTNER, room_id: '!c:a.example', status: 'ready', created_by_us: true, updated_ts: 0 });
    await f.parts.context.store.setPartnerAvailability(PARTNER, { institution: PARTNER, cross_institution: true, partners: [SERVER], minors: true, topics: {}, updated_ts: 1 }, 1);
    expect((await f.api<{ error: string }>('POST', `/v1/groups/${shared.group_id}/join`, partnerUser)).body.error).toContain('under age');
    await f.parts.context.store.setPartnerAvailability(PARTNER, { institution: PARTNER, cross_institution: true, partners: [SERVER], minors: false, topics: {}, updated_ts: 2 }, 2);
    expect((await f.api('POST', `/v1/groups/${shared.group_id}/join`, partnerUser)).status).toBe(200);
    const seen = (await f.api<{ groups: Group[] }>('GET', '/v1/groups', partnerUser)).body.groups;
    expect(seen.map((g) => g.group_id)).toEqual([shared.group_id]);
  });

  it('keeps an institution with minors out of consortium groups', async () => {
    const f = matchingFixture({ policy: { ...samplePolicy(), age_rules: { minors: true } } });
    const admin = await f.signIn(`@admin:${SERVER}`);
    expect((await f.api('POST', '/v1/groups', admin, { topic: 'exam-stress', name: 'Shared', audience: 'consortium' })).status).toBe(400);
  });
});

describe('request rules', () => {
  it('counts every request as a minor\'s in an institution with minors, and honours a student who says so anywhere', () => {
    const p = samplePolicy();
    expect(isMinor(p, {})).toBe(false);
    expect(isMinor(p, { minor: true })).toBe(true);
    expect(isMinor({ ...p, age_rules: { minors: true } }, { minor: false })).toBe(true);
  });

  it('finds the next opening of the support hours across closed days', () => {
    // Monday 21:00 UTC (closed) → Tuesday is a closure day, Wednesday–Sunday have no hours → Monday 19th 08:00 London.
    expect(new Date(nextOpening(samplePolicy(), Date.parse('2026-01-12T21:00:00Z'))!).toISOString()).toBe('2026-01-19T08:00:00.000Z');
    expect(nextOpening({ ...samplePolicy(), support_hours: { time_zone: 'UTC', weekly: {} } }, 0)).toBeNull();
  });

  it('takes the median of recent waits', () => {
    expect(median([])).toBeNull();
    expect(median([30, 10, 20])).toBe(20);
    expect(median([10, 20, 30, 40])).toBe(25);
  });

  it('reads development overrides of the job timings from the environment', () => {
    const t = timingsFromEnv({ PEERLINE_MATCHING_TICK_MS: '250', PEERLINE_MATCHING_NO_SHOW_MS: '9000', PEERLINE_MATCHING_MAX_WAIT_MS: 'soon' });
    expect(t).toEqual({ ...DEFAULT_TIMINGS, tickMs: 250, noShowMs: 9000 });
  });
});
