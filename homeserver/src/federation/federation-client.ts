// Outgoing Server-Server requests: discovery → HTTPS → JSON, every request signed with our key in an
// `Authorization: X-Matrix` header (spec "Request Authentication"), and refused before anything is
// sent when `federation_domain_whitelist` does not name the destination.
import type { SigningKey } from '../core/signing.ts';
import type { Logger } from '../logger.ts';
import type { ServerDiscovery } from './discovery.ts';
import type { FederationTransport } from './transport.ts';
import { signRequest } from './x-matrix.ts';
import { parseServerName } from './server-name.ts';

export type QueryValue = string | number | boolean | readonly (string | number | boolean)[] | undefined;

export interface FederationRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  destination: string;
  /** Percent-encoded path starting with `/_matrix/` — build it with `fedPath`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** JSON body; PUT and POST always send one (`{}` when not given), as the spec requires. */
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
  maxResponseBytes?: number;
}

/** The destination answered with an error status; `errcode`/`error` are from its JSON when present. */
export class FederationRequestError extends Error {
  readonly destination: string;
  readonly status: number;
  readonly errcode: string | null;
  readonly body: unknown;
  constructor(destination: string, status: number, errcode: string | null, message: string, body: unknown) {
    super(`${destination} answered ${status}${errcode ? ` ${errcode}` : ''}: ${message}`);
    this.destination = destination;
    this.status = status;
    this.errcode = errcode;
    this.body = body;
  }
}

/** The destination is not on `federation_domain_whitelist`; nothing was sent. */
export class FederationDeniedError extends Error {
  readonly destination: string;
  constructor(destination: string) {
    super(`federation with ${destination} is not allowed: it is not listed in federation_domain_whitelist`);
    this.destination = destination;
  }
}

/** Template tag for federation paths: interpolated values are percent-encoded as path segments. */
export function fedPath(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += encodeURIComponent(String(v)) + strings[i + 1]!;
  });
  return out;
}

/** Encodes a query string; what is signed is exactly what is sent. */
export function encodeQuery(query: Record<string, QueryValue>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(item))}`);
  }
  return parts.join('&');
}

export interface FederationClientOptions {
  serverName: string;
  signingKey: SigningKey;
  discovery: ServerDiscovery;
  transport: FederationTransport;
  /** Whether we may talk to a server at all (the allow-list). */
  isAllowed: (serverName: string) => boolean;
  logger: Logger;
}

export class FederationClient {
  readonly serverName: string;
  private readonly key: SigningKey;
  private readonly discovery: ServerDiscovery;
  private readonly transport: FederationTransport;
  private readonly isAllowed: (serverName: string) => boolean;
  private readonly logger: Logger;

  constructor(o: FederationClientOptions) {
    this.serverName = o.serverName;
    this.key = o.signingKey;
    this.discovery = o.discovery;
    this.transport = o.transport;
    this.isAllowed = o.isAllowed;
    this.logger = o.logger;
  }

  /** Sends a signed request and returns the parsed JSON response; throws the errors above or a transport error. */
  async request<T = Record<string, unknown>>(r: FederationRequest): Promise<T> {
    if (!parseServerName(r.destination)) throw new Error(`'${r.destination}' is not a valid server name`);
    if (!r.path.startsWith('/_matrix/')) throw new Error(`federation path must start with /_matrix/, got '${r.path}'`);
    if (!this.isAllowed(r.destination)) throw new FederationDeniedError(r.destination);
    const qs = r.query ? encodeQuery(r.query) : '';
    const uri = qs ? `${r.path}?${qs}` : r.path;
    const hasBody = r.method === 'PUT' || r.method === 'POST' || r.body !== undefined;
    const content = hasBody ? (r.body ?? {}) : undefined;
    const authorization = signRequest({ method: r.method, uri, origin: this.serverName, destination: r.destination, content }, this.key);
    const target = await this.discovery.resolve(r.destination);
    const payload = content === undefined ? undefined : JSON.stringify(content);
    const started = performance.now();
    const res = await this.transport.send(target, {
      method: r.method, path: uri,
      headers: {
        Authorization: authorization, Accept: 'application/json',
        ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
      },
      ...(payload !== undefined ? { body: payload } : {}),
      ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}),
      ...(r.signal ? { signal: r.signal } : {}),
      ...(r.maxResponseBytes !== undefined ? { maxResponseBytes: r.maxResponseBytes } : {}),
    });
    this.logger.debug('federation request', { destination: r.destination, method: r.method, route: r.path.replace(/\/(\$|!|@|%24|%21|%40)[^/]*/g, '/$1…'), status: res.status, ms: Math.round(performance.now() - started) });
    let parsed: unknown;
    const text = res.body.toString('utf8');
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.status < 200 || res.status >= 300) {
      const o = typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : {};
      const errcode = typeof o['errcode'] === 'string' ? o['errcode'] : null;
      const message = typeof o['error'] === 'string' ? o['error'] : (parsed === undefined ? 'response is not JSON' : 'no error message');
      throw new FederationRequestError(r.destination, res.status, errcode, message, parsed);
    }
    if (parsed === undefined) throw new FederationRequestError(r.destination, res.status, null, 'response is not JSON', undefined);
    return parsed as T;
  }

  get<T = Record<string, unknown>>(destination: string, path: string, query?: Record<string, QueryValue>, opts: Partial<FederationRequest> = {}): Promise<T> {
    return this.request<T>({ ...opts, method: 'GET', destination, path, ...(query ? { query } : {}) });
  }

  put<T = Record<string, unknown>>(destination: string, path: string, body: unknown, opts: Partial<FederationRequest> = {}): Promise<T> {
    return this.request<T>({ ...opts, method: 'PUT', destination, path, body });
  }

  post<T = Record<string, unknown>>(destination: string, path: string, body: unknown, opts: Partial<FederationRequest> = {}): Promise<T> {
    return this.request<T>({ ...opts, method: 'POST', destination, path, body });
  }
}
