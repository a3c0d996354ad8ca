// Every bridge endpoint × every kind of caller, against the real bridge and real homeservers:
// allowed where it should be, 401 (no or unknown credentials) or 403 (credentials that do not fit)
// otherwise. The table is written out by hand — it is the access policy under test — and must name
// every operation of the bridge's OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { openIdToken, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';

type Caller = 'anonymous' | 'student' | 'supporter' | 'counsellor' | 'admin' | 'partner' | 'homeserver';
const CALLERS: Caller[] = ['anonymous', 'student', 'supporter', 'counsellor', 'admin', 'partner', 'homeserver'];
const SESSION: Caller[] = ['student', 'supporter', 'counsellor', 'admin', 'partner'];

interface Row {
  method: string;
  /** As in the OpenAPI document. */
  path: string;
  allowed: readonly Caller[] | 'all';
  /** Request path with parameters filled in (default: `path`). */
  url?: (c: Ctx) => string;
  body?: (c: Ctx) => unknown;
  /** Spends the caller's session (refresh, sign-out): use a fresh one. */
  freshSession?: boolean;
}

interface Ctx {
  server: string;
  studentOpenId: Record<string, unknown>;
  n: number;
}

const enc = encodeURIComponent;
const someone = (c: Ctx): string => enc(`@nobody-${c.n}:${c.server}`);

const TABLE: Row[] = [
  { method: 'get', path: '/health', allowed: 'all' },
  { method: 'get', path: '/ready', allowed: 'all' },
  { method: 'get', path: '/metrics', allowed: 'all' },
  { method: 'get', path: '/openapi.json', allowed: 'all' },
  { method: 'get', path: '/v1/policy/schema', allowed: 'all' },
  { method: 'get', path: '/v1/crisis-resources', allowed: 'all' },
  { method: 'post', path: '/v1/session', allowed: 'all', body: (c) => c.studentOpenId },
  { method: 'get', path: '/v1/session', allowed: SESSION },
  { method: 'post', path: '/v1/session/refresh', allowed: SESSION, freshSession: true },
  { method: 'delete', path: '/v1/session', allowed: SESSION, freshSession: true },
  { method: 'get', path: '/v1/policy', allowed: SESSION },
  { method: 'get', path: '/v1/roster/self', allowed: ['supporter', 'counsellor'] },
  { method: 'get', path: '/v1/admin/policy', allowed: ['admin'] },
  { method: 'post', path: '/v1/admin/policy/reload', allowed: ['admin'] },
  { method: 'get', path: '/v1/admin/audit', allowed: ['admin'] },
  { method: 'get', path: '/v1/admin/appservice', allowed: ['admin'] },
  { method: 'get', path: '/v1/admin/roster/supporters', allowed: ['admin'] },
  { method: 'get', path: '/v1/admin/roster/supporters/{userId}', allowed: ['admin'], url: (c) => `/v1/admin/roster/supporters/${enc(`@sup:${c.server}`)}` },
  { method: 'put', path: '/v1/admin/roster/supporters/{userId}', allowed: ['admin'], url: (c) => `/v1/admin/roster/supporters/${someone(c)}`, body: () => ({ topics: ['exam-stress'], training: [] }) },
  { method: 'delete', path: '/v1/admin/roster/supporters/{userId}', allowed: ['admin'], url: (c) => `/v1/admin/roster/supporters/${someone(c)}` },
  { method: 'get', path: '/v1/admin/roster/counsellors', allowed: ['admin'] },
  { method: 'get', path: '/v1/admin/roster/counsellors/{userId}', allowed: ['admin'], url: (c) => `/v1/admin/roster/counsellors/${enc(`@coun:${c.server}`)}` },
  { method: 'put', path: '/v1/admin/roster/counsellors/{userId}', allowed: ['admin'], url: (c) => `/v1/admin/roster/counsellors/${someone(c)}`, body: () => ({ active: false }) },
  { method: 'delete', path: '/v1/admin/roster/counsellors/{userId}', allowed: ['admin'], url: (c) => `/v1/admin/roster/counsellors/${someone(c)}` },
  { method: 'get', path: '/v1/admin/roster/admins', allowed: ['admin'] },
  { method: 'put', path: '/v1/admin/roster/admins/{userId}', allowed: ['admin'], url: (c) => `/v1/admin/roster/admins/${someone(c)}`, body: () => ({}) },
  { method: 'delete', path: '/v1/admin/roster/admins/{userId}', allowed: ['admin'], url: (c) => `/v1/admin/roster/admins/${someone(c)}` },
  { method: 'put', path: '/_matrix/app/v1/transactions/{txnId}', allowed: ['homeserver'], url: (c) => `/_matrix/app/v1/transactions/access-${c.n}`, body: () => ({ events: [] }) },
  { method: 'get', path: '/_matrix/app/v1/users/{userId}', allowed: ['homeserver'], url: (c) => `/_matrix/app/v1/users/${someone(c)}` },
  { method: 'get', path: '/_matrix/app/v1/rooms/{roomAlias}', allowed: ['homeserver'], url: (c) => `/_matrix/app/v1/rooms/${enc(`#nowhere:${c.server}`)}` },
  { method: 'post', path: '/_matrix/app/v1/ping', allowed: ['homeserver'], body: () => ({}) },
  // consent and escalation
  { method: 'post', path: '/v1/consent/keys', allowed: ['student'], body: () => ({ public_key: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64').replace(/=+$/, '') }) },
  { method: 'get', path: '/v1/consent/keys', allowed: ['student'] },
  { method: 'get', path: '/v1/consent/receipts', allowed: ['student'] },
  { method: 'post', path: '/v1/consent/receipts/{receiptId}/withdraw', allowed: ['student'], url: (c) => `/v1/consent/receipts/no-such-receipt-${c.n}/withdraw` },
  { method: 'post', path: '/v1/escalations', allowed: ['student'], body: () => ({}) },
  { method: 'get', path: '/v1/escalations/queue', allowed: ['counsellor'] },
  { method: 'get', path: '/v1/escalations/colleagues', allowed: ['counsellor'] },
  { method: 'post', path: '/v1/escalations/{escalationId}/claim', allowed: ['counsellor'], url: (c) => `/v1/escalations/esc_no-such-escalation-${c.n}/claim` },
  { method: 'post', path: '/v1/escalations/{escalationId}/handover', allowed: ['counsellor'], url: (c) => `/v1/escalations/esc_no-such-escalation-${c.n}/handover`, body: (c) => ({ to: `@coun:${c.server}` }) },
  { method: 'post', path: '/v1/escalations/{escalationId}/resolve', allowed: ['counsellor'], url: (c) => `/v1/escalations/esc_no-such-escalation-${c.n}/resolve`, body: () => ({ outcome: 'support_provided' }) },
  { method: 'get', path: '/v1/admin/escalations/breaches', allowed: ['admin'] },
  { method: 'get', path: '/v1/admin/figures', allowed: ['admin'] },
  // requests, matching, sessions and groups
  { method: 'post', path: '/v1/requests', allowed: ['student'], body: () => ({ topic: 'exam-stress' }) },
  { method: 'get', path: '/v1/requests', allowed: ['student'] },
  { method: 'get', path: '/v1/requests/{requestId}', allowed: ['student'], url: (c) => `/v1/requests/rq_no-such-request-${c.n}` },
  { method: 'post', path: '/v1/requests/{requestId}/cancel', allowed: ['student'], url: (c) => `/v1/requests/rq_no-such-request-${c.n}/cancel` },
  { method: 'get', path: '/v1/supporters/me/availability', allowed: ['supporter'] },
  { method: 'put', path: '/v1/supporters/me/availability', allowed: ['supporter'], body: () => ({ available: false }) },
  { method: 'get', path: '/v1/offers', allowed: ['supporter'] },
  { method: 'post', path: '/v1/offers/{offerId}/accept', allowed: ['supporter'], url: (c) => `/v1/offers/of_no-such-offer-${c.n}/accept` },
  { method: 'post', path: '/v1/offers/{offerId}/decline', allowed: ['supporter'], url: (c) => `/v1/offers/of_no-such-offer-${c.n}/decline`, body: () => ({}) },
  { method: 'get', path: '/v1/sessions', allowed: ['student', 'supporter'] },
  { method: 'get', path: '/v1/sessions/{sessionId}', allowed: ['student', 'supporter'], url: (c) => `/v1/sessions/ps_no-such-session-${c.n}` },
  { method: 'post', path: '/v1/sessions/{sessionId}/end', allowed: ['student', 'supporter'], url: (c) => `/v1/sessions/ps_no-such-session-${c.n}/end`, body: () => ({}) },
  { method: 'post', path: '/v1/sessions/{sessionId}/check-in', allowed: ['student'], url: (c) => `/v1/sessions/ps_no-such-session-${c.n}/check-in`, body: () => ({ accept: true }) },
  { method: 'post', path: '/v1/groups', allowed: ['supporter', 'admin'], body: () => ({ topic: 'exam-stress', name: 'Exam stress circle' }) },
  { method: 'get', path: '/v1/groups', allowed: SESSION },
  { method: 'post', path: '/v1/groups/{groupId}/join', allowed: SESSION, url: (c) => `/v1/groups/gr_no-such-group-${c.n}/join` },
  { method: 'get', path: '/v1/admin/matching', allowed: ['admin'] },
  // group moderation and message reports
  { method: 'get', path: '/v1/groups/{groupId}/members', allowed: ['supporter', 'admin'], url: (c) => `/v1/groups/gr_no-such-group-${c.n}/members` },
  { method: 'post', path: '/v1/groups/{groupId}/moderation', allowed: ['supporter', 'admin'], url: (c) => `/v1/groups/gr_no-such-group-${c.n}/moderation`, body: (c) => ({ action: 'mute', user_id: `@nobody:${c.server}`, reason: 'access test' }) },
  { method: 'post', path: '/v1/reports', allowed: SESSION, body: (c) => ({ room_id: `!no-such-room-${c.n}:${c.server}`, event_id: `$no-such-event-${c.n}`, reason_code: 'spam' }) },
  { method: 'get', path: '/v1/reports', allowed: ['supporter', 'admin'], url: (c) => `/v1/reports?group_id=gr_no-such-group-${c.n}` },
  { method: 'post', path: '/v1/reports/{reportId}/close', allowed: ['supporter', 'admin'], url: (c) => `/v1/reports/rp_no-such-report-${c.n}/close` },
  // supervision (issue #9): supervisors are the institution's counsellors; supporters flag, pause, ask for debriefs
  { method: 'get', path: '/v1/supervision/caseload', allowed: ['counsellor'] },
  { method: 'get', path: '/v1/supervision/caseload/{userId}', allowed: ['counsellor'], url: (c) => `/v1/supervision/caseload/${someone(c)}` },
  { method: 'get', path: '/v1/supervision/flags', allowed: ['counsellor'] },
  { method: 'post', path: '/v1/supervision/flags/{flagId}/review', allowed: ['counsellor'], url: (c) => `/v1/supervision/flags/fl_no-such-flag-${c.n}/review` },
  { method: 'post', path: '/v1/supervision/flags', allowed: ['supporter'], body: (c) => ({ session_id: `ps_no-such-session-${c.n}`, reason_code: 'other' }) },
  { method: 'get', path: '/v1/supervision/me', allowed: ['supporter'] },
  { method: 'put', path: '/v1/supervision/me/break', allowed: ['supporter'], body: () => ({}) },
  { method: 'delete', path: '/v1/supervision/me/break', allowed: ['supporter'] },
  { method: 'get', path: '/v1/supervision/supervisors', allowed: ['supporter'] },
  { method: 'post', path: '/v1/supervision/debriefs', allowed: ['supporter'], body: (c) => ({ session_id: `ps_no-such-session-${c.n}` }) },
  { method: 'get', path: '/v1/supervision/debriefs', allowed: ['supporter', 'counsellor'] },
  { method: 'get', path: '/v1/supervision/debriefs/{debriefId}', allowed: ['supporter', 'counsellor'], url: (c) => `/v1/supervision/debriefs/db_no-such-debrief-${c.n}` },
  { method: 'post', path: '/v1/supervision/debriefs/{debriefId}/share', allowed: ['supporter'], url: (c) => `/v1/supervision/debriefs/db_no-such-debrief-${c.n}/share`, body: () => ({ share: 'summary' }) },
  // training, anonymous feedback and the program report (issue #9)
  { method: 'get', path: '/v1/training', allowed: ['supporter'] },
  { method: 'get', path: '/v1/training/{moduleId}', allowed: ['supporter'], url: () => '/v1/training/no-such-module' },
  { method: 'post', path: '/v1/training/{moduleId}/attempts', allowed: ['supporter'], url: () => '/v1/training/no-such-module/attempts', body: () => ({ version: 1, answers: [] }) },
  { method: 'post', path: '/v1/sessions/{sessionId}/feedback-ticket', allowed: ['student'], url: (c) => `/v1/sessions/ps_no-such-session-${c.n}/feedback-ticket` },
  { method: 'post', path: '/v1/feedback', allowed: 'all', body: () => ({ ticket: 'not-a-ticket', helpfulness: 3, felt_safe: true, themes: [] }) },
  { method: 'get', path: '/v1/feedback/mine', allowed: ['supporter'] },
  { method: 'get', path: '/v1/admin/report', allowed: ['admin'] },
  { method: 'get', path: '/v1/admin/report.csv', allowed: ['admin'] },
  { method: 'get', path: '/v1/admin/report.html', allowed: ['admin'] },
];

describe('bridge access control: every endpoint × every caller', () => {
  let hs: TestHomeserver;
  let partnerHs: TestHomeserver;
  let bridge: TestBridge;
  const users = new Map<Caller, { hs: TestHomeserver; user: RegisteredUser; openId?: Record<string, unknown> }>();
  let ctx: Ctx;

  beforeAll(async () => {
    partnerHs = await startHomeserver();
    const started = await startHomeserverWithBridge({
      policy: (name) => testPolicy(name, [partnerHs.serverName]),
      admins: (name) => [`@admin:${name}`],
      federationEndpoints: { [partnerHs.serverName]: `https://127.0.0.1:${partnerHs.federationPort}` },
    });
    hs = started.hs;
    bridge = started.bridge;
    for (const [caller, localpart] of [['student', 's-1a2b3c'], ['supporter', 'sup'], ['counsellor', 'coun'], ['admin', 'admin']] as const) {
      users.set(caller, { hs, user: await hs.registerUser(localpart) });
    }
    users.set('partner', { hs: partnerHs, user: await partnerHs.registerUser('s-partner') });
    for (const u of users.values()) u.openId = await openIdToken(u.hs, u.user);
    ctx = { server: hs.serverName, studentOpenId: users.get('student')!.openId!, n: 0 };
    const admin = await session('admin');
    const put = async (path: string, body: unknown): Promise<void> => {
      const r = await bridge.api('PUT', path, { token: admin, body });
      expect(r.status, path).toBe(200);
    };
    await put(`/v1/admin/roster/supporters/${enc(`@sup:${hs.serverName}`)}`, { topics: ['exam-stress'], training: [] });
    await put(`/v1/admin/roster/counsellors/${enc(`@coun:${hs.serverName}`)}`, {});
  });

  afterAll(async () => {
    await bridge?.stop();
    await hs?.stop();
    await partnerHs?.stop();
    bridge?.cleanup();
    hs?.cleanup();
    partnerHs?.cleanup();
  });

  const sessions = new Map<Caller, string>();
  async function session(caller: Caller, fresh = false): Promise<string> {
    const known = sessions.get(caller);
    if (known && !fresh) return known;
    const r = await bridge.api<{ session_token: string }>('POST', '/v1/session', { body: users.get(caller)!.openId });
    if (r.status !== 200) throw new Error(`sign-in of ${caller}: ${r.status} ${JSON.stringify(r.body)}`);
    if (!fresh) sessions.set(caller, r.body.session_token);
    return r.body.session_token;
  }

  async function call(row: Row, caller: Caller): Promise<{ status: number; body: unknown }> {
    ctx.n++;
    const token = caller === 'anonymous' ? undefined : caller === 'homeserver' ? bridge.hsToken : await session(caller, row.freshSession === true);
    const path = row.url ? row.url(ctx) : row.path;
    const res = await fetch(`${bridge.url}${path}`, {
      method: row.method.toUpperCase(),
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
      ...(row.body ? { body: JSON.stringify(row.body(ctx)) } : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* metrics are text */ }
    return { status: res.status, body };
  }

  it('names every operation of the OpenAPI document, and nothing else', async () => {
    const doc = (await bridge.api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json')).body;
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).sort();
    expect(TABLE.map((r) => `${r.method} ${r.path}`).sort()).toEqual(documented);
  });

  it('the roles of the callers are the ones the table assumes', async () => {
    const expected: Partial<Record<Caller, string[]>> = { student: ['student'], supporter: ['supporter'], counsellor: ['counsellor'], admin: ['admin'], partner: [] };
    for (const [caller, roles] of Object.entries(expected) as [Caller, string[]][]) {
      const r = await bridge.api<{ roles: string[] }>('GET', '/v1/session', { token: await session(caller) });
      expect(r.body.roles, caller).toEqual(roles);
    }
  });

  for (const row of TABLE) {
    it(`${row.method.toUpperCase()} ${row.path}: ${row.allowed === 'all' ? 'everyone' : row.allowed.join(', ')}`, async () => {
      const outcomes: string[] = [];
      const expectedOutcomes: string[] = [];
      for (const caller of CALLERS) {
        const { status, body } = await call(row, caller);
        const allowed = row.allowed === 'all' || row.allowed.includes(caller);
        // No credentials, or an hs_token where a session token is needed: 401. A session token that
        // lacks the role, or where the hs_token is needed: 403.
        const denial = caller === 'anonymous' || caller === 'homeserver' ? 401 : 403;
        outcomes.push(`${caller}: ${allowed ? (status === 401 || status === 403 || status >= 500 ? `denied ${status}` : 'allowed') : String(status)}`);
        expectedOutcomes.push(`${caller}: ${allowed ? 'allowed' : String(denial)}`);
        if (!allowed) expect(body, `${caller} gets a JSON error`).toMatchObject({ errcode: expect.any(String), error: expect.any(String) });
      }
      expect(outcomes).toEqual(expectedOutcomes);
    });
  }
});
