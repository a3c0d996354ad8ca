// Signs in (password, or a single sign-on login token) over plain fetch, so the first screen never waits on matrix-js-sdk.
// A Session is what we keep between reloads; it holds an access token and is never logged.

export interface Session {
  homeserverUrl: string;
  userId: string;
  deviceId: string;
  accessToken: string;
}

export class SignInError extends Error {
  readonly errcode: string;
  readonly status: number;
  constructor(status: number, errcode: string, message: string) {
    super(message);
    this.status = status;
    this.errcode = errcode;
  }
}

/** POST /_matrix/client/v3/login with m.login.password */
export function signInWithPassword(homeserverUrl: string, username: string, password: string, fetchFn: typeof fetch = fetch): Promise<Session> {
  return logIn(homeserverUrl, { type: 'm.login.password', identifier: { type: 'm.id.user', user: username }, password }, fetchFn);
}

/** POST /_matrix/client/v3/login with any login type's fields (`type` and what it needs); returns the new session. */
export async function logIn(homeserverUrl: string, auth: Record<string, unknown>, fetchFn: typeof fetch = fetch): Promise<Session> {
  const base = homeserverUrl.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetchFn(`${base}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...auth, initial_device_display_name: 'Peerline web' }),
    });
  } catch {
    throw new SignInError(0, 'NETWORK', 'network');
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    throw new SignInError(res.status, typeof body['errcode'] === 'string' ? body['errcode'] : 'M_UNKNOWN', typeof body['error'] === 'string' ? body['error'] : 'sign-in failed');
  }
  const { user_id: userId, device_id: deviceId, access_token: accessToken } = body;
  if (typeof userId !== 'string' || typeof deviceId !== 'string' || typeof accessToken !== 'string') {
    throw new SignInError(res.status, 'M_UNKNOWN', 'the homeserver answered without a session');
  }
  return { homeserverUrl: base, userId, deviceId, accessToken };
}

export function isSession(v: unknown): v is Session {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return ['homeserverUrl', 'userId', 'deviceId', 'accessToken'].every((k) => typeof o[k] === 'string' && o[k] !== '');
}
