// docker-compose.yml, checked without a Docker engine: the file's shape, that every service is
// pinned, health-checked and restarted; volumes declared; variables listed in deploy/.env.example; no
// secret in any committed file; and — after `npm run deploy:secrets` into a temporary directory —
// that the generated Synapse and bridge configurations, the compose services, the PostgreSQL
// initialisation and the Caddyfile agree on every host name, port, database and path.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BRIDGE_DATABASE, deploymentOf, INSTITUTIONS, prepareInstitution, ROOT, type ComposeInstitution } from '../../deploy/generate-secrets.ts';
import { parseBridgeConfig } from '../../bridge-service/src/config.ts';
import { loadDeployment, loadPolicy } from '../../synapse-config/src/generate.ts';
import { parsePgpassLine } from '../../synapse-config/src/secrets.ts';

type Obj = Record<string, unknown>;
interface Service {
  image?: string; build?: { context: string; dockerfile?: string }; command?: unknown; entrypoint?: unknown;
  environment?: Record<string, string>; env_file?: string[]; volumes?: string[]; ports?: string[];
  depends_on?: Record<string, { condition: string }>; healthcheck?: { test?: string[]; disable?: boolean; interval?: string; timeout?: string; retries?: number; start_period?: string };
  restart?: string; networks?: Record<string, { aliases?: string[] }>;
}

const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const composeText = readFileSync(COMPOSE_FILE, 'utf8');
const compose = parseYaml(composeText) as { name: string; services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const envExample = readFileSync(join(ROOT, 'deploy/.env.example'), 'utf8');
const caddyText = readFileSync(join(ROOT, 'deploy/Caddyfile'), 'utf8');

// The compose specification's keys this file may use (a typo such as `healtcheck` is an error).
const TOP_KEYS = new Set(['name', 'services', 'volumes', 'networks']);
const SERVICE_KEYS = new Set(['image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'volumes', 'ports', 'depends_on', 'healthcheck', 'restart', 'networks']);
const HEALTH_KEYS = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'disable']);
const RESTART = new Set(['no', 'always', 'on-failure', 'unless-stopped']);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);

/** A one-shot service: restart "no", and others wait for it to complete. */
function isOneShot(name: string): boolean {
  return Object.values(services).some((s) => s.depends_on?.[name]?.condition === 'service_completed_successfully');
}

function mounts(s: Service): { source: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    const [source, target, mode] = v.split(':');
    return { source: source!, target: target!, readOnly: mode === 'ro' };
  });
}

// ── A minimal Caddyfile reader: blocks of directives, `#` comments, braces ───────────────────
interface CaddyNode { tokens: string[]; children: CaddyNode[] }
function parseCaddyfile(text: string): CaddyNode[] {
  const root: CaddyNode = { tokens: [], children: [] };
  const stack = [root];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    if (line === '}') {
      stack.pop();
      expect(stack.length, 'unbalanced braces in the Caddyfile').toBeGreaterThan(0);
      continue;
    }
    const opens = line.endsWith('{');
    const node: CaddyNode = { tokens: (opens ? line.slice(0, -1) : line).trim().split(/\s+/).filter(Boolean), children: [] };
    stack.at(-1)!.children.push(node);
    if (opens) stack.push(node);
  }
  expect(stack.length, 'unbalanced braces in the Caddyfile').toBe(1);
  return root.children;
}
const sites = new Map(parseCaddyfile(caddyText).filter((n) => n.tokens.length > 0).map((n) => [n.tokens.join(' '), n]));
function find(node: CaddyNode, ...tokens: string[]): CaddyNode | undefined {
  return node.children.find((c) => tokens.every((t, i) => c.tokens[i] === t));
}

