// Turns an institution's policy (and optional deployment settings) into the files Synapse needs:
// homeserver.yaml, log.config and .well-known documents in the output directory, and every secret
// (signing key, appservice registration with its tokens, database passfile, macaroon/form/
// registration secrets) in the secrets directory. Re-running is safe: configuration files are
// rewritten identically, secrets are kept, the signing key is never replaced.
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { validatePolicy, type InstitutionPolicy, type PolicyProblem } from '../../protocol/src/policy.ts';
import { resolveDeployment, type Deployment } from './deployment.ts';
import { appserviceRegistration, homeserverConfig, logConfig, wellKnown } from './homeserver-config.ts';
import {
  ensureSecretsDir, ensureSigningKey, parsePgpassLine, resolveAppserviceTokens, resolveDatabasePassword, resolveSecretFile,
  SECRET_FILES, SecretsError, writePrivateFile, type SecretSource, type SigningKeyInfo,
} from './secrets.ts';
import { checkOptions, HOMESERVER_OPTIONS, LOG_CONFIG_OPTIONS, REGISTRATION_OPTIONS, type OptionSpec } from './synapse-options.ts';

export class GeneratorError extends Error {}

export interface GenerateOptions {
  institutionFile: string;
  outDir: string;
  deploymentFile?: string;
  /** Where secrets are written on this machine (default OUT/secrets); Synapse sees it as paths.secrets_dir. */
  secretsDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface GenerateResult {
  serverName: string;
  /** Configuration files written (no secrets inside). */
  files: string[];
  secretsDir: string;
  /** Where each secret came from; never the secret itself. */
  secrets: Record<string, SecretSource>;
  signingKey: SigningKeyInfo;
  warnings: string[];
}

const YAML_OPTIONS = { aliasDuplicateObjects: false, lineWidth: 0 } as const;

function readYaml(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GeneratorError(`${what} ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new GeneratorError(`${what} ${file} is not valid YAML: ${doc.errors[0]!.message}`);
  return doc.toJS() as unknown;
}

function invalid(what: string, file: string, problems: PolicyProblem[]): GeneratorError {
  return new GeneratorError(`${what} ${file} is invalid:\n${problems.map((p) => `  at ${p.path}: ${p.message}`).join('\n')}`);
}

export function loadPolicy(file: string): InstitutionPolicy {
  const result = validatePolicy(readYaml(file, 'policy'));
  if (!result.ok) throw invalid('policy', file, result.problems);
  return result.policy;
}

export function loadDeployment(file: string | undefined, serverName: string): Deployment {
  const doc = file === undefined ? {} : readYaml(file, 'deployment file');
  const result = resolveDeployment(doc, serverName);
  if (!result.ok) throw invalid('deployment file', file ?? '(defaults)', result.problems);
  return result.deployment;
}

function checked(doc: unknown, table: Readonly<Record<string, OptionSpec>>, name: string): void {
  const problems = checkOptions(doc, table);
  if (problems.length > 0) throw new GeneratorError(`internal error: ${name} would hold undocumented settings:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
}

function header(lines: string[]): string {
  return lines.map((l) => `# ${l}`.trimEnd()).join('\n') + '\n';
}

export function generate(opts: GenerateOptions): GenerateResult {
  const env = opts.env ?? process.env;
  const policy = loadPolicy(opts.institutionFile);
  const deployment = loadDeployment(opts.deploymentFile, policy.institution.server_name);
  const outDir = resolve(opts.outDir);
  const secretsDir = resolve(opts.secretsDir ?? join(outDir, 'secrets'));
  const warnings: string[] = [];
  const secrets: Record<string, SecretSource> = {};

  mkdirSync(outDir, { recursive: true });
  let signingKey: SigningKeyInfo;
  let registration: Record<string, unknown>;
  try {
    ensureSecretsDir(secretsDir);
    signingKey = ensureSigningKey(secretsDir);
    secrets.signing_key = signingKey.source;
    for (const name of ['macaroon_secret_key', 'form_secret', 'registration_shared_secret'] as const) {
      secrets[name] = resolveSecretFile(secretsDir, SECRET_FILES[name], deployment.secrets_env[name], env).source;
    }
    secrets.database_password = resolveDatabasePassword(secretsDir, deployment.database, deployment.secrets_env.database_password, env);
    const tokens = resolveAppserviceTokens(secretsDir, deployment.secrets_env, env);
    secrets.appservice_tokens = tokens.source;
    if (deployment.registration === 'oidc') {
      const s = resolveSecretFile(secretsDir, SECRET_FILES.oidc_client_secret, deployment.secrets_env.oidc_client_secret, env, false);
      secrets.oidc_client_secret = s.source;
      if (s.source === 'missing') {
        warnings.push(`no OIDC client secret: set ${deployment.secrets_env.oidc_client_secret} and re-run, or write it to ${join(secretsDir, SECRET_FILES.oidc_client_secret)} (Synapse will not start without it)`);
      }
    }
    registration = appserviceRegistration(policy, deployment, tokens.tokens);
  } catch (e) {
    if (e instanceof SecretsError) throw new GeneratorError(e.message);
    throw e;
  }

  const homeserver = homeserverConfig(policy, deployment);
  const log = logConfig();
  checked(homeserver, HOMESERVER_OPTIONS, 'homeserver.yaml');
  checked(log, LOG_CONFIG_OPTIONS, 'log.config');
  checked(registration, REGISTRATION_OPTIONS, 'the appservice registration');

  const source = [`Generated by synapse-config from ${opts.institutionFile}${opts.deploymentFile ? ` and ${opts.deploymentFile}` : ''}.`,
    'Change the policy or the deployment settings and run the generator again rather than editing this file.'];
  const texts: Record<string, string> = {
    'homeserver.yaml': header([`Synapse configuration for ${policy.institution.name} (${policy.institution.server_name}).`, ...source,
      `Secrets are not in this file: they are read from ${deployment.paths.secrets_dir}.`]) + stringify(homeserver, YAML_OPTIONS),
    'log.config': header([`Synapse logging for ${policy.institution.server_name} (Python logging dictConfig).`, ...source]) + stringify(log, YAML_OPTIONS),
    'well-known/matrix/server': JSON.stringify(wellKnown(deployment).server, null, 2) + '\n',
    'well-known/matrix/client': JSON.stringify(wellKnown(deployment).client, null, 2) + '\n',
  };

  // Belt and braces: no secret may reach a configuration file.
  const secretValues = readdirSync(secretsDir).filter((f) => !f.includes('.tmp-') && f !== '.gitignore').flatMap((f) => secretStrings(join(secretsDir, f)));
  for (const [name, text] of Object.entries(texts)) {
    if (secretValues.some((s) => text.includes(s))) throw new GeneratorError(`internal error: ${name} would contain a secret; nothing was written`);
  }

  const files: string[] = [];
  for (const [name, text] of Object.entries(texts)) {
    const file = join(outDir, name);
    mkdirSync(join(file, '..'), { recursive: true });
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
    files.push(file);
  }
  const registrationFile = join(secretsDir, SECRET_FILES.appservice_registration);
  const registrationText = header([`Peerline bridge appservice registration for ${policy.institution.server_name}.`,
    'Holds the bridge\'s tokens: keep it private (mode 0600, readable by Synapse only).']) + stringify(registration, YAML_OPTIONS);
  if (!existsSync(registrationFile) || readFileSync(registrationFile, 'utf8') !== registrationText) writePrivateFile(registrationFile, registrationText);

  return { serverName: policy.institution.server_name, files, secretsDir, secrets, signingKey, warnings };
}

/** The secret values a secrets file holds (at least 16 characters, so short words never match). */
export function secretStrings(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = new Set<string>();
  if (file.endsWith(SECRET_FILES.signing_key)) {
    const seed = text.trim().split(/\s+/)[2];
    if (seed) found.add(seed);
  } else if (file.endsWith('.json')) {
    for (const v of Object.values(JSON.parse(text) as Record<string, unknown>)) if (typeof v === 'string') found.add(v);
  } else if (file.endsWith(SECRET_FILES.database_password)) {
    const password = parsePgpassLine(text.split('\n')[0] ?? '').at(-1);
    if (password) found.add(password);
  } else if (file.endsWith('.yaml')) {
    for (const m of text.matchAll(/^(?:as_token|hs_token): (.+)$/gm)) found.add(m[1]!.trim());
  } else {
    found.add(text.trim());
  }
  return [...found].filter((s) => s.length >= 16);
}
