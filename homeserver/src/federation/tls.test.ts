import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { generateSelfSignedCertificate, loadOrCreateTlsCredentials } from './tls.ts';
import { FederationTransport, FederationTransportError } from './transport.ts';
import type { ResolvedServer } from './discovery.ts';
import { createLogger } from '../logger.ts';

const logger = createLogger('error', {}, () => undefined);
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'peerline-tls-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const config = (dataDir: string, over: Record<string, unknown> = {}) => ({
  server_name: 'localhost:8448', bind_address: '127.0.0.1', data_dir: dataDir, tls_certificate_path: null, tls_private_key_path: null, ...over,
}) as Parameters<typeof loadOrCreateTlsCredentials>[0];

describe('federation TLS certificate', () => {
  it('generates a self-signed certificate valid for the given host names and addresses', () => {
    const { cert } = generateSelfSignedCertificate(['hs.example', 'localhost', '127.0.0.1', '::1']);
    const x = new X509Certificate(cert);
    expect(x.checkHost('hs.example')).toBe('hs.example');
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkHost('other.example')).toBeUndefined();
    expect(x.issuer).toBe(x.subject);
    expect(x.ca).toBe(false);
  });

  it('creates a development pair in the data directory once and reuses it', () => {
    const dir = tempDir();
    const first = loadOrCreateTlsCredentials(config(dir), logger);
    expect(first.source).toBe('development');
    expect(readFileSync(join(dir, 'federation-tls.crt'), 'utf8')).toBe(first.cert);
    expect(loadOrCreateTlsCredentials(config(dir), logger).cert).toBe(first.cert);
  });

  it('replaces the development certificate when the server name moves to a host it does not cover', () => {
    const dir = tempDir();
    const first = loadOrCreateTlsCredentials(config(dir), logger);
    const moved = loadOrCreateTlsCredentials(config(dir, { server_name: 'hs.example' }), logger);
    expect(moved.cert).not.toBe(first.cert);
    expect(new X509Certificate(moved.cert).checkHost('hs.example')).toBe('hs.example');
  });

  it('replaces a development certificate that expires within a week', () => {
    const dir = tempDir();
    const old = loadOrCreateTlsCredentials(config(dir), logger, Date.now() - 360 * 24 * 3600_000);
    expect(loadOrCreateTlsCredentials(config(dir), logger).cert).not.toBe(old.cert);
  });

  it('uses the configured certificate and key', () => {
    const dir = tempDir();
    const pair = generateSelfSignedCertificate(['hs.example']);
    writeFileSync(join(dir, 'c.pem'), pair.cert);
    writeFileSync(join(dir, 'k.pem'), pair.key);
    const creds = loadOrCreateTlsCredentials(config(dir, { tls_certificate_path: join(dir, 'c.pem'), tls_private_key_path: join(dir, 'k.pem') }), logger);
    expect(creds).toMatchObject({ source: 'configured', cert: pair.cert });
  });

  it('refuses a configured key that does not belong to the certificate, naming both settings', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.pem'), generateSelfSignedCertificate(['hs.example']).cert);
    writeFileSync(join(dir, 'k.pem'), generateSelfSignedCertificate(['hs.example']).key);
    expect(() => loadOrCreateTlsCredentials(config(dir, { tls_certificate_path: join(dir, 'c.pem'), tls_private_key_path: join(dir, 'k.pem') }), logger))
      .toThrow(/tls_certificate_path'\/'tls_private_key_path'/);
  });

  it('refuses a certificate path without a key path', () => {
    expect(() => loadOrCreateTlsCredentials(config(tempDir(), { tls_certificate_path: '/nonexistent.pem' }), logger)).toThrow(/must be given together/);
  });
});

describe('outgoing TLS verification', () => {
  let server: Server;
  let port: number;
  let certPath: string;
  beforeAll(async () => {
    const dir = tempDir();
    const creds = loadOrCreateTlsCredentials(config(dir), logger);
    certPath = creds.certPath;
    server = createServer({ cert: creds.cert, key: creds.key }, (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ host: req.headers.host }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const target = (certificateName = 'localhost'): ResolvedServer => ({
    serverName: `localhost:${port}`, host: '127.0.0.1', port, hostHeader: `localhost:${port}`, certificateName, sni: certificateName, delegatedTo: null,
  });

  async function attempt(t: FederationTransport, tgt: ResolvedServer): Promise<string> {
    try {
      const res = await t.send(tgt, { method: 'GET', path: '/' });
      return `${res.status} ${res.body.toString()}`;
    } catch (e) {
      if (e instanceof FederationTransportError) return `error ${e.code}`;
      throw e;
    } finally {
      t.close();
    }
  }

  it('refuses a self-signed certificate by default', async () => {
    const t = new FederationTransport({ caFile: null, insecureSkipVerifyFor: [], userAgent: 'test' });
    expect(await attempt(t, target())).toBe('error DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('accepts it for a server listed in federation_insecure_skip_verify_for, sending the Host header of the server name', async () => {
    const t = new FederationTransport({ caFile: null, insecureSkipVerifyFor: [`localhost:${port}`], userAgent: 'test' });
    expect(await attempt(t, target())).toBe(`200 {"host":"localhost:${port}"}`);
  });

  it('still refuses servers the skip list does not name', async () => {
    const t = new FederationTransport({ caFile: null, insecureSkipVerifyFor: ['localhost:1'], userAgent: 'test' });
    expect(await attempt(t, target())).toBe('error DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('accepts it when federation_ca_file trusts it, but only for the names it covers', async () => {
    expect(await attempt(new FederationTransport({ caFile: certPath, insecureSkipVerifyFor: [], userAgent: 'test' }), target())).toMatch(/^200 /);
    expect(await attempt(new FederationTransport({ caFile: certPath, insecureSkipVerifyFor: [], userAgent: 'test' }), target('hs.example'))).toBe('error ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('names the setting when the CA file cannot be read', () => {
    expect(() => new FederationTransport({ caFile: '/nonexistent/ca.pem', insecureSkipVerifyFor: [], userAgent: 'test' })).toThrow(/federation_ca_file/);
  });
});
