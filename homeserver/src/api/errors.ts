// The one error type of the homeserver: carries the Matrix errcode, HTTP status and a message that
// names what was wrong. The HTTP layer turns it into the standard `{errcode, error}` response.

export class MatrixError extends Error {
  readonly status: number;
  readonly errcode: string;
  readonly extra: Record<string, unknown>;

  constructor(status: number, errcode: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.errcode = errcode;
    this.extra = extra;
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

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
