// The client side of feedback tickets: asked for once per ended session, kept on the device only
// until answered or skipped, and the answer sent without the session token.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeClient } from './bridge-client.ts';
import type { Session } from '../matrix/session.ts';
import type { PeerSessionView } from './sessions-api.ts';
import { answerFeedback, collectFeedbackTickets, finishFeedback } from './feedback-api.ts';

const memory = new Map<string, string>();
const storage = {
  getItem: (k: string) => memory.get(k) ?? null, setItem: (k: string, v: string) => { memory.set(k, v); }, removeItem: (k: string) => { memory.delete(k); },
};

interface Call { method: string; path: string; auth: string | null; body: unknown }

function bridge(answers: Record<string, () => Response>): { b: BridgeClient; calls: Call[] } {
  const calls: Call[] = [];
  const fetchFn = (async (url: string, init: RequestInit = {}) => {
    const path = new URL(url).pathname;
    const auth = new Headers(init.headers).get('authorization');
    calls.push({ method: init.method ?? 'GET', path, auth, body: init.body ? JSON.parse(String(init.body)) : undefined });
    if (path.endsWith('/openid/request_token')) return Response.json({ access_token: 'oid', matrix_server_name: 'a.example' });
    if (path === '/v1/session') return Response.json({ session_token: 'session-token', expires_in_ms: 3_600_000, roles: ['student'] });
    const answer = answers[`${init.method} ${path}`];
    if (!answer) throw new TypeError('network down');
    return answer();
  }) as typeof fetch;
  const session = { homeserverUrl: 'http://hs.test', userId: '@s:a.example', accessToken: 'matrix-token' } as unknown as Session;
  return { b: new BridgeClient('http://bridge.test', session, fetchFn), calls };
}

const ended = (id: string, topic = 'exam-stress'): PeerSessionView => ({
  session_id: id, request_id: `rq_${id}`, role: 'student', status: 'ended', topic, room_id: '!r:a.example', institutions: ['a.example'],
  created_ts: 1, ended_ts: 2, outcome: 'completed', check_in: null,
});

describe('feedback tickets on the device', () => {
  beforeEach(() => { memory.clear(); Object.assign(globalThis, { localStorage: storage }); });
  afterEach(() => { delete (globalThis as { localStorage?: unknown }).localStorage; });

  it('asks once per ended session, keeps the ticket until answered, and sends the answer without the session token', async () => {
    const { b, calls } = bridge({
      'POST /v1/sessions/ps_1/feedback-ticket': () => Response.json({ ticket: 'pl1.2026-W10.abc', valid_until_week: '2026-W11' }, { status: 201 }),
      'POST /v1/sessions/ps_2/feedback-ticket': () => Response.json({ errcode: 'ORG.PEERLINE.FEEDBACK_TICKET_ISSUED', error: 'issued' }, { status: 409 }),
      'POST /v1/feedback': () => Response.json({ recorded: true }, { status: 201 }),
    });
    const active = { ...ended('ps_3'), status: 'active' as const, ended_ts: null };
    const sessions = [ended('ps_1'), ended('ps_2'), active];
    expect(await collectFeedbackTickets(b, sessions)).toEqual({ sessionId: 'ps_1', topic: 'exam-stress', ticket: 'pl1.2026-W10.abc' });
    expect(await collectFeedbackTickets(b, sessions)).toEqual({ sessionId: 'ps_1', topic: 'exam-stress', ticket: 'pl1.2026-W10.abc' });
    expect(calls.filter((c) => c.path.includes('feedback-ticket')).map((c) => c.path)).toEqual(['/v1/sessions/ps_1/feedback-ticket', '/v1/sessions/ps_2/feedback-ticket']);
    const pending = (await collectFeedbackTickets(b, sessions))!;
    expect(await answerFeedback(b, pending, { helpfulness: 5, feltSafe: true, themes: ['listened-to'] })).toBe('sent');
    const sent = calls.find((c) => c.path === '/v1/feedback')!;
    expect(sent).toEqual({ method: 'POST', path: '/v1/feedback', auth: null, body: { ticket: 'pl1.2026-W10.abc', helpfulness: 5, felt_safe: true, themes: ['listened-to'] } });
    expect(await collectFeedbackTickets(b, sessions)).toBeNull();
    expect([...memory.values()].join()).not.toContain('pl1.');
  });

  it('keeps the ticket when the network fails, forgets it when skipped, and forgets sessions no longer listed', async () => {
    const { b } = bridge({ 'POST /v1/sessions/ps_1/feedback-ticket': () => Response.json({ ticket: 'pl1.t', valid_until_week: '2026-W11' }, { status: 201 }) });
    const pending = (await collectFeedbackTickets(b, [ended('ps_1')]))!;
    await expect(answerFeedback(b, pending, { helpfulness: 3, feltSafe: false, themes: [] })).rejects.toThrow();
    expect(await collectFeedbackTickets(b, [ended('ps_1')])).toEqual(pending);
    finishFeedback('ps_1');
    expect(await collectFeedbackTickets(b, [ended('ps_1')])).toBeNull();
    expect(await collectFeedbackTickets(b, [])).toBeNull();
    expect(memory.size).toBe(0);
  });
});
