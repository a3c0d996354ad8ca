// Errors of the Client-Server and Server-Server APIs: the services' shared HttpError (Matrix errcode,
// HTTP status, a message naming what was wrong) and shorthands for the common ones.

import { HttpError } from '../../../server-kit/src/http-error.ts';

/** The homeserver's name for the services' shared error type. */
export const MatrixError = HttpError;
export type MatrixError = HttpError;

export const forbidden = (msg: string): MatrixError => new MatrixError(403, 'M_FORBIDDEN', msg);
export const notFound = (msg: string): MatrixError => new MatrixError(404, 'M_NOT_FOUND', msg);
export const badJson = (msg: string): MatrixError => new MatrixError(400, 'M_BAD_JSON', msg);
export const missingParam = (msg: string): MatrixError => new MatrixError(400, 'M_MISSING_PARAM', msg);
export const invalidParam = (msg: string): MatrixError => new MatrixError(400, 'M_INVALID_PARAM', msg);
export const unknownToken = (msg = 'Unrecognised access token', softLogout = false): MatrixError =>
  new MatrixError(401, 'M_UNKNOWN_TOKEN', msg, { soft_logout: softLogout });
export const missingToken = (): MatrixError => new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token');
export const tooLarge = (msg: string): MatrixError => new MatrixError(413, 'M_TOO_LARGE', msg);
export const limitExceeded = (retryAfterMs: number): MatrixError =>
  new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs });
export const unrecognized = (msg: string): MatrixError => new MatrixError(404, 'M_UNRECOGNIZED', msg);
