import { describe, expect, it } from 'vitest';
import { testBridge, samplePolicy, HS_TOKEN, SERVER } from './test-fixture.ts';
import { SupporterInputSchema } from './api/roster.ts';

const json = (body: unknown, token?: string, method = 'POST'): RequestInit => ({
  method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
});
const auth = (token: string, method = 'GET'): RequestInit => ({ method, headers: { Authorization: `Bearer ${token}` } });

describe('bridge HTTP API', () => {
  it('lets a web client on another origin call the client API, but not the appservice endpoints', async () => {
    const b = testBridge();
    const preflight = await b.app.request('/v1/requests', { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect((preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain('authorization');
    const appservice = await b.app.request('/_matrix/app/v1/ping', { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' } });
    expect(appservice.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 401 with a JSON errcode without a token, and for an unknown one', async () => {
    const b = testBridge();
    const none = await b.app.request('/v1/policy');
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ errcode: 'M_MISSING_TOKEN' });
    const bogus = await b.app.request('/v1/policy', auth('pls_not-a-real-token'));
    expect(bogus.status).toBe(401);
    expect(await bogus.json()).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
  });

  it('answers 403 when the role does not fit, before looking at the body', async () => {
    const b = testBridge();
    const student = await b.signIn(`@s1:${SERVER}`);
    const res = await b.app.request(`/v1/admin/roster/supporters/${encodeURIComponent('@x:a.example')}`, { ...json('not even json', student, 'PUT'), body: '{' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ errcode: 'M_FORBIDDEN' });
  });

  it('refuses an OpenID token of a server the policy does not trust', async () => {
    const b = testBridge();
    b.openIdTokens.set('t', '@eve:evil.example');
    const res = await b.app.request('/v1/session', json({ access_token: 't', matrix_server_name: 'evil.example' }));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/not trusted/);
  });

  it('signs in, reports roles, rotates the token and signs out', async () => {
    const b = testBridge();
    const token = await b.signIn(`@s1:${SERVER}`);
    const me = await b.app.request('/v1/session', auth(token));
    expect(await me.json()).toMatchObject({ user_id: `@s1:${SERVER}`, roles: ['student'] });
    const refreshed = await b.app.request('/v1/session/refresh', auth(token, 'POST'));
    expect(refreshed.status).toBe(200);
    const next = ((await refreshed.json()) as { session_token: string }).session_token;
    expect((await b.app.request('/v1/session', auth(token))).status).toBe(401);
    expect((await b.app.request('/v1/session', auth(next))).status).toBe(200);
    const out = await b.app.request('/v1/session', auth(next, 'DELETE'));
    expect(await out.json()).toEqual({ revoked: 1 });
    expect((await b.app.request('/v1/session', auth(next))).status).toBe(401);
  });

  it('lets an admin manage the roster, auditing every change in an intact chain', async () => {
    const b = testBridge();
    const admin = await b.signIn(`@admin:${SERVER}`);
    const sup = encodeURIComponent('@sup:a.example');
    const put = await b.app.request(`/v1/admin/roster/supporters/${sup}`, json({
      topics: ['exam-stress'], training: [{ module: 'listening', version: 2, completed: '2025-10-01' }, { module: 'safeguarding', version: 1, completed: '2025-10-01' }],
    }, admin, 'PUT'));
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ user_id: '@sup:a.example', qualified_topics: ['exam-stress'], effective_capacity: 2, missing_training: [] });
    await b.app.request(`/v1/admin/roster/counsellors/${encodeURIComponent('@coun:a.example')}`, json({}, admin, 'PUT'));
    await b.app.request(`/v1/admin/roster/supporters/${sup}`, auth(admin, 'DELETE'));
    const log = await b.app.request('/v1/admin/audit', auth(admin));
    const body = (await log.json()) as { entries: { action: string; actor: string; subject: string }[]; chain: { ok: boolean; length: number } };
    expect(body.entries.map((e) => e.action)).toEqual(['roster.supporter.remove', 'roster.counsellor.add', 'roster.supporter.add']);
    expect(body.entries.every((e) => e.actor === `@admin:${SERVER}`)).toBe(true);
    expect(body.chain).toMatchObject({ ok: true, length: 3 });
    // The new role applies at once.
    const counsellor = await b.signIn('@coun:a.example');
    expect(await (await b.app.request('/v1/session', auth(counsellor))).json()).toMatchObject({ roles: ['counsellor'] });
  });

  it('refuses roster records that do not fit the policy, saying why', async () => {
    const b = testBridge();
    const admin = await b.signIn(`@admin:${SERVER}`);
    const res = await b.app.request(`/v1/admin/roster/supporters/${encodeURIComponent('@sup:c.example')}`, json({
      topics: ['knitting'], training: [{ module: 'listening', version: 2, completed: '2025-10-01' }], capacity: 9,
    }, admin, 'PUT'));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errcode: string; problems: string[] };
    expect(body.errcode).toBe('M_INVALID_PARAM');
    expect(body.problems).toEqual([
      '@sup:c.example is not a user of this institution or of a partner in the policy',
      "topic 'knitting' is not in the policy",
      "capacity 9 is above the policy's maximum 4",
    ]);
    const notUser = await b.app.request('/v1/admin/roster/supporters/alice', json({ topics: [], training: [] }, admin, 'PUT'));
    expect(notUser.status).toBe(400);
    expect((await b.store.audit.head())).toBeNull();
  });

  it('explains malformed and mistyped bodies, and refuses oversized ones', async () => {
    const b = testBridge();
    const admin = await b.signIn(`@admin:${SERVER}`);
    const path = `/v1/admin/roster/supporters/${encodeURIComponent('@sup:a.example')}`;
    const malformed = await b.app.request(path, { ...auth(admin, 'PUT'), body: '{"topics": [' });
    expect(await malformed.json()).toMatchObject({ errcode: 'M_NOT_JSON' });
    const mistyped = await b.app.request(path, json({ topics: 'exam-stress', training: [] }, admin, 'PUT'));
    expect(mistyped.status).toBe(400);
    expect(await mistyped.json()).toMatchObject({ errcode: 'M_BAD_JSON', error: expect.stringMatching(/^body\.topics: expected a list of at most 100 items of an identifier .*, found "exam-stress"$/) });
    const huge = await b.app.request(path, json({ topics: [], training: [], pad: 'x'.repeat(100_000) }, admin, 'PUT'));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ errcode: 'M_TOO_LARGE' });
  });

  it('rate-limits API calls per user from the policy', async () => {
    const policy = samplePolicy();
    policy.rate_limits.api_requests_per_minute = 3;
    const b = testBridge({ policy });
    const token = await b.signIn(`@s1:${SERVER}`);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await b.app.request('/v1/policy', auth(token))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await b.app.request('/v1/policy', auth(token));
    expect(await limited.json()).toMatchObject({ errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: expect.any(Number) });
    b.clock.advance(60_000);
    expect((await b.app.request('/v1/policy', auth(token))).status).toBe(200);
  });

  it('checks the hs_token on appservice routes: 401 without, 403 when wrong or when the legacy query disagrees', async () => {
    const b = testBridge();
    const path = '/_matrix/app/v1/transactions/1';
    const body = JSON.stringify({ events: [] });
    expect((await b.app.request(path, { method: 'PUT', body })).status).toBe(401);
    expect((await b.app.request(path, { method: 'PUT', body, headers: { Authorization: 'Bearer nope' } })).status).toBe(403);
    expect((await b.app.request(`${path}?access_token=nope`, { method: 'PUT', body, headers: { Authorization: `Bearer ${HS_TOKEN}` } })).status).toBe(403);
    expect((await b.app.request(path, { method: 'PUT', body, headers: { Authorization: `Bearer ${HS_TOKEN}` } })).status).toBe(200);
    expect((await b.app.request(`/_matrix/app/v1/users/${encodeURIComponent('@x:a.example')}`, { headers: { Authorization: `Bearer ${HS_TOKEN}` } })).status).toBe(404);
    const student = await b.signIn(`@s1:${SERVER}`);
    expect((await b.app.request('/_matrix/app/v1/ping', { method: 'POST', body: '{}', headers: { Authorization: `Bearer ${student}` } })).status).toBe(403);
  });

  it('describes every route in the OpenAPI document with the schemas that validate requests', async () => {
    const b = testBridge();
    const doc = (await (await b.app.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const r of b.router.routes) expect(doc.paths[r.path]?.[r.method], `${r.method} ${r.path}`).toBeDefined();
    const put = doc.paths['/v1/admin/roster/supporters/{userId}']!['put']!;
    expect(put.requestBody!.content['application/json']!.schema).toEqual(JSON.parse(JSON.stringify(SupporterInputSchema)));
  });

  it('never writes tokens into its logs', async () => {
    const b = testBridge();
    const token = await b.signIn(`@s1:${SERVER}`);
    await b.app.request('/v1/session/refresh', auth(token, 'POST'));
    const text = JSON.stringify(b.logs);
    expect(text).not.toContain(token);
    expect(text).not.toContain('openid-1');
    expect(b.logs.some((l) => l['route'] === '/v1/session/refresh' && typeof l['request_id'] === 'string')).toBe(true);
  });

  it('exports request counts by route template in Prometheus format', async () => {
    const b = testBridge();
    await b.app.request('/health');
    await b.app.request(`/v1/admin/roster/supporters/${encodeURIComponent('@a:a.example')}`);
    const text = await (await b.app.request('/metrics')).text();
    expect(text).toContain('bridge_http_requests_total{route="/health",method="GET",status="200"} 1');
    expect(text).toContain('bridge_http_requests_total{route="/v1/admin/roster/supporters/{userId}",method="GET",status="401"} 1');
    expect(text).toMatch(/bridge_http_request_duration_seconds_bucket\{route="\/health",method="GET",le="\+Inf"\} 1/);
    expect(text).not.toContain('@a:a.example');
  });

  it('serves crisis resources without a session', async () => {
    const b = testBridge();
    const res = await b.app.request('/v1/crisis-resources?region=GB&language=en');
    expect(await res.json()).toEqual({ resources: [{ region: 'GB', language: 'en', name: 'Samaritans', phone: '116 123' }] });
  });
});
