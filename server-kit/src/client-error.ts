// What an HTTP server of ours answers when Node's parser refuses a request before any handler runs.
import type { Duplex } from 'node:stream';

/**
 * Answers a request Node's HTTP parser refused before any handler ran (request line or headers
 * over the limit, malformed HTTP) with a Matrix JSON error instead of Node's bare status line. The
 * socket is ended, not destroyed, and what the client still sends is drained, so that the client
 * reads the answer rather than a connection reset.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooBig = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooBig ? 431 : 400;
  const body = JSON.stringify(tooBig
    ? { errcode: 'M_TOO_LARGE', error: 'request line and headers are over the size limit' }
    : { errcode: 'M_UNRECOGNIZED', error: 'malformed HTTP request' });
  socket.end(`HTTP/1.1 ${status} ${tooBig ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n${body}`);
  socket.resume();
  setTimeout(() => socket.destroy(), 5_000).unref();
}
