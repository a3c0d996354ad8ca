// The web client's side of the bridge API, in plain fetch (loaded lazily with the support view).
// Sign-in is the standard Matrix one: an OpenID token from the user's homeserver, exchanged at the
// bridge for a short-lived session token that is refreshed before it expires.
import type { Session } from '../matrix/session.ts';

export interface BridgeTopic { id: string; label: string; description?: string }
export interface BridgeCrisisResource { region: string; language: string; name: string; phone?: string; sms?: string; url?: string; hours?: string; description?: string }

export type RequestStatus = 'waiting' | 'offered' | 'matched' | 'cancelled' | 'expired' | 'declined';

export interface SupportRequestView {
  request_id: string;
  status: RequestStatus;
  topic: string;
  position: number | null;
  expected_wait_seconds: number | null;
  session: { session_id: string; room_id: string | null; status: string } | null;
  close_reason: string | null;
  crisis_resources: BridgeCrisisResource[];
}

export class BridgeError extends Error {
  readonly status: number;
  readonly errcode: string;
  readonly body: Record<string, unknown>;
  constructor(status: number, errcode: string, message: string, body: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.errcode = errcode;
    this.body = body;
  }
}

export interface RequestOptions { body?: unknown; token?: string; auth?: boolean; signal?: AbortSignal }

interface SessionToken { session_token: string; expires_in_ms: number; roles: string[] }

/** Refresh this long before the token's expiry, so a long poll never carries a dead token. */
const REFRESH_MARGIN_MS = 60_000;

export class BridgeClient {
  private readonly base: string;
  private readonly matrix: Session;
  private readonly fetchFn: typeof fetch;
  private token: string | null = null;
  private expiresAt = 0;
  private signingIn: Promise<void> | null = null;
  roles: string[] = [];

  constructor(bridgeUrl: string, matrix: Session, fetchFn: typeof fetch = fetch.bind(globalThis)) {
    this.base = bridgeUrl.replace(/\/+$/, '');
    this.matrix = matrix;
    this.fetchFn = fetchFn;
  }

  /** POST /_matrix/client/v3/user/{userId}/openid/request_token, then POST /v1/session. */
  async signIn(): Promise<void> {
    const hs = this.matrix.homeserverUrl.replace(/\/+$/, '');
    const res = await this.fetchFn(`${hs}/_matrix/client/v3/user/${encodeURIComponent(this.matrix.userId)}/openid/request_token`, {
      method: 'POST', headers: { Authorization: `Bearer ${this.matrix.accessToken}`, 'Content-Type': 'application/json' }, body: '{}',
    });
    if (!res.ok) throw new BridgeError(res.status, 'OPENID', 'the homeserver gave no OpenID token');
    const oid = (await res.json()) as { access_token: string; matrix_server_name: string };
    this.accept(await this.request<SessionToken>('POST', '/v1/session', { body: { access_token: oid.access_token, matrix_server_name: oid.matrix_server_name }, auth: false }));
  }

  private accept(t: SessionToken): void {
    this.token = t.session_token;
    this.expiresAt = Date.now() + t.expires_in_ms;
    this.roles = t.roles;
  }

  /** A valid token: signs in on first use, refreshes (POST /v1/session/refresh) near expiry. */
  private async ensureToken(): Promise<string> {
    if (this.token && Date.now() < this.expiresAt - REFRESH_MARGIN_MS) return this.token;
    this.signingIn ??= (async () => {
      try {
        if (this.token && Date.now() < this.expiresAt) {
          try {
            this.accept(await this.request<SessionToken>('POST', '/v1/session/refresh', { token: this.token }));
            return;
          } catch { /* the session ended: sign in afresh */ }
        }
        await this.signIn();
      } finally {
        this.signingIn = null;
      }
    })();
    await this.signingIn;
    return this.token!;
  }

  /**
   * One call to the bridge API: JSON in and out, the session token attached (signing in or refreshing
   * first when needed), a non-2xx answer thrown as BridgeError with the bridge's errcode and message.
   * The area modules (supporter-api.ts, counsellor-api.ts, admin-api.ts, …) build on this.
   */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const token = o.token ?? (o.auth === false ? null : await this.ensureToken());
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${path}`, {
        method,
        headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(o.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } catch (e) {
      if (o.signal?.aborted) throw e;
      throw new BridgeError(0, 'NETWORK', 'the bridge could not be reached');
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new BridgeError(res.status, typeof body['errcode'] === 'string' ? body['errcode'] : 'UNKNOWN', typeof body['error'] === 'string' ? body['error'] : `HTTP ${res.status}`, body);
    return body as T;
  }

  /** As `request`, for a non-JSON answer (a CSV or HTML export): its text and media type. */
  async requestText(path: string): Promise<{ text: string; type: string }> {
    const token = await this.ensureToken();
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    } catch {
      throw new BridgeError(0, 'NETWORK', 'the bridge could not be reached');
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      throw new BridgeError(res.status, typeof body['errcode'] === 'string' ? body['errcode'] : 'UNKNOWN', typeof body['error'] === 'string' ? body['error'] : `HTTP ${res.status}`, body);
    }
    return { text: await res.text(), type: res.headers.get('content-type') ?? 'text/plain' };
  }

  /** The signed-in user's roles at this bridge (student, supporter, counsellor, admin), signing in first if needed. */
  async signedInRoles(): Promise<string[]> {
    await this.ensureToken();
    return this.roles;
  }

  /** GET /v1/policy: the topics a student may ask about. */
  async topics(): Promise<BridgeTopic[]> {
    const p = await this.request<{ topics: BridgeTopic[] }>('GET', '/v1/policy');
    return p.topics;
  }

  /** POST /v1/requests */
  createRequest(input: { topic: string; language?: string }): Promise<SupportRequestView> {
    return this.request<SupportRequestView>('POST', '/v1/requests', { body: input });
  }

  /** GET /v1/requests/{id}?wait_ms= — held by the bridge until the status changes or the wait ends. */
  getRequest(requestId: string, waitMs: number, signal?: AbortSignal): Promise<SupportRequestView> {
    return this.request<SupportRequestView>('GET', `/v1/requests/${encodeURIComponent(requestId)}?wait_ms=${Math.min(30_000, Math.max(0, Math.round(waitMs)))}`, signal ? { signal } : {});
  }

  /** POST /v1/requests/{id}/cancel */
  cancelRequest(requestId: string): Promise<SupportRequestView> {
    return this.request<SupportRequestView>('POST', `/v1/requests/${encodeURIComponent(requestId)}/cancel`);
  }
}