describe('docker-compose.yml: shape', () => {
  it('uses only compose-spec keys, with the right types', () => {
    for (const key of Object.keys(compose)) expect(TOP_KEYS.has(key) || key.startsWith('x-'), `top-level key ${key}`).toBe(true);
    expect(Object.keys(services).sort()).toEqual(['bridge-a', 'bridge-b', 'postgres-a', 'postgres-b', 'proxy', 'secrets-a', 'secrets-b', 'synapse-a', 'synapse-b']);
    for (const [name, s] of Object.entries(services)) {
      for (const key of Object.keys(s)) expect(SERVICE_KEYS.has(key), `${name}.${key}`).toBe(true);
      for (const key of Object.keys(s.healthcheck ?? {})) expect(HEALTH_KEYS.has(key), `${name}.healthcheck.${key}`).toBe(true);
      for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        expect(CONDITIONS.has(d.condition), `${name}.depends_on.${dep}`).toBe(true);
      }
      for (const v of s.volumes ?? []) expect(v, `${name} volume`).toMatch(/^[^:\s]+:\/[^:\s]*(:ro)?$/);
      if (s.environment) for (const [k, v] of Object.entries(s.environment)) expect(typeof v, `${name}.environment.${k}`).toBe('string');
    }
  });

  it('pins every image or builds from a Dockerfile that exists', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image ?? s.build, `${name}: image or build`).toBeDefined();
      if (s.build) {
        expect(statSync(join(ROOT, s.build.context)).isDirectory(), `${name} build context`).toBe(true);
        expect(existsSync(join(ROOT, s.build.context, s.build.dockerfile ?? 'Dockerfile')), `${name} Dockerfile`).toBe(true);
      } else {
        // A registry image with an explicit version tag, never `latest` or an untagged name.
        expect(s.image, `${name} image`).toMatch(/^[a-z0-9./-]+:v?\d+(\.\d+)+(-[a-z0-9]+)?$/);
      }
    }
    expect(services['synapse-a']!.image).toMatch(/^matrixdotorg\/synapse:v\d+\.\d+\.\d+$/);
    expect(services['postgres-a']!.image).toMatch(/^postgres:\d+\.\d+/);
    expect(services.proxy!.image).toMatch(/^caddy:\d+\.\d+\.\d+/);
  });

  it('gives every long-running service a health check and restart: unless-stopped; one-shot services run once', () => {
    for (const [name, s] of Object.entries(services)) {
      if (isOneShot(name)) {
        expect(s.restart, name).toBe('no');
        expect(s.healthcheck, name).toEqual({ disable: true });
        continue;
      }
      expect(RESTART.has(s.restart ?? ''), name).toBe(true);
      expect(s.restart, name).toBe('unless-stopped');
      expect(s.healthcheck?.test?.[0], `${name} health check`).toBe('CMD');
      expect(s.healthcheck?.test?.length, name).toBeGreaterThan(1);
      for (const d of ['interval', 'timeout', 'start_period'] as const) expect(s.healthcheck?.[d], `${name} ${d}`).toMatch(/^\d+[ms]$/);
    }
    expect(isOneShot('secrets-a') && isOneShot('secrets-b')).toBe(true);
    for (const x of ['a', 'b']) {
      expect(services[`synapse-${x}`]!.healthcheck!.test).toEqual(['CMD', 'curl', '-fsS', 'http://localhost:8008/health']);
      expect(services[`postgres-${x}`]!.healthcheck!.test!.slice(1, 2)).toEqual(['pg_isready']);
      expect(services[`bridge-${x}`]!.healthcheck!.test!.join(' ')).toContain("fetch('http://127.0.0.1:9100/ready')");
    }
    // The bridge really serves that path.
    expect(readFileSync(join(ROOT, 'bridge-service/src/api/system.ts'), 'utf8')).toContain("path: '/ready'");
  });

  it('declares every named volume it uses and uses every one it declares; bind mounts point at real or generated paths', () => {
    const used = new Set<string>();
    for (const [name, s] of Object.entries(services)) {
      for (const m of mounts(s)) {
        if (m.source.startsWith('.')) {
          const generated = /^\.\/deploy\/(generated|secrets)(\/|$)/.test(m.source) || m.source === './web-client/dist';
          if (!generated) expect(existsSync(join(ROOT, m.source)), `${name}: ${m.source}`).toBe(true);
          // Configuration and secrets are mounted read-only into the services.
          if (!name.startsWith('secrets-')) expect(m.readOnly, `${name}: ${m.source} read-only`).toBe(true);
        } else {
          expect(compose.volumes, `${name}: volume ${m.source}`).toHaveProperty(m.source);
          used.add(m.source);
        }
      }
    }
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it('lists every ${VAR} in deploy/.env.example, with names only', () => {
    const referenced = [...composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:?-[^}]*)?\}/g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThan(0);
    const listed = new Map([...envExample.matchAll(/^([A-Z_][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    for (const v of referenced) expect(listed.has(v), `${v} in deploy/.env.example`).toBe(true);
    for (const [k, v] of listed) expect(v, `${k} has no value in .env.example`).toBe('');
    // A bare $ would be interpolated by compose: every $ is ${…} or escaped as $$.
    expect(composeText.replace(/\$\{[^}]+\}/g, '').replace(/\$\$/g, '')).not.toContain('$');
  });

  it('holds no literal secret', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|_KEY$/.test(k)) expect(k, `${name}: ${k} must come from a file`).toMatch(/_FILE$/);
        expect(v, `${name}.${k}`).not.toMatch(/[A-Za-z0-9_-]{32,}/);
      }
      for (const f of s.env_file ?? []) expect(f, `${name} env_file`).toMatch(/^\.\/deploy\/secrets\//);
    }
    const sql = readFileSync(join(ROOT, 'deploy/postgres/init-bridge-db.sql'), 'utf8');
    for (const [file, text] of [['docker-compose.yml', composeText], ['deploy/Caddyfile', caddyText], ['deploy/.env.example', envExample]] as const) {
      expect(text, file).not.toMatch(/(password|secret|token)\w*[ \t]*[=:][ \t]*['"]?(?![/:])[A-Za-z0-9+_-]{12,}/i);
      expect(text, file).not.toMatch(/postgres(ql)?:\/\/[^:\s]+:[^@\s]+@/);
    }
    // The SQL takes the password from a psql variable (read from the secrets volume), never a literal.
    expect(sql).not.toMatch(/PASSWORD\s+'/i);
    expect(sql).toMatch(/PASSWORD :'bridge_password'/);
  });

  it('keeps secrets and generated files out of git and out of the Docker build context', () => {
    const ignored = execFileSync('git', ['check-ignore', 'deploy/secrets/school-a/postgres/synapse_password', 'deploy/generated/school-a/homeserver.yaml'], { cwd: ROOT, encoding: 'utf8' });
    expect(ignored.trim().split('\n')).toHaveLength(2);
    const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['deploy/secrets', 'deploy/generated', '**/node_modules', '.git']) expect(dockerignore).toContain(p);
  });

  it("builds the bridge from files that exist, on node:24-slim, running the bridge's main.ts", () => {
    const dockerfile = readFileSync(join(ROOT, 'bridge-service/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:24-slim$/m);
    const copies = [...dockerfile.matchAll(/^COPY\s+(.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/).slice(0, -1)).flat();
    expect(copies.length).toBeGreaterThan(5);
    for (const src of copies) expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
    // npm ci needs every workspace's manifest.
    const workspaces = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
    for (const w of workspaces) expect(copies, `workspace ${w}`).toContain(`${w}/package.json`);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    const entry = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(dockerfile)![1]!) as string[];
    const script = entry.find((a) => a.endsWith('.ts'))!;
    expect(existsSync(join(ROOT, script))).toBe(true);
    expect(copies.some((c) => script.startsWith(`${c}/`))).toBe(true);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});

// As shipped, School B signs in through its identity provider (OIDC); `npm run deploy:secrets --
// --token-registration` gives it registration tokens instead. The compose file serves both.
const VARIANTS = [
  { name: 'as shipped (School B signs in through OIDC)', tokenRegistration: false },
  { name: 'with --token-registration (School B on registration tokens)', tokenRegistration: true },
] as const;

for (const variant of VARIANTS) describe(`docker-compose.yml agrees with the generated configurations, ${variant.name}`, () => {
  let dir: string;
  let warnings: Record<string, string[]> = {};
  const secretsRoot = (): string => join(dir, 'secrets');
  const generatedRoot = (): string => join(dir, 'generated');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'peerline-compose-'));
    warnings = Object.fromEntries(INSTITUTIONS.map((inst) => [inst.key,
      prepareInstitution(inst, { secretsRoot: secretsRoot(), generatedRoot: generatedRoot(), env: {}, tokenRegistration: variant.tokenRegistration }).warnings]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A compose bind-mount source as a path in the temporary deployment. */
  const hostPath = (source: string): string => source.replace(/^\.\/deploy\/generated/, generatedRoot()).replace(/^\.\/deploy\/secrets/, secretsRoot()).replace(/^\.\//, `${ROOT}/`);

  for (const inst of INSTITUTIONS) {
    describe(inst.key, () => {
      const x = inst.suffix;
      const policy = loadPolicy(join(ROOT, inst.policy));
      const deployment = loadDeployment(join(ROOT, deploymentOf(inst, variant.tokenRegistration)), policy.institution.server_name);
      const gen = (...p: string[]): string => join(generatedRoot(), inst.key, ...p);
      const sec = (...p: string[]): string => join(secretsRoot(), inst.key, ...p);
      const homeserver = (): Obj => parseYaml(readFileSync(gen('homeserver.yaml'), 'utf8')) as Obj;

      it('mounts files the generator writes, where Synapse and the bridge look for them', () => {
        for (const name of [`synapse-${x}`, `bridge-${x}`, `postgres-${x}`, `secrets-${x}`]) {
          for (const m of mounts(services[name]!)) {
            if (m.source.startsWith('./')) expect(existsSync(hostPath(m.source)), `${name}: ${m.source}`).toBe(true);
          }
          for (const f of services[name]!.env_file ?? []) expect(existsSync(hostPath(f)), `${name}: ${f}`).toBe(true);
        }
        const synapse = mounts(services[`synapse-${x}`]!);
        const hs = homeserver();
        expect(synapse.find((m) => m.target === deployment.paths.config_dir)?.source).toBe(`synapse-${x}-data`);
        expect(synapse.find((m) => m.target === deployment.paths.secrets_dir)?.source).toBe(`synapse-${x}-secrets`);
        expect(synapse.find((m) => m.target === `${deployment.paths.config_dir}/homeserver.yaml`)?.source).toBe(`./deploy/generated/${inst.key}/homeserver.yaml`);
        expect(synapse.find((m) => m.target === hs.log_config)?.source).toBe(`./deploy/generated/${inst.key}/log.config`);
        expect(String(hs.media_store_path).startsWith(`${deployment.paths.config_dir}/`)).toBe(true);
        // Every secret Synapse reads is in the secrets volume, filled from deploy/secrets/<school>/synapse.
        for (const key of ['signing_key_path', 'macaroon_secret_key_path', 'form_secret_path', 'registration_shared_secret_path']) {
          const path = String(hs[key]);
          expect(path.startsWith(`${deployment.paths.secrets_dir}/`), key).toBe(true);
          expect(existsSync(sec('synapse', path.slice(deployment.paths.secrets_dir.length + 1))), key).toBe(true);
        }
        const init = services[`secrets-${x}`]!;
        expect(mounts(init).find((m) => m.target === '/in')?.source).toBe(`./deploy/secrets/${inst.key}`);
        expect(mounts(init).find((m) => m.target === '/out/synapse')?.source).toBe(`synapse-${x}-secrets`);
      });

      it('signs people in as its deployment file says: registration tokens, or only its identity provider', () => {
        const hs = homeserver();
        const expected = inst.key === 'school-b' && !variant.tokenRegistration ? 'oidc' : 'token';
        expect(deployment.registration).toBe(expected);
        if (expected === 'token') {
          expect(hs).toMatchObject({ enable_registration: true, registration_requires_token: true });
          expect(hs.oidc_providers).toBeUndefined();
          // Nothing is missing: this school's Synapse starts with what deploy:secrets wrote.
          expect(warnings[inst.key]).toEqual([]);
          expect(existsSync(sec('synapse', 'oidc_client_secret'))).toBe(false);
        } else {
          expect(hs.enable_registration).toBe(false);
          const [provider] = hs.oidc_providers as Obj[];
          expect(provider).toMatchObject({ issuer: deployment.oidc!.issuer, client_id: deployment.oidc!.client_id });
          expect(String(provider!.client_secret_path)).toBe(`${deployment.paths.secrets_dir}/oidc_client_secret`);
          // No client secret in the environment: deploy:secrets says so (Synapse would not start).
          expect(warnings[inst.key]!.join('\n')).toContain(deployment.secrets_env.oidc_client_secret);
        }
        // The switch changes sign-in only: same server name, database and bridge as the OIDC example.
        const shipped = loadDeployment(join(ROOT, inst.deployment), policy.institution.server_name);
        expect({ ...deployment, registration: null, oidc: null, secrets_env: null }).toEqual({ ...shipped, registration: null, oidc: null, secrets_env: null });
        expect(deployment.secrets_env.database_password).toBe(shipped.secrets_env.database_password);
      });

      it("federation and the bridge trust Caddy's local CA (tls internal), from the proxy's own data volume", () => {
        const proxyData = mounts(services['proxy']!).find((m) => m.target === '/data')!.source;
        const caFiles = homeserver().federation_custom_ca_list as string[];
        expect(caFiles).toHaveLength(1);
        // Caddy keeps its local CA at /data/caddy/pki/authorities/local/root.crt of its data volume.
        const inVolume = (name: string, path: string): boolean => mounts(services[name]!).some((m) => m.source === proxyData && m.readOnly && path === `${m.target}/caddy/pki/authorities/local/root.crt`);
        expect(inVolume(`synapse-${x}`, caFiles[0]!)).toBe(true);
        expect(inVolume(`bridge-${x}`, String(services[`bridge-${x}`]!.environment!.NODE_EXTRA_CA_CERTS))).toBe(true);
      });

      it('Synapse: server name, database, listener, appservice', () => {
        const hs = homeserver();
        expect(hs.server_name).toBe(policy.institution.server_name);
        const db = (hs.database as { name: string; args: Obj }).args;
        const pg = services[`postgres-${x}`]!;
        expect(db.host).toBe(`postgres-${x}`);
        expect(db.port).toBe(5432);
        expect(db.dbname).toBe(pg.environment!.POSTGRES_DB);
        expect(db.user).toBe(pg.environment!.POSTGRES_USER);
        expect(pg.environment!.POSTGRES_INITDB_ARGS).toContain('--lc-collate=C');
        expect(pg.healthcheck!.test).toEqual(expect.arrayContaining(['-U', String(db.user), '-d', String(db.dbname)]));
        // The password PostgreSQL is initialised with is the one in Synapse's passfile.
        const passfile = String(db.passfile);
        const pgpass = parsePgpassLine(readFileSync(sec('synapse', passfile.slice(deployment.paths.secrets_dir.length + 1)), 'utf8').trim());
        expect(pgpass.slice(0, 4)).toEqual([`postgres-${x}`, '5432', db.dbname, db.user]);
        expect(pgpass[4]).toBe(readFileSync(sec('postgres', 'synapse_password'), 'utf8'));
        expect(pg.environment!.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/peerline/synapse_password');
        expect(mounts(pg).find((m) => m.target === '/run/secrets/peerline')?.source).toBe(`postgres-${x}-secrets`);
        // Listener: the port the health check and the proxy use.
        const listener = (hs.listeners as { port: number; type: string; resources?: { names: string[] }[] }[]).find((l) => l.type === 'http')!;
        expect(listener.port).toBe(8008);
        expect(listener.resources![0]!.names).toEqual(expect.arrayContaining(['client', 'federation']));
        expect(services[`synapse-${x}`]!.healthcheck!.test!.at(-1)).toBe(`http://localhost:${listener.port}/health`);
        // The appservice registration points at the bridge service, at the port it listens on.
        const registration = parseYaml(readFileSync(sec('synapse', 'appservice-registration.yaml'), 'utf8')) as Obj;
        expect((hs.app_service_config_files as string[])).toEqual([`${deployment.paths.secrets_dir}/appservice-registration.yaml`]);
        const asUrl = new URL(String(registration.url));
        expect(asUrl.hostname).toBe(`bridge-${x}`);
        const bridge = parseBridgeConfig(parseYaml(readFileSync(gen('bridge.yaml'), 'utf8')), gen('bridge.yaml'));
        expect(Number(asUrl.port)).toBe(bridge.listen.port);
        expect(bridge.appservice.url).toBe(String(registration.url).replace(/\/$/, ''));
        expect(bridge.appservice.sender_localpart).toBe(registration.sender_localpart);
        // The tokens the bridge finds in its data volume are the registered ones.
        const tokens = JSON.parse(readFileSync(sec('synapse', 'bridge-appservice-tokens.json'), 'utf8')) as Obj;
        expect(tokens).toEqual({ as_token: registration.as_token, hs_token: registration.hs_token });
        expect(String(services[`secrets-${x}`]!.command)).toContain('/in/synapse/bridge-appservice-tokens.json /out/bridge/appservice-tokens.json');
        // Federation is limited to the institution and its partners, whose names the proxy serves.
        expect(hs.federation_domain_whitelist).toEqual([policy.institution.server_name, ...policy.partners.map((p) => p.server_name)]);
      });

      it('bridge: its settings, its homeserver, its policy, its database', () => {
        const bridge = parseBridgeConfig(parseYaml(readFileSync(gen('bridge.yaml'), 'utf8')), gen('bridge.yaml'));
        const service = services[`bridge-${x}`]!;
        expect(bridge.server_name).toBe(policy.institution.server_name);
        expect(bridge.homeserver_url).toBe(`http://synapse-${x}:8008`);
        expect(bridge.listen.address).toBe('0.0.0.0');
        expect(service.healthcheck!.test!.join(' ')).toContain(`http://127.0.0.1:${bridge.listen.port}/ready`);
        const m = mounts(service);
        expect(m.find((v) => v.target === bridge.data_dir)?.source).toBe(`bridge-${x}-data`);
        expect(m.find((v) => v.target === '/etc/peerline/bridge.yaml')?.source).toBe(`./deploy/generated/${inst.key}/bridge.yaml`);
        const policies = m.find((v) => bridge.policy_file.startsWith(`${v.target}/`))!;
        expect(existsSync(join(ROOT, policies.source, bridge.policy_file.slice(policies.target.length + 1)))).toBe(true);
        expect(join(policies.source, bridge.policy_file.slice(policies.target.length + 1))).toBe(inst.policy);
        expect(service.command).toEqual(['--config', '/etc/peerline/bridge.yaml']);
        expect(service.env_file).toEqual([`./deploy/secrets/${inst.key}/bridge.env`]);
        // PEERLINE_BRIDGE_DATABASE_URL names the database the init script creates on this school's server.
        const env = readFileSync(sec('bridge.env'), 'utf8');
        const url = new URL(/^PEERLINE_BRIDGE_DATABASE_URL=(.+)$/m.exec(env)![1]!);
        expect(url.protocol).toBe('postgres:');
        expect([url.hostname, url.port, url.pathname, url.username]).toEqual([`postgres-${x}`, '5432', `/${BRIDGE_DATABASE.name}`, BRIDGE_DATABASE.user]);
        expect(decodeURIComponent(url.password)).toBe(readFileSync(sec('postgres', 'bridge_password'), 'utf8'));
        const sql = readFileSync(join(ROOT, 'deploy/postgres/init-bridge-db.sql'), 'utf8');
        expect(sql).toContain(`CREATE ROLE ${BRIDGE_DATABASE.user} LOGIN PASSWORD :'bridge_password'`);
        expect(sql).toContain(`CREATE DATABASE ${BRIDGE_DATABASE.name} OWNER ${BRIDGE_DATABASE.user}`);
        expect(sql).toContain('`cat /run/secrets/peerline/bridge_password`');
        // OpenID checks go to the proxy's names for this school and its partners.
        expect(Object.keys(bridge.federation_endpoints).sort()).toEqual([policy.institution.server_name, ...policy.partners.map((p) => p.server_name)].sort());
        for (const [name, e] of Object.entries(bridge.federation_endpoints)) {
          expect(sites.has(new URL(e.url).host), `${name}: ${e.url} is served by the proxy`).toBe(true);
        }
      });

      it('secret files are private', () => {
        for (const f of [sec('bridge.env'), sec('postgres', 'synapse_password'), sec('postgres', 'bridge_password'), sec('synapse', 'signing.key')]) {
          expect(statSync(f).mode & 0o077, f).toBe(0);
        }
        for (const d of [sec(), sec('postgres'), sec('synapse')]) expect(statSync(d).mode & 0o077, d).toBe(0);
      });

      it('Caddyfile: well-known, Synapse, bridge and web client routes for this school', () => {
        const serverName = policy.institution.server_name;
        const matrixHost = new URL(deployment.public_baseurl).host;
        const webHost = webHostOf(inst);
        const caddyMount = (path: string): string => {
          const m = mounts(services.proxy!).find((v) => path.startsWith(`${v.target}/`))!;
          return hostPath(`${m.source}/${path.slice(m.target.length + 1)}`);
        };
        for (const host of [serverName, matrixHost, webHost]) {
          const site = sites.get(host);
          expect(site, `site ${host}`).toBeDefined();
          expect(find(site!, 'tls', 'internal'), `${host}: tls internal`).toBeDefined();
          expect(services.proxy!.networks!.default!.aliases, `${host} alias`).toContain(host);
        }
        // /.well-known/matrix/* on the server name: the generated delegation documents.
        const wk = find(sites.get(serverName)!, 'handle_path', '/.well-known/matrix/*')!;
        const root = find(wk, 'root', '*')!.tokens[2]!;
        const server = JSON.parse(readFileSync(join(caddyMount(root), 'server'), 'utf8')) as Obj;
        expect(server['m.server']).toBe(`${matrixHost}:443`);
        const client = JSON.parse(readFileSync(join(caddyMount(root), 'client'), 'utf8')) as { 'm.homeserver': { base_url: string } };
        expect(client['m.homeserver'].base_url).toBe(`https://${matrixHost}`);
        expect(find(wk, 'header', 'Access-Control-Allow-Origin', '*')).toBeDefined();
        // /_matrix on Synapse's public host, to the port it listens on.
        const matrix = sites.get(matrixHost)!;
        expect(find(matrix, 'reverse_proxy', '/_matrix/*')?.tokens[2]).toBe(`synapse-${x}:${deployment.listen.port}`);
        expect(find(matrix, 'reverse_proxy', '/_synapse/client/*')?.tokens[2]).toBe(`synapse-${x}:${deployment.listen.port}`);
        expect(caddyText).not.toMatch(/_synapse\/admin\S*\s+\S*synapse/);
        // The web client's host: /v1 to the bridge, config.json pointing at this school.
        const web = sites.get(webHost)!;
        const bridge = parseBridgeConfig(parseYaml(readFileSync(gen('bridge.yaml'), 'utf8')), gen('bridge.yaml'));
        expect(find(find(web, 'handle', '/v1/*')!, 'reverse_proxy')?.tokens[1]).toBe(`bridge-${x}:${bridge.listen.port}`);
        const configRoot = find(find(web, 'handle', '/config.json')!, 'root', '*')!.tokens[2]!;
        const config = JSON.parse(readFileSync(join(caddyMount(configRoot), 'config.json'), 'utf8')) as Obj;
        expect(config).toMatchObject({ homeserver_url: `https://${matrixHost}`, bridge_url: `https://${webHost}` });
        const spa = web.children.find((c) => c.tokens.length === 1 && c.tokens[0] === 'handle')!;
        expect(find(spa, 'root', '*')?.tokens[2]).toBe('/srv/web');
        expect(mounts(services.proxy!).find((m) => m.target === '/srv/web')?.source).toBe('./web-client/dist');
        expect(find(spa, 'try_files')?.tokens).toEqual(['try_files', '{path}', '/index.html']);
      });
    });
  }

  it('the proxy publishes HTTPS and waits for both schools', () => {
    expect(services.proxy!.ports!.some((p) => p.endsWith(':443'))).toBe(true);
    expect(Object.keys(services.proxy!.depends_on!).sort()).toEqual(['bridge-a', 'bridge-b', 'synapse-a', 'synapse-b']);
    expect(find(parseCaddyfile(caddyText)[0]!, 'admin')?.tokens[1]).toBe('127.0.0.1:2019');
    expect(services.proxy!.healthcheck!.test!.join(' ')).toContain('http://127.0.0.1:2019/');
  });
});

function webHostOf(inst: ComposeInstitution): string {
  return inst.web_host;
}
