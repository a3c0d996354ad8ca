// How the admin CLI reaches a running installation: the homeserver's client API (with an admin's
// Matrix access token, or a password login from the environment) and the bridge's admin API (with a
// bridge session obtained through OpenID, as the web client does). Tokens stay in memory and are
// never printed; a login made here is logged out again at the end.
import type { BridgeConfig } from '../config.ts';

/** An error for the operator: printed as is, exits with `exitCode`. */
export class AdminError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface Endpoints {
  homeserverUrl: string | null;
  bridgeUrl: string | null;
}

/** The bridge's own URL as seen from this machine (a wildcard listen address means loopback). */
export function endpointsFrom(config: BridgeConfig | null, overrides: { homeserver?: string | undefined; bridge?: string | undefined }): Endpoints {
  const listenHost = (a: string): string => (a === '0.0.0.0' || a === '::' ? '127.0.0.1' : a.includes(':') ? `[${a}]` : a);
  return {
    homeserverUrl: (overrides.homeserver ?? config?.homeserver_url ?? null)?.replace(/\/+$/, '') ?? null,
    bridgeUrl: (overrides.bridge ?? (config ? `http://${listenHost(config.listen.address)}:${config.listen.port}` : null))?.replace(/\/+$/, '') ?? null,
  };
}

export interface HttpResult<T> {
  status: number;
  body: T;
}

export async function requestJson<T = Record<string, unknown>>(base: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<HttpResult<T>> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new AdminError(`cannot reach ${base} (${(e as Error).message}); is it running?`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { error: text.slice(0, 200) };
  }
  return { status: res.status, body: body as T };
}

/** `M_FORBIDDEN: You are not a server admin` from a Matrix-style error body. */
export function describeError(r: HttpResult<unknown>): string {
  const b = r.body as { errcode?: unknown; error?: unknown };
  const parts = [typeof b.errcode === 'string' ? b.errcode : null, typeof b.error === 'string' ? b.error : null].filter(Boolean);
  return `HTTP ${r.status}${parts.length ? ` ${parts.join(': ')}` : ''}`;
}

/** An admin signed in to the homeserver (and, on demand, to the bridge). */
export class AdminSession {
  private readonly endpoints: Endpoints;
  private readonly env: NodeJS.ProcessEnv;
  private matrix: { userId: string; accessToken: string; loggedInHere: boolean } | null = null;
  private bridgeToken: string | null = null;

  constructor(endpoints: Endpoints, env: NodeJS.ProcessEnv = process.env) {
    this.endpoints = endpoints;
    this.env = env;
  }

  homeserverUrl(): string {
    if (!this.endpoints.homeserverUrl) throw new AdminError('the homeserver URL is not known: give --config BRIDGE.yaml or --homeserver URL', 2);
    return this.endpoints.homeserverUrl;
  }

  bridgeUrl(): string {
    if (!this.endpoints.bridgeUrl) throw new AdminError('the bridge URL is not known: give --config BRIDGE.yaml or --bridge URL', 2);
    return this.endpoints.bridgeUrl;
  }

  /** The admin's Matrix access token: PEERLINE_ADMIN_TOKEN, or a login with PEERLINE_ADMIN_USER/PASSWORD. */
  async matrixToken(): Promise<{ userId: string; accessToken: string }> {
    if (this.matrix) return this.matrix;
    const hs = this.homeserverUrl();
    const given = this.env['PEERLINE_ADMIN_TOKEN'];
    if (given) {
      const who = await requestJson<{ user_id?: string }>(hs, 'GET', '/_matrix/client/v3/account/whoami', { token: given });
      if (who.status !== 200 || typeof who.body.user_id !== 'string') throw new AdminError(`PEERLINE_ADMIN_TOKEN was not accepted by the homeserver (${describeError(who)})`);
      this.matrix = { userId: who.body.user_id, accessToken: given, loggedInHere: false };
      return this.matrix;
    }
    const user = this.env['PEERLINE_ADMIN_USER'];
    const password = this.env['PEERLINE_ADMIN_PASSWORD'];
    if (!user || !password) {
      throw new AdminError('no admin credentials: set PEERLINE_ADMIN_TOKEN (an admin\'s Matrix access token) or PEERLINE_ADMIN_USER and PEERLINE_ADMIN_PASSWORD', 2);
    }
    const login = await requestJson<{ user_id?: string; access_token?: string }>(hs, 'POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, initial_device_display_name: 'peerline admin CLI' },
    });
    if (login.status !== 200 || typeof login.body.access_token !== 'string' || typeof login.body.user_id !== 'string') {
      throw new AdminError(`login of ${user} failed (${describeError(login)})`);
    }
    this.matrix = { userId: login.body.user_id, accessToken: login.body.access_token, loggedInHere: true };
    return this.matrix;
  }

  /** A bridge session for the admin, through an OpenID token of the homeserver. */
  async bridgeSession(): Promise<string> {
    if (this.bridgeToken) return this.bridgeToken;
    const { userId, accessToken } = await this.matrixToken();
    const openid = await requestJson(this.homeserverUrl(), 'POST', `/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`, { token: accessToken, body: {} });
    if (openid.status !== 200) throw new AdminError(`the homeserver refused an OpenID token for ${userId} (${describeError(openid)})`);
    const session = await requestJson<{ session_token?: string; roles?: string[] }>(this.bridgeUrl(), 'POST', '/v1/session', { body: openid.body });
    if (session.status !== 200 || typeof session.body.session_token !== 'string') throw new AdminError(`the bridge refused the sign-in of ${userId} (${describeError(session)})`);
    if (!session.body.roles?.includes('admin')) throw new AdminError(`${userId} is not an admin of the bridge (add it to 'admins' in the bridge config or the admin roster)`);
    this.bridgeToken = session.body.session_token;
    return this.bridgeToken;
  }

  async homeserver<T>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    const { accessToken } = await this.matrixToken();
    return requestJson<T>(this.homeserverUrl(), method, path, { token: accessToken, ...(body !== undefined ? { body } : {}) });
  }

  async bridge<T>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    const token = await this.bridgeSession();
    return requestJson<T>(this.bridgeUrl(), method, path, { token, ...(body !== undefined ? { body } : {}) });
  }

  /** Ends what this session opened (bridge session, password login); failures here are not fatal. */
  async close(): Promise<void> {
    try {
      if (this.bridgeToken) await requestJson(this.bridgeUrl(), 'DELETE', '/v1/session', { token: this.bridgeToken });
      if (this.matrix?.loggedInHere) await requestJson(this.homeserverUrl(), 'POST', '/_matrix/client/v3/logout', { token: this.matrix.accessToken, body: {} });
    } catch {
      // Best effort: the bridge session expires on its own, the device can be removed by the admin.
    }
    this.bridgeToken = null;
    this.matrix = null;
  }
}
