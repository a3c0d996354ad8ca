// The secrets directory: every secret Synapse and the bridge need lives here, one file each, mode
// 0600 in a 0700 directory, and nowhere else — homeserver.yaml only names these files. A secret
// comes from its environment variable when that is set (written only if the file differs);
// otherwise an existing file is kept; otherwise a random one is made. The signing key is never
// overwritten: losing it breaks federation with every partner.
import { generateKeyPairSync, randomBytes, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type SecretSource = 'environment' | 'kept' | 'generated' | 'missing';

export class SecretsError extends Error {}

export const SECRET_FILES = {
  signing_key: 'signing.key',
  macaroon_secret_key: 'macaroon_secret_key',
  form_secret: 'form_secret',
  registration_shared_secret: 'registration_shared_secret',
  database_password: 'pgpass',
  oidc_client_secret: 'oidc_client_secret',
  appservice_registration: 'appservice-registration.yaml',
  bridge_tokens: 'bridge-appservice-tokens.json',
} as const;

/** Writes a file atomically with owner-only permissions. */
export function writePrivateFile(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Creates the directory owner-only, with a .gitignore so that nothing in it is ever committed. */
export function ensureSecretsDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const ignore = join(dir, '.gitignore');
  if (!existsSync(ignore)) writePrivateFile(ignore, '# secrets: never commit anything here\n*\n');
}

export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * One plain-text secret file: from the environment variable if set, else kept, else generated
 * (or left missing when `generate` is false, e.g. an OIDC client secret only the IdP can issue).
 */
export function resolveSecretFile(dir: string, fileName: string, envName: string, env: NodeJS.ProcessEnv, generate = true): { value: string | null; source: SecretSource } {
  const file = join(dir, fileName);
  const fromEnv = env[envName];
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (current !== fromEnv) writePrivateFile(file, fromEnv);
    return { value: fromEnv, source: 'environment' };
  }
  if (current !== null && current.trim() !== '') return { value: current, source: 'kept' };
  if (!generate) return { value: null, source: 'missing' };
  const value = randomSecret();
  writePrivateFile(file, value);
  return { value, source: 'generated' };
}

// ── PostgreSQL password file (libpq's passfile format) ────────────────────────────────────────

function pgpassField(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

export interface PgpassTarget { host: string; port: number; name: string; user: string }

/** Splits a passfile line at unescaped colons and unescapes each field. */
export function parsePgpassLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) field += line[++i];
    else if (c === ':') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** The libpq password file line for the database; psycopg2 reads it through `passfile`. */
export function pgpassLine(db: PgpassTarget, password: string): string {
  return `${[db.host, String(db.port), db.name, db.user, password].map(pgpassField).join(':')}\n`;
}

/** The database password: env, else the one already in the passfile, else a new one. */
export function resolveDatabasePassword(dir: string, db: PgpassTarget, envName: string, env: NodeJS.ProcessEnv): SecretSource {
  const file = join(dir, SECRET_FILES.database_password);
  const fromEnv = env[envName];
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  let password: string;
  let source: SecretSource;
  if (fromEnv !== undefined && fromEnv !== '') {
    password = fromEnv;
    source = 'environment';
  } else if (current !== null && current.trim() !== '') {
    // The password is the last field; keep it even when host or port changed.
    password = parsePgpassLine(current.split('\n')[0] ?? '').at(-1) ?? '';
    source = 'kept';
  } else {
    password = randomSecret();
    source = 'generated';
  }
  const line = pgpassLine(db, password);
  if (current !== line) writePrivateFile(file, line);
  return source;
}

// ── signing key (Synapse's format: "ed25519 a_XXXX <unpadded base64 seed>") ──────────────────

const KEY_LINE = /^ed25519 (a_[A-Za-z0-9_]{4,}) ([A-Za-z0-9+/]{43})$/;

export interface SigningKeyInfo { keyId: string; publicKeyBase64: string; source: SecretSource }

function unpadded(b: Buffer): string {
  return b.toString('base64').replace(/=+$/, '');
}

/** The ed25519 public key (unpadded base64) of a 32-byte seed. */
export function publicKeyOfSeed(seed: Buffer): string {
  // PKCS#8 wrapping of a raw ed25519 seed (RFC 8410): a fixed 16-byte prefix.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
  return unpadded(Buffer.from(pub.x ?? '', 'base64url'));
}

/** Parses a signing key file; throws with the file name when it is not in Synapse's format. */
export function readSigningKey(file: string): { keyId: string; seed: Buffer } {
  const first = readFileSync(file, 'utf8').split('\n')[0]?.trim() ?? '';
  const m = KEY_LINE.exec(first);
  if (!m) throw new SecretsError(`${file} is not a Synapse signing key ("ed25519 a_XXXX <base64 seed>"); it was left as it is — fix or move it yourself`);
  const seed = Buffer.from(m[2]!, 'base64');
  if (seed.length !== 32) throw new SecretsError(`${file}: the key is not 32 bytes; it was left as it is`);
  return { keyId: m[1]!, seed };
}

const KEY_ID_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Creates the homeserver's signing key when absent; an existing key is only read, never replaced. */
export function ensureSigningKey(dir: string): SigningKeyInfo {
  const file = join(dir, SECRET_FILES.signing_key);
  if (existsSync(file)) {
    const { keyId, seed } = readSigningKey(file);
    return { keyId: `ed25519:${keyId}`, publicKeyBase64: publicKeyOfSeed(seed), source: 'kept' };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const version = 'a_' + Array.from(randomBytes(4), (b) => KEY_ID_CHARS[b % KEY_ID_CHARS.length]).join('');
  // 'wx': fail rather than replace a key that appeared meanwhile.
  writeFileSync(file, `ed25519 ${version} ${unpadded(seed)}\n`, { mode: 0o600, flag: 'wx' });
  return { keyId: `ed25519:${version}`, publicKeyBase64: unpadded(Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url')), source: 'generated' };
}

// ── appservice tokens (the bridge's own file format, so its data dir can take the same file) ──

export interface AppserviceTokens { as_token: string; hs_token: string }

/** as_token/hs_token: each from its environment variable, else the tokens file, else new ones. */
export function resolveAppserviceTokens(dir: string, envNames: { as_token: string; hs_token: string }, env: NodeJS.ProcessEnv): { tokens: AppserviceTokens; source: SecretSource } {
  const file = join(dir, SECRET_FILES.bridge_tokens);
  let stored: Partial<AppserviceTokens> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<AppserviceTokens>;
    } catch {
      throw new SecretsError(`${file} is not JSON; remove it to create new tokens (and give the bridge the new file)`);
    }
  }
  const pick = (key: keyof AppserviceTokens, prefix: string): [string, SecretSource] => {
    const e = env[envNames[key]];
    if (e !== undefined && e !== '') return [e, 'environment'];
    const s = stored[key];
    if (typeof s === 'string' && s !== '') return [s, 'kept'];
    return [`${prefix}_${randomSecret()}`, 'generated'];
  };
  const [as_token, asSource] = pick('as_token', 'plas');
  const [hs_token, hsSource] = pick('hs_token', 'plhs');
  if (as_token === hs_token) throw new SecretsError('as_token and hs_token must differ (check the environment variables)');
  const tokens = { as_token, hs_token };
  const text = JSON.stringify(tokens, null, 2) + '\n';
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writePrivateFile(file, text);
  const source: SecretSource = asSource === hsSource ? asSource : 'environment';
  return { tokens, source };
}
