// The deployment settings the policy file does not hold: where Synapse is reached, where its
// database is, where the bridge listens, and which environment variables carry secrets. Optional
// (`--deployment FILE`); every setting has a default suited to the matrixdotorg/synapse image
// (configuration under /data). Secrets are never written here, only the names of variables.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describeSchemaErrors, type PolicyProblem } from '../../protocol/src/policy.ts';

const EnvName = Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$', description: 'an environment variable name such as SYNAPSE_DB_PASSWORD' });
const AbsPath = Type.String({ pattern: '^/', description: 'an absolute path as Synapse sees it' });
const HttpsUrl = Type.String({ pattern: '^https?://[^/\\s]+(/[^\\s]*)?$', description: 'an http:// or https:// URL' });
const Port = Type.Integer({ minimum: 1, maximum: 65535, description: 'a port number from 1 to 65535' });
const Addresses = Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'a list of addresses to listen on' });

export const DeploymentSchema = Type.Object({
  public_baseurl: Type.Optional(HttpsUrl),
  web_client_url: Type.Optional(HttpsUrl),
  listen: Type.Optional(Type.Object({ port: Type.Optional(Port), bind_addresses: Type.Optional(Addresses) }, { additionalProperties: false })),
  metrics: Type.Optional(Type.Object({ port: Type.Optional(Port), bind_addresses: Type.Optional(Addresses) }, { additionalProperties: false })),
  paths: Type.Optional(Type.Object({
    config_dir: Type.Optional(AbsPath),
    secrets_dir: Type.Optional(AbsPath),
    media_store: Type.Optional(AbsPath),
  }, { additionalProperties: false })),
  database: Type.Optional(Type.Object({
    host: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Port),
    name: Type.Optional(Type.String({ minLength: 1 })),
    user: Type.Optional(Type.String({ minLength: 1 })),
    cp_min: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cp_max: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  }, { additionalProperties: false })),
  bridge: Type.Optional(Type.Object({
    url: Type.Optional(HttpsUrl),
    id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'an id of letters, digits, ".", "_" or "-"' })),
    sender_localpart: Type.Optional(Type.String({ pattern: '^[a-z0-9._=/+-]{1,64}$', description: 'a lower-case Matrix localpart' })),
  }, { additionalProperties: false })),
  registration: Type.Optional(Type.Union([Type.Literal('token'), Type.Literal('oidc')], { description: "'token' or 'oidc'" })),
  oidc: Type.Optional(Type.Object({
    idp_id: Type.String({ pattern: '^[a-z0-9._-]{1,32}$', description: 'a short lower-case id such as "school-sso"' }),
    idp_name: Type.String({ minLength: 1 }),
    issuer: HttpsUrl,
    client_id: Type.String({ minLength: 1 }),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    localpart_template: Type.Optional(Type.String({ minLength: 1 })),
    display_name_template: Type.Optional(Type.String({ minLength: 1 })),
    attribute_requirements: Type.Optional(Type.Array(Type.Object({
      attribute: Type.String({ minLength: 1 }),
      value: Type.Optional(Type.String()),
      one_of: Type.Optional(Type.Array(Type.String())),
    }, { additionalProperties: false }))),
    allow_password_login: Type.Optional(Type.Boolean({ description: 'keep password sign-in beside SSO (default false)' })),
  }, { additionalProperties: false })),
  federation: Type.Optional(Type.Object({
    ca_files: Type.Optional(Type.Array(AbsPath, { minItems: 1, description: 'PEM files of the certificate authorities that signed the partners\' federation certificates (a private federation behind internal TLS); replaces the system list' })),
  }, { additionalProperties: false })),
  media: Type.Optional(Type.Object({
    max_upload_size: Type.Optional(Type.String({ pattern: '^\\d+[KMG]?$', description: 'a size such as 20M' })),
  }, { additionalProperties: false })),
  secrets_env: Type.Optional(Type.Object({
    database_password: Type.Optional(EnvName),
    macaroon_secret_key: Type.Optional(EnvName),
    form_secret: Type.Optional(EnvName),
    registration_shared_secret: Type.Optional(EnvName),
    as_token: Type.Optional(EnvName),
    hs_token: Type.Optional(EnvName),
    oidc_client_secret: Type.Optional(EnvName),
  }, { additionalProperties: false })),
}, { additionalProperties: false, title: 'synapse-config deployment settings' });

export type DeploymentFile = Static<typeof DeploymentSchema>;
export type SecretName = keyof NonNullable<DeploymentFile['secrets_env']>;

/** The deployment with every default filled in. */
export interface Deployment {
  public_baseurl: string;
  web_client_url: string | null;
  listen: { port: number; bind_addresses: string[] };
  metrics: { port: number; bind_addresses: string[] };
  paths: { config_dir: string; secrets_dir: string; media_store: string };
  database: { host: string; port: number; name: string; user: string; cp_min: number; cp_max: number };
  bridge: { url: string; id: string; sender_localpart: string };
  registration: 'token' | 'oidc';
  oidc: DeploymentFile['oidc'] | null;
  max_upload_size: string;
  /** Certificate authorities trusted for federation instead of the system's (null: the system's). */
  federation_ca_files: string[] | null;
  secrets_env: Record<SecretName, string>;
}

export const DEFAULT_SECRETS_ENV: Readonly<Record<SecretName, string>> = {
  database_password: 'SYNAPSE_DB_PASSWORD',
  macaroon_secret_key: 'SYNAPSE_MACAROON_SECRET_KEY',
  form_secret: 'SYNAPSE_FORM_SECRET',
  registration_shared_secret: 'SYNAPSE_REGISTRATION_SHARED_SECRET',
  as_token: 'PEERLINE_BRIDGE_AS_TOKEN',
  hs_token: 'PEERLINE_BRIDGE_HS_TOKEN',
  oidc_client_secret: 'SYNAPSE_OIDC_CLIENT_SECRET',
};

/** Checks a parsed deployment document and fills in defaults; problems are reported by path. */
export function resolveDeployment(doc: unknown, serverName: string): { ok: true; deployment: Deployment } | { ok: false; problems: PolicyProblem[] } {
  const raw = doc ?? {};
  if (!Value.Check(DeploymentSchema, raw)) return { ok: false, problems: describeSchemaErrors(Value.Errors(DeploymentSchema, raw)) };
  const d: DeploymentFile = raw;
  const problems: PolicyProblem[] = [];
  const registration = d.registration ?? (d.oidc ? 'oidc' : 'token');
  if (registration === 'oidc' && !d.oidc) problems.push({ path: '$.oidc', message: "is required when registration is 'oidc'" });
  if (registration === 'token' && d.oidc) problems.push({ path: '$.registration', message: "expected 'oidc' when an oidc block is given, found 'token'" });
  const cpMin = d.database?.cp_min ?? 5;
  const cpMax = d.database?.cp_max ?? 10;
  if (cpMin > cpMax) problems.push({ path: '$.database.cp_min', message: `expected at most cp_max (${cpMax}), found ${cpMin}` });
  if (problems.length > 0) return { ok: false, problems };
  const host = serverName.replace(/:\d+$/, '');
  const configDir = d.paths?.config_dir ?? '/data';
  return {
    ok: true,
    deployment: {
      public_baseurl: withSlash(d.public_baseurl ?? `https://matrix.${host}/`),
      web_client_url: d.web_client_url ?? null,
      listen: { port: d.listen?.port ?? 8008, bind_addresses: d.listen?.bind_addresses ?? ['0.0.0.0'] },
      metrics: { port: d.metrics?.port ?? 9000, bind_addresses: d.metrics?.bind_addresses ?? ['127.0.0.1'] },
      paths: {
        config_dir: configDir,
        secrets_dir: d.paths?.secrets_dir ?? `${configDir}/secrets`,
        media_store: d.paths?.media_store ?? `${configDir}/media_store`,
      },
      database: {
        host: d.database?.host ?? 'localhost',
        port: d.database?.port ?? 5432,
        name: d.database?.name ?? 'synapse',
        user: d.database?.user ?? 'synapse',
        cp_min: cpMin,
        cp_max: cpMax,
      },
      bridge: {
        url: d.bridge?.url ?? 'http://localhost:9100',
        id: d.bridge?.id ?? 'peerline-bridge',
        sender_localpart: d.bridge?.sender_localpart ?? 'peerline-bot',
      },
      registration,
      oidc: d.oidc ?? null,
      max_upload_size: d.media?.max_upload_size ?? '20M',
      federation_ca_files: d.federation?.ca_files ?? null,
      secrets_env: { ...DEFAULT_SECRETS_ENV, ...(d.secrets_env ?? {}) },
    },
  };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
