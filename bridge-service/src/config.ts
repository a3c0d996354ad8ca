// The bridge's own settings (one YAML file, `--config FILE`), checked against a TypeBox schema at
// start: an unknown or malformed setting stops the bridge with the file, the path and what was
// expected. Relative paths are resolved against the config file's directory.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { describeSchemaErrors } from '../../protocol/src/policy.ts';
import { MatrixServerNameSchema, MatrixUserIdSchema } from '../../protocol/src/common-schemas.ts';

const HttpUrl = Type.String({ pattern: '^https?://[^/\\s]+(?:/[^\\s]*)?$', 'x-expected': 'an http:// or https:// URL' });

export const FederationEndpointSchema = Type.Object({
  url: Type.String({ pattern: '^https://[^/\\s]+/?$', 'x-expected': "an https:// base URL such as 'https://127.0.0.1:8448'" }),
  accept_self_signed: Type.Optional(Type.Boolean({ description: 'Accept an unverifiable certificate (development homeservers only)' })),
}, { additionalProperties: false });

export const BridgeConfigSchema = Type.Object({
  server_name: MatrixServerNameSchema,
  homeserver_url: HttpUrl,
  listen: Type.Object({
    address: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
  }, { additionalProperties: false }),
  data_dir: Type.String({ minLength: 1 }),
  database: Type.Optional(Type.Object({
    url: Type.String({
      pattern: '^postgres(?:ql)?://\\S+$',
      'x-expected': "a PostgreSQL URL such as 'postgres://peerline_bridge@db:5432/peerline_bridge' (put the password in PEERLINE_BRIDGE_DATABASE_URL instead)",
    }),
  }, { additionalProperties: false, description: 'PostgreSQL for the bridge store (several replicas); without it the bridge keeps SQLite in data_dir' })),
  policy_file: Type.String({ minLength: 1 }),
  appservice: Type.Object({
    id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', 'x-expected': 'an id of letters, digits, ".", "_" or "-"' }),
    url: HttpUrl,
    sender_localpart: Type.Optional(Type.String({ pattern: '^[a-z0-9._=/+-]{1,64}$', 'x-expected': 'a lower-case Matrix localpart' })),
  }, { additionalProperties: false }),
  admins: Type.Optional(Type.Array(MatrixUserIdSchema, { description: 'Always admins (bootstrap); more are added through the roster API' })),
  session: Type.Optional(Type.Object({
    ttl_seconds: Type.Optional(Type.Integer({ minimum: 30, maximum: 86_400 })),
    max_lifetime_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 30 * 86_400 })),
  }, { additionalProperties: false })),
  log_level: Type.Optional(Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')])),
  max_body_bytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 10 * 1024 * 1024 })),
  trust_forwarded_for: Type.Optional(Type.Boolean({ description: 'Take client addresses from X-Forwarded-For (behind a trusted reverse proxy)' })),
  development: Type.Optional(Type.Object({
    federation_endpoints: Type.Optional(Type.Record(Type.String(), FederationEndpointSchema, {
      description: 'server name → federation base URL, used instead of server discovery (no DNS in development)',
    })),
  }, { additionalProperties: false })),
}, { additionalProperties: false });

type RawConfig = Static<typeof BridgeConfigSchema>;

export interface BridgeConfig {
  file: string;
  server_name: string;
  homeserver_url: string;
  listen: { address: string; port: number };
  data_dir: string;
  /** PostgreSQL URL of the bridge store (from PEERLINE_BRIDGE_DATABASE_URL or `database.url`); null = SQLite in data_dir. */
  database_url: string | null;
  policy_file: string;
  appservice: { id: string; url: string; sender_localpart: string };
  admins: string[];
  session: { ttl_seconds: number; max_lifetime_seconds: number };
  log_level: 'debug' | 'info' | 'warn' | 'error';
  max_body_bytes: number;
  trust_forwarded_for: boolean;
  federation_endpoints: Record<string, { url: string; accept_self_signed: boolean }>;
}

export class ConfigError extends Error {}

/** The environment variable that carries the store's PostgreSQL URL (with its password) outside the config file. */
export const DATABASE_URL_ENV = 'PEERLINE_BRIDGE_DATABASE_URL';
const POSTGRES_URL = /^postgres(?:ql)?:\/\/\S+$/;

/**
 * Checks a parsed config document; `file` names it in messages and anchors relative paths. The
 * environment's PEERLINE_BRIDGE_DATABASE_URL, when set, takes precedence over `database.url`.
 */
export function parseBridgeConfig(doc: unknown, file: string, env: Readonly<Record<string, string | undefined>> = {}): BridgeConfig {
  if (!Value.Check(BridgeConfigSchema, doc)) {
    const problems = describeSchemaErrors(Value.Errors(BridgeConfigSchema, doc));
    throw new ConfigError(`bridge config ${file} is invalid:\n${problems.map((p) => `  at ${p.path}: ${p.message}`).join('\n')}`);
  }
  const raw: RawConfig = doc;
  const base = dirname(resolve(file));
  const endpoints: BridgeConfig['federation_endpoints'] = {};
  for (const [name, e] of Object.entries(raw.development?.federation_endpoints ?? {})) {
    endpoints[name] = { url: e.url.replace(/\/+$/, ''), accept_self_signed: e.accept_self_signed ?? false };
  }
  const session = { ttl_seconds: raw.session?.ttl_seconds ?? 900, max_lifetime_seconds: raw.session?.max_lifetime_seconds ?? 12 * 3600 };
  if (session.max_lifetime_seconds < session.ttl_seconds) {
    throw new ConfigError(`bridge config ${file} is invalid:\n  at $.session.max_lifetime_seconds: expected at least ttl_seconds (${session.ttl_seconds}), found ${session.max_lifetime_seconds}`);
  }
  const envUrl = env[DATABASE_URL_ENV];
  if (envUrl !== undefined && envUrl !== '' && !POSTGRES_URL.test(envUrl)) {
    // The value may hold a password: name the variable, never echo it.
    throw new ConfigError(`${DATABASE_URL_ENV} is invalid: expected a URL starting with postgres:// or postgresql://`);
  }
  const adminsElsewhere = (raw.admins ?? []).filter((u) => !u.endsWith(`:${raw.server_name}`));
  if (adminsElsewhere.length > 0) {
    throw new ConfigError(`bridge config ${file} is invalid:\n  at $.admins: expected users of ${raw.server_name}, found ${adminsElsewhere.join(', ')}`);
  }
  return {
    file,
    server_name: raw.server_name,
    homeserver_url: raw.homeserver_url.replace(/\/+$/, ''),
    listen: { address: raw.listen.address ?? '127.0.0.1', port: raw.listen.port },
    data_dir: resolve(base, raw.data_dir),
    database_url: envUrl || raw.database?.url || null,
    policy_file: resolve(base, raw.policy_file),
    appservice: { id: raw.appservice.id, url: raw.appservice.url.replace(/\/+$/, ''), sender_localpart: raw.appservice.sender_localpart ?? 'peerline-bot' },
    admins: raw.admins ?? [],
    session,
    log_level: raw.log_level ?? 'info',
    max_body_bytes: raw.max_body_bytes ?? 64 * 1024,
    trust_forwarded_for: raw.trust_forwarded_for ?? false,
    federation_endpoints: endpoints,
  };
}

export function loadBridgeConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): BridgeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read bridge config ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`bridge config ${file} is not valid YAML: ${(e as Error).message}`);
  }
  return parseBridgeConfig(doc, file, env);
}
