// One raw HTTP(S) request with a deadline: the fuzzer needs what fetch() will not send (paths with
// `..` left as they are, invalid UTF-8, chunked bodies without a length) and must tell a hang from
// an answer.
import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface RawRequest {
  https: boolean;
  port: number;
  method: string;
  /** The request target exactly as sent. */
  path: string;
  headers: OutgoingHttpHeaders;
  body?: Buffer;
  chunked?: boolean;
  timeoutMs: number;
}

export type RawResponse =
  | { kind: 'answer'; status: number; contentType: string; text: string }
  | { kind: 'timeout' }
  | { kind: 'error'; message: string };

// A connection per request: a server that closes a connection after a refused request must not
// make the next request on it look like a failure of its own.
const httpAgent = new HttpAgent({ keepAlive: false });
const httpsAgent = new HttpsAgent({ keepAlive: false, rejectUnauthorized: false });

export function sendRaw(r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve) => {
    const headers: OutgoingHttpHeaders = { ...r.headers };
    if (r.body && !r.chunked) headers['Content-Length'] = String(r.body.length);
    const req = (r.https ? httpsRequest : httpRequest)({
      host: '127.0.0.1', port: r.port, method: r.method, path: r.path, headers,
      agent: r.https ? httpsAgent : httpAgent, ...(r.https ? { servername: 'localhost', rejectUnauthorized: false } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ kind: 'answer', status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => { clearTimeout(timer); resolve({ kind: 'error', message: e.message }); });
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ kind: 'timeout' });
    }, r.timeoutMs);
    req.on('error', (e) => { clearTimeout(timer); resolve({ kind: 'error', message: e.message }); });
    if (r.body && r.chunked) {
      // Several chunks, so the server sees the body grow past its limit while reading.
      for (let i = 0; i < r.body.length; i += 64 * 1024) req.write(r.body.subarray(i, i + 64 * 1024));
      req.end();
    } else {
      req.end(r.body);
    }
  });
}
