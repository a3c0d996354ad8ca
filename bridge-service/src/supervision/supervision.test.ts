// Supervision through the bridge's API: caseloads are metadata only and for supervisors only; flags
// and breaks are audited; a supporter on a break or at the daily cap is offered nothing and is told
// why; debrief rooms are encrypted from their first event, carry nothing of the student, and the
// bridge refuses a share from the session without the student's consent.
import { describe, expect, it } from 'vitest';
import { SERVER, PARTNER, samplePolicy } from '../test-fixture.ts';
import { DEBRIEF_EVENT_TYPE } from '../../../protocol/src/event-types.ts';
import { BOT } from '../matching/test-fixture.ts';
import { supervisionFixture, type SupervisionFixture } from './test-fixture.ts';
import { DEBRIEF_OPENING_STALE_MS } from './debriefs.ts';

type Offers = { offers: { offer_id: string }[] };
type Status = { blocked: string | null; sessions_today: number; daily_cap: number | null; on_break: { until_ts: number | null } | null };

/** Every key anywhere in a JSON value. */
function keysOf(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) keysOf(x, out);
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.add(k); keysOf(x, out); }
  return out;
}

async function endedSession(f: SupervisionFixture) {
  const sup = await f.supporter('sup');
  const student = await f.student('s-quiet');
  const s = await f.match(student, sup);
  f.clock.advance(12 * 60_000);
  expect((await f.api('POST', `/v1/sessions/${s.session_id}/end`, sup.token, { outcome: 'referred' })).status).toBe(200);
  return { sup, student, s };
}

describe('caseload for supervisors', () => {
  it('shows each supporter\'s sessions, durations, topics, outcomes and flags as metadata only — no student, no room, no content', async () => {
    const f = supervisionFixture();
    const { sup, student, s } = await endedSession(f);
    const coun = await f.counsellor('coun');
    expect((await f.api('POST', '/v1/supervision/flags', sup.token, { session_id: s.session_id, reason_code: 'distressing_for_me' })).status).toBe(201);
    await f.consent(student.userId, s.room_id, 'summary');

    const all = await f.api<{ supporters: Record<string, unknown>[] }>('GET', '/v1/supervision/caseload', coun.token);
    expect(all.status).toBe(200);
    expect(all.body.supporters).toEqual([expect.objectContaining({
      user_id: sup.userId, sessions: 1, active_now: 0, median_duration_ms: 12 * 60_000, topics: { 'exam-stress': 1 }, escalations: 1,
      outcomes: { referred: 1 }, flags_open: 1, on_break: null, sessions_today: 1, daily_cap: null, blocked: null,
    })]);
    const one = await f.api<{ sessions: Record<string, unknown>[] }>('GET', `/v1/supervision/caseload/${encodeURIComponent(sup.userId)}`, coun.token);
    expect(one.status).toBe(200);
    expect(one.body.sessions).toEqual([{
      session_id: s.session_id, topic: 'exam-stress', status: 'ended', scope: 'institution', started_ts: expect.any(Number), ended_ts: expect.any(Number),
      duration_ms: 12 * 60_000, outcome: 'referred', check_in: null, escalated: true, flag: { flag_id: expect.any(String), reason_code: 'distressing_for_me', reviewed: false },
    }]);
    for (const body of [all.body, one.body]) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(student.userId);
      expect(text).not.toContain(s.room_id);
      for (const k of ['student', 'student_user_id', 'room_id', 'content', 'body', 'text', 'request_id']) expect(keysOf(body).has(k), k).toBe(false);
    }
    // Reading one supporter's caseload is audited; the overview is not.
    const audit = await f.store.audit.latest(50);
    expect(audit.filter((e) => e.action === 'supervision.caseload.viewed').map((e) => [e.actor, e.subject])).toEqual([[coun.userId, sup.userId]]);
  });

  it('is for supervisors only: students, supporters, counsellors outside the supervision team and other institutions are refused', async () => {
    const policy = { ...samplePolicy(), supervision: { team: 'supervisors' } };
    const f = supervisionFixture({ policy });
    const sup = await f.supporter('sup');
    const student = await f.student('s-1');
    const other = await f.counsellor('duty', { team: 'wellbeing' });
    const remote = await f.counsellor('far', { server: PARTNER, team: 'supervisors' });
    const lead = await f.counsellor('lead', { team: 'supervisors' });
    for (const who of [student, sup, other, remote]) {
      for (const path of ['/v1/supervision/caseload', `/v1/supervision/caseload/${encodeURIComponent(sup.userId)}`, '/v1/supervision/flags']) {
        const r = await f.api<{ errcode: string; supporters?: unknown }>('GET', path, who.token);
        expect([r.status, r.body.errcode], `${who.userId} ${path}`).toEqual([403, 'M_FORBIDDEN']);
        expect(r.body.supporters).toBeUndefined();
      }
    }
    expect((await f.api('GET', '/v1/supervision/caseload', lead.token)).status).toBe(200);
    // Supervisors are who a supporter may ask for a debrief.
    expect((await f.api<{ supervisors: unknown }>('GET', '/v1/supervision/supervisors', sup.token)).body).toEqual({ supervisors: [{ user_id: lead.userId }] });
    // Supporter-only routes refuse counsellors and students.
    for (const who of [student, lead]) expect((await f.api('GET', '/v1/supervision/me', who.token)).status).toBe(403);
    expect((await f.api('GET', '/v1/supervision/caseload/%40nobody%3Aa.example', lead.token)).status).toBe(404);
  });
});

