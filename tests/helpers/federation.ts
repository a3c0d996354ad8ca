// Federation from the test process: act as a homeserver of our own (a fake server with its own
// signing key and self-signed certificate, answering key requests and recording what it receives),
// make X-Matrix-signed requests to a homeserver's federation port (correct or deliberately forged),
// or use the homeserver's real FederationClient with a real server's identity.
import { request as httpsRequest, createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, type SigningKey } from '../../homeserver/src/core/signing.ts';
import { loadOrCreateSigningKey } from '../../homeserver/src/services/keys/server-keys.ts';
import { parseXMatrix, signRequest, verifyRequestSignature } from '../../homeserver/src/federation/x-matrix.ts';
import { ownKeyResponse } from '../../homeserver/src/federation/key-response.ts';
import { loadOrCreateTlsCredentials } from '../../homeserver/src/federation/tls.ts';
import { ServerDiscovery } from '../../homeserver/src/federation/discovery.ts';
import { FederationTransport } from '../../homeserver/src/federation/transport.ts';
import { FederationClient, encodeQuery, type QueryValue } from '../../homeserver/src/federation/federation-client.ts';
import { createLogger } from '../../homeserver/src/logger.ts';
import { freePort } from './ports.ts';

export interface ServerIdentity {
  serverName: string;
  signingKey: SigningKey;
}

/** Where a homeserver's federation listener is. */
export interface FederationTarget {
  serverName: string;
  federationPort: number;
}

/** A running test homeserver's identity, read from its data directory (signing.key). */
export function identityOf(hs: { serverName: string; dataDir: string }): ServerIdentity {
  return { serverName: hs.serverName, signingKey: loadOrCreateSigningKey(hs.dataDir) };
}

/** The self-signed development certificate a test homeserver generated for its federation listener. */
export function federationCertificatePath(hs: { dataDir: string }): string {
  return join(hs.dataDir, 'federation-tls.crt');
}

export interface FederationResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: IncomingHttpHeaders;
}

/**
 * A raw HTTPS request to a homeserver's federation port (certificate not checked: the homeserver's
 * checks are what tests are about). `authorization: null` sends none.
 */
export function rawFederationRequest<T = Record<string, unknown>>(target: FederationTarget, method: string, uri: string, opts: { body?: unknown; authorization?: string | null } = {}): Promise<FederationResponse<T>> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port: target.federationPort, method, path: uri, rejectUnauthorized: false, servername: 'localhost',
      headers: {
        Host: target.serverName,
        ...(opts.authorization ? { Authorization: opts.authorization } : {}),
        ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : {};
        } catch {
          body = { raw: text };
        }
        resolve({ status: res.statusCode ?? 0, body: body as T, headers: res.headers });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface SignedRequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** The destination to sign for and name in the header; null leaves it out (pre-v1.3 servers). */
  destination?: string | null;
  /** Claim another origin than the signer's server name (forgery). */
  origin?: string;
  /** Sign this request target instead of the one sent (tampering). */
  signedUri?: string;
  /** Sign this body instead of the one sent (tampering). */
  signedBody?: unknown;
}

/** An X-Matrix-signed request from `as` to `target`, with knobs to forge it. */
export function signedFederationRequest<T = Record<string, unknown>>(as: ServerIdentity, target: FederationTarget, method: string, path: string, opts: SignedRequestOptions = {}): Promise<FederationResponse<T>> {
  const qs = opts.query ? encodeQuery(opts.query) : '';
  const uri = qs ? `${path}?${qs}` : path;
  const destination = opts.destination === undefined ? target.serverName : opts.destination;
  const body = opts.body ?? (method === 'PUT' || method === 'POST' ? {} : undefined);
  let authorization = signRequest({
    method, uri: opts.signedUri ?? uri, origin: opts.origin ?? as.serverName, destination: destination ?? target.serverName,
    content: 'signedBody' in opts ? opts.signedBody : body,
  }, as.signingKey);
  if (destination === null) authorization = authorization.replace(/destination="[^"]*",/, '');
  return rawFederationRequest<T>(target, method, uri, { body, authorization });
}

