// The one error type of the services' HTTP APIs: an HTTP status, a Matrix-style errcode and a message
// that names what was wrong and is safe to show a client. Each service's error middleware turns it
// into `{ errcode, error, ...extra }`.

export class HttpError extends Error {
  readonly status: number;
  readonly errcode: string;
  /** Extra fields merged into the response body (e.g. `retry_after_ms`, UIA `flows`). */
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
