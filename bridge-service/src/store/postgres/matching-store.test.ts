// The matching store's contract, run against SQLite and PostgreSQL alike (requests, offers,
// availability, sessions, rooms and groups, partner links and the outbox), and, on PostgreSQL, two
// bridge replicas on one database racing for the same request, offer and supporter.
import { describe, expect, it } from 'vitest';
import type { MatchingStore, OfferRow, RequestRow, SessionRow } from '../matching-store.ts';
import type { Store } from '../store.ts';
import { storeBackends, type TestStore } from '../test-fixture.ts';

const backends = storeBackends();
const matchingOf = (t: TestStore): MatchingStore => (t.store as Partial<Store>).matching!;

const A = 'a.example';
const fact = (action: string, subject: string) => ({ actor: '@bot:a.example', action, subject, details: {} });

function request(id: string, o: Partial<RequestRow> = {}): RequestRow {
  return {
    id, origin: 'local', student: `@s-${id}:${A}`, institution: A, remote_id: null, topic: 'exam-stress', language: null, region: null, minor: false,
    status: 'waiting', created_ts: 1_000, queued_ts: 1_000, updated_ts: 1_000, expires_ts: 100_000, matched_ts: null, closed_ts: null,
    close_reason: null, session_id: null, ...o,
  };
}

function offer(id: string, requestId: string, target: string, o: Partial<OfferRow> = {}): OfferRow {
  return { id, request_id: requestId, target_kind: 'supporter', target, status: 'pending', created_ts: 2_000, expires_ts: 10_000, resolved_ts: null, reason: null, ...o };
}

function session(id: string, requestId: string, supporter: string, o: Partial<SessionRow> = {}): SessionRow {
  return {
    id, request_id: requestId, role: 'host', room_id: null, student: `@s-${requestId}:${A}`, supporter, student_server: A, supporter_server: A,
    topic: 'exam-stress', status: 'creating', created_ts: 3_000, student_joined_ts: null, supporter_joined_ts: null, ended_ts: null, ended_by: null,
    outcome: null, check_in: null, ...o,
  };
}

async function available(m: MatchingStore, userId: string, ts = 500): Promise<void> {
  await m.setAvailability({ user_id: userId, available: true, topics: null, languages: ['en'], updated_ts: ts, paused_reason: null });
}

