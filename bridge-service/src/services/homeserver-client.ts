// The bridge bot's hands on its homeserver: a small typed Client-Server API client authenticated
// with the appservice's as_token, acting as the bot (`sender_localpart`) or, with `asUser`, as a
// user of the appservice's namespace (masquerading with `user_id`). The bot has no device and no
// keys: it creates rooms, invites, sets state and sends notices, and never reads encrypted content.
import { randomBytes } from 'node:crypto';

export class HomeserverError extends Error {
  readonly status: number;
  readonly errcode: string;

  constructor(status: number, errcode: string, message: string) {
    super(message);
    this.status = status;
    this.errcode = errcode;
  }
}

export type StateEvent = { type: string; state_key?: string; content: Record<string, unknown> };

export interface CreateRoomRequest {
  name?: string;
  topic?: string;
  preset?: 'private_chat' | 'trusted_private_chat' | 'public_chat';
  visibility?: 'private' | 'public';
  invite?: string[];
  is_direct?: boolean;
  room_version?: string;
  initial_state?: StateEvent[];
  power_level_content_override?: Record<string, unknown>;
  creation_content?: Record<string, unknown>;
}

export interface ActAs {
  /** Masquerade as this user of the appservice's namespace; default: the bot. */
  asUser?: string;
}

type Fetch = typeof fetch;

export class HomeserverClient {
  readonly baseUrl: string;
  /** The bot's user id. */
  readonly botUserId: string;
  private readonly asToken: string;
  private readonly fetch: Fetch;
  private readonly timeoutMs: number;
  private readonly maxRateLimitRetries: number;

  constructor(opts: { baseUrl: string; asToken: string; botUserId: string; fetch?: Fetch; timeoutMs?: number; maxRateLimitRetries?: number }) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.asToken = opts.asToken;
    this.botUserId = opts.botUserId;
    this.fetch = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxRateLimitRetries = opts.maxRateLimitRetries ?? 5;
  }

  /** One Client-Server call; waits out 429s (the bot is normally exempt) and throws HomeserverError otherwise. */
  async request<T>(method: string, path: string, opts: ActAs & { body?: unknown; query?: Record<string, string>; auth?: boolean } = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    if (opts.asUser !== undefined && opts.asUser !== this.botUserId) url.searchParams.set('user_id', opts.asUser);
    for (let attempt = 0; ; attempt++) {
      const res = await this.fetch(url, {
        method,
        headers: {
          ...(opts.auth === false ? {} : { Authorization: `Bearer ${this.asToken}` }),
          ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = text ? JSON.parse(text) as Record<string, unknown> : {};
      } catch {
        // Non-JSON error pages are reported by status below.
      }
      if (res.status === 429 && attempt < this.maxRateLimitRetries) {
        const wait = typeof json['retry_after_ms'] === 'number' ? json['retry_after_ms'] : 500 * 2 ** attempt;
        await new Promise((r) => setTimeout(r, Math.min(wait, 10_000)));
        continue;
      }
      if (!res.ok) {
        const errcode = typeof json['errcode'] === 'string' ? json['errcode'] : 'M_UNKNOWN';
        const error = typeof json['error'] === 'string' ? json['error'] : `status ${res.status}`;
        throw new HomeserverError(res.status, errcode, `${method} ${path}: ${errcode}: ${error}`);
      }
      return json as T;
    }
  }

  /** GET /_matrix/client/versions — reachability, no auth. */
  versions(): Promise<{ versions: string[] }> {
    return this.request('GET', '/_matrix/client/versions', { auth: false });
  }

  /** GET /_matrix/client/v3/account/whoami — proves the as_token works. */
  whoami(act: ActAs = {}): Promise<{ user_id: string }> {
    return this.request('GET', '/_matrix/client/v3/account/whoami', act);
  }

  /** POST /_matrix/client/v1/appservice/{appserviceId}/ping — the homeserver calls our /ping back. */
  ping(appserviceId: string, transactionId?: string): Promise<{ duration_ms: number }> {
    return this.request('POST', `/_matrix/client/v1/appservice/${encodeURIComponent(appserviceId)}/ping`, {
      body: transactionId !== undefined ? { transaction_id: transactionId } : {},
    });
  }

  /** POST /_matrix/client/v3/createRoom */
  createRoom(req: CreateRoomRequest, act: ActAs = {}): Promise<{ room_id: string }> {
    return this.request('POST', '/_matrix/client/v3/createRoom', { ...act, body: req });
  }

  /** POST /_matrix/client/v3/rooms/{roomId}/invite */
  async invite(roomId: string, userId: string, act: ActAs & { reason?: string } = {}): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
      ...act, body: { user_id: userId, ...(act.reason !== undefined ? { reason: act.reason } : {}) },
    });
  }

  /** POST /_matrix/client/v3/join/{roomIdOrAlias} */
  joinRoom(roomIdOrAlias: string, act: ActAs = {}): Promise<{ room_id: string }> {
    return this.request('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}`, { ...act, body: {} });
  }

  /** POST /_matrix/client/v3/rooms/{roomId}/leave */
  async leaveRoom(roomId: string, act: ActAs = {}): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, { ...act, body: {} });
  }

  /** POST /_matrix/client/v3/rooms/{roomId}/kick */
  async kick(roomId: string, userId: string, act: ActAs & { reason?: string } = {}): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/kick`, {
      ...act, body: { user_id: userId, ...(act.reason !== undefined ? { reason: act.reason } : {}) },
    });
  }

  /** PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} */
  sendStateEvent(roomId: string, eventType: string, stateKey: string, content: Record<string, unknown>, act: ActAs = {}): Promise<{ event_id: string }> {
    return this.request('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(eventType)}/${encodeURIComponent(stateKey)}`, { ...act, body: content });
  }

  /** GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} */
  getStateEvent<T = Record<string, unknown>>(roomId: string, eventType: string, stateKey = '', act: ActAs = {}): Promise<T> {
    return this.request('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(eventType)}/${encodeURIComponent(stateKey)}`, act);
  }

  /**
   * PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId} — the bot's own (unencrypted)
   * notices in coordination rooms; peer rooms are encrypted and the bot does not write in them.
   * Pass a stable `txnId` to make a retried send idempotent.
   */
  sendMessage(roomId: string, eventType: string, content: Record<string, unknown>, act: ActAs & { txnId?: string } = {}): Promise<{ event_id: string }> {
    const txnId = act.txnId ?? `plb-${Date.now()}-${randomBytes(6).toString('hex')}`;
    return this.request('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(eventType)}/${encodeURIComponent(txnId)}`, { ...act, body: content });
  }
}
