// Outgoing HTTPS for federation: connects to a resolved server, checks its certificate against the
// name discovery says it must be valid for (the system's CAs plus `federation_ca_file`), and skips
// the check only for the development peers named in `federation_insecure_skip_verify_for`. Also
// fetches `.well-known/matrix/server` for discovery, following redirects without looping.
import { request as httpsRequest, Agent } from 'node:https';
import { checkServerIdentity, getCACertificates, rootCertificates, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { parseCacheControl, type ResolvedServer, type WellKnownResult } from './discovery.ts';
import { ServerNameList } from './server-name.ts';

export interface HttpsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SendOptions {
  method: string;
  /** Request target: path plus `?query`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
  maxResponseBytes?: number;
}

/** A request that got no HTTP response: refused, TLS failure, time-out, oversized response. */
export class FederationTransportError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024;
const WELL_KNOWN_MAX_BYTES = 50 * 1024;
const WELL_KNOWN_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;

/** Reads a CA bundle (PEM, one or more certificates); throws naming the setting when unusable. */
export function readCaBundle(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`setting 'federation_ca_file': cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`setting 'federation_ca_file': ${path} holds no PEM certificate`);
  return text;
}

export class FederationTransport {
  private readonly agent: Agent;
  private readonly ca: string[] | undefined;
  private readonly skipVerify: ServerNameList;
  private readonly userAgent: string;

  constructor(opts: { caFile: string | null; insecureSkipVerifyFor: readonly string[]; userAgent: string }) {
    // Node's `ca` replaces the default trust store, so a configured bundle is added to it.
    const defaults = typeof getCACertificates === 'function' ? getCACertificates('default') : [...rootCertificates];
    this.ca = opts.caFile ? [...defaults, readCaBundle(opts.caFile)] : undefined;
    this.skipVerify = new ServerNameList(opts.insecureSkipVerifyFor, { patterns: true });
    this.userAgent = opts.userAgent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4, timeout: 120_000 });
  }

  /** Whether certificates of this server (or the host it delegates to) are accepted unverified. */
  skipsVerificationFor(target: Pick<ResolvedServer, 'serverName' | 'delegatedTo' | 'host'>): boolean {
    if (this.skipVerify.size === 0) return false;
    return this.skipVerify.has(target.serverName) || (target.delegatedTo !== null && this.skipVerify.has(target.delegatedTo))
      || (isIP(target.host) === 0 && this.skipVerify.has(target.host));
  }

  async send(target: ResolvedServer, opts: SendOptions): Promise<HttpsResponse> {
    const skip = this.skipsVerificationFor(target);
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const limit = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const where = `${target.serverName} (${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port})`;
    return new Promise<HttpsResponse>((resolve, reject) => {
      const fail = (e: Error & { code?: string }): void => {
        if (signal.aborted) {
          const why = timeout.aborted ? 'timed out' : 'was cancelled';
          reject(new FederationTransportError(`request to ${where} ${why}`, timeout.aborted ? 'ETIMEDOUT' : 'ABORTED'));
          return;
        }
        reject(new FederationTransportError(`cannot reach ${where}: ${e.message}${e.code ? ` (${e.code})` : ''}`, e.code ?? 'EFAILED'));
      };
      const req = httpsRequest({
        agent: this.agent,
        host: target.host,
        port: target.port,
        method: opts.method,
        path: opts.path,
        headers: { 'User-Agent': this.userAgent, ...opts.headers, Host: target.hostHeader },
        // Empty servername: no SNI, as the spec asks for certificates expected to be for an IP.
        servername: target.sni ?? '',
        rejectUnauthorized: !skip,
        checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(target.certificateName, cert),
        ...(this.ca ? { ca: this.ca } : {}),
        signal,
      }, (res) => {
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > limit) {
          res.destroy();
          reject(new FederationTransportError(`response from ${where} is ${declared} bytes, over the limit of ${limit}`, 'ETOOLARGE'));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > limit) {
            res.destroy();
            reject(new FederationTransportError(`response from ${where} is over the limit of ${limit} bytes`, 'ETOOLARGE'));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end(opts.body);
    });
  }

  /** GET https://<hostname>/.well-known/matrix/server, following up to 5 redirects, never in a loop. */
  async fetchWellKnown(hostname: string): Promise<WellKnownResult> {
    let url = new URL(`https://${hostname.includes(':') ? `[${hostname}]` : hostname}/.well-known/matrix/server`);
    const seen = new Set<string>();
    for (let hop = 0; ; hop++) {
      if (seen.has(url.href)) return { kind: 'invalid', reason: `redirect loop at ${url.href}` };
      if (hop > MAX_REDIRECTS) return { kind: 'invalid', reason: `more than ${MAX_REDIRECTS} redirects` };
      seen.add(url.href);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const ip = isIP(host) !== 0;
      let res: HttpsResponse;
      try {
        res = await this.send({
          serverName: hostname, host, port: url.port ? Number(url.port) : 443, hostHeader: url.host,
          certificateName: host, sni: ip ? null : host, delegatedTo: null,
        }, { method: 'GET', path: url.pathname + url.search, timeoutMs: WELL_KNOWN_TIMEOUT_MS, maxResponseBytes: WELL_KNOWN_MAX_BYTES });
      } catch (e) {
        if (e instanceof FederationTransportError && e.code === 'ETOOLARGE') return { kind: 'invalid', reason: e.message };
        return { kind: 'unreachable', reason: (e as Error).message };
      }
      if (res.status >= 300 && res.status < 400) {
        const location = res.headers.location;
        if (!location) return { kind: 'invalid', reason: `redirect ${res.status} without Location` };
        url = new URL(location, url);
        if (url.protocol !== 'https:') return { kind: 'invalid', reason: `redirect to non-HTTPS ${url.protocol}` };
        continue;
      }
      if (res.status !== 200) return { kind: 'invalid', reason: `status ${res.status}` };
      // "Servers parsing the response should assume that the body is JSON regardless of type."
      let body: unknown;
      try {
        body = JSON.parse(res.body.toString('utf8'));
      } catch {
        return { kind: 'invalid', reason: 'body is not JSON' };
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return { kind: 'invalid', reason: 'body is not a JSON object' };
      const cc = parseCacheControl(res.headers['cache-control']);
      return { kind: 'ok', mServer: (body as Record<string, unknown>)['m.server'], ...cc };
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