/** The homeserver's own FederationClient, run in the test process with a server's identity. */
export function federationClientAs(as: ServerIdentity, opts: { insecureSkipVerifyFor?: string[]; caFile?: string } = {}): { client: FederationClient; close(): void } {
  const logger = createLogger('error', {}, () => undefined);
  const transport = new FederationTransport({ caFile: opts.caFile ?? null, insecureSkipVerifyFor: opts.insecureSkipVerifyFor ?? [], userAgent: 'peerline-tests' });
  const discovery = new ServerDiscovery({ fetchWellKnown: (h) => transport.fetchWellKnown(h), now: () => Date.now() });
  const client = new FederationClient({ serverName: as.serverName, signingKey: as.signingKey, discovery, transport, isAllowed: () => true, logger });
  return { client, close: () => transport.close() };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

/**
 * Whether a request a fake server received carries a valid X-Matrix signature by `from` (a
 * homeserver's identity, see identityOf) for `destination`.
 */
export function isSignedBy(r: ReceivedRequest, from: ServerIdentity, destination: string): boolean {
  if (!r.authorization) return false;
  let auth;
  try {
    auth = parseXMatrix(r.authorization);
  } catch {
    return false;
  }
  if (auth.origin !== from.serverName || auth.key !== from.signingKey.keyId || (auth.destination !== null && auth.destination !== destination)) return false;
  return verifyRequestSignature({ method: r.method, uri: r.url, origin: from.serverName, destination, content: r.body }, auth.sig, from.signingKey.publicKeyBase64);
}

export type FakeRoute = (req: ReceivedRequest) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>;

export interface FakeServer extends ServerIdentity, FederationTarget {
  /** Its self-signed certificate (for a homeserver's federation_ca_file). */
  certPath: string;
  /** Every request it received, in order. */
  received: ReceivedRequest[];
  /** Answers `METHOD /path` (path without query) with a handler; unknown routes get 404 M_UNRECOGNIZED. */
  route(method: string, path: string, handler: FakeRoute): void;
  /** A signed request from this server to a homeserver. */
  request<T = Record<string, unknown>>(target: FederationTarget, method: string, path: string, opts?: SignedRequestOptions): Promise<FederationResponse<T>>;
  stop(): Promise<void>;
}

/**
 * A fake homeserver `localhost:<port>` on loopback: HTTPS with its own self-signed certificate,
 * `GET /_matrix/key/v2/server` signed with its own key, and routes tests add. It does not check
 * the X-Matrix signatures of what it receives; tests read `received` instead.
 */
export async function startFakeServer(opts: { port?: number } = {}): Promise<FakeServer> {
  const port = opts.port ?? await freePort();
  const serverName = `localhost:${port}`;
  const signingKey = generateSigningKey();
  const dir = mkdtempSync(join(tmpdir(), 'peerline-fake-'));
  const creds = loadOrCreateTlsCredentials(
    { server_name: serverName, bind_address: '127.0.0.1', data_dir: dir, tls_certificate_path: null, tls_private_key_path: null },
    createLogger('error', {}, () => undefined),
  );
  const routes = new Map<string, FakeRoute>();
  routes.set('GET /_matrix/key/v2/server', () => ({ status: 200, body: ownKeyResponse(serverName, signingKey, [], Date.now()) }));
  const received: ReceivedRequest[] = [];
  const server: Server = createServer({ cert: creds.cert, key: creds.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const r: ReceivedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization, body };
      received.push(r);
      const handler = routes.get(`${r.method} ${r.url.split('?')[0]}`);
      void Promise.resolve(handler ? handler(r) : { status: 404, body: { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' } }).then((out) => {
        const json = JSON.stringify(out.body);
        res.writeHead(out.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
        res.end(json);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.address() as AddressInfo).port;
  const self: FakeServer = {
    serverName, federationPort: actualPort, signingKey, certPath: creds.certPath, received,
    route: (method, path, handler) => routes.set(`${method} ${path}`, handler),
    request: (target, method, path, o) => signedFederationRequest(self, target, method, path, o),
    stop: () => new Promise<void>((resolve) => {
      server.close(() => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      });
      server.closeAllConnections();
    }),
  };
  return self;
}
