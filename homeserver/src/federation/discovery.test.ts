import { describe, expect, it } from 'vitest';
import { parseCacheControl, ServerDiscovery, type WellKnownResult } from './discovery.ts';
import { parseServerName, ServerNameList } from './server-name.ts';

function discoveryWith(answers: Record<string, WellKnownResult>, clock = { t: 0 }) {
  const asked: string[] = [];
  const d = new ServerDiscovery({
    now: () => clock.t,
    fetchWellKnown: async (host) => {
      asked.push(host);
      return answers[host] ?? { kind: 'invalid', reason: 'status 404' };
    },
  });
  return { d, asked, clock };
}

const ok = (mServer: unknown, maxAgeMs: number | null = null, noStore = false): WellKnownResult => ({ kind: 'ok', mServer, maxAgeMs, noStore });

describe('parsing server names', () => {
  it.each([
    ['example.org', { host: 'example.org', port: null, isIpLiteral: false }],
    ['example.org:8449', { host: 'example.org', port: 8449, isIpLiteral: false }],
    ['192.0.2.1', { host: '192.0.2.1', port: null, isIpLiteral: true }],
    ['192.0.2.1:80', { host: '192.0.2.1', port: 80, isIpLiteral: true }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: null, isIpLiteral: true }],
    ['[2001:db8::1]:8449', { host: '2001:db8::1', port: 8449, isIpLiteral: true }],
    ['localhost:1234', { host: 'localhost', port: 1234, isIpLiteral: false }],
  ])('splits %s', (name, expected) => {
    expect(parseServerName(name)).toEqual(expected);
  });

  it.each(['', 'example.org:', 'example.org:0', 'example.org:65536', '[::1', '[not-ip]:80', '999.1.1.1', 'a b'])('rejects %j', (name) => {
    expect(parseServerName(name)).toBeNull();
  });
});

describe('resolving server names (spec "Resolving server names")', () => {
  // [server name, .well-known answer for its host, expected host, port, Host header, certificate name, SNI]
  const table: [string, WellKnownResult | null, string, number, string, string, string | null][] = [
    // Step 1: IP literals, with or without port; no SNI.
    ['192.0.2.1', null, '192.0.2.1', 8448, '192.0.2.1', '192.0.2.1', null],
    ['192.0.2.1:8449', null, '192.0.2.1', 8449, '192.0.2.1:8449', '192.0.2.1', null],
    ['[2001:db8::1]', null, '2001:db8::1', 8448, '[2001:db8::1]', '2001:db8::1', null],
    ['[2001:db8::1]:8449', null, '2001:db8::1', 8449, '[2001:db8::1]:8449', '2001:db8::1', null],
    // Step 2: hostname with explicit port.
    ['example.org:8449', null, 'example.org', 8449, 'example.org:8449', 'example.org', 'example.org'],
    ['localhost:12345', null, 'localhost', 12345, 'localhost:12345', 'localhost', 'localhost'],
    // Step 3.1: delegated to an IP literal.
    ['example.org', ok('192.0.2.7:1234'), '192.0.2.7', 1234, '192.0.2.7:1234', '192.0.2.7', null],
    ['example.org', ok('[2001:db8::7]'), '2001:db8::7', 8448, '[2001:db8::7]', '2001:db8::7', null],
    // Step 3.2: delegated hostname with port.
    ['example.org', ok('matrix.example.net:443'), 'matrix.example.net', 443, 'matrix.example.net:443', 'matrix.example.net', 'matrix.example.net'],
    // Step 3.5 (no SRV here): delegated hostname without port → 8448.
    ['example.org', ok('matrix.example.net'), 'matrix.example.net', 8448, 'matrix.example.net', 'matrix.example.net', 'matrix.example.net'],
    // Step 6 (no SRV here): no usable .well-known → the hostname on 8448.
    ['example.org', { kind: 'invalid', reason: 'status 404' }, 'example.org', 8448, 'example.org', 'example.org', 'example.org'],
    ['example.org', { kind: 'unreachable', reason: 'ECONNREFUSED' }, 'example.org', 8448, 'example.org', 'example.org', 'example.org'],
    ['example.org', ok(42), 'example.org', 8448, 'example.org', 'example.org', 'example.org'],
    ['example.org', ok('not a server name!'), 'example.org', 8448, 'example.org', 'example.org', 'example.org'],
  ];
  it.each(table)('resolves %s (well-known %j) to %s:%i, Host %s, certificate for %s', async (name, wk, host, port, hostHeader, certificateName, sni) => {
    const { d, asked } = discoveryWith(wk ? { [parseServerName(name)!.host]: wk } : {});
    const r = await d.resolve(name);
    expect({ host: r.host, port: r.port, hostHeader: r.hostHeader, certificateName: r.certificateName, sni: r.sni }).toEqual({ host, port, hostHeader, certificateName, sni });
    expect(r.serverName).toBe(name);
    // .well-known is consulted only for hostnames without a port.
    const p = parseServerName(name)!;
    expect(asked).toEqual(p.isIpLiteral || p.port !== null ? [] : [p.host]);
  });

  it('caches a delegation for its max-age and asks again afterwards', async () => {
    const { d, asked, clock } = discoveryWith({ 'example.org': ok('m.example.net:1', 600_000) });
    await d.resolve('example.org');
    clock.t = 599_999;
    await d.resolve('example.org');
    expect(asked).toHaveLength(1);
    clock.t = 600_001;
    await d.resolve('example.org');
    expect(asked).toHaveLength(2);
  });

  it('caches a delegation without cache headers for 24 hours and caps max-age at 48 hours', async () => {
    const a = discoveryWith({ 'example.org': ok('m.example.net:1') });
    await a.d.resolve('example.org');
    a.clock.t = 24 * 3600_000 - 1;
    await a.d.resolve('example.org');
    expect(a.asked).toHaveLength(1);
    a.clock.t = 24 * 3600_000 + 1;
    await a.d.resolve('example.org');
    expect(a.asked).toHaveLength(2);

    const b = discoveryWith({ 'example.org': ok('m.example.net:1', 30 * 24 * 3600_000) });
    await b.d.resolve('example.org');
    b.clock.t = 48 * 3600_000 + 1;
    await b.d.resolve('example.org');
    expect(b.asked).toHaveLength(2);
  });

  it('does not cache a no-store delegation', async () => {
    const { d, asked } = discoveryWith({ 'example.org': ok('m.example.net:1', null, true) });
    await d.resolve('example.org');
    await d.resolve('example.org');
    expect(asked).toHaveLength(2);
  });

  it('caches an invalid .well-known for an hour', async () => {
    const { d, asked, clock } = discoveryWith({});
    await d.resolve('example.org');
    clock.t = 3600_000 - 1;
    await d.resolve('example.org');
    expect(asked).toHaveLength(1);
    clock.t = 3600_000 + 1;
    await d.resolve('example.org');
    expect(asked).toHaveLength(2);
  });

  it('backs off exponentially while .well-known is unreachable', async () => {
    const { d, asked, clock } = discoveryWith({ 'example.org': { kind: 'unreachable', reason: 'ECONNREFUSED' } });
    await d.resolve('example.org'); // failure 1 → retry after 1 min
    clock.t = 60_001;
    await d.resolve('example.org'); // failure 2 → retry after 2 min
    expect(asked).toHaveLength(2);
    clock.t = 60_001 + 119_000;
    await d.resolve('example.org');
    expect(asked).toHaveLength(2);
    clock.t = 60_001 + 120_001;
    await d.resolve('example.org');
    expect(asked).toHaveLength(3);
  });

  it('asks once for concurrent resolutions of the same name', async () => {
    const { d, asked } = discoveryWith({ 'example.org': ok('m.example.net:1') });
    await Promise.all([d.resolve('example.org'), d.resolve('example.org'), d.resolve('example.org')]);
    expect(asked).toHaveLength(1);
  });

  it('reads max-age and no-store from Cache-Control', () => {
    expect(parseCacheControl('public, max-age=3600')).toEqual({ maxAgeMs: 3600_000, noStore: false });
    expect(parseCacheControl('no-store')).toEqual({ maxAgeMs: null, noStore: true });
    expect(parseCacheControl(undefined)).toEqual({ maxAgeMs: null, noStore: false });
  });
});

describe('server name lists', () => {
  it('matches the allow-list exactly, port included', () => {
    const l = new ServerNameList(['a.example', 'b.example:8449']);
    expect(l.has('a.example')).toBe(true);
    expect(l.has('A.Example')).toBe(true);
    expect(l.has('a.example:8448')).toBe(false);
    expect(l.has('b.example:8449')).toBe(true);
    expect(l.has('b.example')).toBe(false);
    expect(l.has('sub.a.example')).toBe(false);
  });

  it('matches host patterns on any port and subdomain globs when patterns are enabled', () => {
    const l = new ServerNameList(['localhost', '*.dev.example'], { patterns: true });
    expect(l.has('localhost:12345')).toBe(true);
    expect(l.has('hs1.dev.example:8448')).toBe(true);
    expect(l.has('dev.example')).toBe(false);
    expect(l.has('evil-dev.example')).toBe(false);
  });
});
