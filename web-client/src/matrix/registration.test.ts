import { describe, expect, it } from 'vitest';
import { registerWithToken, registrationAuth, registrationBody, registrationProblem, RegistrationError } from './registration.ts';

type Sent = { url: string; body: Record<string, unknown> };

/** A fetch that answers each request in turn and records what was sent. */
function scripted(...answers: [number, unknown][]): { fetchFn: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    sent.push({ url, body: JSON.parse(String(init.body)) as Record<string, unknown> });
    const [status, body] = answers[sent.length - 1] ?? [500, {}];
    return new Response(JSON.stringify(body), { status });
  }) as unknown as typeof fetch;
  return { fetchFn, sent };
}

const UIA = { flows: [{ stages: ['m.login.registration_token'] }], params: {}, session: 'sess1' };
const OK = { user_id: '@alex:a.example', device_id: 'DEV', access_token: 'tok' };

describe('registration request building', () => {
  it('leaves the username out when the person wants the server to pick one', () => {
    expect(registrationBody({ token: 't', username: '  ', password: 'pw' })).toEqual({ password: 'pw', initial_device_display_name: 'Peerline web' });
  });

  it('sends a trimmed username and the auth dict when given', () => {
    expect(registrationBody({ token: 't', username: ' alex ', password: 'pw' }, { type: 'm.login.dummy' }))
      .toEqual({ username: 'alex', password: 'pw', initial_device_display_name: 'Peerline web', auth: { type: 'm.login.dummy' } });
  });

  it('completes the registration-token stage within the offered session', () => {
    expect(registrationAuth(UIA, 'abc')).toEqual({ type: 'm.login.registration_token', token: 'abc', session: 'sess1' });
  });

  it('falls back to the dummy stage when the server asks for no token', () => {
    expect(registrationAuth({ flows: [{ stages: ['m.login.dummy'] }], session: 's' }, 'abc')).toEqual({ type: 'm.login.dummy', session: 's' });
  });

  it('gives up on flows it cannot complete, such as e-mail verification', () => {
    expect(registrationAuth({ flows: [{ stages: ['m.login.email.identity', 'm.login.registration_token'] }], session: 's' }, 'abc')).toBeNull();
  });
});

describe('registering with a token', () => {
  it('opens a UIA session, then completes it with the token and returns the new session', async () => {
    const { fetchFn, sent } = scripted([401, UIA], [200, OK]);
    const session = await registerWithToken('https://a.example/', { token: 'abc', username: 'alex', password: 'pw' }, fetchFn);
    expect(session).toEqual({ homeserverUrl: 'https://a.example', userId: '@alex:a.example', deviceId: 'DEV', accessToken: 'tok' });
    expect(sent.map((s) => s.url)).toEqual(['https://a.example/_matrix/client/v3/register', 'https://a.example/_matrix/client/v3/register']);
    expect(sent[0]!.body['auth']).toBeUndefined();
    expect(sent[1]!.body['auth']).toEqual({ type: 'm.login.registration_token', token: 'abc', session: 'sess1' });
  });

  it('reports a refused token', async () => {
    const { fetchFn } = scripted([401, UIA], [401, { ...UIA, errcode: 'M_FORBIDDEN', error: 'registration token is not valid' }]);
    await expect(registerWithToken('https://a.example', { token: 'bad', username: '', password: 'pw' }, fetchFn)).rejects.toMatchObject({ problem: 'token', status: 401 });
  });

  it('reports a username that is already taken before asking for the token', async () => {
    const { fetchFn, sent } = scripted([400, { errcode: 'M_USER_IN_USE', error: 'taken' }]);
    const err = await registerWithToken('https://a.example', { token: 'abc', username: 'alex', password: 'pw' }, fetchFn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistrationError);
    expect((err as RegistrationError).problem).toBe('username-taken');
    expect(sent).toHaveLength(1);
  });

  it('reports registration switched off on the server', async () => {
    const { fetchFn } = scripted([403, { errcode: 'M_FORBIDDEN', error: 'registration is disabled on this server' }]);
    await expect(registerWithToken('https://a.example', { token: 'abc', username: '', password: 'pw' }, fetchFn)).rejects.toMatchObject({ problem: 'disabled' });
  });

  it('reports a network failure', async () => {
    const offline = (async () => { throw new TypeError('Failed to fetch'); }) as typeof fetch;
    await expect(registerWithToken('https://a.example', { token: 'abc', username: '', password: 'pw' }, offline)).rejects.toMatchObject({ problem: 'network' });
  });

  it('rejects a 200 answer without an access token', async () => {
    const { fetchFn } = scripted([401, UIA], [200, { user_id: '@alex:a.example' }]);
    await expect(registerWithToken('https://a.example', { token: 'abc', username: '', password: 'pw' }, fetchFn)).rejects.toMatchObject({ problem: 'server' });
  });

  it('maps weak passwords and invalid usernames to their own problems', () => {
    expect(registrationProblem(400, 'M_WEAK_PASSWORD')).toBe('weak-password');
    expect(registrationProblem(400, 'M_INVALID_USERNAME')).toBe('username-invalid');
    expect(registrationProblem(500, 'M_UNKNOWN')).toBe('server');
  });
});
