// Server discovery (spec "Resolving server names"): turns a server name into the address to connect
// to, the Host header to send and the name the TLS certificate must be valid for.
//
// SRV records (steps 3.3, 3.4, 4 and 5) are not looked up: this homeserver runs where there is no
// DNS service to ask for them, and the spec itself recommends `.well-known` over SRV. A server that
// relies on SRV alone is reached on port 8448 of its hostname instead (step 6). Hostnames are resolved
// to addresses by the operating system's resolver when connecting (hosts file, A/AAAA records).
import type { Logger } from '../logger.ts';
import { parseServerName } from './server-name.ts';

export const DEFAULT_FEDERATION_PORT = 8448;

export interface ResolvedServer {
  serverName: string;
  /** What to connect to: an IP literal (no brackets) or a hostname for the OS resolver. */
  host: string;
  port: number;
  /** The Host header to send. */
  hostHeader: string;
  /** The name (hostname or IP) the server's certificate must be valid for. */
  certificateName: string;
  /** The TLS SNI to send; null for IP literals, where SNI is not used. */
  sni: string | null;
  /** The delegated server name from `.well-known`, when there was one. */
  delegatedTo: string | null;
}

/** The outcome of fetching `https://<hostname>/.well-known/matrix/server`. */
export type WellKnownResult =
  /** A 200 response whose body parsed; `mServer` is the raw `m.server` value when it was a string. */
  | { kind: 'ok'; mServer: unknown; maxAgeMs: number | null; noStore: boolean }
  /** The server answered, but not with a usable document (non-200, not JSON, a redirect loop…). */
  | { kind: 'invalid'; reason: string }
  /** No answer: connection refused, TLS failure, time-out. */
  | { kind: 'unreachable'; reason: string };

export type WellKnownFetcher = (hostname: string) => Promise<WellKnownResult>;

// Cache periods the spec recommends: 24 h by default, at most 48 h; errors up to an hour.
const DEFAULT_CACHE_MS = 24 * 3600_000;
const MAX_CACHE_MS = 48 * 3600_000;
const MIN_CACHE_MS = 5 * 60_000;
const INVALID_CACHE_MS = 3600_000;
// Unreachable servers: back off exponentially from one minute to the one-hour ceiling.
const UNREACHABLE_FIRST_MS = 60_000;

interface CacheEntry {
  delegated: string | null;
  expiresAt: number;
  failures: number;
}

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Resolves a (possibly delegated) name the way steps 1, 2 and 3.1–3.5/6 describe. `original` is the
 * server name; `name` is what to resolve — the server name itself, or its delegated name.
 */
export function resolveDirect(original: string, name: string, delegatedTo: string | null): ResolvedServer {
  const p = parseServerName(name);
  if (!p) throw new Error(`'${name}' is not a valid server name`);
  if (p.isIpLiteral) {
    // Steps 1 and 3.1: the IP and port; the certificate must be valid for the IP; no SNI.
    return {
      serverName: original, host: p.host, port: p.port ?? DEFAULT_FEDERATION_PORT,
      hostHeader: delegatedTo === null ? original : name, certificateName: p.host, sni: null, delegatedTo,
    };
  }
  // Steps 2, 3.2 and 3.5/6: the hostname and the explicit port or 8448; certificate and SNI for the hostname.
  return {
    serverName: original, host: p.host, port: p.port ?? DEFAULT_FEDERATION_PORT,
    hostHeader: delegatedTo === null ? original : (p.port === null ? p.host : `${bracketed(p.host)}:${p.port}`),
    certificateName: p.host, sni: p.host, delegatedTo,
  };
}

export class ServerDiscovery {
  private readonly fetchWellKnown: WellKnownFetcher;
  private readonly now: () => number;
  private readonly logger: Logger | null;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<string | null>>();

  constructor(opts: { fetchWellKnown: WellKnownFetcher; now: () => number; logger?: Logger }) {
    this.fetchWellKnown = opts.fetchWellKnown;
    this.now = opts.now;
    this.logger = opts.logger ?? null;
  }

  async resolve(serverName: string): Promise<ResolvedServer> {
    const p = parseServerName(serverName);
    if (!p) throw new Error(`'${serverName}' is not a valid server name`);
    // Steps 1 and 2: an IP literal or an explicit port is used as it is, without .well-known.
    if (p.isIpLiteral || p.port !== null) return resolveDirect(serverName, serverName, null);
    // Step 3: .well-known delegation, cached.
    const delegated = await this.delegationOf(p.host);
    return delegated === null ? resolveDirect(serverName, serverName, null) : resolveDirect(serverName, delegated, delegated);
  }

  /** Forgets cached delegations (tests, or an operator's reload). */
  clear(): void {
    this.cache.clear();
  }

  private async delegationOf(hostname: string): Promise<string | null> {
    const cached = this.cache.get(hostname);
    if (cached && cached.expiresAt > this.now()) return cached.delegated;
    let pending = this.inFlight.get(hostname);
    if (!pending) {
      pending = this.lookUp(hostname, cached?.failures ?? 0).finally(() => this.inFlight.delete(hostname));
      this.inFlight.set(hostname, pending);
    }
    return pending;
  }

  private async lookUp(hostname: string, priorFailures: number): Promise<string | null> {
    let result: WellKnownResult;
    try {
      result = await this.fetchWellKnown(hostname);
    } catch (e) {
      result = { kind: 'unreachable', reason: (e as Error).message };
    }
    const now = this.now();
    if (result.kind === 'unreachable') {
      const failures = priorFailures + 1;
      const ms = Math.min(UNREACHABLE_FIRST_MS * 2 ** (failures - 1), INVALID_CACHE_MS);
      this.cache.set(hostname, { delegated: null, expiresAt: now + ms, failures });
      this.logger?.debug('.well-known/matrix/server unreachable', { hostname, reason: result.reason, retry_in_ms: ms });
      return null;
    }
    if (result.kind === 'invalid') {
      this.cache.set(hostname, { delegated: null, expiresAt: now + INVALID_CACHE_MS, failures: 0 });
      this.logger?.debug('.well-known/matrix/server invalid', { hostname, reason: result.reason });
      return null;
    }
    const m = result.mServer;
    if (typeof m !== 'string' || parseServerName(m) === null) {
      this.cache.set(hostname, { delegated: null, expiresAt: now + INVALID_CACHE_MS, failures: 0 });
      this.logger?.debug('.well-known/matrix/server has no valid m.server', { hostname });
      return null;
    }
    if (!result.noStore) {
      const ms = Math.max(MIN_CACHE_MS, Math.min(result.maxAgeMs ?? DEFAULT_CACHE_MS, MAX_CACHE_MS));
      this.cache.set(hostname, { delegated: m, expiresAt: now + ms, failures: 0 });
    }
    return m;
  }
}

/** Reads `max-age` / `no-store` from a Cache-Control header. */
export function parseCacheControl(header: string | undefined): { maxAgeMs: number | null; noStore: boolean } {
  if (!header) return { maxAgeMs: null, noStore: false };
  let maxAgeMs: number | null = null;
  let noStore = false;
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2) as [string, string | undefined];
    const n = name.toLowerCase();
    if (n === 'no-store') noStore = true;
    else if (n === 'max-age' && value !== undefined && /^\d+$/.test(value.replace(/"/g, ''))) maxAgeMs = Number(value.replace(/"/g, '')) * 1000;
  }
  return { maxAgeMs, noStore };
}