describe('flags for review', () => {
  it('lets a supporter flag their own session once with a reason code; a supervisor sees it and marks it reviewed; both audited', async () => {
    const f = supervisionFixture();
    const { sup, s } = await endedSession(f);
    const other = await f.supporter('sup-2');
    const coun = await f.counsellor('coun');
    expect((await f.api('POST', '/v1/supervision/flags', other.token, { session_id: s.session_id, reason_code: 'other' })).status).toBe(404);
    expect((await f.api('POST', '/v1/supervision/flags', sup.token, { session_id: s.session_id, reason_code: 'the student said…' })).status).toBe(400);
    expect((await f.api('POST', '/v1/supervision/flags', sup.token, { session_id: s.session_id, reason_code: 'risk_unclear', note: 'free text' })).status).toBe(400);
    const flag = await f.api<{ flag_id: string; session: { topic: string; duration_ms: number } }>('POST', '/v1/supervision/flags', sup.token, { session_id: s.session_id, reason_code: 'risk_unclear' });
    expect(flag.status).toBe(201);
    expect(flag.body.session).toMatchObject({ topic: 'exam-stress', duration_ms: 12 * 60_000 });
    expect((await f.api<{ errcode: string }>('POST', '/v1/supervision/flags', sup.token, { session_id: s.session_id, reason_code: 'other' })).body.errcode).toBe('ORG.PEERLINE.ALREADY_FLAGGED');

    const open = await f.api<{ flags: { flag_id: string }[] }>('GET', '/v1/supervision/flags', coun.token);
    expect(open.body.flags.map((x) => x.flag_id)).toEqual([flag.body.flag_id]);
    expect(JSON.stringify(open.body)).not.toContain('s-quiet');
    const reviewed = await f.api<{ reviewed_by: string }>('POST', `/v1/supervision/flags/${flag.body.flag_id}/review`, coun.token);
    expect(reviewed).toMatchObject({ status: 200, body: { reviewed_by: coun.userId } });
    expect((await f.api('POST', `/v1/supervision/flags/${flag.body.flag_id}/review`, coun.token)).status).toBe(409);
    expect((await f.api<{ flags: unknown[] }>('GET', '/v1/supervision/flags', coun.token)).body.flags).toEqual([]);
    expect((await f.api<{ flags: unknown[] }>('GET', '/v1/supervision/flags?open=false', coun.token)).body.flags).toHaveLength(1);
    // Reviewed, the session may be flagged again.
    expect((await f.api('POST', '/v1/supervision/flags', sup.token, { session_id: s.session_id, reason_code: 'other' })).status).toBe(201);
    const actions = (await f.store.audit.latest(50)).map((e) => e.action);
    expect(actions.filter((a) => a.startsWith('supervision.flag.'))).toEqual(['supervision.flag.raised', 'supervision.flag.reviewed', 'supervision.flag.raised']);
  });
});

describe('wellbeing break and daily cap', () => {
  it('offers a supporter on a break nothing, tells them so, and offers again once they resume', async () => {
    const f = supervisionFixture();
    const sup = await f.supporter('sup');
    const paused = await f.api<Status>('PUT', '/v1/supervision/me/break', sup.token, {});
    expect(paused.body).toMatchObject({ blocked: 'wellbeing_break', on_break: { until_ts: null } });
    const student = await f.student('s-1');
    expect((await f.api('POST', '/v1/requests', student.token, { topic: 'exam-stress' })).status).toBe(201);
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', sup.token)).body.offers).toEqual([]);
    const resumed = await f.api<Status>('DELETE', '/v1/supervision/me/break', sup.token);
    expect(resumed.body).toMatchObject({ blocked: null, on_break: null });
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', sup.token)).body.offers).toHaveLength(1);
    const actions = (await f.store.audit.latest(50)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['supervision.break.started', 'supervision.break.ended']));
  });

  it('ends a timed break by itself, and refuses a break end in the past', async () => {
    const f = supervisionFixture();
    const sup = await f.supporter('sup');
    expect((await f.api('PUT', '/v1/supervision/me/break', sup.token, { until_ts: f.clock.now() - 1 })).status).toBe(400);
    expect((await f.api<Status>('PUT', '/v1/supervision/me/break', sup.token, { until_ts: f.clock.now() + 30 * 60_000 })).body.blocked).toBe('wellbeing_break');
    const student = await f.student('s-1');
    await f.api('POST', '/v1/requests', student.token, { topic: 'exam-stress' });
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', sup.token)).body.offers).toEqual([]);
    f.clock.advance(31 * 60_000);
    sup.token = await f.signIn(sup.userId); // session tokens live 15 minutes
    expect((await f.api<Status>('GET', '/v1/supervision/me', sup.token)).body).toMatchObject({ blocked: null, on_break: null });
    f.matching.engine.kick();
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', sup.token)).body.offers).toHaveLength(1);
  });

  it('offers nothing more once a supporter reached the policy\'s sessions per day, says why, and offers again the next local day', async () => {
    const policy = samplePolicy();
    policy.supporters.max_sessions_per_day = 1;
    const f = supervisionFixture({ policy });
    const sup = await f.supporter('sup');
    const s = await f.match(await f.student('s-1'), sup);
    await f.api('POST', `/v1/sessions/${s.session_id}/end`, sup.token, {});
    expect((await f.api<Status>('GET', '/v1/supervision/me', sup.token)).body).toMatchObject({ blocked: 'daily_cap', sessions_today: 1, daily_cap: 1 });
    const student = await f.student('s-2');
    await f.api('POST', '/v1/requests', student.token, { topic: 'exam-stress' });
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', sup.token)).body.offers).toEqual([]);
    // Tuesday 08:30 in London: a new day, and within support hours (the request waited all night).
    f.clock.advance(22.5 * 3600_000);
    sup.token = await f.signIn(sup.userId); // session tokens live 15 minutes
    expect((await f.api<Status>('GET', '/v1/supervision/me', sup.token)).body).toMatchObject({ blocked: null, sessions_today: 0 });
    f.matching.engine.kick();
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', sup.token)).body.offers).toHaveLength(1);
  });
});