describe.each(backends)('matching store on $name', (backend) => {
  it('queues requests in order, keeps one copy of a partner request, and answers queue position and rate-limit times', async () => {
    const t = await backend.open();
    const m = matchingOf(t);
    expect(await m.insertRequest(request('r1'), { facts: [fact('request.created', 'r1')] })).toBe('inserted');
    expect(await m.insertRequest(request('r2', { queued_ts: 1_100, created_ts: 1_100 }))).toBe('inserted');
    const partner = request('p1', { origin: 'partner', student: null, institution: 'b.example', remote_id: 'remote-1', minor: false });
    expect(await m.insertRequest(partner)).toBe('inserted');
    expect(await m.insertRequest({ ...partner, id: 'p1-again' })).toBe('exists');
    expect((await m.requestByRemote('b.example', 'remote-1'))?.id).toBe('p1');
    expect(await m.request('r1')).toEqual(request('r1'));
    expect((await m.queue()).map((q) => [q.id, q.excluded])).toEqual([['p1', []], ['r1', []], ['r2', []]]);
    expect(await m.queuePosition((await m.request('r2'))!)).toBe(3);
    expect(await m.requestTimesOfStudent('@s-r2:a.example', 1_050)).toEqual([1_100]);
    expect((await m.requestsOfStudent('@s-r1:a.example', 5)).map((r) => r.id)).toEqual(['r1']);
    expect((await t.store.audit.range(1, 10)).map((e) => e.action)).toEqual(['request.created']);
  });

  it('offers a waiting request once, accepts an offer once, and records the session and the wait', async () => {
    const t = await backend.open();
    const m = matchingOf(t);
    await available(m, '@sup:a.example');
    await available(m, '@other:a.example');
    await m.insertRequest(request('r1'));
    const created = await m.createOffers([
      { offer: offer('o1', 'r1', '@sup:a.example'), fx: { facts: [fact('offer.made', 'o1')] } },
      { offer: offer('o2', 'r1', '@other:a.example') },
    ], 2_000);
    expect(created.map((o) => o.id)).toEqual(['o1']);
    expect((await m.request('r1'))?.status).toBe('offered');
    expect(await m.queue()).toEqual([]);
    expect((await m.pendingOfferOfRequest('r1'))?.id).toBe('o1');
    expect((await m.pendingOffersOf('@sup:a.example')).map((o) => o.id)).toEqual(['o1']);
    expect((await m.loads()).get('@sup:a.example')).toEqual({ active_sessions: 0, pending_offers: 1, last_offer_ts: 2_000 });

    expect(await m.acceptOffer('o1', '@other:a.example', session('x', 'r1', '@other:a.example'), 3_000)).toEqual({ ok: false, reason: 'not_yours' });
    expect(await m.acceptOffer('o1', '@sup:a.example', session('x', 'r1', '@sup:a.example'), 10_000)).toEqual({ ok: false, reason: 'expired' });
    const s = session('sess1', 'r1', '@sup:a.example');
    expect(await m.acceptOffer('o1', '@sup:a.example', s, 3_000, { facts: [fact('request.matched', 'r1')] })).toEqual({ ok: true, session: s });
    expect(await m.acceptOffer('o1', '@sup:a.example', session('sess2', 'r1', '@sup:a.example'), 3_001)).toEqual({ ok: false, reason: 'not_pending' });
    expect(await m.request('r1')).toMatchObject({ status: 'matched', matched_ts: 3_000, session_id: 'sess1' });
    expect(await m.offer('o1')).toMatchObject({ status: 'accepted', resolved_ts: 3_000 });
    expect(await m.sessionByRequest('r1')).toEqual(s);
    expect((await m.loads()).get('@sup:a.example')).toEqual({ active_sessions: 1, pending_offers: 0, last_offer_ts: 2_000 });
    expect(await m.recentWaits('exam-stress', 0, 10)).toEqual([2_000]);
    expect(await m.recentWaits(null, 0, 10)).toEqual([2_000]);
    expect(await m.recentWaits('low-mood', 0, 10)).toEqual([]);
    expect((await t.store.audit.range(1, 10)).map((e) => e.action)).toEqual(['offer.made', 'request.matched']);
  });

  it('declines an offer back to the queue without that supporter, pausing them, and withdraws an offer when the request closes', async () => {
    const t = await backend.open();
    const m = matchingOf(t);
    await available(m, '@sup:a.example');
    await m.insertRequest(request('r1'));
    await m.createOffers([{ offer: offer('o1', 'r1', '@sup:a.example') }], 2_000);
    const resolved = await m.resolveOffer('o1', {
      status: 'expired', reason: 'timeout', requeue: true, exclude: '@sup:a.example', pause: { user_id: '@sup:a.example', reason: 'missed_offer' },
    }, 4_000);
    expect(resolved).toMatchObject({ id: 'o1', status: 'expired', resolved_ts: 4_000, reason: 'timeout' });
    expect(await m.resolveOffer('o1', { status: 'declined', reason: 'x', requeue: true, exclude: null, pause: null }, 4_001)).toBeUndefined();
    expect((await m.queue()).map((q) => [q.id, q.status, q.excluded])).toEqual([['r1', 'waiting', ['@sup:a.example']]]);
    expect(await m.availability('@sup:a.example')).toMatchObject({ available: false, paused_reason: 'missed_offer', updated_ts: 4_000 });

    await available(m, '@sup:a.example', 5_000);
    await m.createOffers([{ offer: offer('o2', 'r1', '@sup:a.example') }], 5_000);
    const closed = await m.closeRequest('r1', 'cancelled', 'student_cancelled', 6_000, { facts: [fact('request.cancelled', 'r1')] });
    expect(closed?.request).toMatchObject({ id: 'r1', status: 'cancelled', closed_ts: 6_000, close_reason: 'student_cancelled' });
    expect(closed?.withdrawn).toMatchObject({ id: 'o2', status: 'withdrawn', resolved_ts: 6_000, reason: 'student_cancelled' });
    expect(await m.closeRequest('r1', 'expired', 'again', 7_000)).toBeUndefined();
    expect(await m.pendingOffers()).toEqual([]);
    expect(await m.openRequests()).toEqual([]);

    // A partner's request we declined comes back to the queue when offered again; a local one does not.
    await m.insertRequest(request('p1', { origin: 'partner', student: null, institution: 'b.example', remote_id: 'rem' }));
    await m.closeRequest('p1', 'declined', 'no_capacity', 7_000);
    expect(await m.reopenRequest('p1', 200_000, 8_000)).toBe(true);
    expect(await m.request('p1')).toMatchObject({ status: 'waiting', expires_ts: 200_000, closed_ts: null, close_reason: null });
    expect(await m.reopenRequest('r1', 200_000, 8_000)).toBe(false);
  });

  it('runs a session through activation, end with a check-in, the check-in and its reopening', async () => {
    const t = await backend.open();
    const m = matchingOf(t);
    await available(m, '@sup:a.example');
    await m.insertRequest(request('r1'));
    await m.createOffers([{ offer: offer('o1', 'r1', '@sup:a.example') }], 2_000);
    await m.acceptOffer('o1', '@sup:a.example', session('s1', 'r1', '@sup:a.example'), 3_000);
    const room = { room_id: '!peer:a.example', kind: 'peer' as const, ref_id: 'r1', institutions: [A], created_ts: 3_500, purge_after_ts: 50_000, purged_ts: null };
    expect(await m.activateSession('s1', room.room_id, room, 3_500)).toMatchObject({ status: 'active', room_id: room.room_id });
    expect(await m.activateSession('s1', room.room_id, room, 3_600)).toBeUndefined();
    expect(await m.room(room.room_id)).toEqual(room);
    await m.noteJoined('s1', 'student', 3_700);
    await m.noteJoined('s1', 'student', 3_800);
    expect((await m.sessionByRoom(room.room_id))?.student_joined_ts).toBe(3_700);
    expect((await m.sessionsWithStatus('active')).map((s) => s.id)).toEqual(['s1']);

    const ended = await m.endSession('s1', {
      ended_by: '@sup:a.example', outcome: 'completed', check_in: { proposed_ts: 20_000, status: 'offered', answered_ts: null },
      purge_after_ts: 90_000, requeue_without: null,
    }, 4_000);
    expect(ended).toMatchObject({ status: 'ended', ended_ts: 4_000, outcome: 'completed', check_in: { proposed_ts: 20_000, status: 'offered', answered_ts: null } });
    expect((await m.room(room.room_id))?.purge_after_ts).toBe(90_000);
    expect(await m.roomsDue(60_000, 10)).toEqual([]);
    expect(await m.answerCheckIn('s1', true, 5_000)).toMatchObject({ check_in: { status: 'accepted', answered_ts: 5_000 } });
    expect(await m.answerCheckIn('s1', false, 5_001)).toBeUndefined();
    expect(await m.dueCheckIns(19_999)).toEqual([]);
    expect((await m.dueCheckIns(20_000)).map((s) => s.id)).toEqual(['s1']);
    expect(await m.reopenSession('s1', true, 20_000)).toMatchObject({ status: 'active', ended_ts: null, supporter_joined_ts: null, check_in: { status: 'started' } });
    expect((await m.sessionsOf('@sup:a.example', 10)).map((s) => s.id)).toEqual(['s1']);
  });

  it('puts the request back without the supporter who never came, and fails a session to the queue or to declined', async () => {
    const t = await backend.open();
    const m = matchingOf(t);
    await available(m, '@sup:a.example');
    for (const id of ['r1', 'r2']) await m.insertRequest(request(id));
    await m.createOffers([{ offer: offer('o1', 'r1', '@sup:a.example') }, { offer: offer('o2', 'r2', '@sup:a.example') }], 2_000);
    await m.acceptOffer('o1', '@sup:a.example', session('s1', 'r1', '@sup:a.example'), 3_000);
    await m.acceptOffer('o2', '@sup:a.example', session('s2', 'r2', '@sup:a.example'), 3_000);
    await m.activateSession('s1', '!x:a.example', null, 3_100);
    await m.endSession('s1', { ended_by: 'system', outcome: 'supporter_absent', check_in: null, purge_after_ts: null, requeue_without: '@sup:a.example' }, 4_000);
    expect((await m.queue()).map((q) => [q.id, q.excluded])).toEqual([['r1', ['@sup:a.example']]]);
    expect(await m.request('r1')).toMatchObject({ status: 'waiting', session_id: null, matched_ts: null, queued_ts: 1_000 });

    expect(await m.failSession('s2', 'room_failed', false, 5_000)).toMatchObject({ status: 'failed', ended_by: 'system', outcome: 'room_failed' });
    expect(await m.request('r2')).toMatchObject({ status: 'declined', close_reason: 'room_failed' });
    expect(await m.failSession('s2', 'again', true, 5_001)).toBeUndefined();
    expect((await m.loads()).get('@sup:a.example')).toMatchObject({ active_sessions: 0, pending_offers: 0 });
  });

  it('keeps a supporter within the capacity the matcher gives when the roster names none, counting sessions and pending offers', async () => {
    const t = await backend.open();
    const m = matchingOf(t);
    await t.store.roster.putSupporter({ user_id: '@sup:a.example', topics: ['exam-stress'], training: [], capacity: null, active: true, updated_ts: 1, updated_by: '@admin:a.example' },
      fact('roster.supporter.put', '@sup:a.example'));
    await available(m, '@sup:a.example');
    for (let i = 0; i < 4; i++) await m.insertRequest(request(`c${i}`));
    // The policy default (2) came from the matcher: one offer per pass, as separate passes would make them.
    expect(await m.createOffers([{ offer: offer('o0', 'c0', '@sup:a.example'), capacity: 2 }], 2_000)).toHaveLength(1);
    expect(await m.createOffers([{ offer: offer('o1', 'c1', '@sup:a.example'), capacity: 2 }], 2_001)).toHaveLength(1);
    expect(await m.createOffers([{ offer: offer('o2', 'c2', '@sup:a.example'), capacity: 2 }], 2_002)).toEqual([]);
    expect((await m.request('c2'))?.status).toBe('waiting');
    // Without a capacity from the caller and none on the roster, nothing bounds it.
    expect(await m.createOffers([{ offer: offer('o3', 'c3', '@sup:a.example') }], 2_003)).toHaveLength(1);
  });

  it('keeps groups with their rooms, records a join once, and closes a group when its room is purged', async () => {
    const t = await backend.open();
    const m = matchingOf(t);
    const room = { room_id: '!g:a.example', kind: 'group' as const, ref_id: 'g1', institutions: [A, 'b.example'], created_ts: 1_000, purge_after_ts: 9_000, purged_ts: null };
    const g = { id: 'g1', topic: 'exam-stress', name: 'Exams', audience: 'consortium' as const, room_id: room.room_id, created_by: '@c:a.example', created_ts: 1_000, closed_ts: null };
    await m.insertGroup(g, room, { facts: [fact('group.created', 'g1')] });
    expect(await m.group('g1')).toEqual(g);
    expect(await m.groups()).toEqual([g]);
    await m.recordGroupJoin('g1', '@s:a.example', 2_000, { facts: [fact('group.joined', 'g1')] });
    await m.recordGroupJoin('g1', '@s:a.example', 2_001, { facts: [fact('group.joined', 'g1')] });
    expect((await t.store.audit.range(1, 10)).map((e) => e.action)).toEqual(['group.created', 'group.joined']);
    expect(await m.roomsDue(9_000, 10)).toEqual([room]);
    expect(await m.markPurged(room.room_id, 9_500)).toBe(true);
    expect(await m.markPurged(room.room_id, 9_600)).toBe(false);
    expect(await m.roomsDue(10_000, 10)).toEqual([]);
    expect(await m.groups()).toEqual([]);
    expect(await m.group('g1')).toMatchObject({ closed_ts: 9_500 });
  });

  it('keeps partner links with their latest availability (until the room changes) and an outbox in order', async () => {
    const t = await backend.open();
    const m = matchingOf(t);
    await m.putLink({ partner: 'b.example', room_id: '!l1:a.example', status: 'invited', created_by_us: true, updated_ts: 1_000 });
    const av = { institution: 'b.example', cross_institution: true, partners: [A], minors: false, topics: { 'exam-stress': 2 }, updated_ts: 1_500 };
    await m.setPartnerAvailability('b.example', av, 1_600);
    await m.putLink({ partner: 'b.example', room_id: '!l1:a.example', status: 'ready', created_by_us: true, updated_ts: 1_700 });
    expect(await m.link('b.example')).toEqual({ partner: 'b.example', room_id: '!l1:a.example', status: 'ready', created_by_us: true, updated_ts: 1_700, availability: av, availability_ts: 1_600 });
    expect((await m.linkByRoom('!l1:a.example'))?.partner).toBe('b.example');
    await m.putLink({ partner: 'b.example', room_id: '!l2:a.example', status: 'joining', created_by_us: false, updated_ts: 1_800 });
    expect(await m.links()).toEqual([{ partner: 'b.example', room_id: '!l2:a.example', status: 'joining', created_by_us: false, updated_ts: 1_800, availability: null, availability_ts: null }]);

    const decline = { op: 'decline' as const, request_id: 'x1', institution: 'b.example', reason: 'no_capacity' as const };
    await m.enqueue([{ partner: 'b.example', message: decline }, { partner: 'c.example', message: { ...decline, institution: 'c.example' } }], 2_000);
    await m.insertRequest(request('r1'));
    const partnerOffer = { op: 'offer' as const, request_id: 'r1', institution: A, topic: 'exam-stress', waiting_since: 1_000, expires_ts: 10_000 };
    await m.createOffers([{ offer: offer('o1', 'r1', 'b.example', { target_kind: 'partner' }), fx: { outbox: [{ partner: 'b.example', message: partnerOffer }] } }], 2_100);
    const pending = await m.pendingOutbox('b.example', 10);
    expect(pending.map((p) => [p.message, p.created_ts, p.attempts])).toEqual([[decline, 2_000, 0], [partnerOffer, 2_100, 0]]);
    expect(new Set(pending.map((p) => p.txn_id)).size).toBe(2);
    await m.markOutboxFailed(pending[0]!.id, 'unreachable', 2_200);
    await m.markOutboxSent(pending[1]!.id, 2_300);
    expect((await m.pendingOutbox('b.example', 10)).map((p) => [p.id, p.txn_id, p.attempts])).toEqual([[pending[0]!.id, pending[0]!.txn_id, 1]]);
    expect(await m.pendingOutbox('c.example', 10)).toHaveLength(1);
  });
});

