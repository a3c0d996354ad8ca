// A table of bad requests against a real homeserver process: each gets the right status and errcode,
// and the server's state is exactly what it was before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';

interface BadCase {
  name: string;
  method: string;
  path: () => string;
  token?: () => string | undefined;
  body?: unknown;
  rawBody?: string;
  status: number;
  errcode: string;
}

describe('bad input', () => {
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let sentEventId: string;

  const fingerprint = async (): Promise<string> => {
    const state = await api<object[]>(hs, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, { token: alice.accessToken });
    const msgs = await api<{ chunk: { event_id: string }[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000`, { token: alice.accessToken });
    const rooms = await api(hs, 'GET', '/_matrix/client/v3/joined_rooms', { token: bob.accessToken });
    const devices = await api(hs, 'GET', '/_matrix/client/v3/devices', { token: alice.accessToken });
    // `unsigned.age` changes with time; everything else must be identical.
    const stateWithoutAge = (state.body as { unsigned?: unknown }[]).map(({ unsigned: _u, ...rest }) => rest);
    return JSON.stringify([stateWithoutAge, msgs.body.chunk.map((e) => e.event_id), rooms.body, (devices.body as { devices: { device_id: string }[] }).devices.map((d) => d.device_id)]);
  };

  beforeAll(async () => {
    hs = await startHomeserver({ serverName: 'bad-input.localhost' });
    alice = await hs.registerUser('alice');
    bob = await hs.registerUser('bob');
    roomId = (await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { invite: [bob.userId] } })).body.room_id;
    await api(hs, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, { token: bob.accessToken, body: {} });
    sentEventId = (await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/txn-1`, { token: alice.accessToken, body: { msgtype: 'm.text', body: 'hello' } })).body.event_id;
  });

  afterAll(async () => {
    await hs?.stop();
    hs?.cleanup();
  });

  const room = (): string => encodeURIComponent(roomId);
  const cases: BadCase[] = [
    { name: 'malformed JSON', method: 'PUT', path: () => `/_matrix/client/v3/rooms/${room()}/send/m.room.message/t-bad-json`, token: () => alice.accessToken, rawBody: '{"msgtype": "m.text", "body": ', status: 400, errcode: 'M_NOT_JSON' },
    { name: 'a JSON array where an object belongs', method: 'PUT', path: () => `/_matrix/client/v3/rooms/${room()}/send/m.room.message/t-array`, token: () => alice.accessToken, body: ['not', 'an', 'object'], status: 400, errcode: 'M_BAD_JSON' },
    { name: 'a wrong type in a field', method: 'POST', path: () => '/_matrix/client/v3/createRoom', token: () => alice.accessToken, body: { name: 42 }, status: 400, errcode: 'M_BAD_JSON' },
    { name: 'a float in event content', method: 'PUT', path: () => `/_matrix/client/v3/rooms/${room()}/send/m.room.message/t-float`, token: () => alice.accessToken, body: { msgtype: 'm.text', body: 'x', n: 1.5 }, status: 400, errcode: 'M_BAD_JSON' },
    { name: 'an event over 65,536 bytes', method: 'PUT', path: () => `/_matrix/client/v3/rooms/${room()}/send/m.room.message/t-big`, token: () => alice.accessToken, body: { msgtype: 'm.text', body: 'x'.repeat(70_000) }, status: 413, errcode: 'M_TOO_LARGE' },
    { name: 'a request body over the server limit', method: 'PUT', path: () => `/_matrix/client/v3/rooms/${room()}/send/m.room.message/t-huge`, token: () => alice.accessToken, body: { msgtype: 'm.text', body: 'x'.repeat(1_200_000) }, status: 413, errcode: 'M_TOO_LARGE' },
    { name: 'an unknown room', method: 'PUT', path: () => `/_matrix/client/v3/rooms/${encodeURIComponent('!nope:bad-input.localhost')}/send/m.room.message/t-unknown`, token: () => alice.accessToken, body: { msgtype: 'm.text', body: 'x' }, status: 403, errcode: 'M_FORBIDDEN' },
    { name: 'a malformed room id', method: 'GET', path: () => '/_matrix/client/v3/rooms/not-a-room/messages', token: () => alice.accessToken, status: 400, errcode: 'M_INVALID_PARAM' },
    { name: 'a forged access token', method: 'GET', path: () => '/_matrix/client/v3/account/whoami', token: () => 'plt_forgedforgedforgedforgedforgedforgedforg', status: 401, errcode: 'M_UNKNOWN_TOKEN' },
    { name: 'no access token', method: 'GET', path: () => '/_matrix/client/v3/account/whoami', token: () => undefined, status: 401, errcode: 'M_MISSING_TOKEN' },
    { name: 'an event the auth rules forbid (power levels from a member with power 0)', method: 'PUT', path: () => `/_matrix/client/v3/rooms/${room()}/state/m.room.power_levels/`, token: () => bob.accessToken, body: () => ({ users: { [bob.userId]: 100 } }), status: 403, errcode: 'M_FORBIDDEN' },
    { name: 'sending into a room one is not in', method: 'PUT', path: () => `/_matrix/client/v3/rooms/${room()}/send/m.room.message/t-outsider`, token: () => outsider.accessToken, body: { msgtype: 'm.text', body: 'x' }, status: 403, errcode: 'M_FORBIDDEN' },
    { name: 'an unknown endpoint', method: 'GET', path: () => '/_matrix/client/v3/no/such/endpoint', token: () => alice.accessToken, status: 404, errcode: 'M_UNRECOGNIZED' },
    { name: 'a missing required field', method: 'POST', path: () => '/_matrix/client/v3/login', body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' } }, status: 400, errcode: 'M_MISSING_PARAM' },
    { name: 'a bad query parameter', method: 'GET', path: () => `/_matrix/client/v3/rooms/${room()}/messages?dir=sideways`, token: () => alice.accessToken, status: 400, errcode: 'M_INVALID_PARAM' },
    { name: 'an unknown event', method: 'GET', path: () => `/_matrix/client/v3/rooms/${room()}/event/${encodeURIComponent('$nope')}`, token: () => alice.accessToken, status: 404, errcode: 'M_NOT_FOUND' },
    { name: 'a wrong password', method: 'POST', path: () => '/_matrix/client/v3/login', body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: 'wrong' }, status: 403, errcode: 'M_FORBIDDEN' },
    { name: 'a taken user name', method: 'GET', path: () => '/_matrix/client/v3/register/available?username=alice', status: 400, errcode: 'M_USER_IN_USE' },
    { name: 'registration while it is disabled', method: 'POST', path: () => '/_matrix/client/v3/register', body: { username: 'mallory', password: 'x' }, status: 403, errcode: 'M_FORBIDDEN' },
    { name: 'another user\'s account data', method: 'PUT', path: () => `/_matrix/client/v3/user/${encodeURIComponent(bob.userId)}/account_data/x.y`, token: () => alice.accessToken, body: {}, status: 403, errcode: 'M_FORBIDDEN' },
  ];
  let outsider: RegisteredUser;

  it('answers each bad request with the right status and errcode, and changes nothing', async () => {
    outsider = await hs.registerUser('outsider');
    const before = await fingerprint();
    for (const c of cases) {
      const res = await api<{ errcode?: string; error?: string }>(hs, c.method, c.path(), { ...(c.token?.() ? { token: c.token()! } : {}), ...(c.rawBody !== undefined ? { rawBody: c.rawBody } : c.body !== undefined ? { body: typeof c.body === 'function' ? (c.body as () => unknown)() : c.body } : {}) });
      expect({ case: c.name, status: res.status, errcode: res.body.errcode }).toEqual({ case: c.name, status: c.status, errcode: c.errcode });
      expect(typeof res.body.error, `${c.name}: error message`).toBe('string');
      expect(await fingerprint(), `${c.name}: state unchanged`).toBe(before);
    }
  });

  it('returns the first event id for a replayed transaction and stores nothing twice', async () => {
    const before = await fingerprint();
    const again = await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${room()}/send/m.room.message/txn-1`, { token: alice.accessToken, body: { msgtype: 'm.text', body: 'hello again' } });
    expect(again.status).toBe(200);
    expect(again.body.event_id).toBe(sentEventId);
    expect(await fingerprint()).toBe(before);
  });

  it('rejects an expired access token', async () => {
    const short = await startHomeserver({ serverName: 'short-tokens.localhost', extraArgs: ['--access-token-lifetime-ms', '300'] });
    try {
      const u = await short.registerUser('carol');
      expect((await api(short, 'GET', '/_matrix/client/v3/account/whoami', { token: u.accessToken })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 400));
      const res = await api<{ errcode: string }>(short, 'GET', '/_matrix/client/v3/account/whoami', { token: u.accessToken });
      expect([res.status, res.body.errcode]).toEqual([401, 'M_UNKNOWN_TOKEN']);
    } finally {
      await short.stop();
      short.cleanup();
    }
  });

  it('rate-limits a fast sender with M_LIMIT_EXCEEDED and retry_after_ms', async () => {
    let limited: { status: number; body: { errcode?: string; retry_after_ms?: number } } | undefined;
    for (let i = 0; i < 200 && !limited; i++) {
      const r = await api<{ errcode?: string; retry_after_ms?: number }>(hs, 'PUT', `/_matrix/client/v3/rooms/${room()}/send/m.room.message/rl-${i}`, { token: bob.accessToken, body: { msgtype: 'm.text', body: `n${i}` } });
      if (r.status === 429) limited = r;
    }
    expect(limited?.body.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(limited?.body.retry_after_ms).toBeGreaterThan(0);
  });
});
