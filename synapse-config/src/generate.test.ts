import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { registrationDocument } from '../../bridge-service/src/appservice/registration.ts';
import type { BridgeConfig } from '../../bridge-service/src/config.ts';
import { generate, GeneratorError, loadDeployment, loadPolicy, secretStrings } from './generate.ts';
import { appserviceRegistration } from './homeserver-config.ts';
import { parsePgpassLine, publicKeyOfSeed, readSigningKey, SECRET_FILES } from './secrets.ts';
import { checkOptions, HOMESERVER_OPTIONS, LOG_CONFIG_OPTIONS, REGISTRATION_OPTIONS } from './synapse-options.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const POLICY_A = join(ROOT, 'bridge-service/policies/school-a.yaml');
const POLICY_B = join(ROOT, 'bridge-service/policies/school-b.yaml');
const DEPLOY_A = join(ROOT, 'synapse-config/examples/school-a.deployment.yaml');
const DEPLOY_B = join(ROOT, 'synapse-config/examples/school-b.deployment.yaml');
const CLI = join(ROOT, 'synapse-config/src/cli.ts');

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'synapse-config-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function yamlFile(file: string): Record<string, unknown> {
  return parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

const OIDC_SECRET = 'oidc-client-secret-9f8e7d6c5b4a';

