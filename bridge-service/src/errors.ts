// Errors of the bridge API: the services' shared HttpError (errcode, HTTP status, a message safe to
// show a client) and shorthands for the common ones; the error middleware renders them.

import { HttpError } from '../../server-kit/src/http-error.ts';

/** The bridge's name for the services' shared error type. */
export const BridgeError = HttpError;
export type BridgeError = HttpError;

export const missingToken = (m = 'Missing session token'): BridgeError => new BridgeError(401, 'M_MISSING_TOKEN', m);
export const unknownToken = (m = 'Unknown, expired or revoked session token'): BridgeError => new BridgeError(401, 'M_UNKNOWN_TOKEN', m);
export const forbidden = (m: string): BridgeError => new BridgeError(403, 'M_FORBIDDEN', m);
export const notFound = (m: string): BridgeError => new BridgeError(404, 'M_NOT_FOUND', m);
export const badJson = (m: string, extra: Record<string, unknown> = {}): BridgeError => new BridgeError(400, 'M_BAD_JSON', m, extra);
export const invalidParam = (m: string): BridgeError => new BridgeError(400, 'M_INVALID_PARAM', m);
export const limitExceeded = (retryAfterMs: number): BridgeError =>
  new BridgeError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs });
