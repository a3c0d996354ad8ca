// Server names as the spec's appendix "Server Name" defines them (`hostname[:port]`, where the
// hostname may be an IPv4 literal, a bracketed IPv6 literal or a DNS name), and the name lists of
// the federation settings (allow-list, certificate-verification exceptions).
import { isIP } from 'node:net';
import { isValidServerName } from '../core/ids.ts';

export interface ParsedServerName {
  /** Hostname without brackets: `example.org`, `1.2.3.4`, `::1`. */
  host: string;
  /** The explicit port, or null when the name has none. */
  port: number | null;
  /** True for IPv4 and IPv6 literals. */
  isIpLiteral: boolean;
}

/** Splits a server name (or a delegated `m.server` value) into host and port; null when malformed. */
export function parseServerName(name: string): ParsedServerName | null {
  if (!isValidServerName(name)) return null;
  let host: string;
  let portText: string | undefined;
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    host = name.slice(1, end);
    const rest = name.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    portText = rest === '' ? undefined : rest.slice(1);
    if (isIP(host) !== 6) return null;
  } else {
    const colon = name.lastIndexOf(':');
    host = colon >= 0 ? name.slice(0, colon) : name;
    portText = colon >= 0 ? name.slice(colon + 1) : undefined;
    // An unbracketed name that looks like a dotted quad must be a real IPv4 address.
    if (/^[0-9.]+$/.test(host) && isIP(host) !== 4) return null;
  }
  let port: number | null = null;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return null;
    port = Number(portText);
    if (port < 1 || port > 65535) return null;
  }
  return { host, port, isIpLiteral: isIP(host) !== 0 };
}

/** Lower-cases the DNS part so that `Example.ORG` and `example.org` compare equal; IP literals are kept. */
export function normaliseServerName(name: string): string {
  return name.toLowerCase();
}

/**
 * A list of server names from a setting. By default entries match whole server names exactly, as
 * Synapse's `federation_domain_whitelist` does. With `patterns`, an entry without a port matches
 * that host on any port and `*.example.org` matches every subdomain of example.org (as Synapse's
 * certificate-verification whitelist does) — for lists that name hosts rather than identities.
 */
export class ServerNameList {
  private readonly exact = new Set<string>();
  private readonly hostsAnyPort = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(entries: readonly string[], opts: { patterns?: boolean } = {}) {
    for (const raw of entries) {
      const e = normaliseServerName(raw.trim());
      if (opts.patterns && e.startsWith('*.')) this.suffixes.push(e.slice(1));
      else if (opts.patterns && parseServerName(e)?.port === null) this.hostsAnyPort.add(e);
      else this.exact.add(e);
    }
  }

  get size(): number {
    return this.exact.size + this.hostsAnyPort.size + this.suffixes.length;
  }

  has(serverName: string): boolean {
    const name = normaliseServerName(serverName);
    if (this.exact.has(name)) return true;
    const parsed = parseServerName(name);
    if (!parsed) return false;
    const host = parsed.isIpLiteral && parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
    if (this.hostsAnyPort.has(host)) return true;
    return this.suffixes.some((s) => host.endsWith(s) && host.length > s.length);
  }
}
