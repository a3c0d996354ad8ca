// Route table for the HTTP APIs: method + path pattern (`:name` segments, a trailing `:name?` may be
// empty or absent) → typed handler. Client-Server routes written as /v3/ also answer under /r0/.
import type { IncomingHttpHeaders } from 'node:http';

export interface Auth {
  userId: string;
  deviceId: string | null;
  /** sha256 of the access token, for logout. Absent for appservice requests. */
  tokenHash?: string;
  /** Set when the request was made with an application service's as_token. */
  appserviceId?: string;
  isGuest: boolean;
}

export interface RequestContext {
  method: string;
  path: string;
  /** The request target exactly as sent (path and query), which X-Matrix signatures cover. */
  rawTarget: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
  headers: IncomingHttpHeaders;
  ip: string;
  requestId: string;
  /** Aborted when the client goes away (long polls stop waiting). */
  signal: AbortSignal;
  /** Set for routes with auth 'required' (and 'optional' when a token was given). */
  auth?: Auth;
  /** Set for routes with auth 'federation': the server whose X-Matrix signature was verified. */
  origin?: string;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** 'federation': the request must carry a valid X-Matrix signature (Server-Server API). */
export type AuthMode = 'required' | 'optional' | 'none' | 'federation';

/** Verifies a federation request's X-Matrix header; returns the origin or throws a MatrixError. */
export interface FederationAuthenticator {
  authenticate(ctx: RequestContext): Promise<string>;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  auth: AuthMode;
  /** Counts against the per-user/per-IP rate limit. */
  rateLimited?: boolean;
  /** Allow requests whose token belongs to a deactivated/locked account etc. (logout). */
  handler: (ctx: RequestContext & { auth: Auth }) => Promise<unknown> | unknown;
}

interface CompiledRoute {
  spec: RouteSpec;
  segments: string[];
  optionalLast: boolean;
}

export interface RouteMatch {
  spec: RouteSpec;
  params: Record<string, string>;
}

/** Helper for handlers that need a status other than 200. */
export function reply(status: number, body: unknown, headers?: Record<string, string>): Reply & { __reply: true } {
  return { status, body, ...(headers ? { headers } : {}), __reply: true };
}

export function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && (v as { __reply?: unknown }).__reply === true;
}

export class Router {
  private readonly byMethod = new Map<string, CompiledRoute[]>();
  private readonly knownPaths: CompiledRoute[] = [];
  /** Resolves auth 'federation' routes; set by the federation module. */
  federationAuthenticator: FederationAuthenticator | null = null;

  add(spec: RouteSpec): void {
    if (spec.auth === 'federation') {
      // Checked in the handler, after the body is parsed, because the signature covers the body.
      const inner = spec.handler;
      spec = {
        ...spec,
        handler: async (ctx) => {
          if (!this.federationAuthenticator) throw new Error('no federation authenticator is registered');
          const origin = await this.federationAuthenticator.authenticate(ctx);
          return inner({ ...ctx, origin });
        },
      };
    }
    const variants = [spec.path];
    if (spec.path.startsWith('/_matrix/client/v3/')) variants.push(spec.path.replace('/v3/', '/r0/'));
    for (const path of variants) {
      const segs = path.split('/').slice(1);
      const last = segs[segs.length - 1] ?? '';
      const optionalLast = last.startsWith(':') && last.endsWith('?');
      if (optionalLast) segs[segs.length - 1] = last.slice(0, -1);
      const route: CompiledRoute = { spec, segments: segs, optionalLast };
      const list = this.byMethod.get(spec.method) ?? [];
      list.push(route);
      this.byMethod.set(spec.method, list);
      this.knownPaths.push(route);
    }
  }

  /** The routes as registered (one entry per spec, without the /r0/ aliases), for tooling such as the endpoint fuzzer. */
  routes(): readonly Readonly<Pick<RouteSpec, 'method' | 'path' | 'auth'>>[] {
    const seen = new Set<RouteSpec>();
    const out: Pick<RouteSpec, 'method' | 'path' | 'auth'>[] = [];
    for (const r of this.knownPaths) {
      if (seen.has(r.spec)) continue;
      seen.add(r.spec);
      out.push({ method: r.spec.method, path: r.spec.path, auth: r.spec.auth });
    }
    return out;
  }

  private static match(route: CompiledRoute, parts: string[]): Record<string, string> | null {
    const n = route.segments.length;
    if (parts.length !== n && !(route.optionalLast && parts.length === n - 1)) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const seg = route.segments[i]!;
      const part = parts[i];
      if (seg.startsWith(':')) {
        if (part === undefined) {
          params[seg.slice(1)] = '';
          continue;
        }
        let decoded: string;
        try {
          decoded = decodeURIComponent(part);
        } catch {
          return null;
        }
        if (decoded === '' && !(route.optionalLast && i === n - 1)) return null;
        params[seg.slice(1)] = decoded;
      } else if (seg !== part) {
        return null;
      }
    }
    return params;
  }

  /** Finds the route for a request; `allowed` lists methods the path supports when none matched. */
  find(method: string, path: string): RouteMatch | { allowed: string[] } {
    const parts = path.split('/').slice(1);
    for (const route of this.byMethod.get(method) ?? []) {
      const params = Router.match(route, parts);
      if (params) return { spec: route.spec, params };
    }
    const allowed = new Set<string>();
    for (const route of this.knownPaths) if (Router.match(route, parts)) allowed.add(route.spec.method);
    return { allowed: [...allowed] };
  }
}
