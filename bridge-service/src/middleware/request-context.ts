// First middleware of every request: assigns a request id (a well-formed incoming X-Request-Id is
// kept, so a proxy's id follows the request), times it, and on the way out writes one access-log
// line and the request metrics — by route template, never the raw path or query.
import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../services/metrics.ts';
import type { AppEnv } from './context.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Probes and scrapes arrive every few seconds; they are logged at debug level only. */
const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);

export function requestContext(deps: { logger: Logger; metrics: Metrics }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomBytes(8).toString('hex');
    const logger = deps.logger.child({ request_id: requestId });
    c.set('requestId', requestId);
    c.set('route', 'unmatched');
    c.set('logger', logger);
    c.set('principal', undefined);
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = c.get('route');
      const status = c.res.status;
      c.res.headers.set('X-Request-Id', requestId);
      deps.metrics.httpRequests.inc({ route, method: c.req.method, status: String(status) });
      deps.metrics.httpDuration.observe({ route, method: c.req.method }, seconds);
      const principal = c.get('principal');
      logger[QUIET_ROUTES.has(route) ? 'debug' : status >= 500 ? 'error' : 'info']('request', {
        method: c.req.method, route, status, duration_ms: Math.round(seconds * 1000 * 10) / 10,
        ...(principal ? { user_id: principal.user_id, session_id: principal.session_id } : {}),
      });
    }
  };
}
