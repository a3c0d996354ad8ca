// Turns every failure into a JSON `{ errcode, error }` response. BridgeErrors carry their status and
// message; anything else is a 500 with a generic message — stack traces and SQL stay in the log.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { BridgeError } from '../errors.ts';
import { isStorageFull, STORAGE_FULL_BODY, STORAGE_FULL_STATUS } from '../../../server-kit/src/storage-full.ts';
import type { AppEnv } from './context.ts';

export function errorResponse(c: Context<AppEnv>, err: BridgeError): Response {
  return c.json({ errcode: err.errcode, error: err.message, ...err.extra }, err.status as 400);
}

export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof BridgeError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    const status = err.status;
    const errcode = status === 413 ? 'M_TOO_LARGE' : status === 401 ? 'M_MISSING_TOKEN' : status === 403 ? 'M_FORBIDDEN' : 'M_UNKNOWN';
    return c.json({ errcode, error: status === 413 ? 'Request body too large' : err.message || 'Request failed' }, status);
  }
  if (isStorageFull(err)) {
    // The write rolled back: a clear, retryable error naming storage instead of a generic 500.
    c.get('logger')?.error('storage full', { error: err.message });
    return c.json({ ...STORAGE_FULL_BODY }, STORAGE_FULL_STATUS);
  }
  c.get('logger')?.error('request failed', { error: err.message, stack: err.stack?.split('\n').slice(0, 6).join(' | ') });
  return c.json({ errcode: 'M_UNKNOWN', error: 'Internal server error' }, 500);
}

export function notFoundHandler(c: Context<AppEnv>): Response {
  return c.json({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }, 404);
}
