// Signing in to the bridge the standard Matrix way, against real homeserver processes and the real
// bridge process: a student's OpenID token is checked on the student's own homeserver over its
// federation port (HTTPS, self-signed development certificate accepted because configured); tokens
// of servers the policy does not trust, forged tokens, and servers vouching for users of other
// servers are refused; the session token rotates and is revocable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { openIdToken, signInToBridge, startHomeserverWithBridge, testPolicy, waitFor, type TestBridge } from '../helpers/bridge.ts';

describe('bridge sign-in with Matrix OpenID', () => {
  let hs: TestHomeserver;
  let other: TestHomeserver;
  let bridge: TestBridge;
  let student: RegisteredUser;
  let outsider: RegisteredUser;
  let policy: Record<string, unknown>;

  beforeAll(async () => {
    // Another institution's homeserver the bridge can reach, but which its policy does not (yet) trust.
    other = await startHomeserver();
    const started = await startHomeserverWithBridge({
      policy: (name) => (policy = testPolicy(name)),
      federationEndpoints: (own) => ({
        [other.serverName]: `https://127.0.0.1:${other.federationPort}`,
        // A server name that resolves to our own homeserver: it will vouch for users of another server.
        'vouching.example': `https://127.0.0.1:${own.federationPort}`,
      }),
    });
    hs = started.hs;
    bridge = started.bridge;
    student = await hs.registerUser('s-7kq2m9');
    outsider = await other.registerUser('s-outside');
  });

  afterAll(async () => {
    await bridge?.stop();
    await hs?.stop();
    await other?.stop();
    bridge?.cleanup();
    hs?.cleanup();
    other?.cleanup();
  });

  it('gives a student who proves themselves with an OpenID token a session with the student role', async () => {
    const token = await openIdToken(hs, student);
    expect(token.matrix_server_name).toBe(hs.serverName);
    const res = await bridge.api<{ session_token: string; user_id: string; roles: string[]; expires_in_ms: number }>('POST', '/v1/session', { body: token });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(student.userId);
    expect(res.body.roles).toEqual(['student']);
    expect(res.body.expires_in_ms).toBeGreaterThan(14 * 60_000);
    expect(res.body.expires_in_ms).toBeLessThanOrEqual(15 * 60_000);
    const me = await bridge.api('GET', '/v1/session', { token: res.body.session_token });
    expect(me.body).toMatchObject({ user_id: student.userId, roles: ['student'] });
    // The client's Matrix access token never reaches the bridge, and no token reaches its logs.
    expect(bridge.output()).not.toContain(res.body.session_token);
    expect(bridge.output()).not.toContain(token.access_token);
  });

  it('refuses a token from a server that is not in the policy', async () => {
    const token = await openIdToken(other, outsider);
    const res = await bridge.api('POST', '/v1/session', { body: token });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ errcode: 'M_FORBIDDEN', error: expect.stringContaining('not trusted') });
  });

  it('refuses a forged OpenID token', async () => {
    const res = await bridge.api('POST', '/v1/session', { body: { access_token: 'forged-0123456789abcdef', matrix_server_name: hs.serverName } });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
  });

  it('refuses a user id vouched for by a server other than its own', async () => {
    // A genuine token of our homeserver presented as issued by 'vouching.example' (a trusted partner
    // whose federation endpoint is our homeserver): the answer names a user of another server.
    const token = await openIdToken(hs, student);
    const asVouched = { ...token, matrix_server_name: 'vouching.example' };
    bridge.writePolicy(testPolicy(hs.serverName, ['vouching.example']));
    await waitFor('vouching.example trusted', async () => (await bridge.api('POST', '/v1/session', { body: asVouched })).status !== 403);
    const res = await bridge.api('POST', '/v1/session', { body: asVouched });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', error: expect.stringContaining('vouched for a user of another server') });
    bridge.writePolicy(policy);
    await waitFor('vouching.example untrusted again', async () => (await bridge.api('POST', '/v1/session', { body: asVouched })).status === 403);
  });

  it('accepts a partner once the policy names it, without a restart, and gives an unlisted partner user no role', async () => {
    const token = await openIdToken(other, outsider);
    bridge.writePolicy(testPolicy(hs.serverName, [other.serverName]));
    await waitFor('partner accepted', async () => (await bridge.api('POST', '/v1/session', { body: token })).status === 200);
    const res = await bridge.api<{ user_id: string; roles: string[] }>('POST', '/v1/session', { body: token });
    expect(res.body).toMatchObject({ user_id: outsider.userId, roles: [] });
    bridge.writePolicy(policy);
    await waitFor('partner removed again', async () => (await bridge.api('POST', '/v1/session', { body: token })).status === 403);
  });

  it('is ready with its store, policy and homeserver, and counts sign-ins', async () => {
    const ready = await bridge.api<{ ready: boolean }>('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, checks: { store: { ok: true }, policy: { ok: true }, homeserver: { ok: true } } });
    const metrics = await fetch(`${bridge.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/bridge_sessions_issued_total\{how="signin"\} [1-9]/);
    expect(metrics).toMatch(/bridge_openid_checks_total\{result="untrusted_server"\} [1-9]/);
  });

  it('rotates the session token: the new one works, the old one is refused, and reusing it ends the session', async () => {
    const first = await signInToBridge(bridge, hs, student);
    const refreshed = await bridge.api<{ session_token: string }>('POST', '/v1/session/refresh', { token: first.session_token });
    expect(refreshed.status).toBe(200);
    const second = refreshed.body.session_token;
    expect((await bridge.api('GET', '/v1/session', { token: first.session_token })).status).toBe(401);
    expect((await bridge.api('GET', '/v1/session', { token: second })).status).toBe(200);
    const reuse = await bridge.api('POST', '/v1/session/refresh', { token: first.session_token });
    expect(reuse.status).toBe(401);
    expect((await bridge.api('GET', '/v1/session', { token: second })).status).toBe(401);
  });

  it('revokes a session on sign-out, and all of them with all=true, surviving a restart', async () => {
    const a = await signInToBridge(bridge, hs, student);
    const b = await signInToBridge(bridge, hs, student);
    expect((await bridge.api('DELETE', '/v1/session', { token: a.session_token })).body).toEqual({ revoked: 1 });
    expect((await bridge.api('GET', '/v1/session', { token: a.session_token })).status).toBe(401);
    expect((await bridge.api('GET', '/v1/session', { token: b.session_token })).status).toBe(200);
    await bridge.restart();
    // Sessions are in the store: still valid after a restart.
    expect((await bridge.api('GET', '/v1/session', { token: b.session_token })).status).toBe(200);
    const all = await bridge.api<{ revoked: number }>('DELETE', '/v1/session?all=true', { token: b.session_token });
    expect(all.body.revoked).toBeGreaterThanOrEqual(1);
    expect((await bridge.api('GET', '/v1/session', { token: b.session_token })).status).toBe(401);
  });
});
