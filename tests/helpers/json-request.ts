// A JSON request over node:http, optionally from a chosen local (loopback) address: the bridge limits
// sign-ins per client address, so load and benchmark scripts give each simulated person their own
// address (127.x.y.z), as if from their own device. The body of a non-JSON answer reads as {}.
import { request, type Agent } from 'node:http';

export interface JsonRequestOptions {
  token?: string;
  body?: unknown;
  /** Local address to send from. */
  from?: string;
  signal?: AbortSignal;
  agent?: Agent;
}

export function jsonRequest<T = Record<string, unknown>>(url: string, method: string, opts: JsonRequestOptions = {}): Promise<{ status: number; body: T }> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method, ...(opts.agent ? { agent: opts.agent } : {}), ...(opts.from ? { localAddress: opts.from } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
      headers: {
        ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
        ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = {};
        try { body = text ? JSON.parse(text) : {}; } catch { /* the status says enough */ }
        resolve({ status: res.statusCode ?? 0, body: body as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
