// The federation listener's TLS: the certificate and key from `tls_certificate_path` and
// `tls_private_key_path`, or — for development — a self-signed pair generated into the data
// directory on first start (and again when it nears expiry or no longer covers the server name).
// Peers accept such a certificate only when configured to (`federation_insecure_skip_verify_for`
// or `federation_ca_file`).
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:http';
import { createSecureContext } from 'node:tls';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { forgeModule } from '../core/lazy-modules.ts';
import type { HomeserverConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { answerClientError, handleRequest, type HttpServerOptions } from '../api/http-server.ts';
import { parseServerName } from './server-name.ts';

export interface TlsCredentials {
  cert: string;
  key: string;
  /** 'configured' from the settings, 'development' self-signed in the data directory. */
  source: 'configured' | 'development';
  certPath: string;
}

const DEV_CERT_FILE = 'federation-tls.crt';
const DEV_KEY_FILE = 'federation-tls.key';
const DEV_VALIDITY_DAYS = 365;
const RENEW_BEFORE_MS = 7 * 24 * 3600_000;

/** Generates a self-signed RSA-2048 certificate valid for the given DNS names and IP addresses. */
export function generateSelfSignedCertificate(names: readonly string[], now = Date.now()): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forge = forgeModule();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  // Positive 128-bit serial: the leading 01 keeps the DER INTEGER from reading as negative.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(now - 24 * 3600_000); // tolerate clock skew between peers
  cert.validity.notAfter = new Date(now + DEV_VALIDITY_DAYS * 24 * 3600_000);
  const subject = [{ name: 'commonName', value: names[0] ?? 'localhost' }, { name: 'organizationName', value: 'Peerline development' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const altNames = [...new Set(names)].map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** The names a development certificate covers: the server name's host, and loopback. */
export function developmentCertificateNames(config: Pick<HomeserverConfig, 'server_name' | 'bind_address'>): string[] {
  const names = [parseServerName(config.server_name)?.host ?? 'localhost', 'localhost', '127.0.0.1', '::1'];
  if (isIP(config.bind_address) && config.bind_address !== '0.0.0.0' && config.bind_address !== '::') names.push(config.bind_address);
  return [...new Set(names)];
}

function covers(cert: X509Certificate, name: string): boolean {
  return isIP(name) ? cert.checkIP(name) !== undefined : cert.checkHost(name) !== undefined;
}

export function loadOrCreateTlsCredentials(
  config: Pick<HomeserverConfig, 'server_name' | 'bind_address' | 'data_dir' | 'tls_certificate_path' | 'tls_private_key_path'>,
  logger: Logger,
  now = Date.now(),
): TlsCredentials {
  const certPath = config.tls_certificate_path;
  const keyPath = config.tls_private_key_path;
  if ((certPath === null) !== (keyPath === null)) {
    throw new Error("settings 'tls_certificate_path' and 'tls_private_key_path' must be given together");
  }
  if (certPath !== null && keyPath !== null) {
    const read = (path: string, setting: string): string => {
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        throw new Error(`setting '${setting}': cannot read ${path}: ${(e as Error).message}`, { cause: e });
      }
    };
    const cert = read(certPath, 'tls_certificate_path');
    const key = read(keyPath, 'tls_private_key_path');
    try {
      createSecureContext({ cert, key });
    } catch (e) {
      throw new Error(`settings 'tls_certificate_path'/'tls_private_key_path': ${certPath} and ${keyPath} are not a usable certificate and key: ${(e as Error).message}`, { cause: e });
    }
    return { cert, key, source: 'configured', certPath };
  }

  const devCert = join(config.data_dir, DEV_CERT_FILE);
  const devKey = join(config.data_dir, DEV_KEY_FILE);
  const names = developmentCertificateNames(config);
  if (existsSync(devCert) && existsSync(devKey)) {
    const cert = readFileSync(devCert, 'utf8');
    const key = readFileSync(devKey, 'utf8');
    let x: X509Certificate | null = null;
    try {
      x = new X509Certificate(cert);
    } catch { /* unreadable: regenerate below */ }
    if (x && Date.parse(x.validTo) - now > RENEW_BEFORE_MS && names.every((n) => covers(x, n))) {
      return { cert, key, source: 'development', certPath: devCert };
    }
  }
  const pair = generateSelfSignedCertificate(names, now);
  // Key first, each via a temporary file, so a crash never leaves a certificate without its key.
  writeFileSync(`${devKey}.tmp`, pair.key, { mode: 0o600 });
  renameSync(`${devKey}.tmp`, devKey);
  writeFileSync(`${devCert}.tmp`, pair.cert);
  renameSync(`${devCert}.tmp`, devCert);
  logger.warn('federation listener uses a self-signed development certificate; peers must be configured to accept it', { certificate: devCert, names });
  return { cert: pair.cert, key: pair.key, source: 'development', certPath: devCert };
}

/** The federation listener: HTTPS, the shared request handling, and the raw request target recorded for X-Matrix. */
export function createFederationServer(
  config: Pick<HomeserverConfig, 'server_name' | 'bind_address' | 'data_dir' | 'tls_certificate_path' | 'tls_private_key_path'>,
  opts: HttpServerOptions,
): Server {
  const creds = loadOrCreateTlsCredentials(config, opts.logger);
  const server = createHttpsServer({
    cert: creds.cert, key: creds.key, minVersion: 'TLSv1.2',
    keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000,
  }, (req, res) => {
    void handleRequest(opts, req, res);
  });
  server.on('tlsClientError', (e: Error) => opts.logger.debug('federation TLS handshake failed', { error: e.message }));
  server.on('clientError', answerClientError);
  return server;
}
