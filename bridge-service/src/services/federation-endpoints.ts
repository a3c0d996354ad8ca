// Where a Matrix server's federation API answers, for the OpenID userinfo check. Development
// deployments name each server's base URL in the bridge config (there is no DNS there, and their
// homeservers use self-signed certificates, accepted only when configured). Otherwise the
// specification's server discovery is followed: IP literal or explicit port, then
// /.well-known/matrix/server, then the _matrix-fed._tcp SRV record, then port 8448 — and the
// certificate must be valid for the server name (or the delegated host).
import { request as httpsRequest } from 'node:https';
import { resolveSrv } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface FederationEndpoint {
  /** Host to connect to. */
  host: string;
  port: number;
  /** Name the TLS certificate must be valid for (and SNI). */
  tlsName: string;
  /** Host header. */
  hostHeader: string;
  acceptSelfSigned: boolean;
}

export interface HttpsResult {
  status: number;
  body: Buffer;
}

export interface HttpsGetOptions {
  timeoutMs: number;
  maxBytes: number;
  acceptSelfSigned: boolean;
  tlsName: string;
  hostHeader: string;
}

/** One HTTPS GET with a size cap and time-out; rejects on network/TLS failure. */
export function httpsGet(host: string, port: number, path: string, o: HttpsGetOptions): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host, port, path, method: 'GET',
      servername: isIP(o.tlsName) === 0 ? o.tlsName : undefined,
      rejectUnauthorized: !o.acceptSelfSigned,
      headers: { Host: o.hostHeader, Accept: 'application/json', 'User-Agent': 'peerline-bridge' },
      timeout: o.timeoutMs,
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBytes) {
          req.destroy(new Error(`response larger than ${o.maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function splitHostPort(name: string): { host: string; port: number | null } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(name);
  if (!m) return { host: name, port: null };
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] !== undefined ? Number(m[2]) : null };
}

interface Cached { endpoint: FederationEndpoint; until: number }

export class FederationEndpoints {
  private readonly configured: Record<string, { url: string; accept_self_signed: boolean }>;
  private readonly cache = new Map<string, Cached>();
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(opts: { configured: Record<string, { url: string; accept_self_signed: boolean }>; timeoutMs?: number; now?: () => number }) {
    this.configured = opts.configured;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  async resolve(serverName: string): Promise<FederationEndpoint> {
    const dev = this.configured[serverName];
    if (dev) {
      const u = new URL(dev.url);
      const host = u.hostname.replace(/^\[|\]$/g, '');
      return { host, port: u.port ? Number(u.port) : 443, tlsName: host, hostHeader: serverName, acceptSelfSigned: dev.accept_self_signed };
    }
    const hit = this.cache.get(serverName);
    if (hit && hit.until > this.now()) return hit.endpoint;
    const endpoint = await this.discover(serverName);
    this.cache.set(serverName, { endpoint, until: this.now() + 10 * 60_000 });
    return endpoint;
  }

  private async discover(serverName: string): Promise<FederationEndpoint> {
    const { host, port } = splitHostPort(serverName);
    if (isIP(host) !== 0 || port !== null) {
      return { host, port: port ?? 8448, tlsName: host, hostHeader: serverName, acceptSelfSigned: false };
    }
    const delegated = await this.wellKnown(host);
    if (delegated) {
      const d = splitHostPort(delegated);
      if (isIP(d.host) !== 0 || d.port !== null) {
        return { host: d.host, port: d.port ?? 8448, tlsName: d.host, hostHeader: delegated, acceptSelfSigned: false };
      }
      const srv = await this.srv(d.host);
      return srv
        ? { host: srv.name, port: srv.port, tlsName: d.host, hostHeader: d.host, acceptSelfSigned: false }
        : { host: d.host, port: 8448, tlsName: d.host, hostHeader: d.host, acceptSelfSigned: false };
    }
    const srv = await this.srv(host);
    return srv
      ? { host: srv.name, port: srv.port, tlsName: host, hostHeader: host, acceptSelfSigned: false }
      : { host, port: 8448, tlsName: host, hostHeader: host, acceptSelfSigned: false };
  }

  private async wellKnown(host: string): Promise<string | null> {
    try {
      const res = await httpsGet(host, 443, '/.well-known/matrix/server', {
        timeoutMs: this.timeoutMs, maxBytes: 50 * 1024, acceptSelfSigned: false, tlsName: host, hostHeader: host,
      });
      if (res.status !== 200) return null;
      const doc = JSON.parse(res.body.toString('utf8')) as { 'm.server'?: unknown };
      return typeof doc['m.server'] === 'string' && doc['m.server'] !== '' ? doc['m.server'] : null;
    } catch {
      return null;
    }
  }

  private async srv(host: string): Promise<{ name: string; port: number } | null> {
    for (const prefix of ['_matrix-fed._tcp', '_matrix._tcp']) {
      try {
        const records = await resolveSrv(`${prefix}.${host}`);
        const best = records.sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
        if (best) return { name: best.name, port: best.port };
      } catch {
        // No record of this kind; try the next.
      }
    }
    return null;
  }
}
