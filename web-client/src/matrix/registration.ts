// Creates an account with an institution's registration token over plain fetch, so the first screen
// never waits on matrix-js-sdk. Follows the spec's user-interactive auth: the first request learns
// the session and flows, the second completes the m.login.registration_token (or m.login.dummy) stage.
import type { Session } from './session.ts';

export type RegistrationProblem = 'token' | 'username-taken' | 'username-invalid' | 'weak-password' | 'disabled' | 'network' | 'server';

export class RegistrationError extends Error {
  readonly problem: RegistrationProblem;
  readonly status: number;
  constructor(problem: RegistrationProblem, status: number, message: string) {
    super(message);
    this.problem = problem;
    this.status = status;
  }
}

export interface RegistrationRequest {
  token: string;
  /** Empty: the homeserver picks a username. */
  username: string;
  password: string;
}

/** The body of POST /register; `auth` is left out for the first, session-opening request. */
export function registrationBody(req: RegistrationRequest, auth?: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { password: req.password, initial_device_display_name: 'Peerline web' };
  const username = req.username.trim();
  if (username !== '') body['username'] = username;
  if (auth) body['auth'] = auth;
  return body;
}

/** Chooses the stage that completes registration from a 401 UIA answer, or null when none we can do is offered. */
export function registrationAuth(uia: Record<string, unknown>, token: string): Record<string, unknown> | null {
  const session = typeof uia['session'] === 'string' ? uia['session'] : undefined;
  const flows = Array.isArray(uia['flows']) ? uia['flows'] as unknown[] : [];
  const stagesOf = (f: unknown): unknown[] => (typeof f === 'object' && f !== null && Array.isArray((f as { stages?: unknown }).stages) ? (f as { stages: unknown[] }).stages : []);
  const single = (stage: string): boolean => flows.some((f) => { const s = stagesOf(f); return s.length === 1 && s[0] === stage; });
  const withSession = (a: Record<string, unknown>): Record<string, unknown> => (session ? { ...a, session } : a);
  if (single('m.login.registration_token')) return withSession({ type: 'm.login.registration_token', token });
  if (single('m.login.dummy')) return withSession({ type: 'm.login.dummy' });
  return null;
}

/** Maps a Matrix error answer to what the form tells the person. */
export function registrationProblem(status: number, errcode: string): RegistrationProblem {
  switch (errcode) {
    case 'M_USER_IN_USE': return 'username-taken';
    case 'M_INVALID_USERNAME': case 'M_EXCLUSIVE': return 'username-invalid';
    case 'M_WEAK_PASSWORD': return 'weak-password';
    case 'M_LIMIT_EXCEEDED': return 'server';
  }
  // A 401 after the token stage means the token was refused; a 403 without UIA means registration is off.
  if (status === 401) return 'token';
  if (status === 403) return 'disabled';
  return 'server';
}

type Json = Record<string, unknown>;

async function post(fetchFn: typeof fetch, url: string, body: Json): Promise<{ status: number; ok: boolean; body: Json }> {
  let res: Response;
  try {
    res = await fetchFn(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new RegistrationError('network', 0, 'network');
  }
  const parsed = (await res.json().catch(() => ({}))) as unknown;
  return { status: res.status, ok: res.ok, body: typeof parsed === 'object' && parsed !== null ? parsed as Json : {} };
}

function sessionFrom(base: string, status: number, body: Json): Session {
  const { user_id: userId, device_id: deviceId, access_token: accessToken } = body;
  if (typeof userId !== 'string' || typeof deviceId !== 'string' || typeof accessToken !== 'string') {
    throw new RegistrationError('server', status, 'the homeserver answered without a session');
  }
  return { homeserverUrl: base, userId, deviceId, accessToken };
}

function errorFrom(status: number, body: Json): RegistrationError {
  const errcode = typeof body['errcode'] === 'string' ? body['errcode'] : 'M_UNKNOWN';
  return new RegistrationError(registrationProblem(status, errcode), status, typeof body['error'] === 'string' ? body['error'] : 'registration failed');
}

/** POST /_matrix/client/v3/register with m.login.registration_token user-interactive auth */
export async function registerWithToken(homeserverUrl: string, req: RegistrationRequest, fetchFn: typeof fetch = fetch): Promise<Session> {
  const base = homeserverUrl.replace(/\/+$/, '');
  const url = `${base}/_matrix/client/v3/register`;
  const first = await post(fetchFn, url, registrationBody(req));
  if (first.ok) return sessionFrom(base, first.status, first.body);
  if (first.status !== 401 || !Array.isArray(first.body['flows'])) throw errorFrom(first.status, first.body);
  const auth = registrationAuth(first.body, req.token);
  if (!auth) throw new RegistrationError('disabled', first.status, 'the homeserver offers no registration we can complete');
  const second = await post(fetchFn, url, registrationBody(req, auth));
  if (second.ok) return sessionFrom(base, second.status, second.body);
  throw errorFrom(second.status, second.body);
}
