// Session feedback through the API: a ticket for the session's own student only, once; an anonymous,
// single-use answer; nothing stored that names the student, session or ticket; the supporter's own
// aggregate suppressed under 5 responses and exact from 5.
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { testBridge, SERVER } from '../test-fixture.ts';
import { FakeHomeserver, TRAINED } from '../matching/test-fixture.ts';
import { matchingModule } from '../matching/module.ts';
import { feedbackModule } from './module.ts';
import { shiftWeek, weekOfTs } from './tickets.ts';

type Err = { errcode: string; error: string };
type Ticket = { ticket: string; valid_until_week: string };

function fixture() {
  const base = testBridge();
  const hs = new FakeHomeserver();
  const matching = matchingModule({ homeserver: hs, manualJobs: true });
  const feedback = feedbackModule();
  const { app } = createApp(base.services, [(r) => matching.register(base.services, r), (r) => feedback.register(base.services, r)]);
  const api = async <T = Record<string, unknown>>(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await app.request(path, {
      method, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const settle = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r));
    await matching.parts.engine.idle();
  };
  return {
    ...base, api, feedback: feedback.feedback,
    async supporter(localpart: string, available = true) {
      const userId = `@${localpart}:${SERVER}`;
      await base.services.roster.putSupporter(`@admin:${SERVER}`, userId, { topics: ['exam-stress'], training: TRAINED, capacity: null });
      const token = await base.signIn(userId);
      if (available) expect((await api('PUT', '/v1/supporters/me/availability', token, { available: true })).status).toBe(200);
      return { userId, token };
    },
    async student(localpart: string) {
      const userId = `@${localpart}:${SERVER}`;
      return { userId, token: await base.signIn(userId) };
    },
    /** A session between them, matched and (unless `end` is false) ended by the supporter. */
    async session(student: { token: string }, supporter: { token: string }, end = true) {
      const req = await api<{ request_id: string }>('POST', '/v1/requests', student.token, { topic: 'exam-stress' });
      expect(req.status).toBe(201);
      await settle();
      const offers = await api<{ offers: { offer_id: string }[] }>('GET', '/v1/offers', supporter.token);
      const s = await api<{ session_id: string; room_id: string }>('POST', `/v1/offers/${offers.body.offers[0]!.offer_id}/accept`, supporter.token);
      expect(s.status).toBe(200);
      if (end) expect((await api('POST', `/v1/sessions/${s.body.session_id}/end`, supporter.token, {})).status).toBe(200);
      return { session_id: s.body.session_id, room_id: s.body.room_id, request_id: req.body.request_id };
    },
  };
}

const answer = (ticket: string, over: Record<string, unknown> = {}) => ({ ticket, helpfulness: 4, felt_safe: true, themes: ['listened-to'], ...over });

