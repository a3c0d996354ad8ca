// The HTTP front of the homeserver: CORS, body limits and JSON parsing, access-token authentication,
// rate limits, routing, and turning errors into Matrix error responses. Knows nothing of rooms.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { MatrixError, limitExceeded, missingToken, tooLarge, unknownToken, unrecognized } from './errors.ts';
import { isReply, type Auth, type RequestContext, type Router } from './router.ts';
import type { Logger } from '../logger.ts';
import type { RateLimiter } from './middleware/rate-limiter.ts';
import { COMPRESS_MIN_BYTES, compress, negotiateEncoding } from './middleware/compression.ts';
import { answerClientError } from '../../../server-kit/src/client-error.ts';

export { answerClientError };
import { isStorageFull, STORAGE_FULL_BODY, STORAGE_FULL_STATUS } from '../../../server-kit/src/storage-full.ts';
import { parseJsonObjectBody } from '../../../server-kit/src/json-body.ts';

export interface Authenticator {
  /** Resolves an access token (and for appservices the `user_id`/`device_id` query) to a principal. */
  authenticate(token: string, query: URLSearchParams): Auth | null;
}

export interface HttpServerOptions {
  router: Router;
  authenticator: Authenticator;
  logger: Logger;
  maxBodyBytes: number;
  /** Limits requests of rateLimited routes, keyed by user (or IP when unauthenticated). */
  rateLimiter: RateLimiter;
  /** Users/appservices exempt from rate limits. */
  isRateLimitExempt: (auth: Auth) => boolean;
}

/**
 * On every answer. Allowed methods and headers matter only in a preflight's answer (Fetch standard,
 * "CORS-preflight fetch"), so they go there alone: a client on a slow link pays for every header
 * of every long-poll answer.
 */
const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Retry-After',
};

/** A preflight's answer may be reused this long (browsers cap it: Chromium at 2 h), so a client does not pay a round trip per request. */
const PREFLIGHT_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization, Date',
  'Access-Control-Max-Age': '7200',
};

/**
 * Sends a JSON answer, compressed (middleware/compression.ts) when the client accepts it and the
 * body is big enough to gain; Vary tells caches the answer depends on Accept-Encoding.
 */
async function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): Promise<void> {
  if (res.writableEnded || res.destroyed) return;
  let payload: Buffer = Buffer.from(JSON.stringify(body ?? {}), 'utf8');
  // Small answers go as they are whatever the request accepts, so only larger ones vary by it.
  const compressible = payload.length >= COMPRESS_MIN_BYTES;
  const encoding = compressible ? negotiateEncoding(req.headers['accept-encoding']) : null;
  const encoded: Record<string, string> = compressible ? { Vary: 'Accept-Encoding' } : {};
  if (encoding) {
    payload = await compress(payload, encoding);
    encoded['Content-Encoding'] = encoding;
  }
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, {
    ...CORS_HEADERS,
    'Content-Type': 'application/json',
    'Content-Length': payload.length,
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    ...encoded,
    ...headers,
  });
  res.end(payload);
}

function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // An over-limit body is refused with a 413 the client can read: the rest of it is drained (not
    // the socket destroyed, which would lose the answer). A body of unknown length that grew too
    // large also closes the connection after the answer; a declared one is drained to its end, so
    // that the client, still writing, is not cut off before it reads the answer.
    const refuse = (e: MatrixError, close: boolean): void => {
      if (close) {
        res.setHeader('Connection', 'close');
        reject(e);
      } else {
        // Answered once the client has sent what it declared: an answer before that is often lost
        // to a reset (EPIPE) while the client is still writing.
        req.once('end', () => reject(e));
        req.once('close', () => reject(e));
      }
      req.resume();
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      refuse(tooLarge(`request body of ${declared} bytes is over the limit of ${limit} bytes`), false);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        chunks.length = 0;
        // Only a body of unknown length can get here (Node delivers no more than a declared length,
        // and a declared one over the limit was refused above): close after the answer.
        refuse(tooLarge(`request body is over the limit of ${limit} bytes`), true);
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Deeper JSON than this is refused: nothing in Matrix nests so deep, and recursive code (canonical JSON, hashing) must not overflow the stack. */
export const MAX_JSON_DEPTH = 256;

/** Parses a request body as a JSON object in UTF-8 (server-kit/json-body.ts), refusing rather than altering what does not fit. */
export function parseJsonBody(raw: Buffer): unknown {
  const r = parseJsonObjectBody(raw, MAX_JSON_DEPTH);
  if (!r.ok) throw new MatrixError(400, r.problem.errcode, r.problem.message);
  return r.value;
}

function extractToken(req: IncomingMessage, query: URLSearchParams): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (m) return m[1]!;
  }
  return query.get('access_token');
}

