import { describe, expect, it } from 'vitest';
import { SERVER, PARTNER, samplePolicy } from '../test-fixture.ts';
import { SESSION_EVENT_TYPE } from '../../../protocol/src/event-types.ts';
import { BOT, matchingFixture } from './test-fixture.ts';
import type { RequestView } from './requests.ts';
import type { RoomEvent } from '../appservice/handlers.ts';

type Offers = { offers: { offer_id: string; request_id: string; topic: string; institution: string; expires_ts: number }[] };
type SessionV = { session_id: string; room_id: string | null; status: string; outcome: string | null; check_in: { status: string } | null };

describe('requests and matching', () => {
  it('queues a request with its place, no wait estimate yet, and the crisis resources for the student\'s region', async () => {
    const f = matchingFixture();
    const s = await f.student('s-1');
    const r = await f.api<RequestView>('POST', '/v1/requests', s.token, { topic: 'exam-stress', language: 'en', region: 'GB' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'waiting', topic: 'exam-stress', position: 1, expected_wait_seconds: null, minor: false, session: null });
    expect(r.body.crisis_resources.map((c) => c.name)).toEqual(['Samaritans']);
    f.clock.advance(1);
    const second = await f.api<RequestView>('POST', '/v1/requests', (await f.student('s-2')).token, { topic: 'exam-stress' });
    expect(second.body.position).toBe(2);
  });

  it('refuses an unknown topic, a second open request, and requests outside support hours (with the next opening and crisis resources)', async () => {
    const f = matchingFixture();
    const s = await f.student('s-1');
    const bad = await f.api<{ errcode: string; error: string }>('POST', '/v1/requests', s.token, { topic: 'astrology' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("topic 'astrology' is not offered here");
    expect((await f.api('POST', '/v1/requests', s.token, { topic: 'exam-stress' })).status).toBe(201);
    const again = await f.api<{ errcode: string }>('POST', '/v1/requests', s.token, { topic: 'low-mood' });
    expect(again).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.REQUEST_OPEN' } });
    f.clock.advance(11 * 3600_000); // 21:00 in London: closed
    const closed = await f.api<{ errcode: string; opens_ts: number; crisis_resources: unknown[] }>('POST', '/v1/requests', (await f.student('s-2')).token, { topic: 'exam-stress' });
    expect(closed.status).toBe(409);
    expect(closed.body.errcode).toBe('ORG.PEERLINE.SUPPORT_CLOSED');
    // Tuesday the 13th is a closure day in the sample policy; Wednesday has no hours; so: Monday 19th, 08:00 London.
    expect(new Date(closed.body.opens_ts).toISOString()).toBe('2026-01-19T08:00:00.000Z');
    expect(closed.body.crisis_resources.length).toBeGreaterThan(0);
  });

  it('limits requests per student per hour as the policy says, and tells when to retry', async () => {
    const f = matchingFixture();
    const s = await f.student('s-1');
    for (let i = 0; i < 3; i++) {
      const r = await f.api<RequestView>('POST', '/v1/requests', s.token, { topic: 'exam-stress' });
      expect(r.status).toBe(201);
      await f.api('POST', `/v1/requests/${r.body.request_id}/cancel`, s.token);
      f.clock.advance(60_000);
    }
    const r = await f.api<{ errcode: string; retry_after_ms: number }>('POST', '/v1/requests', s.token, { topic: 'exam-stress' });
    expect(r.status).toBe(429);
    expect(r.body.retry_after_ms).toBe(3600_000 - 3 * 60_000);
  });

  it('offers a request to an available trained supporter, who accepts: the bot makes the encrypted room and invites both', async () => {
    const f = matchingFixture();
    const sup = await f.supporter('sup');
    const s = await f.student('s-1');
    const req = await f.api<RequestView>('POST', '/v1/requests', s.token, { topic: 'exam-stress' });
    await f.settle();
    const offers = await f.api<Offers>('GET', '/v1/offers', sup.token);
    expect(offers.body.offers).toHaveLength(1);
    expect(offers.body.offers[0]).toMatchObject({ request_id: req.body.request_id, topic: 'exam-stress', institution: SERVER });
    expect((await f.api<RequestView>('GET', `/v1/requests/${req.body.request_id}`, s.token)).body.status).toBe('offered');
    const accepted = await f.api<SessionV>('POST', `/v1/offers/${offers.body.offers[0]!.offer_id}/accept`, sup.token);
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('active');
    const [create] = f.hs.of('createRoom');
    expect(create!.request!.invite).toEqual([s.userId, sup.userId]);
    expect(create!.request!.initial_state![0]).toEqual({ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } });
    expect(create!.request!.power_level_content_override).toMatchObject({ users: { [BOT]: 100 }, users_default: 0, events_default: 0, invite: 100, kick: 100 });
    expect(create!.request!.creation_content).toEqual({ 'm.federate': false });
    const state = Object.fromEntries(create!.request!.initial_state!.map((e) => [e.type, e.content]));
    expect(state['m.room.history_visibility']).toEqual({ history_visibility: 'joined' });
    expect(state['m.room.server_acl']).toEqual({ allow: ['a.example'], deny: [], allow_ip_literals: false });
    expect(state[SESSION_EVENT_TYPE]).toEqual({ request_id: req.body.request_id, topic: 'exam-stress', institutions: [SERVER], created_ts: f.clock.now(), kind: 'peer' });
    const after = await f.api<RequestView>('GET', `/v1/requests/${req.body.request_id}`, s.token);
    expect(after.body).toMatchObject({ status: 'matched', position: null, session: { room_id: accepted.body.room_id, status: 'active' } });
    // The wait is now known to the next student.
    f.clock.advance(1000);
    const next = await f.api<RequestView>('POST', '/v1/requests', (await f.student('s-2')).token, { topic: 'exam-stress' });
    expect(next.body.expected_wait_seconds).toBe(0);
  });

  it('re-offers a request whose offer timed out to another supporter, and pauses the one who missed it', async () => {
    const f = matchingFixture();
    const a = await f.supporter('sup-a');
    const b = await f.supporter('sup-b');
    const s = await f.student('s-1');
    const req = await f.api<RequestView>('POST', '/v1/requests', s.token, { topic: 'exam-stress' });
    await f.settle();
    const first = (await f.api<Offers>('GET', '/v1/offers', a.token)).body.offers;
    expect(first).toHaveLength(1);
    f.clock.advance(samplePolicy().matching.offer_timeout_seconds * 1000);
    await f.parts.engine.expire();
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', a.token)).body.offers).toEqual([]);
    expect((await f.api<Offers>('GET', '/v1/offers', b.token)).body.offers.map((o) => o.request_id)).toEqual([req.body.request_id]);
    const paused = await f.api<{ available: boolean; paused_reason: string }>('GET', '/v1/supporters/me/availability', a.token);
    expect(paused.body).toMatchObject({ available: false, paused_reason: 'missed_offer' });
    // Position and original wait are kept: the request did not lose its place.
    expect((await f.api<RequestView>('GET', `/v1/requests/${req.body.request_id}`, s.token)).body.created_ts).toBe(req.body.created_ts);
  });

  it('does not offer a declined request to the same supporter again', async () => {
    const f = matchingFixture();
    const a = await f.supporter('sup-a');
    const s = await f.student('s-1');
    await f.api('POST', '/v1/requests', s.token, { topic: 'exam-stress' });
    await f.settle();
    const offer = (await f.api<Offers>('GET', '/v1/offers', a.token)).body.offers[0]!;
    expect((await f.api('POST', `/v1/offers/${offer.offer_id}/decline`, a.token, { reason: 'busy' })).status).toBe(200);
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', a.token)).body.offers).toEqual([]);
    const b = await f.supporter('sup-b');
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', b.token)).body.offers).toHaveLength(1);
    expect((await f.api<{ errcode: string }>('POST', `/v1/offers/${offer.offer_id}/accept`, a.token)).body.errcode).toBe('ORG.PEERLINE.OFFER_NOT_PENDING');
  });

  it('withdraws the offer when the student cancels, and answers 404 to someone else\'s request', async () => {
    const f = matchingFixture();
    const a = await f.supporter('sup-a');
    const s = await f.student('s-1');
    const req = await f.api<RequestView>('POST', '/v1/requests', s.token, { topic: 'exam-stress' });
    await f.settle();
    expect((await f.api('GET', `/v1/requests/${req.body.request_id}`, (await f.student('s-2')).token)).status).toBe(404);
    const cancelled = await f.api<RequestView>('POST', `/v1/requests/${req.body.request_id}/cancel`, s.token);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', close_reason: 'student' });
    expect((await f.api<Offers>('GET', '/v1/offers', a.token)).body.offers).toEqual([]);
  });

  it('puts the request back in the queue when the room cannot be made', async () => {
    const f = matchingFixture();
    const a = await f.supporter('sup-a');
    const s = await f.student('s-1');
    const req = await f.api<RequestView>('POST', '/v1/requests', s.token, { topic: 'exam-stress' });
    await f.settle();
    const offer = (await f.api<Offers>('GET', '/v1/offers', a.token)).body.offers[0]!;
    f.hs.failNext = 'createRoom';
    const r = await f.api<{ errcode: string; error: string }>('POST', `/v1/offers/${offer.offer_id}/accept`, a.token);
    expect(r.status).toBe(502);
    await f.settle();
    // Offered again (to the same supporter: they did nothing wrong), with the same place in the queue.
    expect((await f.api<Offers>('GET', '/v1/offers', a.token)).body.offers.map((o) => o.request_id)).toEqual([req.body.request_id]);
  });

  it('holds a long-poll for offers until one arrives', async () => {
    const f = matchingFixture();
    const a = await f.supporter('sup-a');
    const poll = f.api<Offers>('GET', '/v1/offers?timeout_ms=5000', a.token);
    await new Promise((r) => setTimeout(r, 20));
    await f.api('POST', '/v1/requests', (await f.student('s-1')).token, { topic: 'exam-stress' });
    const started = Date.now();
    expect((await poll).body.offers).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('holds a student\'s long-poll on a waiting request until it is offered', async () => {
    const f = matchingFixture();
    const s = await f.student('s-1');
    const req = (await f.api<RequestView>('POST', '/v1/requests', s.token, { topic: 'exam-stress' })).body;
    await f.settle();
    const poll = f.api<RequestView>('GET', `/v1/requests/${req.request_id}?wait_ms=5000`, s.token);
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await f.supporter('sup');
    expect((await poll).body.status).toBe('offered');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('keeps a minor\'s request in the institution: a partner supporter on the roster is never offered it', async () => {
    const f = matchingFixture();
    const partnerSup = await f.supporter('psup', { server: PARTNER });
    const s = await f.student('s-1');
    await f.parts.context.store.putLink({ partner: PARTNER, room_id: '!coord:a.example', status: 'ready', created_by_us: true, updated_ts: 0 });
    await f.parts.context.store.setPartnerAvailability(PARTNER, { institution: PARTNER, cross_institution: true, partners: [SERVER], minors: false, topics: {}, updated_ts: 0 }, 0);
    await f.api('POST', '/v1/requests', s.token, { topic: 'exam-stress', minor: true });
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', partnerSup.token)).body.offers).toEqual([]);
    await f.api('POST', '/v1/requests', (await f.student('s-2')).token, { topic: 'exam-stress' });
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', partnerSup.token)).body.offers).toHaveLength(1);
  });
});

describe('peer sessions after the match', () => {
  async function matched(): Promise<{ f: ReturnType<typeof matchingFixture>; sup: { userId: string; token: string }; s: { userId: string; token: string }; session: SessionV; requestId: string }> {
    const f = matchingFixture();
    const sup = await f.supporter('sup', { capacity: 1 });
    const s = await f.student('s-1');
    const req = await f.api<RequestView>('POST', '/v1/requests', s.token, { topic: 'exam-stress' });
    await f.settle();
    const offer = (await f.api<Offers>('GET', '/v1/offers', sup.token)).body.offers[0]!;
    const session = (await f.api<SessionV>('POST', `/v1/offers/${offer.offer_id}/accept`, sup.token)).body;
    return { f, sup, s, session, requestId: req.body.request_id };
  }

  const member = (roomId: string, userId: string, membership: string, sender = userId): RoomEvent =>
    ({ event_id: `$m-${userId}-${membership}`, room_id: roomId, type: 'm.room.member', sender, state_key: userId, content: { membership }, origin_server_ts: 1 });

  it('ends a supporter no-show, sends the student back to the queue without that supporter, and frees the room', async () => {
    const { f, sup, s, session, requestId } = await matched();
    await f.parts.sessions.onMembership(member(session.room_id!, s.userId, 'join'));
    f.clock.advance(f.parts.context.timings.noShowMs);
    await f.parts.sessions.sweep();
    const ended = await f.api<SessionV>('GET', `/v1/sessions/${session.session_id}`, s.token);
    expect(ended.body).toMatchObject({ status: 'ended', outcome: 'supporter_no_show' });
    expect((await f.api<RequestView>('GET', `/v1/requests/${requestId}`, s.token)).body.status).toBe('waiting');
    expect(f.hs.of('kick').map((k) => k.userId).sort()).toEqual([s.userId, sup.userId].sort());
    await f.settle();
    expect((await f.api<Offers>('GET', '/v1/offers', sup.token)).body.offers).toEqual([]);
  });

  it('ends a session on request with a wrap-up: read-only room, supporter removed, student kept, capacity freed', async () => {
    const { f, sup, s, session } = await matched();
    expect((await f.api<{ pending_offers: number; active_sessions: number }>('GET', '/v1/supporters/me/availability', sup.token)).body.active_sessions).toBe(1);
    const ended = await f.api<SessionV>('POST', `/v1/sessions/${session.session_id}/end`, sup.token, { outcome: 'completed' });
    expect(ended.body).toMatchObject({ status: 'ended', outcome: 'completed' });
    const pl = f.hs.of('state').find((c) => c.type === 'm.room.power_levels');
    expect(pl?.content).toMatchObject({ events_default: 100, users: { [BOT]: 100 } });
    expect(f.hs.of('kick').map((k) => k.userId)).toEqual([sup.userId]);
    expect((await f.api<{ active_sessions: number }>('GET', '/v1/supporters/me/availability', sup.token)).body.active_sessions).toBe(0);
    expect((await f.api('POST', `/v1/sessions/${session.session_id}/end`, s.token, {})).status).toBe(409);
  });

  it('brings the supporter back for a check-in the student accepted, at the agreed time', async () => {
    const { f, sup, s, session } = await matched();
    const at = f.clock.now() + 86_400_000;
    const studentOffer = await f.api('POST', `/v1/sessions/${session.session_id}/end`, s.token, { check_in: { proposed_ts: at } });
    expect(studentOffer.status).toBe(403);
    await f.api('POST', `/v1/sessions/${session.session_id}/end`, sup.token, { check_in: { proposed_ts: at } });
    const answered = await f.api<SessionV>('POST', `/v1/sessions/${session.session_id}/check-in`, s.token, { accept: true });
    expect(answered.body.check_in?.status).toBe('accepted');
    await f.parts.sessions.sweep();
    expect(f.hs.of('invite')).toEqual([]);
    f.clock.advance(86_400_000);
    await f.parts.sessions.sweep();
    expect(f.hs.of('invite').map((c) => c.userId)).toEqual([sup.userId]);
    const reopened = await f.api<SessionV>('GET', `/v1/sessions/${session.session_id}`, await f.signIn(s.userId));
    expect(reopened.body).toMatchObject({ status: 'active', check_in: { status: 'started' } });
  });

  it('ends the session when the student leaves the room by themselves, not when the bot removes someone', async () => {
    const { f, s, sup, session } = await matched();
    await f.parts.sessions.onMembership(member(session.room_id!, sup.userId, 'leave', BOT));
    expect((await f.api<SessionV>('GET', `/v1/sessions/${session.session_id}`, s.token)).body.status).toBe('active');
    await f.parts.sessions.onMembership(member(session.room_id!, s.userId, 'leave'));
    expect((await f.api<SessionV>('GET', `/v1/sessions/${session.session_id}`, s.token)).body).toMatchObject({ status: 'ended', outcome: 'student_left' });
  });

  it('empties a room when its retention period is over and records it as purged', async () => {
    const { f, sup, s, session } = await matched();
    await f.api('POST', `/v1/sessions/${session.session_id}/end`, sup.token, {});
    expect(await f.parts.sessions.purgeDue()).toBe(0);
    f.clock.advance(samplePolicy().retention_days.peer * 86_400_000);
    expect(await f.parts.sessions.purgeDue()).toBe(1);
    expect(f.hs.of('kick').map((k) => k.userId)).toContain(s.userId);
    expect(f.hs.of('leave').map((c) => c.roomId)).toEqual([session.room_id]);
    expect((await f.parts.context.store.room(session.room_id!))?.purged_ts).toBe(f.clock.now());
    const audit = await f.services.audit.latest(50);
    expect(audit.map((e) => e.action)).toContain('room.purged');
    expect(await f.parts.sessions.purgeDue()).toBe(0);
  });

  it('records figures facts that never name the student', async () => {
    const { f, sup, session, s } = await matched();
    await f.api('POST', `/v1/sessions/${session.session_id}/end`, sup.token, {});
    const entries = await f.services.audit.latest(50);
    const actions = entries.map((e) => e.action);
    for (const a of ['request.created', 'request.matched', 'session.started', 'session.ended']) expect(actions).toContain(a);
    expect(JSON.stringify(entries.filter((e) => e.action.startsWith('request.') || e.action.startsWith('session.')))).not.toContain(s.userId);
  });
});