describe('session feedback', () => {
  it("gives a ticket only to the session's own student, only once, and only after the session ended", async () => {
    const f = fixture();
    const sup = await f.supporter('sup');
    const stu = await f.student('s-1');
    const other = await f.student('s-2');
    const s = await f.session(stu, sup, false);
    const path = `/v1/sessions/${s.session_id}/feedback-ticket`;
    expect(await f.api<Err>('POST', path, stu.token)).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.SESSION_NOT_ENDED' } });
    expect((await f.api('POST', `/v1/sessions/${s.session_id}/end`, stu.token, {})).status).toBe(200);
    expect(await f.api<Err>('POST', path, other.token)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    expect((await f.api<Err>('POST', path, sup.token)).status).toBe(403);
    expect((await f.api<Err>('POST', '/v1/sessions/ps_nothing/feedback-ticket', stu.token)).status).toBe(404);
    const t = await f.api<Ticket>('POST', path, stu.token);
    expect(t.status).toBe(201);
    expect(t.body.ticket).toMatch(/^pl1\.\d{4}-W\d{2}\.[A-Za-z0-9_-]+$/);
    expect(t.body.valid_until_week).toBe(shiftWeek(weekOfTs(f.clock.now(), 'Europe/London'), 1));
    expect(await f.api<Err>('POST', path, stu.token)).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.FEEDBACK_TICKET_ISSUED' } });
  });

  it('takes an answer with the ticket and no session token, once; a replayed, altered or expired ticket is refused with its errcode', async () => {
    const f = fixture();
    const sup = await f.supporter('sup');
    const stu = await f.student('s-1');
    const s1 = await f.session(stu, sup);
    const { ticket } = (await f.api<Ticket>('POST', `/v1/sessions/${s1.session_id}/feedback-ticket`, stu.token)).body;
    expect(await f.api('POST', '/v1/feedback', null, answer(ticket))).toEqual({ status: 201, body: { recorded: true } });
    expect(await f.api<Err>('POST', '/v1/feedback', null, answer(ticket, { helpfulness: 1 }))).toMatchObject({ status: 409, body: { errcode: 'ORG.PEERLINE.FEEDBACK_TICKET_USED' } });
    // The request log of the answer names nobody.
    const logged = f.logs.filter((l) => l['route'] === '/v1/feedback');
    expect(logged).toHaveLength(2);
    for (const l of logged) expect(l).not.toHaveProperty('user_id');

    const s2 = await f.session(stu, sup);
    const second = (await f.api<Ticket>('POST', `/v1/sessions/${s2.session_id}/feedback-ticket`, stu.token)).body.ticket;
    const last = second.at(-2) === 'A' ? 'B' : 'A';
    const altered = `${second.slice(0, -2)}${last}${second.at(-1)}`;
    expect(await f.api<Err>('POST', '/v1/feedback', null, answer(altered))).toMatchObject({ status: 400, body: { errcode: 'ORG.PEERLINE.FEEDBACK_TICKET_INVALID' } });
    expect(await f.api<Err>('POST', '/v1/feedback', null, answer('not-a-ticket'))).toMatchObject({ status: 400, body: { errcode: 'ORG.PEERLINE.FEEDBACK_TICKET_INVALID' } });
    expect((await f.api<Err>('POST', '/v1/feedback', null, answer(second, { helpfulness: 6 }))).status).toBe(400);
    expect((await f.api<Err>('POST', '/v1/feedback', null, answer(second, { themes: ['made-up'] }))).status).toBe(400);
    // Two weeks later the ticket's week and the next are over: expired, and the purge forgets its key.
    f.clock.advance(15 * 86_400_000);
    expect(await f.api<Err>('POST', '/v1/feedback', null, answer(second))).toMatchObject({ status: 410, body: { errcode: 'ORG.PEERLINE.FEEDBACK_TICKET_EXPIRED' } });
    expect(await f.feedback.purgeExpired()).toBeGreaterThan(0);
    expect(await f.store.feedback.ticketIssued(s2.session_id)).toBe(false);
    // …and a session that old gets no new ticket.
    const fresh = await f.signIn(stu.userId);
    expect(await f.api<Err>('POST', `/v1/sessions/${s2.session_id}/feedback-ticket`, fresh)).toMatchObject({ status: 410, body: { errcode: 'ORG.PEERLINE.FEEDBACK_CLOSED' } });
  });

  it("stores no value equal to (or containing) any student, session, request, room or ticket of the scenario", async () => {
    const f = fixture();
    const sup = await f.supporter('sup');
    const secrets: string[] = [];
    for (let i = 0; i < 6; i++) {
      const stu = await f.student(`s-${i}`);
      const s = await f.session(stu, sup);
      const t = await f.api<Ticket>('POST', `/v1/sessions/${s.session_id}/feedback-ticket`, stu.token);
      expect((await f.api('POST', '/v1/feedback', null, answer(t.body.ticket, { helpfulness: 1 + (i % 5) }))).status).toBe(201);
      secrets.push(stu.userId, stu.token, s.session_id, s.request_id, s.room_id, t.body.ticket, t.body.ticket.split('.')[2]!);
    }
    const tables = f.store.db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'feedback%' AND name != 'feedback_tickets_issued'");
    expect(tables.length).toBe(6);
    const values = tables.flatMap(({ name }) => f.store.db.all<Record<string, unknown>>(`SELECT * FROM ${name}`).flatMap((r) => Object.values(r)));
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) {
      const text = v instanceof Uint8Array ? Buffer.from(v).toString('base64url') : String(v);
      for (const secret of secrets) expect(text.includes(secret), `${text} holds ${secret}`).toBe(false);
    }
    // The only session-keyed table is the issued marker, which holds nothing else but the week.
    expect(f.store.db.all('SELECT * FROM feedback_tickets_issued').map((r) => Object.keys(r as object).sort())).toEqual(Array(6).fill(['session_id', 'week']));
  });

  it("shows a supporter their own aggregate only from 5 responses, and then exactly", async () => {
    const f = fixture();
    const sup = await f.supporter('sup');
    const other = await f.supporter('other', false);
    const tickets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const stu = await f.student(`s-${i}`);
      const s = await f.session(stu, sup);
      tickets.push((await f.api<Ticket>('POST', `/v1/sessions/${s.session_id}/feedback-ticket`, stu.token)).body.ticket);
    }
    for (let i = 0; i < 4; i++) await f.api('POST', '/v1/feedback', null, answer(tickets[i]!, { helpfulness: 5, themes: ['listened-to', 'practical-ideas'] }));
    expect(await f.api('GET', '/v1/feedback/mine', sup.token)).toEqual({ status: 200, body: { responses: 'fewer than 5' } });
    await f.api('POST', '/v1/feedback', null, answer(tickets[4]!, { helpfulness: 2, felt_safe: false, themes: ['felt-rushed'] }));
    expect(await f.api('GET', '/v1/feedback/mine', sup.token)).toEqual({ status: 200, body: {
      responses: 5, helpfulness: [0, 1, 0, 0, 4], helpfulness_mean: 4.4, felt_safe_yes: 4, felt_safe_no: 1,
      themes: { 'felt-rushed': 1, 'listened-to': 4, 'practical-ideas': 4 },
    } });
    expect((await f.api('GET', '/v1/feedback/mine', other.token)).body).toEqual({ responses: 'fewer than 5' });
    const student = await f.student('s-x');
    expect((await f.api('GET', '/v1/feedback/mine', student.token)).status).toBe(403);
    // The report's aggregate has the same five answers under the week and topic.
    const week = weekOfTs(f.clock.now(), 'Europe/London');
    expect(await f.store.feedback.aggregate(week, week)).toEqual([{
      week, topic: 'exam-stress', responses: 5, helpfulness: [0, 1, 0, 0, 4], felt_safe_yes: 4, felt_safe_no: 1,
      themes: { 'felt-rushed': 1, 'listened-to': 4, 'practical-ideas': 4 },
    }]);
  });

  it('limits anonymous answers per client address at the policy\'s API rate (the route takes no session)', async () => {
    const f = fixture();
    const limit = f.services.policy.current().rate_limits.api_requests_per_minute;
    const statuses: number[] = [];
    for (let i = 0; i <= limit; i++) statuses.push((await f.api('POST', '/v1/feedback', null, { ticket: `not-a-ticket-${i}`, helpfulness: 3, felt_safe: true, themes: [] })).status);
    expect(statuses.slice(0, limit).every((s) => s === 400)).toBe(true);
    expect(statuses[limit]).toBe(429);
  });
});
