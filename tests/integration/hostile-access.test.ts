// Forged credentials and access attempts against the real homeserver and bridge: forged, revoked
// and expired access tokens on every authenticated client endpoint (enumerated from the route
// table), forged appservice, bridge-session and OpenID tokens, forged federation signatures (wrong
// key, wrong origin, a header replayed to another destination), and a user reaching into another
// user's data or into rooms they are not in (or lack the power for). Each attempt gets the right
// status and errcode, and neither database changes. Cross-institution callers on every bridge
// endpoint are in bridge-access.test.ts; here a partner's refused calls are checked to change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFuzzStack, type FuzzStack } from '../fuzz/stack.ts';
import { homeserverRoutes } from '../fuzz/endpoints.ts';
import { api, startHomeserver, type TestHomeserver } from '../helpers/homeserver.ts';
import { signedFederationRequest } from '../helpers/federation.ts';
import { openIdToken } from '../helpers/bridge.ts';
import { generateSigningKey } from '../../homeserver/src/core/signing.ts';

const enc = encodeURIComponent;

interface Attempt {
  name: string;
  run: () => Promise<{ status: number; body: unknown }>;
  status: number;
  errcode: string;
}

describe('hostile access', () => {
  let s: FuzzStack;

  beforeAll(async () => {
    s = await startFuzzStack();
  });

  afterAll(async () => {
    await s?.stop();
  });

  /** Runs each attempt and checks its answer and that neither database changed. */
  async function expectRefused(attempts: Attempt[]): Promise<void> {
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const a of attempts) {
      const before = s.digest();
      const res = await a.run();
      const changed = s.changed(before, s.digest());
      const body = res.body as { errcode?: string; error?: unknown };
      outcomes.push(`${a.name}: ${res.status} ${body.errcode} ${typeof body.error === 'string' ? 'with message' : 'WITHOUT message'}${changed.length ? ` CHANGED ${changed.join(',')}` : ''}`);
      expected.push(`${a.name}: ${a.status} ${a.errcode} with message`);
    }
    expect(outcomes).toEqual(expected);
  }

  const sample = (template: string): string => template
    .replace(/:(userId)\b\??/g, () => enc(s.users.alice.userId))
    .replace(/:(roomId|roomIdOrAlias)\b\??/g, () => enc(s.roomId))
    .replace(/:eventId\b/g, () => enc(s.eventId))
    .replace(/:roomAlias\b/g, () => enc(`#x:${s.hs.serverName}`))
    .replace(/:(\w+)\??/g, 'x');

  it('refuses a forged, a revoked and an expired access token on every authenticated client endpoint', async () => {
    const revoked = (await api<{ access_token: string }>(s.hs, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'mallory' }, password: s.users.mallory.password } })).body.access_token;
    expect((await api(s.hs, 'POST', '/_matrix/client/v3/logout', { token: revoked })).status).toBe(200);
    const expiring: TestHomeserver = await startHomeserver({ extraArgs: ['--access-token-lifetime-ms', '1'] });
    try {
      const expired = (await expiring.registerUser('short')).accessToken;
      const whoami = await api(expiring, 'GET', '/_matrix/client/v3/account/whoami', { token: expired });
      expect(whoami).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
    } finally {
      await expiring.stop();
      expiring.cleanup();
    }
    const routes = homeserverRoutes().filter((r) => r.listener === 'client' && r.auth === 'required');
    expect(routes.length).toBeGreaterThan(80);
    const attempts: Attempt[] = [];
    for (const r of routes) {
      for (const [kind, token] of [['forged', 'syt_forged_0123456789abcdefghijklmnopqrstuvwxyz'], ['revoked', revoked]] as const) {
        attempts.push({
          name: `${kind} token: ${r.method} ${r.path}`, status: 401, errcode: 'M_UNKNOWN_TOKEN',
          run: () => api(s.hs, r.method, sample(r.path), { token, ...(r.method === 'GET' ? {} : { body: {} }) }),
        });
      }
    }
    await expectRefused(attempts);
  });

  it('refuses forged appservice, hs_token, bridge-session and OpenID tokens', async () => {
    const revokedSession = await s.freshSession('student');
    expect((await s.bridge.api('DELETE', '/v1/session', { token: revokedSession })).status).toBe(200);
    const aliceOpenId = await openIdToken(s.hs, s.users.alice);
    await expectRefused([
      { name: 'forged as_token pings the appservice', status: 401, errcode: 'M_UNKNOWN_TOKEN', run: () => api(s.hs, 'POST', `/_matrix/client/v1/appservice/${s.bridge.appserviceId}/ping`, { token: 'forged-as-token', body: {} }) },
      { name: "a user's token pings the appservice", status: 403, errcode: 'M_FORBIDDEN', run: () => api(s.hs, 'POST', `/_matrix/client/v1/appservice/${s.bridge.appserviceId}/ping`, { token: s.users.bob.accessToken, body: {} }) },
      { name: 'the as_token masquerades as a user outside its namespace', status: 403, errcode: 'M_FORBIDDEN', run: () => api(s.hs, 'PUT', `/_matrix/client/v3/profile/${enc(s.users.alice.userId)}/displayname?user_id=${enc(s.users.alice.userId)}`, { token: s.bridge.asToken, body: { displayname: 'hijacked' } }) },
      { name: 'forged hs_token pushes a transaction to the bridge', status: 403, errcode: 'M_FORBIDDEN', run: () => s.bridge.api('PUT', '/_matrix/app/v1/transactions/forged-1', { token: 'forged-hs-token', body: { events: [] } }) },
      { name: 'no hs_token pushes a transaction to the bridge', status: 401, errcode: 'M_UNAUTHORIZED', run: () => s.bridge.api('PUT', '/_matrix/app/v1/transactions/forged-2', { body: { events: [] } }) },
      { name: 'forged bridge session token', status: 401, errcode: 'M_UNKNOWN_TOKEN', run: () => s.bridge.api('GET', '/v1/session', { token: 'forged-session-token' }) },
      { name: 'revoked bridge session token', status: 401, errcode: 'M_UNKNOWN_TOKEN', run: () => s.bridge.api('GET', '/v1/requests', { token: revokedSession }) },
      { name: 'a Matrix access token used as a bridge session', status: 401, errcode: 'M_UNKNOWN_TOKEN', run: () => s.bridge.api('GET', '/v1/session', { token: s.users.alice.accessToken }) },
      { name: 'forged OpenID token signs in to the bridge', status: 401, errcode: 'M_UNKNOWN_TOKEN', run: () => s.bridge.api('POST', '/v1/session', { body: { ...aliceOpenId, access_token: 'forged-openid-token' } }) },
      { name: 'an access token presented as an OpenID token', status: 401, errcode: 'M_UNKNOWN_TOKEN', run: () => s.bridge.api('POST', '/v1/session', { body: { ...aliceOpenId, access_token: s.users.alice.accessToken } }) },
      { name: 'an OpenID token claimed for an untrusted server', status: 403, errcode: 'M_FORBIDDEN', run: () => s.bridge.api('POST', '/v1/session', { body: { ...aliceOpenId, matrix_server_name: 'evil.example' } }) },
      { name: 'forged OpenID token at userinfo', status: 401, errcode: 'M_UNKNOWN_TOKEN', run: () => s.fake.request(s.hs, 'GET', '/_matrix/federation/v1/openid/userinfo', { query: { access_token: 'forged-openid-token' } }) },
      { name: "another user's request_token", status: 403, errcode: 'M_FORBIDDEN', run: () => api(s.hs, 'POST', `/_matrix/client/v3/user/${enc(s.users.alice.userId)}/openid/request_token`, { token: s.users.bob.accessToken, body: {} }) },
    ]);
  });

  it('refuses forged federation signatures: wrong key, wrong origin, a header replayed to another destination, a tampered body', async () => {
    const wrongKey = { serverName: s.fake.serverName, signingKey: { ...generateSigningKey(), keyId: s.fake.signingKey.keyId } };
    const profile = { query: { user_id: s.users.alice.userId } };
    const txn = (id: string): string => `/_matrix/federation/v1/send/${id}`;
    // Fetching the claimed origin's public keys is caching, not an effect of the attempt: done first.
    await s.fake.request(s.hs, 'GET', '/_matrix/federation/v1/query/profile', { ...profile, origin: s.partnerHs.serverName });
    await expectRefused([
      { name: 'signed with another key under the same key id', status: 401, errcode: 'M_UNAUTHORIZED', run: () => signedFederationRequest(wrongKey, s.hs, 'GET', '/_matrix/federation/v1/query/profile', profile) },
      { name: "claiming the partner's origin", status: 401, errcode: 'M_UNAUTHORIZED', run: () => s.fake.request(s.hs, 'GET', '/_matrix/federation/v1/query/profile', { ...profile, origin: s.partnerHs.serverName }) },
      { name: "claiming the homeserver's own origin", status: 401, errcode: 'M_UNAUTHORIZED', run: () => s.fake.request(s.hs, 'PUT', txn('own-origin'), { origin: s.hs.serverName, body: { origin: s.hs.serverName, origin_server_ts: Date.now(), pdus: [], edus: [] } }) },
      { name: 'a header signed for another destination', status: 401, errcode: 'M_UNAUTHORIZED', run: () => s.fake.request(s.hs, 'PUT', txn('replayed'), { destination: s.partnerHs.serverName, body: { origin: s.fake.serverName, origin_server_ts: Date.now(), pdus: [], edus: [] } }) },
      { name: 'a signature over another body', status: 401, errcode: 'M_UNAUTHORIZED', run: () => s.fake.request(s.hs, 'PUT', txn('tampered'), { body: { origin: s.fake.serverName, origin_server_ts: Date.now(), pdus: [], edus: [] }, signedBody: { origin: s.fake.serverName, origin_server_ts: 1, pdus: [], edus: [] } }) },
      { name: 'a signature over another request target', status: 401, errcode: 'M_UNAUTHORIZED', run: () => s.fake.request(s.hs, 'GET', `/_matrix/federation/v1/state/${enc(s.roomId)}`, { query: { event_id: s.eventId }, signedUri: '/_matrix/federation/v1/version' }) },
      { name: 'no signature', status: 401, errcode: 'M_UNAUTHORIZED', run: () => signedFederationRequest(s.fake, s.hs, 'GET', '/_matrix/federation/v1/query/profile', profile).then(async () => (await import('../helpers/federation.ts')).rawFederationRequest(s.hs, 'GET', `/_matrix/federation/v1/query/profile?user_id=${enc(s.users.alice.userId)}`, { authorization: null })) },
      { name: 'a server not in the room reads its state', status: 403, errcode: 'M_FORBIDDEN', run: () => s.fake.request(s.hs, 'GET', `/_matrix/federation/v1/state/${enc(s.roomId)}`, { query: { event_id: s.eventId } }) },
      { name: 'a server not in the room reads an event', status: 403, errcode: 'M_FORBIDDEN', run: () => s.fake.request(s.hs, 'GET', `/_matrix/federation/v1/event/${enc(s.eventId)}`) },
    ]);
  });

  it("refuses a user another user's account data, filters, devices, profile, presence, typing and admin powers", async () => {
    const { alice, bob } = s.users;
    const as = (token: string, method: string, path: string, body?: unknown) => () => api(s.hs, method, path, { token, ...(body !== undefined ? { body } : {}) });
    const a = enc(alice.userId);
    await expectRefused([
      { name: "read alice's account data", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'GET', `/_matrix/client/v3/user/${a}/account_data/m.direct`) },
      { name: "write alice's account data", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/user/${a}/account_data/m.direct`, {}) },
      { name: "read alice's room account data", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'GET', `/_matrix/client/v3/user/${a}/rooms/${enc(s.roomId)}/account_data/m.tag`) },
      { name: "write alice's room account data", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/user/${a}/rooms/${enc(s.roomId)}/account_data/m.tag`, {}) },
      { name: "read alice's filter", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'GET', `/_matrix/client/v3/user/${a}/filter/${s.filterId}`) },
      { name: 'create a filter for alice', status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'POST', `/_matrix/client/v3/user/${a}/filter`, {}) },
      { name: "read alice's device", status: 404, errcode: 'M_NOT_FOUND', run: as(bob.accessToken, 'GET', `/_matrix/client/v3/devices/${enc(alice.deviceId)}`) },
      { name: "rename alice's device", status: 404, errcode: 'M_NOT_FOUND', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/devices/${enc(alice.deviceId)}`, { display_name: 'hijacked' }) },
      { name: "change alice's display name", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/profile/${a}/displayname`, { displayname: 'hijacked' }) },
      { name: "change alice's avatar", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/profile/${a}/avatar_url`, { avatar_url: 'mxc://x/y' }) },
      { name: "set alice's presence", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/presence/${a}/status`, { presence: 'online' }) },
      { name: 'type as alice', status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/rooms/${enc(s.roomId)}/typing/${a}`, { typing: true, timeout: 1000 }) },
      { name: 'list registration tokens without being an admin', status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'GET', '/_synapse/admin/v1/registration_tokens') },
      { name: 'create a registration token without being an admin', status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'POST', '/_synapse/admin/v1/registration_tokens/new', {}) },
      { name: 'delete a registration token without being an admin', status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'DELETE', `/_synapse/admin/v1/registration_tokens/${s.registrationToken}`) },
    ]);
  });

  it('refuses an outsider every room endpoint, and a member without power what needs it', async () => {
    const { alice, bob, mallory } = s.users;
    const r = enc(s.roomId);
    const as = (token: string, method: string, path: string, body?: unknown) => () => api(s.hs, method, path, { token, ...(body !== undefined ? { body } : {}) });
    const m = mallory.accessToken;
    await expectRefused([
      { name: 'outsider reads the state', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'GET', `/_matrix/client/v3/rooms/${r}/state`) },
      { name: 'outsider reads a state event', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'GET', `/_matrix/client/v3/rooms/${r}/state/m.room.name/`) },
      { name: 'outsider reads messages', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'GET', `/_matrix/client/v3/rooms/${r}/messages?dir=b`) },
      { name: 'outsider reads members', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'GET', `/_matrix/client/v3/rooms/${r}/members`) },
      { name: 'outsider reads joined members', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'GET', `/_matrix/client/v3/rooms/${r}/joined_members`) },
      { name: 'outsider reads an event', status: 404, errcode: 'M_NOT_FOUND', run: as(m, 'GET', `/_matrix/client/v3/rooms/${r}/event/${enc(s.eventId)}`) },
      { name: "outsider reads an event's context", status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'GET', `/_matrix/client/v3/rooms/${r}/context/${enc(s.eventId)}`) },
      { name: 'outsider sends a message', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'PUT', `/_matrix/client/v3/rooms/${r}/send/m.room.message/out-1`, { msgtype: 'm.text', body: 'x' }) },
      { name: 'outsider sets state', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'PUT', `/_matrix/client/v3/rooms/${r}/state/m.room.topic/`, { topic: 'x' }) },
      { name: "outsider redacts alice's event", status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'PUT', `/_matrix/client/v3/rooms/${r}/redact/${enc(s.eventId)}/out-2`, {}) },
      { name: 'outsider invites itself', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'POST', `/_matrix/client/v3/rooms/${r}/invite`, { user_id: mallory.userId }) },
      { name: 'outsider joins an invite-only room', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'POST', `/_matrix/client/v3/join/${r}`, {}) },
      { name: 'outsider kicks bob', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'POST', `/_matrix/client/v3/rooms/${r}/kick`, { user_id: bob.userId }) },
      { name: 'outsider sends a receipt', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'POST', `/_matrix/client/v3/rooms/${r}/receipt/m.read/${enc(s.eventId)}`, {}) },
      { name: 'outsider sets read markers', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'POST', `/_matrix/client/v3/rooms/${r}/read_markers`, { 'm.fully_read': s.eventId }) },
      { name: 'outsider types', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'PUT', `/_matrix/client/v3/rooms/${r}/typing/${enc(mallory.userId)}`, { typing: true, timeout: 1000 }) },
      { name: 'outsider lists aliases', status: 403, errcode: 'M_FORBIDDEN', run: as(m, 'GET', `/_matrix/client/v3/rooms/${r}/aliases`) },
      { name: "member without power redacts alice's event", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/rooms/${r}/redact/${enc(s.eventId)}/bob-1`, {}) },
      { name: 'member without power kicks alice', status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'POST', `/_matrix/client/v3/rooms/${r}/kick`, { user_id: alice.userId }) },
      { name: 'member without power bans alice', status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'POST', `/_matrix/client/v3/rooms/${r}/ban`, { user_id: alice.userId }) },
      { name: 'member without power raises its power', status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/rooms/${r}/state/m.room.power_levels/`, { users: { [bob.userId]: 100 } }) },
      { name: 'member without power renames the room', status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/rooms/${r}/state/m.room.name/`, { name: 'hijacked' }) },
      { name: "member writes alice's member event", status: 403, errcode: 'M_FORBIDDEN', run: as(bob.accessToken, 'PUT', `/_matrix/client/v3/rooms/${r}/state/m.room.member/${enc(alice.userId)}`, { membership: 'leave' }) },
    ]);
  });

  it("a partner institution's student is refused every role-gated bridge endpoint, changing nothing", async () => {
    const doc = (await s.bridge.api<{ paths: Record<string, Record<string, { 'x-peerline-access'?: { kind: string; roles?: string[] | 'any' } }>> }>('GET', '/openapi.json')).body;
    const attempts: Attempt[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const access = op['x-peerline-access'];
        // Endpoints for any session (sign-out, policy, groups, reports) are the partner's to call.
        if (access?.kind !== 'session' || access.roles === 'any') continue;
        const url = path.replace(/\{(\w+)\}/g, (_, p: string) => (p === 'userId' ? enc(s.users.alice.userId) : `x-${p}`));
        attempts.push({ name: `${method.toUpperCase()} ${path}`, status: 403, errcode: 'M_FORBIDDEN', run: () => s.bridge.api(method.toUpperCase(), url, { token: s.sessions.partner, ...(method === 'get' ? {} : { body: {} }) }) });
      }
    }
    expect(attempts.length).toBeGreaterThan(30);
    await expectRefused(attempts);
  });
});
