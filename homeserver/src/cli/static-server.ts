// Serves the built web client (web-client/dist) for `npm start`, the way a production reverse proxy
// would: hashed assets cached forever, the app shell and service worker revalidated on every load,
// config.json generated so the client points at the demo homeserver, and nothing outside the root.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Vite names built assets `name-<hash>.ext` under assets/; their content never changes under a name. */
const HASHED_ASSET = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export function contentTypeFor(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export function cacheControlFor(urlPath: string): string {
  return HASHED_ASSET.test(urlPath) ? IMMUTABLE : REVALIDATE;
}

export interface WebServerOptions {
  /** The folder to serve (web-client/dist). */
  root: string;
  port: number;
  host?: string;
  /** When given, GET /config.json answers with this object instead of the file on disk. */
  config?: Record<string, unknown>;
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Maps a request path onto a file under root, or null when it would leave root (`..`, encoded
 * separators, NUL bytes). The caller answers 400 for null.
 */
export function resolveUnderRoot(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').includes('..')) return null;
  const file = resolve(root, `.${decoded}`);
  return file === root || file.startsWith(root + sep) ? file : null;
}

async function fileAt(path: string, root: string): Promise<{ path: string; size: number; mtimeMs: number } | null> {
  try {
    const real = await realpath(path);
    // A symlink inside the folder must not lead out of it.
    if (real !== root && !real.startsWith(root + sep)) return null;
    const s = await stat(real);
    return s.isFile() ? { path: real, size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(buf.length), ...headers });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

async function handle(root: string, config: Record<string, unknown> | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, 405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }, 'Method not allowed\n');
    return;
  }
  const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (config && urlPath === '/config.json') {
    send(req, res, 200, { 'Content-Type': contentTypeFor(urlPath), 'Cache-Control': REVALIDATE }, JSON.stringify(config, null, 2));
    return;
  }
  const requested = resolveUnderRoot(root, urlPath);
  if (requested === null) {
    send(req, res, 400, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Bad request\n');
    return;
  }
  let file = await fileAt(requested, root);
  let servedPath = urlPath;
  // Client-side routes (no file extension) get the app shell; a missing asset is a plain 404 so a
  // stale chunk never turns into HTML parsed as JavaScript.
  if (!file && extname(urlPath) === '') {
    file = await fileAt(resolve(root, 'index.html'), root);
    servedPath = '/index.html';
  }
  if (!file) {
    send(req, res, 404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': REVALIDATE }, 'Not found\n');
    return;
  }
  const etag = `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
  const headers = { 'Content-Type': contentTypeFor(file.path), 'Cache-Control': cacheControlFor(servedPath), ETag: etag };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  send(req, res, 200, headers, await readFile(file.path));
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const root = await realpath(resolve(opts.root));
  const server: Server = createServer((req, res) => {
    handle(root, opts.config, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, host, () => { server.off('error', fail); ok(); });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