const postgres = backends.find((b) => b.name === 'PostgreSQL')!;

describe('PostgreSQL matching store shared by two bridge replicas', () => {
  it('offers one request to one supporter when two replicas run the matcher at once', async () => {
    const [a, b] = (await postgres.openReplicas!(2)).map(matchingOf) as [MatchingStore, MatchingStore];
    for (let i = 0; i < 20; i++) {
      await available(a, `@x${i}:a.example`);
      await available(a, `@y${i}:a.example`);
      await a.insertRequest(request(`r${i}`));
    }
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => [
      a.createOffers([{ offer: offer(`a${i}`, `r${i}`, `@x${i}:a.example`), fx: { facts: [fact('offer.made', `r${i}`)] } }], 2_000),
      b.createOffers([{ offer: offer(`b${i}`, `r${i}`, `@y${i}:a.example`), fx: { facts: [fact('offer.made', `r${i}`)] } }], 2_000),
    ]).flat());
    expect(results.flat()).toHaveLength(20);
    const pending = await b.pendingOffers();
    expect(new Set(pending.map((o) => o.request_id)).size).toBe(20);
    expect(pending).toHaveLength(20);
    expect((await a.openRequests()).every((r) => r.status === 'offered')).toBe(true);
  });

  it('accepts an offer once when two replicas accept it at the same moment', async () => {
    const [a, b] = (await postgres.openReplicas!(2)).map(matchingOf) as [MatchingStore, MatchingStore];
    await available(a, '@sup:a.example');
    for (let i = 0; i < 10; i++) {
      await a.insertRequest(request(`r${i}`));
      await a.createOffers([{ offer: offer(`o${i}`, `r${i}`, '@sup:a.example') }], 2_000);
    }
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => [
      a.acceptOffer(`o${i}`, '@sup:a.example', session(`sa${i}`, `r${i}`, '@sup:a.example'), 3_000),
      b.acceptOffer(`o${i}`, '@sup:a.example', session(`sb${i}`, `r${i}`, '@sup:a.example'), 3_000),
    ]).flat());
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.filter((r) => !r.ok)).toEqual(Array.from({ length: 10 }, () => ({ ok: false, reason: 'not_pending' })));
    expect((await b.loads()).get('@sup:a.example')?.active_sessions).toBe(10);
    for (let i = 0; i < 10; i++) expect((await a.request(`r${i}`))?.session_id).toBe((await b.sessionByRequest(`r${i}`))?.id);
  });

  it('never offers a supporter more than the capacity on the roster when two replicas offer them different requests', async () => {
    const stores = await postgres.openReplicas!(2);
    const [a, b] = stores.map(matchingOf) as [MatchingStore, MatchingStore];
    await stores[0]!.store.roster.putSupporter({ user_id: '@sup:a.example', topics: ['exam-stress'], training: [], capacity: 2, active: true, updated_ts: 1, updated_by: '@admin:a.example' },
      fact('roster.supporter.put', '@sup:a.example'));
    await available(a, '@sup:a.example');
    for (let i = 0; i < 6; i++) await a.insertRequest(request(`r${i}`));
    // Each replica saw a free supporter and offers them three requests.
    const results = await Promise.all([
      a.createOffers([0, 1, 2].map((i) => ({ offer: offer(`a${i}`, `r${i}`, '@sup:a.example') })), 2_000),
      b.createOffers([3, 4, 5].map((i) => ({ offer: offer(`b${i}`, `r${i}`, '@sup:a.example') })), 2_000),
    ]);
    expect(results.flat()).toHaveLength(2);
    expect(await a.pendingOffersOf('@sup:a.example')).toHaveLength(2);
    expect((await b.queue()).map((q) => q.id)).toHaveLength(4);
  });

  it('never offers a supporter more than the policy default when two replicas offer them requests and the roster names no capacity', async () => {
    const stores = await postgres.openReplicas!(2);
    const [a, b] = stores.map(matchingOf) as [MatchingStore, MatchingStore];
    await stores[0]!.store.roster.putSupporter({ user_id: '@sup:a.example', topics: ['exam-stress'], training: [], capacity: null, active: true, updated_ts: 1, updated_by: '@admin:a.example' },
      fact('roster.supporter.put', '@sup:a.example'));
    await available(a, '@sup:a.example');
    for (let i = 0; i < 6; i++) await a.insertRequest(request(`r${i}`));
    const results = await Promise.all([
      a.createOffers([0, 1, 2].map((i) => ({ offer: offer(`a${i}`, `r${i}`, '@sup:a.example'), capacity: 2 })), 2_000),
      b.createOffers([3, 4, 5].map((i) => ({ offer: offer(`b${i}`, `r${i}`, '@sup:a.example'), capacity: 2 })), 2_000),
    ]);
    expect(results.flat()).toHaveLength(2);
    expect(await a.pendingOffersOf('@sup:a.example')).toHaveLength(2);
  });
});