/** Handles one request through the router; exported for tests that call it without a socket. */
export async function handleRequest(opts: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomBytes(6).toString('hex');
  const started = performance.now();
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  let status = 500;
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  try {
    if (method === 'OPTIONS') {
      status = 204;
      res.writeHead(204, PREFLIGHT_HEADERS);
      res.end();
      return;
    }
    // URL parsing resolves `.`/`..` segments (also percent-encoded ones): `/rooms/../account_data`
    // would reach another endpoint than the one the client (or a proxy's rule) named. Refused.
    if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test((req.url ?? '/').split('?')[0]!)) {
      throw new MatrixError(400, 'M_UNRECOGNIZED', 'request path contains a "." or ".." segment');
    }
    const found = opts.router.find(method === 'HEAD' ? 'GET' : method, path);
    if (!('spec' in found)) {
      if (found.allowed.length > 0) {
        throw new MatrixError(405, 'M_UNRECOGNIZED', `method ${method} is not allowed on ${path}`);
      }
      // Logged so that a client relying on an endpoint we lack shows up in tests and operations.
      opts.logger.warn('unrecognized endpoint', { requestId, method, route: path.replace(/\/(\$|!|@|#)[^/]*/g, '/$1…') });
      throw unrecognized(`unrecognized request: ${method} ${path}`);
    }
    const { spec, params } = found;
    const ip = req.socket.remoteAddress ?? 'unknown';
    let auth: Auth | undefined;
    if (spec.auth !== 'none') {
      const token = extractToken(req, url.searchParams);
      if (token) {
        const a = opts.authenticator.authenticate(token, url.searchParams);
        if (!a) throw unknownToken();
        auth = a;
      } else if (spec.auth === 'required') {
        throw missingToken();
      }
    }
    if (spec.rateLimited && !(auth && opts.isRateLimitExempt(auth))) {
      const wait = opts.rateLimiter.take(auth ? `u:${auth.userId}` : `ip:${ip}`);
      if (wait > 0) {
        const e = limitExceeded(wait);
        status = e.status;
        await sendJson(req, res, e.status, e.toJSON(), { 'Retry-After': String(Math.ceil(wait / 1000)) });
        return;
      }
    }
    let body: unknown = undefined;
    if (method === 'POST' || method === 'PUT' || method === 'DELETE') {
      const raw = await readBody(req, res, opts.maxBodyBytes);
      if (raw.length > 0) {
        body = parseJsonBody(raw);
      } else if (method !== 'DELETE') {
        body = {};
      }
    }
    const ctx: RequestContext = {
      method, path, rawTarget: req.url ?? path, params, query: url.searchParams, body, headers: req.headers, ip, requestId,
      signal: ac.signal, ...(auth ? { auth } : {}),
    };
    const result = await spec.handler(ctx as RequestContext & { auth: Auth });
    if (isReply(result)) {
      status = result.status;
      await sendJson(req, res, result.status, result.body, result.headers);
    } else {
      status = 200;
      await sendJson(req, res, 200, result);
    }
  } catch (e) {
    if (e instanceof MatrixError) {
      status = e.status;
      await sendJson(req, res, e.status, e.toJSON(), e.status === 429 ? { 'Retry-After': String(Math.ceil(Number(e.extra['retry_after_ms'] ?? 1000) / 1000)) } : undefined);
    } else if (isStorageFull(e)) {
      // The write rolled back: a clear, retryable error instead of a generic 500 (clients retry 5xx).
      status = STORAGE_FULL_STATUS;
      opts.logger.error('storage full', { requestId, method, route: path.replace(/\/(\$|!|@|#)[^/]*/g, '/$1…'), error: (e as Error).message });
      await sendJson(req, res, STORAGE_FULL_STATUS, { ...STORAGE_FULL_BODY });
    } else {
      status = 500;
      opts.logger.error('request failed', { requestId, method, route: path, error: (e as Error).message, stack: (e as Error).stack });
      await sendJson(req, res, 500, { errcode: 'M_UNKNOWN', error: 'Internal server error' });
    }
  } finally {
    opts.logger.debug('request', { requestId, method, route: path.replace(/\/(\$|!|@)[^/]*/g, '/$1…'), status, ms: Math.round(performance.now() - started) });
  }
}

export function createHttpServer(opts: HttpServerOptions): Server {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
    void handleRequest(opts, req, res);
  });
  server.on('clientError', answerClientError);
  return server;
}
