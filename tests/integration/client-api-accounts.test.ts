// Client-Server API against a real homeserver process, part 1: discovery, login and logout,
// registration (disabled, with a registration token, with the dummy stage), profiles, devices with
// user-interactive auth, OpenID, the user directory, push rules and filters (spec v1.12).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredUser, TestHomeserver } from '../helpers/homeserver.ts';
import { rawFederationRequest } from '../helpers/federation.ts';
import { V3, as, createRoom, enc, roomPath, startRelaxedHomeserver, type ClientEvent, type Json } from './client-api-shared.ts';

interface Login { user_id: string; access_token: string; device_id: string }
interface Uia { flows: { stages: string[] }[]; session: string; params: Json; completed?: string[]; errcode?: string; error?: string }

describe('Client-Server API: accounts, sessions and discovery', () => {
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  beforeAll(async () => {
    hs = await startRelaxedHomeserver('accounts.localhost');
    alice = await hs.registerUser('alice');
    bob = await hs.registerUser('bob');
  });

  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
  });

  const login = (body: Json) => as<Login & { errcode?: string }>(hs, null, 'POST', `${V3}/login`, { type: 'm.login.password', ...body });

  describe('discovery', () => {
    it('lists v1.12 among the supported versions without authentication', async () => {
      const res = await as<{ versions: string[]; unstable_features?: Record<string, boolean> }>(hs, null, 'GET', '/_matrix/client/versions');
      expect(res.status).toBe(200);
      expect(res.body.versions).toContain('v1.12');
      expect(res.body.versions).toContain('v1.1');
      for (const v of Object.values(res.body.unstable_features ?? {})) expect(typeof v).toBe('boolean');
    });

    it('serves /.well-known/matrix/client with the homeserver base URL', async () => {
      const res = await as<{ 'm.homeserver': { base_url: string } }>(hs, null, 'GET', '/.well-known/matrix/client');
      expect(res.status).toBe(200);
      expect(new URL(res.body['m.homeserver'].base_url).protocol).toMatch(/^https?:$/);
    });

    it('advertises room versions 10 and 11 as stable capabilities, and requires a token for them', async () => {
      const res = await as<{ capabilities: Json }>(hs, alice, 'GET', `${V3}/capabilities`);
      expect(res.status).toBe(200);
      const rv = res.body.capabilities['m.room_versions'] as { default: string; available: Record<string, string> };
      expect(rv.available).toMatchObject({ 10: 'stable', 11: 'stable' });
      expect(Object.keys(rv.available)).toContain(rv.default);
      expect(res.body.capabilities['m.change_password']).toEqual({ enabled: true });
      expect((await as(hs, null, 'GET', `${V3}/capabilities`)).status).toBe(401);
    });
  });

  describe('login, logout and whoami', () => {
    it('offers m.login.password among the login flows', async () => {
      const res = await as<{ flows: { type: string }[] }>(hs, null, 'GET', `${V3}/login`);
      expect(res.status).toBe(200);
      expect(res.body.flows.map((f) => f.type)).toContain('m.login.password');
    });

    it('logs in with an m.id.user identifier given as localpart, as full user id, in upper case, and with the legacy user field', async () => {
      for (const form of [
        { identifier: { type: 'm.id.user', user: 'alice' } },
        { identifier: { type: 'm.id.user', user: alice.userId } },
        { identifier: { type: 'm.id.user', user: 'ALICE' } },
        { user: 'alice' },
      ]) {
        const res = await login({ ...form, password: alice.password, initial_device_display_name: 'form test' });
        expect(res.status, JSON.stringify(form)).toBe(200);
        expect(res.body.user_id).toBe(alice.userId);
        expect(res.body.access_token).toEqual(expect.any(String));
        expect(res.body.device_id).toEqual(expect.any(String));
        const who = await as<Json>(hs, { accessToken: res.body.access_token }, 'GET', `${V3}/account/whoami`);
        expect(who.body).toEqual({ user_id: alice.userId, device_id: res.body.device_id, is_guest: false });
      }
    });

    it('refuses a wrong password, an unknown user and a user of another server with 403 M_FORBIDDEN', async () => {
      for (const body of [
        { identifier: { type: 'm.id.user', user: 'alice' }, password: 'not-her-password' },
        { identifier: { type: 'm.id.user', user: 'nobody-here' }, password: 'whatever' },
        { identifier: { type: 'm.id.user', user: '@alice:elsewhere.example' }, password: alice.password },
      ]) {
        const res = await login(body);
        expect([res.status, res.body.errcode], JSON.stringify(body)).toEqual([403, 'M_FORBIDDEN']);
      }
    });

    it('answers an unknown login type with 400 M_UNKNOWN', async () => {
      const res = await as<Json>(hs, null, 'POST', `${V3}/login`, { type: 'm.login.carrier_pigeon' });
      expect([res.status, res.body['errcode']]).toEqual([400, 'M_UNKNOWN']);
    });

    it('reuses a given device id and invalidates the token it had before', async () => {
      const first = await login({ identifier: { type: 'm.id.user', user: 'alice' }, password: alice.password, device_id: 'REUSEDDEV' });
      const second = await login({ identifier: { type: 'm.id.user', user: 'alice' }, password: alice.password, device_id: 'REUSEDDEV' });
      expect([first.body.device_id, second.body.device_id]).toEqual(['REUSEDDEV', 'REUSEDDEV']);
      expect((await as(hs, { accessToken: first.body.access_token }, 'GET', `${V3}/account/whoami`)).status).toBe(401);
      expect((await as(hs, { accessToken: second.body.access_token }, 'GET', `${V3}/account/whoami`)).status).toBe(200);
    });

    it('logout kills only the token used and removes its device', async () => {
      const a = await login({ identifier: { type: 'm.id.user', user: 'bob' }, password: bob.password });
      const b = await login({ identifier: { type: 'm.id.user', user: 'bob' }, password: bob.password });
      expect((await as(hs, { accessToken: a.body.access_token }, 'POST', `${V3}/logout`, {})).status).toBe(200);
      const dead = await as<Json>(hs, { accessToken: a.body.access_token }, 'GET', `${V3}/account/whoami`);
      expect([dead.status, dead.body['errcode']]).toEqual([401, 'M_UNKNOWN_TOKEN']);
      expect((await as(hs, { accessToken: b.body.access_token }, 'GET', `${V3}/account/whoami`)).status).toBe(200);
      const devices = await as<{ devices: { device_id: string }[] }>(hs, bob, 'GET', `${V3}/devices`);
      expect(devices.body.devices.map((d) => d.device_id)).not.toContain(a.body.device_id);
      expect(devices.body.devices.map((d) => d.device_id)).toContain(b.body.device_id);
    });

    it('logout/all kills every token of the user and no one else\'s', async () => {
      const carol = await hs.registerUser('carol');
      const other = await login({ identifier: { type: 'm.id.user', user: 'carol' }, password: carol.password });
      expect((await as(hs, carol, 'POST', `${V3}/logout/all`, {})).status).toBe(200);
      for (const token of [carol.accessToken, other.body.access_token]) {
        const res = await as<Json>(hs, { accessToken: token }, 'GET', `${V3}/account/whoami`);
        expect([res.status, res.body['errcode']]).toEqual([401, 'M_UNKNOWN_TOKEN']);
      }
      expect((await as(hs, bob, 'GET', `${V3}/account/whoami`)).status).toBe(200);
      // The password still works: logout/all ends sessions, not the account.
      expect((await login({ identifier: { type: 'm.id.user', user: 'carol' }, password: carol.password })).status).toBe(200);
    });
  });

  describe('registration when it is disabled (the default)', () => {
    it('refuses POST /register with 403 M_FORBIDDEN, even with an auth dict', async () => {
      for (const body of [{ username: 'mallory', password: 'pw-mallory-1' }, { username: 'mallory', password: 'pw', auth: { type: 'm.login.dummy' } }]) {
        const res = await as<Json>(hs, null, 'POST', `${V3}/register`, body);
        expect([res.status, res.body['errcode']]).toEqual([403, 'M_FORBIDDEN']);
      }
      expect((await login({ identifier: { type: 'm.id.user', user: 'mallory' }, password: 'pw-mallory-1' })).status).toBe(403);
    });

    it('answers the registration token validity check with 403 M_FORBIDDEN', async () => {
      const res = await as<Json>(hs, null, 'GET', '/_matrix/client/v1/register/m.login.registration_token/validity?token=abc');
      expect([res.status, res.body['errcode']]).toEqual([403, 'M_FORBIDDEN']);
    });
  });

  describe('profiles', () => {
    it('serves and changes display name and avatar, and refuses to change someone else\'s', async () => {
      const initial = await as<Json>(hs, null, 'GET', `${V3}/profile/${enc(alice.userId)}`);
      expect(initial.body).toEqual({ displayname: 'alice' });
      expect((await as(hs, alice, 'PUT', `${V3}/profile/${enc(alice.userId)}/displayname`, { displayname: 'Alice A.' })).status).toBe(200);
      expect((await as(hs, alice, 'PUT', `${V3}/profile/${enc(alice.userId)}/avatar_url`, { avatar_url: 'mxc://accounts.localhost/abc' })).status).toBe(200);
      expect((await as(hs, bob, 'GET', `${V3}/profile/${enc(alice.userId)}`)).body).toEqual({ displayname: 'Alice A.', avatar_url: 'mxc://accounts.localhost/abc' });
      expect((await as(hs, bob, 'GET', `${V3}/profile/${enc(alice.userId)}/displayname`)).body).toEqual({ displayname: 'Alice A.' });
      expect((await as(hs, bob, 'GET', `${V3}/profile/${enc(alice.userId)}/avatar_url`)).body).toEqual({ avatar_url: 'mxc://accounts.localhost/abc' });
      const forged = await as<Json>(hs, bob, 'PUT', `${V3}/profile/${enc(alice.userId)}/displayname`, { displayname: 'Mallory' });
      expect([forged.status, forged.body['errcode']]).toEqual([403, 'M_FORBIDDEN']);
      const missing = await as<Json>(hs, alice, 'GET', `${V3}/profile/${enc('@ghost:accounts.localhost')}`);
      expect([missing.status, missing.body['errcode']]).toEqual([404, 'M_NOT_FOUND']);
    });

    it('propagates a new display name and avatar into the member event of every joined room', async () => {
      const dave = await hs.registerUser('dave');
      const rooms = [await createRoom(hs, dave), await createRoom(hs, dave, { room_version: '11' })];
      expect((await as(hs, dave, 'PUT', `${V3}/profile/${enc(dave.userId)}/displayname`, { displayname: 'Dave D.' })).status).toBe(200);
      expect((await as(hs, dave, 'PUT', `${V3}/profile/${enc(dave.userId)}/avatar_url`, { avatar_url: 'mxc://accounts.localhost/dave' })).status).toBe(200);
      for (const roomId of rooms) {
        const member = await as<Json>(hs, dave, 'GET', `${roomPath(roomId)}/state/m.room.member/${enc(dave.userId)}`);
        expect(member.body).toEqual({ membership: 'join', displayname: 'Dave D.', avatar_url: 'mxc://accounts.localhost/dave' });
        const joined = await as<{ joined: Record<string, Json> }>(hs, dave, 'GET', `${roomPath(roomId)}/joined_members`);
        expect(joined.body.joined[dave.userId]).toEqual({ display_name: 'Dave D.', avatar_url: 'mxc://accounts.localhost/dave' });
      }
      // The change is an event with the previous content, as clients show "changed their name".
      const ev = await as<ClientEvent>(hs, dave, 'GET', `${roomPath(rooms[0]!)}/state/m.room.member/${enc(dave.userId)}?format=event`);
      expect(ev.body.unsigned?.['prev_content']).toMatchObject({ membership: 'join', displayname: 'Dave D.' });
      expect(ev.body.unsigned?.['prev_content']).not.toHaveProperty('avatar_url');
    });
  });

  describe('devices', () => {
    it('lists, reads and renames devices, with 404 for an unknown one', async () => {
      const l = await login({ identifier: { type: 'm.id.user', user: 'bob' }, password: bob.password, initial_device_display_name: 'Bob phone' });
      const list = await as<{ devices: { device_id: string; display_name?: string; last_seen_ts?: number }[] }>(hs, bob, 'GET', `${V3}/devices`);
      const phone = list.body.devices.find((d) => d.device_id === l.body.device_id);
      expect(phone).toMatchObject({ device_id: l.body.device_id, display_name: 'Bob phone', last_seen_ts: expect.any(Number) });
      expect((await as(hs, bob, 'PUT', `${V3}/devices/${enc(l.body.device_id)}`, { display_name: 'Bob old phone' })).status).toBe(200);
      const one = await as<Json>(hs, bob, 'GET', `${V3}/devices/${enc(l.body.device_id)}`);
      expect(one.body).toMatchObject({ device_id: l.body.device_id, display_name: 'Bob old phone' });
      for (const [method, body] of [['GET', undefined], ['PUT', { display_name: 'x' }]] as const) {
        const res = await as<Json>(hs, bob, method, `${V3}/devices/NOSUCHDEVICE`, body);
        expect([res.status, res.body['errcode']]).toEqual([404, 'M_NOT_FOUND']);
      }
      // Another user's device is not found either.
      expect((await as(hs, alice, 'GET', `${V3}/devices/${enc(l.body.device_id)}`)).status).toBe(404);
    });

    it('deletes a device only after user-interactive auth with the password, and kills its token', async () => {
      const l = await login({ identifier: { type: 'm.id.user', user: 'bob' }, password: bob.password });
      const path = `${V3}/devices/${enc(l.body.device_id)}`;
      const challenge = await as<Uia>(hs, bob, 'DELETE', path, {});
      expect(challenge.status).toBe(401);
      expect(challenge.body.flows).toEqual([{ stages: ['m.login.password'] }]);
      expect(challenge.body.session).toEqual(expect.any(String));
      // A first challenge is not a failure: Element shows any errcode in it as an error.
      expect(challenge.body.errcode).toBeUndefined();
      const wrong = await as<Uia>(hs, bob, 'DELETE', path, { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: 'wrong', session: challenge.body.session } });
      expect([wrong.status, wrong.body.errcode]).toEqual([401, 'M_FORBIDDEN']);
      expect(wrong.body.flows).toEqual([{ stages: ['m.login.password'] }]);
      expect((await as(hs, { accessToken: l.body.access_token }, 'GET', `${V3}/account/whoami`)).status).toBe(200);
      const ok = await as(hs, bob, 'DELETE', path, { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: bob.password, session: challenge.body.session } });
      expect(ok.status).toBe(200);
      expect((await as(hs, { accessToken: l.body.access_token }, 'GET', `${V3}/account/whoami`)).status).toBe(401);
      expect((await as(hs, bob, 'GET', path)).status).toBe(404);
    });

    it('refuses to authenticate a device deletion with another user\'s password', async () => {
      const l = await login({ identifier: { type: 'm.id.user', user: 'bob' }, password: bob.password });
      const res = await as<Uia>(hs, bob, 'POST', `${V3}/delete_devices`, { devices: [l.body.device_id], auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password } });
      expect([res.status, res.body.errcode]).toEqual([401, 'M_FORBIDDEN']);
      expect((await as(hs, { accessToken: l.body.access_token }, 'GET', `${V3}/account/whoami`)).status).toBe(200);
      const ok = await as(hs, bob, 'POST', `${V3}/delete_devices`, { devices: [l.body.device_id], auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bob' }, password: bob.password } });
      expect(ok.status).toBe(200);
      expect((await as(hs, { accessToken: l.body.access_token }, 'GET', `${V3}/account/whoami`)).status).toBe(401);
    });
  });

  describe('OpenID', () => {
    it('issues a token that the federation port resolves to the user via /openid/userinfo', async () => {
      const res = await as<{ access_token: string; token_type: string; matrix_server_name: string; expires_in: number }>(hs, alice, 'POST', `${V3}/user/${enc(alice.userId)}/openid/request_token`, {});
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token_type: 'Bearer', matrix_server_name: hs.serverName });
      expect(res.body.expires_in).toBeGreaterThan(0);
      const info = await rawFederationRequest<Json>(hs, 'GET', `/_matrix/federation/v1/openid/userinfo?access_token=${enc(res.body.access_token)}`);
      expect(info.status).toBe(200);
      expect(info.body).toEqual({ sub: alice.userId });
      const forged = await rawFederationRequest<Json>(hs, 'GET', '/_matrix/federation/v1/openid/userinfo?access_token=forged-token');
      expect([forged.status, forged.body['errcode']]).toEqual([401, 'M_UNKNOWN_TOKEN']);
      // The access token itself is not an OpenID token.
      const access = await rawFederationRequest<Json>(hs, 'GET', `/_matrix/federation/v1/openid/userinfo?access_token=${enc(alice.accessToken)}`);
      expect(access.status).toBe(401);
    });

    it('refuses to issue an OpenID token for another user', async () => {
      const res = await as<Json>(hs, bob, 'POST', `${V3}/user/${enc(alice.userId)}/openid/request_token`, {});
      expect([res.status, res.body['errcode']]).toEqual([403, 'M_FORBIDDEN']);
    });
  });

  describe('user directory', () => {
    it('finds this server\'s users by user id and display name, case-insensitively, with limit and limited', async () => {
      const erin = await hs.registerUser('erin');
      await as(hs, erin, 'PUT', `${V3}/profile/${enc(erin.userId)}/displayname`, { displayname: 'Erin Zebrafish' });
      const byName = await as<{ results: { user_id: string; display_name?: string }[]; limited: boolean }>(hs, bob, 'POST', `${V3}/user_directory/search`, { search_term: 'zEbRa' });
      expect(byName.status).toBe(200);
      expect(byName.body).toEqual({ limited: false, results: [{ user_id: erin.userId, display_name: 'Erin Zebrafish' }] });
      const byId = await as<{ results: { user_id: string }[] }>(hs, bob, 'POST', `${V3}/user_directory/search`, { search_term: 'erin' });
      expect(byId.body.results.map((r) => r.user_id)).toEqual([erin.userId]);
      const all = await as<{ results: { user_id: string }[]; limited: boolean }>(hs, bob, 'POST', `${V3}/user_directory/search`, { search_term: 'accounts.localhost', limit: 2 });
      expect(all.body.results).toHaveLength(2);
      expect(all.body.limited).toBe(true);
      for (const r of all.body.results) expect(r.user_id.endsWith(':accounts.localhost')).toBe(true);
      expect((await as<{ results: unknown[] }>(hs, bob, 'POST', `${V3}/user_directory/search`, { search_term: 'elsewhere.example' })).body.results).toEqual([]);
      const bad = await as<Json>(hs, bob, 'POST', `${V3}/user_directory/search`, {});
      expect([bad.status, bad.body['errcode']]).toEqual([400, 'M_MISSING_PARAM']);
    });
  });

  describe('push rules and filters', () => {
    it('serves the push ruleset with all five kinds under global', async () => {
      const res = await as<{ global: Record<string, { rule_id: string }[]> }>(hs, alice, 'GET', `${V3}/pushrules/`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.global).sort()).toEqual(['content', 'override', 'room', 'sender', 'underride']);
      expect(res.body.global['override']!.map((r) => r.rule_id)).toContain('.m.rule.master');
    });

    it('stores a filter and returns it by id to its owner only', async () => {
      const filter = { room: { timeline: { limit: 5, types: ['m.room.message'] }, state: { lazy_load_members: true } }, presence: { not_types: ['*'] } };
      const created = await as<{ filter_id: string }>(hs, alice, 'POST', `${V3}/user/${enc(alice.userId)}/filter`, filter);
      expect(created.status).toBe(200);
      expect(created.body.filter_id).toEqual(expect.any(String));
      expect(created.body.filter_id.startsWith('{')).toBe(false);
      const got = await as<Json>(hs, alice, 'GET', `${V3}/user/${enc(alice.userId)}/filter/${enc(created.body.filter_id)}`);
      expect(got.body).toEqual(filter);
      const other = await as<Json>(hs, bob, 'GET', `${V3}/user/${enc(alice.userId)}/filter/${enc(created.body.filter_id)}`);
      expect(other.status).toBe(403);
      const bobsOwn = await as<Json>(hs, bob, 'GET', `${V3}/user/${enc(bob.userId)}/filter/${enc(created.body.filter_id)}`);
      expect([bobsOwn.status, bobsOwn.body['errcode']]).toEqual([404, 'M_NOT_FOUND']);
      const forCreate = await as<Json>(hs, bob, 'POST', `${V3}/user/${enc(alice.userId)}/filter`, filter);
      expect(forCreate.status).toBe(403);
      const bad = await as<Json>(hs, alice, 'POST', `${V3}/user/${enc(alice.userId)}/filter`, { room: { timeline: { limit: 'ten' } } });
      expect([bad.status, bad.body['errcode']]).toEqual([400, 'M_BAD_JSON']);
    });
  });
});

