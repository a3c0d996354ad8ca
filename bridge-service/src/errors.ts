// The one error type of the bridge: an HTTP status, a Matrix-style errcode and a message safe to show
// a client. Services throw it; the error middleware turns it into `{ errcode, error }`.

export class BridgeError extends Error {
  readonly status: number;
  readonly errcode: string;
  /** Extra fields merged into the response body (e.g. `retry_after_ms`, `problems`). */
  readonly extra: Record<string, unknown>;

  constructor(status: number, errcode: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.errcode = errcode;
    this.extra = extra;
  }
}

export const missingToken = (m = 'Missing session token'): BridgeError => new BridgeError(401, 'M_MISSING_TOKEN', m);
export const unknownToken = (m = 'Unknown, expired or revoked session token'): BridgeError => new BridgeError(401, 'M_UNKNOWN_TOKEN', m);
export const forbidden = (m: string): BridgeError => new BridgeError(403, 'M_FORBIDDEN', m);
export const notFound = (m: string): BridgeError => new BridgeError(404, 'M_NOT_FOUND', m);
export const badJson = (m: string, extra: Record<string, unknown> = {}): BridgeError => new BridgeError(400, 'M_BAD_JSON', m, extra);
export const invalidParam = (m: string): BridgeError => new BridgeError(400, 'M_INVALID_PARAM', m);
export const limitExceeded = (retryAfterMs: number): BridgeError =>
  new BridgeError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs });
