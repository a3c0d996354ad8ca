// `npm run deploy:secrets [-- --secrets DIR --generated DIR] [--token-registration]`
// Prepares everything docker-compose.yml needs for the two sample institutions, School A and School B:
//   deploy/secrets/<school>/synapse/    Synapse's secrets from the synapse-config generator (signing key,
//                                       appservice registration and tokens, pgpass, macaroon/form/
//                                       registration secrets)
//   deploy/secrets/<school>/postgres/   synapse_password and bridge_password for the PostgreSQL server
//   deploy/secrets/<school>/bridge.env  PEERLINE_BRIDGE_DATABASE_URL for the bridge's PostgreSQL store
//   deploy/generated/<school>/          homeserver.yaml, log.config, well-known/ (synapse-config),
//                                       bridge.yaml (the bridge's settings) and web/config.json
// School B's example deployment signs in through OIDC (its Synapse needs the identity provider's
// client secret and a reachable issuer to start); `--token-registration` uses its token-registration
// deployment instead (synapse-config/examples/school-b.token.deployment.yaml), as School A does.
// Re-running keeps every secret (a variable named in the deployment file's secrets_env wins when set)
// and rewrites the configuration. Prints file names and where secrets came from, never a value.
// Both directories are git-ignored; the secrets directories are mode 0700, their files 0600.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { generate, GeneratorError, loadDeployment, loadPolicy } from '../synapse-config/src/generate.ts';
import { ensureSecretsDir, randomSecret, writePrivateFile, type SecretSource } from '../synapse-config/src/secrets.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** One institution of the compose file: its services are `<service>-<suffix>`. */
export interface ComposeInstitution {
  key: string;
  suffix: string;
  policy: string;
  deployment: string;
  /** The same deployment with registration tokens instead of an identity provider (`--token-registration`). */
  token_deployment?: string;
  /** The web client's host, served by the proxy with `/v1` routed to the bridge. */
  web_host: string;
}

export const INSTITUTIONS: readonly ComposeInstitution[] = [
  { key: 'school-a', suffix: 'a', policy: 'bridge-service/policies/school-a.yaml', deployment: 'synapse-config/examples/school-a.deployment.yaml', web_host: 'chat.a.example' },
  { key: 'school-b', suffix: 'b', policy: 'bridge-service/policies/school-b.yaml', deployment: 'synapse-config/examples/school-b.deployment.yaml', token_deployment: 'synapse-config/examples/school-b.token.deployment.yaml', web_host: 'chat.b.example' },
];

/** The bridge's PostgreSQL database beside Synapse's, on the same server (created by deploy/postgres/init-bridge-db.sql). */
export const BRIDGE_DATABASE = { name: 'peerline_bridge', user: 'peerline_bridge', port: 5432 } as const;
/** Where things are inside the containers (must match docker-compose.yml). */
export const CONTAINER = {
  bridge_port: 9100,
  bridge_config: '/etc/peerline/bridge.yaml',
  bridge_data: '/data',
  policies: '/etc/peerline/policies',
} as const;

/** The deployment file an institution is prepared with: its own, or its token-registration variant. */
export function deploymentOf(inst: ComposeInstitution, tokenRegistration = false): string {
  return tokenRegistration && inst.token_deployment ? inst.token_deployment : inst.deployment;
}

export interface PreparedInstitution {
  key: string;
  serverName: string;
  /** The deployment file used (relative to the repository). */
  deployment: string;
  secretsDir: string;
  generatedDir: string;
  secrets: Record<string, SecretSource>;
  warnings: string[];
}

/** A plain secret file: the environment variable if set, else the kept file, else a new random value. */
function plainSecret(file: string, envName: string | null, env: NodeJS.ProcessEnv): { value: string; source: SecretSource } {
  const fromEnv = envName ? env[envName] : undefined;
  const current = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (fromEnv !== undefined && fromEnv !== '') {
    if (current !== fromEnv) writePrivateFile(file, fromEnv);
    return { value: fromEnv, source: 'environment' };
  }
  if (current !== '') return { value: current, source: 'kept' };
  const value = randomSecret();
  writePrivateFile(file, value);
  return { value, source: 'generated' };
}

function writeIfChanged(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
}