describe('debriefs', () => {
  it('opens an encrypted room for the supporter and the supervisor with nothing of the student in it, and refuses a share without consent', async () => {
    const f = supervisionFixture();
    const { sup, student, s } = await endedSession(f);
    const coun = await f.counsellor('coun');
    const d = await f.api<{ debrief_id: string; room_id: string; supervisor: string; session: unknown; consent: unknown }>(
      'POST', '/v1/supervision/debriefs', sup.token, { session_id: s.session_id },
    );
    expect(d.status).toBe(201);
    expect(d.body).toMatchObject({ supervisor: coun.userId, session: { topic: 'exam-stress', duration_ms: 12 * 60_000 }, consent: { available: false, share: null, receipt_id: null, scope: null } });
    const created = f.hs.of('createRoom').at(-1)!;
    expect(created.roomId).toBe(d.body.room_id);
    const req = created.request!;
    expect(req.initial_state![0]).toEqual({ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } });
    expect(req.initial_state).toContainEqual({ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } });
    expect(req.invite).toEqual([sup.userId, coun.userId]);
    expect((req.power_level_content_override as { users: Record<string, number> }).users).toEqual({ [BOT]: 100 });
    expect(req.initial_state!.find((e) => e.type === DEBRIEF_EVENT_TYPE)!.content).toEqual({
      debrief_id: d.body.debrief_id, institution: SERVER, supporter: sup.userId, supervisor: coun.userId, about_session: true, created_ts: expect.any(Number),
    });
    expect(req).not.toHaveProperty('name');
    const everything = JSON.stringify(req);
    for (const secret of [student.userId, s.room_id, s.session_id, 'exam-stress']) expect(everything).not.toContain(secret);
    // No consent in that session: nothing of the student may be shared.
    const refused = await f.api<{ errcode: string }>('POST', `/v1/supervision/debriefs/${d.body.debrief_id}/share`, sup.token, { share: 'summary' });
    expect([refused.status, refused.body.errcode]).toEqual([403, 'ORG.PEERLINE.NO_CONSENT']);
    // The supervisor sees the debrief too; a stranger does not.
    expect((await f.api<{ debriefs: { debrief_id: string }[] }>('GET', '/v1/supervision/debriefs', coun.token)).body.debriefs.map((x) => x.debrief_id)).toEqual([d.body.debrief_id]);
    const stranger = await f.supporter('sup-2');
    expect((await f.api('GET', `/v1/supervision/debriefs/${d.body.debrief_id}`, stranger.token)).status).toBe(404);
    expect((await f.api('POST', '/v1/supervision/debriefs', stranger.token, { session_id: s.session_id })).status).toBe(404);
  });

  it('allows a share only as far as the student\'s consent receipt for that session goes, and audits it', async () => {
    const f = supervisionFixture();
    const { sup, student, s } = await endedSession(f);
    const coun = await f.counsellor('coun');
    const receiptId = await f.consent(student.userId, s.room_id, 'summary');
    const d = await f.api<{ debrief_id: string; consent: unknown }>('POST', '/v1/supervision/debriefs', sup.token, { supervisor: coun.userId, session_id: s.session_id });
    expect(d.body.consent).toEqual({ available: true, share: 'summary', receipt_id: receiptId, scope: { room_id: s.room_id, event_ids: [] } });
    // The supervisor learns that there is consent, not where the supporter's client finds it.
    expect((await f.api<{ consent: unknown }>('GET', `/v1/supervision/debriefs/${d.body.debrief_id}`, coun.token)).body.consent)
      .toEqual({ available: true, share: 'summary', receipt_id: receiptId, scope: null });
    const ok = await f.api('POST', `/v1/supervision/debriefs/${d.body.debrief_id}/share`, sup.token, { share: 'summary' });
    expect(ok).toEqual({ status: 200, body: { debrief_id: d.body.debrief_id, share: 'summary', receipt_id: receiptId, room_id: s.room_id, event_ids: [] } });
    expect((await f.api('POST', `/v1/supervision/debriefs/${d.body.debrief_id}/share`, sup.token, { share: 'messages' })).status).toBe(403);
    expect((await f.api('POST', `/v1/supervision/debriefs/${d.body.debrief_id}/share`, coun.token, { share: 'summary' })).status).toBe(403);
    const shared = (await f.store.audit.latest(50)).filter((e) => e.action === 'supervision.debrief.shared');
    expect(shared.map((e) => e.details)).toEqual([{ receipt_id: receiptId, share: 'summary' }]);
    // A debrief about nothing in particular offers no share at all; so does one with no supervisor around.
    const general = await f.api<{ debrief_id: string; session: unknown; consent: unknown }>('POST', '/v1/supervision/debriefs', sup.token, {});
    expect(general.body).toMatchObject({ session: null, consent: { available: false, share: null } });
    expect((await f.api('POST', `/v1/supervision/debriefs/${general.body.debrief_id}/share`, sup.token, { share: 'summary' })).status).toBe(403);
  });

  it('names exactly the messages the student chose, for the supporter\'s client to share — and nothing as a summary', async () => {
    const f = supervisionFixture();
    const { sup, student, s } = await endedSession(f);
    const coun = await f.counsellor('coun');
    const receiptId = await f.consent(student.userId, s.room_id, 'messages');
    const d = await f.api<{ debrief_id: string; consent: unknown }>('POST', '/v1/supervision/debriefs', sup.token, { supervisor: coun.userId, session_id: s.session_id });
    expect(d.body.consent).toEqual({ available: true, share: 'messages', receipt_id: receiptId, scope: { room_id: s.room_id, event_ids: ['$e:a.example'] } });
    const ok = await f.api('POST', `/v1/supervision/debriefs/${d.body.debrief_id}/share`, sup.token, { share: 'messages' });
    expect(ok.body).toEqual({ debrief_id: d.body.debrief_id, share: 'messages', receipt_id: receiptId, room_id: s.room_id, event_ids: ['$e:a.example'] });
    const summary = await f.api<{ errcode: string }>('POST', `/v1/supervision/debriefs/${d.body.debrief_id}/share`, sup.token, { share: 'summary' });
    expect([summary.status, summary.body.errcode]).toEqual([403, 'ORG.PEERLINE.NO_CONSENT']);
  });

  it('marks a debrief whose room could not be made failed, so the supporter can ask again', async () => {
    const f = supervisionFixture();
    const { sup, s } = await endedSession(f);
    await f.counsellor('coun');
    f.hs.failNext = 'createRoom';
    expect((await f.api('POST', '/v1/supervision/debriefs', sup.token, { session_id: s.session_id })).status).toBe(502);
    const [failed] = (await f.api<{ debriefs: { debrief_id: string; status: string; room_id: string | null }[] }>('GET', '/v1/supervision/debriefs', sup.token)).body.debriefs;
    expect(failed).toMatchObject({ status: 'failed', room_id: null });
    const share = await f.api('POST', `/v1/supervision/debriefs/${failed!.debrief_id}/share`, sup.token, { share: 'summary' });
    expect(share.status).toBe(403);
    const again = await f.api<{ status: string; room_id: string }>('POST', '/v1/supervision/debriefs', sup.token, { session_id: s.session_id });
    expect([again.status, again.body.status, typeof again.body.room_id]).toEqual([201, 'open', 'string']);
  });

  it('marks a debrief left opening by a bridge that stopped midway failed once it is stale', async () => {
    const f = supervisionFixture();
    const sup = await f.supporter('sup');
    const coun = await f.counsellor('coun');
    await f.store.supervision.insertDebrief(
      { debrief_id: 'db_stuck', supporter: sup.userId, supervisor: coun.userId, session_id: null, room_id: null, status: 'opening', created_ts: f.clock.now() },
      { actor: sup.userId, action: 'supervision.debrief.requested', subject: 'db_stuck', details: {} },
    );
    expect((await f.api<{ status: string }>('GET', '/v1/supervision/debriefs/db_stuck', sup.token)).body.status).toBe('opening');
    f.clock.advance(DEBRIEF_OPENING_STALE_MS);
    expect((await f.api<{ status: string }>('GET', '/v1/supervision/debriefs/db_stuck', coun.token)).body.status).toBe('failed');
    expect((await f.store.supervision.debrief('db_stuck'))?.status).toBe('failed');
  });

  it('empties a debrief room at the end of its retention like a peer room: members removed, the bot leaves', async () => {
    const f = supervisionFixture();
    const { sup } = await endedSession(f);
    const coun = await f.counsellor('coun');
    const d = await f.api<{ room_id: string }>('POST', '/v1/supervision/debriefs', sup.token, {});
    const roomId = d.body.room_id;
    expect(await f.store.matching.room(roomId)).toMatchObject({ kind: 'debrief', purged_ts: null, purge_after_ts: f.clock.now() + samplePolicy().retention_days.peer * 86_400_000 });
    f.clock.advance(samplePolicy().retention_days.peer * 86_400_000 - 1);
    await f.matching.sessions.purgeDue();
    expect(f.hs.of('kick').filter((c) => c.roomId === roomId)).toEqual([]);
    f.clock.advance(1);
    await f.matching.sessions.purgeDue();
    expect(f.hs.of('kick').filter((c) => c.roomId === roomId).map((c) => c.userId).sort()).toEqual([sup.userId, coun.userId].sort());
    expect(f.hs.of('leave').map((c) => c.roomId)).toContain(roomId);
    expect((await f.store.matching.room(roomId))?.purged_ts).toBe(f.clock.now());
  });

  it('says when there is no supervisor to ask, and names an unknown one as not found', async () => {
    const f = supervisionFixture();
    const sup = await f.supporter('sup');
    expect((await f.api<{ errcode: string }>('POST', '/v1/supervision/debriefs', sup.token, {})).body.errcode).toBe('ORG.PEERLINE.NO_SUPERVISOR');
    expect((await f.api('POST', '/v1/supervision/debriefs', sup.token, { supervisor: `@nobody:${SERVER}` })).status).toBe(404);
    expect(f.hs.of('createRoom')).toEqual([]);
  });
});