describe('synapse-config generator', () => {
  it.each([
    ['school-a', POLICY_A, DEPLOY_A],
    ['school-b', POLICY_B, DEPLOY_B],
  ])('generates %s with only documented options of the documented types, round-tripping through YAML', (_name, policy, deployment) => {
    const out = tempDir();
    const r = generate({ institutionFile: policy, deploymentFile: deployment, outDir: out, env: { SYNAPSE_B_OIDC_CLIENT_SECRET: OIDC_SECRET } });
    expect(r.warnings).toEqual([]);
    const checks: [string, typeof HOMESERVER_OPTIONS][] = [
      [join(out, 'homeserver.yaml'), HOMESERVER_OPTIONS],
      [join(out, 'log.config'), LOG_CONFIG_OPTIONS],
      [join(r.secretsDir, SECRET_FILES.appservice_registration), REGISTRATION_OPTIONS],
    ];
    for (const [file, table] of checks) {
      const doc = yamlFile(file);
      expect(Object.keys(doc).length).toBeGreaterThan(3);
      expect(checkOptions(doc, table), file).toEqual([]);
      expect(parse(stringify(doc))).toEqual(doc);
    }
    for (const f of ['server', 'client']) JSON.parse(readFileSync(join(out, 'well-known/matrix', f), 'utf8'));
  });

  it('derives server name, federation allow-list, E2EE, retention and the appservice from the policy', () => {
    const out = tempDir();
    generate({ institutionFile: POLICY_A, deploymentFile: DEPLOY_A, outDir: out, env: {} });
    const hs = yamlFile(join(out, 'homeserver.yaml'));
    expect(hs.server_name).toBe('a.example');
    expect(hs.public_baseurl).toBe('https://matrix.a.example/');
    expect(hs.encryption_enabled_by_default_for_room_type).toBe('all');
    expect(hs.federation_domain_whitelist).toEqual(['a.example', 'b.example']);
    expect(hs.trusted_key_servers).toEqual([]);
    expect(hs.app_service_config_files).toEqual(['/data/secrets/appservice-registration.yaml']);
    // school-a keeps peer rooms 30 days, groups 90, escalations 365
    expect(hs.retention).toEqual({
      enabled: true,
      default_policy: { min_lifetime: '1d', max_lifetime: '30d' },
      allowed_lifetime_min: '1d',
      allowed_lifetime_max: '365d',
      purge_jobs: [{ longest_max_lifetime: '30d', interval: '12h' }, { shortest_max_lifetime: '30d', interval: '1d' }],
    });
    expect(hs.database).toMatchObject({ name: 'psycopg2', args: { host: 'postgres-a', dbname: 'synapse', user: 'synapse', port: 5432, passfile: '/data/secrets/pgpass' } });
    expect(hs).toMatchObject({ enable_registration: true, registration_requires_token: true, report_stats: false, url_preview_enabled: false, enable_metrics: true });
    expect(hs.user_directory).toEqual({ enabled: true, search_all_users: false, prefer_local_users: true, exclude_remote_users: true });
    expect(hs).toMatchObject({ allow_public_rooms_without_auth: false, allow_public_rooms_over_federation: false, room_list_publication_rules: [{ action: 'deny' }] });
    expect(hs.listeners).toContainEqual({ port: 9000, bind_addresses: ['127.0.0.1'], type: 'metrics' });
    for (const key of ['rc_message', 'rc_login', 'rc_registration', 'rc_joins']) expect(hs[key], key).toBeTypeOf('object');
    for (const key of ['macaroon_secret_key', 'form_secret', 'registration_shared_secret', 'oidc_providers']) expect(hs[key], key).toBeUndefined();

    const reg = yamlFile(join(out, 'secrets', SECRET_FILES.appservice_registration));
    expect(reg).toMatchObject({ id: 'peerline-bridge', url: 'http://bridge-a:9100', sender_localpart: 'peerline-bot', rate_limited: false });
    expect(reg.namespaces).toEqual({ users: [{ exclusive: true, regex: '^@peerline-bot:a\\.example$' }], aliases: [], rooms: [] });
    // The bridge keeps its tokens in this very format, so its data directory can take the file.
    const tokens = JSON.parse(readFileSync(join(out, 'secrets', SECRET_FILES.bridge_tokens), 'utf8')) as Record<string, string>;
    expect(reg.as_token).toBe(tokens.as_token);
    expect(reg.hs_token).toBe(tokens.hs_token);
  });

  it('writes the same registration document the bridge itself prints', () => {
    const policy = loadPolicy(POLICY_A);
    const deployment = loadDeployment(DEPLOY_A, 'a.example');
    const tokens = { as_token: 'plas_x', hs_token: 'plhs_y' };
    const bridgeConfig = { server_name: 'a.example', appservice: { id: deployment.bridge.id, url: deployment.bridge.url, sender_localpart: deployment.bridge.sender_localpart } } as BridgeConfig;
    expect(appserviceRegistration(policy, deployment, tokens)).toEqual(registrationDocument(bridgeConfig, tokens));
  });

  it('configures OIDC sign-in with the client secret read from a file, and closes password registration', () => {
    const out = tempDir();
    generate({ institutionFile: POLICY_B, deploymentFile: DEPLOY_B, outDir: out, env: { SYNAPSE_B_OIDC_CLIENT_SECRET: OIDC_SECRET } });
    const hs = yamlFile(join(out, 'homeserver.yaml'));
    expect(hs.enable_registration).toBe(false);
    expect(hs.password_config).toEqual({ enabled: false });
    expect(hs.oidc_providers).toMatchObject([{ idp_id: 'school-b-sso', issuer: 'https://login.b.example/', client_id: 'peerline-synapse', client_secret_path: '/data/secrets/oidc_client_secret' }]);
    expect(readFileSync(join(out, 'secrets', SECRET_FILES.oidc_client_secret), 'utf8')).toBe(OIDC_SECRET);
    expect(hs.federation_domain_whitelist).toEqual(['b.example', 'a.example']);
  });

  it('warns when an OIDC client secret is neither in the environment nor on disk', () => {
    const r = generate({ institutionFile: POLICY_B, deploymentFile: DEPLOY_B, outDir: tempDir(), env: {} });
    expect(r.secrets.oidc_client_secret).toBe('missing');
    expect(r.warnings.join('\n')).toContain('SYNAPSE_B_OIDC_CLIENT_SECRET');
  });

  it('keeps secrets out of every configuration file, whether given in the environment or generated', () => {
    const out = tempDir();
    const env = {
      SYNAPSE_DB_PASSWORD: 'db-pass:with\\odd-chars-1234567',
      SYNAPSE_MACAROON_SECRET_KEY: 'macaroon-secret-0123456789abcdef',
      PEERLINE_BRIDGE_AS_TOKEN: 'as-token-from-env-0123456789abcdef',
    };
    const r = generate({ institutionFile: POLICY_A, deploymentFile: DEPLOY_A, outDir: out, env });
    expect(r.secrets).toMatchObject({ database_password: 'environment', macaroon_secret_key: 'environment', form_secret: 'generated', appservice_tokens: 'environment' });
    const secretsDir = join(out, 'secrets');
    expect(readFileSync(join(secretsDir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    const secrets = readdirSync(secretsDir).filter((f) => f !== '.gitignore').flatMap((f) => secretStrings(join(secretsDir, f)));
    expect(secrets).toEqual(expect.arrayContaining(Object.values(env)));
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    const configTexts = r.files.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const s of secrets) expect(configTexts.includes(s), 'a secret leaked into a configuration file').toBe(false);
    expect(statSync(secretsDir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(secretsDir)) expect(statSync(join(secretsDir, f)).mode & 0o777, f).toBe(0o600);
    expect(parsePgpassLine(readFileSync(join(secretsDir, 'pgpass'), 'utf8').trimEnd())).toEqual(['postgres-a', '5432', 'synapse', 'synapse', env.SYNAPSE_DB_PASSWORD]);
  });

  it('generates a signing key in Synapse format once and never replaces it; other secrets are kept too', () => {
    const out = tempDir();
    const first = generate({ institutionFile: POLICY_A, outDir: out, env: {} });
    const keyFile = join(out, 'secrets', SECRET_FILES.signing_key);
    const keyText = readFileSync(keyFile, 'utf8');
    expect(keyText).toMatch(/^ed25519 a_[A-Za-z]{4} [A-Za-z0-9+/]{43}\n$/);
    const { keyId, seed } = readSigningKey(keyFile);
    expect(`ed25519:${keyId}`).toBe(first.signingKey.keyId);
    expect(publicKeyOfSeed(seed)).toBe(first.signingKey.publicKeyBase64);
    const before = Object.fromEntries(readdirSync(join(out, 'secrets')).map((f) => [f, readFileSync(join(out, 'secrets', f), 'utf8')]));
    const config = readFileSync(join(out, 'homeserver.yaml'), 'utf8');

    const second = generate({ institutionFile: POLICY_A, outDir: out, env: {} });
    expect(second.signingKey).toEqual({ ...first.signingKey, source: 'kept' });
    expect(Object.values(second.secrets).every((s) => s === 'kept')).toBe(true);
    const after = Object.fromEntries(readdirSync(join(out, 'secrets')).map((f) => [f, readFileSync(join(out, 'secrets', f), 'utf8')]));
    expect(after).toEqual(before);
    expect(readFileSync(join(out, 'homeserver.yaml'), 'utf8')).toBe(config);
  });

  it('refuses to touch a signing key it cannot read', () => {
    const out = tempDir();
    generate({ institutionFile: POLICY_A, outDir: out, env: {} });
    const keyFile = join(out, 'secrets', SECRET_FILES.signing_key);
    writeFileSync(keyFile, 'not a key\n');
    chmodSync(keyFile, 0o600);
    expect(() => generate({ institutionFile: POLICY_A, outDir: out, env: {} })).toThrow(/signing\.key is not a Synapse signing key/);
    expect(readFileSync(keyFile, 'utf8')).toBe('not a key\n');
  });

  it('names the file and the path of a policy mistake', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad-policy.yaml');
    writeFileSync(bad, readFileSync(POLICY_A, 'utf8').replace('server_name: b.example', 'server_name: "not a server name!"').replace('  peer: 30', '  peer: -4'));
    let message = '';
    try {
      generate({ institutionFile: bad, outDir: join(dir, 'out'), env: {} });
    } catch (e) {
      expect(e).toBeInstanceOf(GeneratorError);
      message = (e as Error).message;
    }
    expect(message).toContain(`policy ${bad} is invalid`);
    expect(message).toContain('at $.partners[0].server_name: expected a Matrix server name');
    expect(message).toContain('at $.retention_days.peer');
    expect(readdirSync(dir)).toEqual(['bad-policy.yaml']);
  });

  it('names the file and line of broken YAML, and the path of a deployment mistake', () => {
    const dir = tempDir();
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'schema_version: 1\ninstitution: [unclosed\n');
    expect(() => generate({ institutionFile: broken, outDir: join(dir, 'out'), env: {} })).toThrow(new RegExp(`policy ${broken} is not valid YAML: .*line`));
    const deployment = join(dir, 'deploy.yaml');
    writeFileSync(deployment, 'database:\n  port: "5432x"\n  passwrd: hunter2\n');
    const run = (): unknown => generate({ institutionFile: POLICY_A, deploymentFile: deployment, outDir: join(dir, 'out'), env: {} });
    expect(run).toThrow(`deployment file ${deployment} is invalid:`);
    expect(run).toThrow('at $.database.port: expected a port number from 1 to 65535, found "5432x"');
    expect(run).toThrow('at $.database.passwrd: is not a known setting');
  });

  it('runs as a command: prints where secrets came from but never their values, and fails clearly on a bad policy', () => {
    const out = tempDir();
    const ok = spawnSync(process.execPath, [CLI, '--institution', POLICY_A, '--deployment', DEPLOY_A, '--out', out], {
      encoding: 'utf8', env: { ...process.env, SYNAPSE_FORM_SECRET: 'form-secret-from-env-0123456789' }, timeout: 30_000,
    });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('form_secret: environment');
    expect(ok.stdout).toContain(join(out, 'homeserver.yaml'));
    for (const s of readdirSync(join(out, 'secrets')).filter((f) => f !== '.gitignore').flatMap((f) => secretStrings(join(out, 'secrets', f)))) expect(ok.stdout.includes(s)).toBe(false);

    const bad = join(out, 'policy.yaml');
    writeFileSync(bad, 'schema_version: 2\n');
    const failed = spawnSync(process.execPath, [CLI, '--institution', bad, '--out', join(out, 'x')], { encoding: 'utf8', timeout: 30_000 });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain(`synapse-config: policy ${bad} is invalid`);
    expect(failed.stderr).toContain('at $.schema_version');
    const usage = spawnSync(process.execPath, [CLI, '--out', out], { encoding: 'utf8', timeout: 30_000 });
    expect(usage.status).toBe(1);
    expect(usage.stderr).toContain('--institution is required');
  });
});

describe('option checker', () => {
  it('reports undocumented keys, wrong types and values outside the documented set', () => {
    const problems = checkOptions({
      server_name: 'a.example',
      enable_registraton: true,
      max_upload_size: '20 megabytes',
      listeners: [{ port: '8008', type: 'https', resources: [{ names: ['client', 'chat'] }] }],
      retention: { purge_jobs: [{ interval: 12 }] },
      database: { name: 'psycopg2', args: { anything: 'goes to libpq' } },
    }, HOMESERVER_OPTIONS);
    expect(problems.map((p) => p.path)).toEqual([
      'enable_registraton', 'max_upload_size', 'listeners[0].port', 'listeners[0].type', 'listeners[0].resources[0].names[1]',
    ]);
    expect(problems[0]!.message).toBe('is not a documented option');
    expect(problems[1]!.message).toContain('expected byte size');
  });
});