describe('Client-Server API: registration with a registration token', () => {
  let hs: TestHomeserver;
  let admin: RegisteredUser;

  beforeAll(async () => {
    hs = await startRelaxedHomeserver('tokens.localhost', ['--enable-registration']);
    admin = await hs.registerUser('admin', { admin: true });
  });

  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
  });

  const register = (body: Json) => as<Login & Uia>(hs, null, 'POST', `${V3}/register`, body);

  it('creates tokens through the Synapse admin API for admins only', async () => {
    const user = await hs.registerUser('plain');
    const res = await as<Json>(hs, user, 'POST', '/_synapse/admin/v1/registration_tokens/new', {});
    expect([res.status, res.body['errcode']]).toEqual([403, 'M_FORBIDDEN']);
  });

  it('registers through the m.login.registration_token stage and counts the use', async () => {
    const created = await as<{ token: string; uses_allowed: number }>(hs, admin, 'POST', '/_synapse/admin/v1/registration_tokens/new', { uses_allowed: 1 });
    expect(created.status).toBe(200);
    const token = created.body.token;
    const validity = (t: string) => as<{ valid: boolean }>(hs, null, 'GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${enc(t)}`);
    expect((await validity(token)).body).toEqual({ valid: true });
    expect((await validity('no-such-token')).body).toEqual({ valid: false });

    const challenge = await register({ username: 'Newcomer', password: 'pw-newcomer-1', initial_device_display_name: 'laptop' });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.registration_token'] }]);
    expect(challenge.body.errcode).toBeUndefined();

    const wrong = await register({ username: 'Newcomer', password: 'pw-newcomer-1', auth: { type: 'm.login.registration_token', token: 'guessed', session: challenge.body.session } });
    expect([wrong.status, wrong.body.errcode]).toEqual([401, 'M_FORBIDDEN']);

    // Clients resend the whole request with the completed stage.
    const done = await register({ username: 'Newcomer', password: 'pw-newcomer-1', initial_device_display_name: 'laptop', auth: { type: 'm.login.registration_token', token, session: challenge.body.session } });
    expect(done.status).toBe(200);
    // Synapse lower-cases the requested username.
    expect(done.body.user_id).toBe('@newcomer:tokens.localhost');
    const who = await as<Json>(hs, { accessToken: done.body.access_token }, 'GET', `${V3}/account/whoami`);
    expect(who.body).toMatchObject({ user_id: '@newcomer:tokens.localhost', device_id: done.body.device_id });
    const devices = await as<{ devices: { display_name?: string }[] }>(hs, { accessToken: done.body.access_token }, 'GET', `${V3}/devices`);
    expect(devices.body.devices.map((d) => d.display_name)).toEqual(['laptop']);
    expect((await as<Login>(hs, null, 'POST', `${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'newcomer' }, password: 'pw-newcomer-1' })).status).toBe(200);

    const info = await as<{ completed: number; pending: number }>(hs, admin, 'GET', `/_synapse/admin/v1/registration_tokens/${enc(token)}`);
    expect(info.body.completed).toBe(1);
    // Used up: no longer valid, and refused for the next registration.
    expect((await validity(token)).body).toEqual({ valid: false });
    const again = await register({ username: 'second', password: 'pw-second-1', auth: { type: 'm.login.registration_token', token } });
    expect(again.status).toBe(401);
    expect(again.body.errcode).toBe('M_FORBIDDEN');
  });

  it('refuses the dummy stage when a token is required', async () => {
    const res = await register({ username: 'sneaky', password: 'pw-sneaky-1', auth: { type: 'm.login.dummy' } });
    expect(res.status).toBe(401);
    expect(res.body.flows).toEqual([{ stages: ['m.login.registration_token'] }]);
    expect(res.body.errcode).toBeDefined();
  });

  it('reports a taken user id as M_USER_IN_USE, from /register and /register/available', async () => {
    const taken = await register({ username: 'admin', password: 'pw-x-12345' });
    expect([taken.status, taken.body.errcode]).toEqual([400, 'M_USER_IN_USE']);
    const avail = await as<Json>(hs, null, 'GET', `${V3}/register/available?username=admin`);
    expect([avail.status, avail.body['errcode']]).toEqual([400, 'M_USER_IN_USE']);
    expect((await as<Json>(hs, null, 'GET', `${V3}/register/available?username=freshname`)).body).toEqual({ available: true });
    const invalid = await as<Json>(hs, null, 'GET', `${V3}/register/available?username=${enc('bad name')}`);
    expect([invalid.status, invalid.body['errcode']]).toEqual([400, 'M_INVALID_USERNAME']);
  });
});

describe('Client-Server API: open registration without tokens', () => {
  let hs: TestHomeserver;

  beforeAll(async () => {
    hs = await startRelaxedHomeserver('open.localhost', ['--enable-registration', '--registration-requires-token', 'false']);
  });

  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
  });

  it('offers the m.login.dummy flow and registers through it', async () => {
    const challenge = await as<Uia>(hs, null, 'POST', `${V3}/register`, { username: 'walkin', password: 'pw-walkin-1' });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    const done = await as<Login>(hs, null, 'POST', `${V3}/register`, { username: 'walkin', password: 'pw-walkin-1', auth: { type: 'm.login.dummy', session: challenge.body.session } });
    expect(done.status).toBe(200);
    expect(done.body.user_id).toBe('@walkin:open.localhost');
    expect((await as(hs, { accessToken: done.body.access_token }, 'GET', `${V3}/account/whoami`)).status).toBe(200);
    const dup = await as<Json>(hs, null, 'POST', `${V3}/register`, { username: 'walkin', password: 'pw-other-1', auth: { type: 'm.login.dummy' } });
    expect([dup.status, dup.body['errcode']]).toEqual([400, 'M_USER_IN_USE']);
  });

  it('registers without logging in when inhibit_login is set', async () => {
    const res = await as<Json>(hs, null, 'POST', `${V3}/register`, { username: 'quiet', password: 'pw-quiet-1', inhibit_login: true, auth: { type: 'm.login.dummy' } });
    expect(res.status).toBe(200);
    expect(res.body['user_id']).toBe('@quiet:open.localhost');
    expect(res.body).not.toHaveProperty('access_token');
    expect(res.body).not.toHaveProperty('device_id');
  });
});
