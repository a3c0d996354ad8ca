// One declaration per endpoint: method, path, who may call it, the TypeBox schemas of its body,
// query and responses, and the handler. The same declaration mounts the route on Hono (access check,
// rate limit, body limit, validation — in that order, so an unauthorised caller learns nothing
// from validation errors) and describes it in the OpenAPI document.
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { BridgeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AppEnv, Principal } from '../middleware/context.ts';
import { enforceAccess, type Access, type AuthDeps } from '../middleware/auth.ts';
import { enforceRateLimit, type RateLimitDeps, type RateLimitKind } from '../middleware/rate-limit.ts';
import { noStrayBody, validBody, validQuery } from '../middleware/validate.ts';

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';
type StaticOr<T, D> = T extends TSchema ? Static<T> : D;

export interface RouteRequest<B, Q> {
  c: Context<AppEnv>;
  params: Record<string, string>;
  body: StaticOr<B, undefined>;
  query: StaticOr<Q, Record<string, never>>;
  /** Set on session routes. */
  principal: Principal;
  logger: Logger;
}

/** A non-200 JSON answer. */
export class Reply {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    this.status = status;
    this.body = body;
  }
}
export const reply = (status: number, body: unknown): Reply => new Reply(status, body);

export interface ResponseSpec {
  description: string;
  schema?: TSchema;
  /** Media type when not JSON (e.g. Prometheus text). */
  contentType?: string;
}

export interface RouteDef<B extends TSchema | undefined = TSchema | undefined, Q extends TSchema | undefined = TSchema | undefined> {
  method: Method;
  /** OpenAPI form: `/v1/admin/roster/supporters/{userId}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  /** Default: `api` for session routes, none otherwise. */
  rateLimit?: RateLimitKind;
  body?: B;
  query?: Q;
  /** Bytes; default the configured max_body_bytes. */
  maxBodyBytes?: number;
  responses: Record<number, ResponseSpec>;
  /** Returns a JSON body (200), a `reply(status, body)`, or a ready Response. */
  handler: (req: RouteRequest<B, Q>) => unknown;
}

export const ErrorSchema = Type.Object({
  errcode: Type.String({ description: "Matrix-style error code, e.g. 'M_FORBIDDEN'" }),
  error: Type.String({ description: 'Human-readable explanation' }),
}, { additionalProperties: true, title: 'Error' });

export interface MountDeps {
  auth: AuthDeps;
  rateLimit: RateLimitDeps;
  maxBodyBytes: number;
}

/** Collects route declarations; `mount` puts them on a Hono app, `routes` feeds the OpenAPI document. */
export class ApiRouter {
  readonly routes: RouteDef[] = [];

  add<B extends TSchema | undefined = undefined, Q extends TSchema | undefined = undefined>(def: RouteDef<B, Q>): void {
    if (this.routes.some((r) => r.method === def.method && r.path === def.path)) throw new Error(`route ${def.method} ${def.path} declared twice`);
    if (this.routes.some((r) => r.operationId === def.operationId)) throw new Error(`operationId ${def.operationId} used twice`);
    this.routes.push(def as unknown as RouteDef);
  }

  mount(app: Hono<AppEnv>, deps: MountDeps): void {
    for (const def of this.routes) {
      const honoPath = def.path.replace(/\{(\w+)\}/g, ':$1');
      const limit = bodyLimit({
        maxSize: def.maxBodyBytes ?? deps.maxBodyBytes,
        onError: () => { throw new BridgeError(413, 'M_TOO_LARGE', `Request body larger than ${def.maxBodyBytes ?? deps.maxBodyBytes} bytes`); },
      });
      const rateLimit = def.rateLimit ?? (def.access.kind === 'session' ? 'api' : 'none');
      app.on(def.method.toUpperCase(), honoPath, async (c, next) => {
        c.set('route', def.path);
        await enforceAccess(c, def.access, deps.auth);
        enforceRateLimit(c, rateLimit, deps.rateLimit);
        await next();
      }, limit, async (c) => {
        const body = def.body ? await validBody(c, def.body) : undefined;
        if (!def.body && def.method !== 'get') await noStrayBody(c);
        const query = def.query ? validQuery(c, def.query) : {};
        const result = await def.handler({
          c, params: c.req.param() as Record<string, string>, body: body as never, query: query as never,
          principal: c.get('principal')!, logger: c.get('logger'),
        });
        if (result instanceof Response) return result;
        if (result instanceof Reply) return c.json(result.body as object, result.status as 200);
        return c.json((result ?? {}) as object, 200);
      });
    }
  }
}