export function prepareInstitution(inst: ComposeInstitution, opts: { root?: string; secretsRoot: string; generatedRoot: string; env?: NodeJS.ProcessEnv; tokenRegistration?: boolean }): PreparedInstitution {
  const root = opts.root ?? ROOT;
  const env = opts.env ?? process.env;
  const policyFile = join(root, inst.policy);
  const deploymentFile = join(root, deploymentOf(inst, opts.tokenRegistration));
  const policy = loadPolicy(policyFile);
  const serverName = policy.institution.server_name;
  const deployment = loadDeployment(deploymentFile, serverName);
  const secretsDir = resolve(opts.secretsRoot, inst.key);
  const generatedDir = resolve(opts.generatedRoot, inst.key);
  ensureSecretsDir(secretsDir);
  const postgresDir = join(secretsDir, 'postgres');
  ensureSecretsDir(postgresDir);

  // The database password PostgreSQL is initialised with is the one Synapse's pgpass holds.
  const dbEnv = deployment.secrets_env.database_password;
  const synapseDb = plainSecret(join(postgresDir, 'synapse_password'), dbEnv, env);
  const bridgeDb = plainSecret(join(postgresDir, 'bridge_password'), `PEERLINE_BRIDGE_${inst.suffix.toUpperCase()}_DB_PASSWORD`, env);

  const result = generate({
    institutionFile: policyFile,
    deploymentFile,
    outDir: generatedDir,
    secretsDir: join(secretsDir, 'synapse'),
    env: { ...env, [dbEnv]: synapseDb.value },
  });

  const dbUrl = `postgres://${BRIDGE_DATABASE.user}:${encodeURIComponent(bridgeDb.value)}@${deployment.database.host}:${BRIDGE_DATABASE.port}/${BRIDGE_DATABASE.name}`;
  const bridgeEnv = `# The bridge's PostgreSQL store (read by the bridge as PEERLINE_BRIDGE_DATABASE_URL). Secret.\nPEERLINE_BRIDGE_DATABASE_URL=${dbUrl}\n`;
  const bridgeEnvFile = join(secretsDir, 'bridge.env');
  if (!existsSync(bridgeEnvFile) || readFileSync(bridgeEnvFile, 'utf8') !== bridgeEnv) writePrivateFile(bridgeEnvFile, bridgeEnv);

  const appserviceUrl = new URL(deployment.bridge.url);
  const partners = policy.partners.map((p) => p.server_name);
  const bridgeConfig = {
    server_name: serverName,
    homeserver_url: `http://synapse-${inst.suffix}:${deployment.listen.port}`,
    listen: { address: '0.0.0.0', port: Number(appserviceUrl.port || CONTAINER.bridge_port) },
    data_dir: CONTAINER.bridge_data,
    policy_file: `${CONTAINER.policies}/${inst.key}.yaml`,
    appservice: { id: deployment.bridge.id, url: deployment.bridge.url.replace(/\/+$/, ''), sender_localpart: deployment.bridge.sender_localpart },
    admins: [`@admin:${serverName}`],
    log_level: 'info',
    trust_forwarded_for: true,
    // `tls internal`: the proxy's certificates come from Caddy's local CA, which the bridge cannot
    // verify. With publicly trusted certificates delete this block (server discovery then applies).
    development: {
      federation_endpoints: Object.fromEntries([serverName, ...partners].map((s) => [s, { url: `https://${matrixHost(s, serverName, deployment.public_baseurl)}`, accept_self_signed: true }])),
    },
  };
  writeIfChanged(join(generatedDir, 'bridge.yaml'), `# Peerline bridge for ${policy.institution.name} in docker-compose.yml (generated by npm run deploy:secrets).\n`
    + `# The database URL is not here: it comes from PEERLINE_BRIDGE_DATABASE_URL (deploy/secrets/${inst.key}/bridge.env).\n`
    + stringify(bridgeConfig, { lineWidth: 0 }));
  writeIfChanged(join(generatedDir, 'web', 'config.json'), JSON.stringify({
    homeserver_url: deployment.public_baseurl.replace(/\/+$/, ''),
    bridge_url: `https://${inst.web_host}`,
    region: 'default',
    default_language: 'en',
  }, null, 2) + '\n');

  return {
    key: inst.key,
    serverName,
    deployment: deploymentOf(inst, opts.tokenRegistration),
    secretsDir,
    generatedDir,
    secrets: { ...result.secrets, database_password: synapseDb.source, postgres_synapse_password: synapseDb.source, postgres_bridge_password: bridgeDb.source },
    warnings: result.warnings,
  };
}

/** The Matrix host of a server name: this institution's from public_baseurl, a partner's by convention (matrix.<name>). */
function matrixHost(server: string, ownName: string, ownBase: string): string {
  return server === ownName ? new URL(ownBase).host : `matrix.${server}`;
}

function main(): void {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { secrets: { type: 'string' }, generated: { type: 'string' }, 'token-registration': { type: 'boolean' } } });
  const tokenRegistration = values['token-registration'] === true;
  const secretsRoot = resolve(values.secrets ?? join(ROOT, 'deploy/secrets'));
  const generatedRoot = resolve(values.generated ?? join(ROOT, 'deploy/generated'));
  try {
    for (const inst of INSTITUTIONS) {
      const r = prepareInstitution(inst, { secretsRoot, generatedRoot, tokenRegistration });
      const lines = [`${r.key} (${r.serverName}): configuration in ${r.generatedDir}, secrets in ${r.secretsDir}`,
        `  deployment: ${r.deployment}`,
        ...Object.entries(r.secrets).map(([name, source]) => `  ${name}: ${source}`),
        ...r.warnings.map((w) => `  warning: ${w}`),
        ...(r.secrets['oidc_client_secret'] === 'missing' && inst.token_deployment
          ? [`  no identity provider yet? \`npm run deploy:secrets -- --token-registration\` gives ${r.key} registration tokens instead (${inst.token_deployment})`]
          : [])];
      process.stdout.write(lines.join('\n') + '\n');
    }
    process.stdout.write(`Next: npm run build (the web client), then docker compose up -d --build\n`);
  } catch (e) {
    if (e instanceof GeneratorError) {
      process.stderr.write(`deploy:secrets: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
