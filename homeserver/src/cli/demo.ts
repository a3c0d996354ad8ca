// `npm start`: two federated institutions on this machine — School A and School B, each an embedded
// homeserver with its bridge registered as application service, federating over loopback HTTPS with
// self-signed certificates — and the built web client served once per institution. Seeds a student,
// two supporters, a counsellor and an admin at each, prints their sign-in details and writes them to
// .peerline/demo.json. Ctrl-C stops everything; a second start reuses the data; `--fresh` starts over.
//
// Settings (environment): PEERLINE_DEMO_DIR (data, default <repo>/.peerline), PEERLINE_DEMO_PORTS=auto
// (any free ports on a first start instead of 8008/8448/8010/8080 and 8018/8449/8020/8081).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { startWebServer, type WebServer } from './static-server.ts';
import { startChild, type RunningChild } from './demo/children.ts';
import { demoPolicy, policyYaml, type InstitutionId, type SamplePolicy } from './demo/policies.ts';
import { adminSession, ensureAccounts, ensureRoster, partnerLinkReady, type AdminSession, type SeedTarget } from './demo/seed.ts';
import { demoInfo, loadOrCreateState, portFree, saveState, serverNameOf, type InstitutionState } from './demo/state.ts';

const IDS = ['school-a', 'school-b'] as const;
const other = (id: InstitutionId): InstitutionId => (id === 'school-a' ? 'school-b' : 'school-a');

/** The repository root: the nearest folder above this file holding the workspace package.json. */
function repositoryRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) || !readFileSync(join(dir, 'package.json'), 'utf8').includes('"workspaces"')) {
    const up = resolve(dir, '..');
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

const say = (line = ''): void => void process.stdout.write(`${line}\n`);

// ---- stopping: every signal and every failure goes through here, once ---------------------------

const children: RunningChild[] = [];
const webServers: WebServer[] = [];
let stopping: Promise<void> | null = null;

function shutdown(code: number, why?: string): Promise<void> {
  if (stopping) return stopping;
  if (why) process.stderr.write(`peerline demo: ${why}\n`);
  stopping = (async () => {
    await Promise.all(webServers.map((w) => w.close().catch(() => undefined)));
    await Promise.all(children.map((c) => c.stop()));
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

// ---- building the web client when its sources changed -------------------------------------------

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), s.mtimeMs);
}

async function buildWebClientIfStale(root: string): Promise<boolean> {
  const web = join(root, 'web-client');
  const built = newestMtime(join(web, 'dist', 'index.html'));
  const sources = Math.max(...['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) => newestMtime(join(web, p))), newestMtime(join(root, 'protocol', 'src')));
  if (built > sources) return true;
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) return existsSync(join(web, 'dist', 'index.html'));
  say('Building the web client …');
  const code = await new Promise<number | null>((done) => {
    const p = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: web, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
    p.once('exit', (c) => done(c));
  });
  return code === 0;
}

// ---- one institution's files --------------------------------------------------------------------

interface Layout {
  dir: string;
  homeserverConfig: string;
  bridgeConfig: string;
  bridgeData: string;
  policyFile: string;
  registration: string;
}

function layout(base: string, id: InstitutionId): Layout {
  const dir = join(base, id);
  return {
    dir, homeserverConfig: join(dir, 'homeserver.yaml'), bridgeConfig: join(dir, 'bridge.yaml'), bridgeData: join(dir, 'bridge'),
    policyFile: join(dir, 'policy.yaml'), registration: join(dir, 'appservice-registration.yaml'),
  };
}

function writeInstitutionFiles(l: Layout, i: InstitutionState, partner: InstitutionState, policy: SamplePolicy): void {
  mkdirSync(l.bridgeData, { recursive: true, mode: 0o700 });
  const own = serverNameOf(i);
  const theirs = serverNameOf(partner);
  writeFileSync(l.homeserverConfig, stringify({
    server_name: own, bind_address: '127.0.0.1', client_port: i.ports.client, federation_port: i.ports.federation,
    data_dir: join(l.dir, 'homeserver'), registration_shared_secret: i.shared_secret, log_level: 'warn',
    app_service_config_files: [l.registration],
    // Each demo homeserver has a self-signed certificate; each accepts the other's (and only that).
    federation_insecure_skip_verify_for: [theirs],
  }), { mode: 0o600 });
  writeFileSync(l.policyFile, policyYaml(i.id, policy));
  writeFileSync(l.bridgeConfig, stringify({
    server_name: own, homeserver_url: `http://127.0.0.1:${i.ports.client}`, listen: { address: '127.0.0.1', port: i.ports.bridge },
    data_dir: l.bridgeData, policy_file: l.policyFile,
    appservice: { id: 'peerline-bridge', url: `http://127.0.0.1:${i.ports.bridge}`, sender_localpart: 'peerline-bot' },
    admins: i.accounts.filter((a) => a.role === 'admin').map((a) => a.user_id),
    log_level: 'info',
    development: {
      federation_endpoints: {
        [own]: { url: `https://127.0.0.1:${i.ports.federation}`, accept_self_signed: true },
        [theirs]: { url: `https://127.0.0.1:${partner.ports.federation}`, accept_self_signed: true },
      },
    },
  }), { mode: 0o600 });
}

async function generateRegistration(root: string, l: Layout): Promise<void> {
  if (existsSync(l.registration)) return;
  const out = await new Promise<string>((done, fail) => {
    const p = spawn(process.execPath, [join(root, 'dist/bridge-service/src/main.js'), 'generate-registration', '--config', l.bridgeConfig], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => { text += d.toString(); });
    p.once('exit', (code) => (code === 0 ? done(text) : fail(new Error(`bridge generate-registration exited with ${code}`))));
  });
  writeFileSync(l.registration, out, { mode: 0o600 });
}

async function waitForPartnerLinks(targets: Record<InstitutionId, SeedTarget>, sessions: Record<InstitutionId, AdminSession>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !stopping) {
    const ready = await Promise.all(IDS.map((id) => partnerLinkReady(targets[id], sessions[id]).catch(() => false)));
    if (ready.every(Boolean)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

// ---- start ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const root = repositoryRoot();
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--fresh');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')} (usage: npm start [-- --fresh])`);
  const base = resolve(process.env['PEERLINE_DEMO_DIR'] ?? join(root, '.peerline'));
  if (args.includes('--fresh')) {
    // Only what this demo (or the earlier one-homeserver demo) wrote.
    for (const p of ['state.json', 'demo.json', 'logs', ...IDS, 'homeserver', 'demo-state.json']) rmSync(join(base, p), { recursive: true, force: true });
  }
  mkdirSync(join(base, 'logs'), { recursive: true, mode: 0o700 });
  const stateFile = join(base, 'state.json');
  const { state, created } = await loadOrCreateState(stateFile, { autoPorts: process.env['PEERLINE_DEMO_PORTS'] === 'auto' });
  saveState(stateFile, state);
  const save = (): void => saveState(stateFile, state);

  if (!created) {
    // The ports are part of the data (the federation port is in every user id): they must be free.
    for (const i of Object.values(state.institutions)) {
      for (const [what, port] of Object.entries(i.ports)) {
        if (!(await portFree(port))) throw new Error(`port ${port} (${i.name}'s ${what} port) is in use: is another demo running? Stop it, or start over on other ports with \`npm start -- --fresh\``);
      }
    }
  }
  const haveWebClient = await buildWebClientIfStale(root);
  if (stopping) return;

  const layouts = { 'school-a': layout(base, 'school-a'), 'school-b': layout(base, 'school-b') };
  const policies = {} as Record<InstitutionId, SamplePolicy>;
  for (const id of IDS) {
    const i = state.institutions[id];
    const p = state.institutions[other(id)];
    policies[id] = demoPolicy(root, id, serverNameOf(i), { serverName: serverNameOf(p), id: p.id, name: p.name });
    writeInstitutionFiles(layouts[id], i, p, policies[id]);
  }
  await Promise.all(IDS.map((id) => generateRegistration(root, layouts[id])));

  const logFile = (name: string): string => join(base, 'logs', `${name}.log`);
  const track = (c: RunningChild): RunningChild => {
    children.push(c);
    // Exit 0 is a child stopped by a signal (Ctrl-C reaches the whole process group): stop the rest.
    void c.exited.then((code) => { if (!stopping) void (code === 0 ? shutdown(0) : shutdown(1, `${c.name} stopped unexpectedly (${code}); see ${c.logFile}`)); });
    return c;
  };
  await Promise.all(IDS.map(async (id) => track(await startChild({
    name: `homeserver ${id}`, script: join(root, 'dist/homeserver/src/main.js'), args: ['--config', layouts[id].homeserverConfig],
    readyText: 'peerline homeserver ready', logFile: logFile(`${id}-homeserver`), cwd: root,
  }))));
  if (stopping) return;
  await Promise.all(IDS.map(async (id) => track(await startChild({
    name: `bridge ${id}`, script: join(root, 'dist/bridge-service/src/main.js'), args: ['--config', layouts[id].bridgeConfig],
    readyText: 'peerline bridge ready', logFile: logFile(`${id}-bridge`), cwd: root,
    // Matching passes every second (default 5): offers across institutions arrive without a wait.
    env: { PEERLINE_MATCHING_TICK_MS: process.env['PEERLINE_MATCHING_TICK_MS'] ?? '1000' },
  }))));
  if (stopping) return;

  const targets = {} as Record<InstitutionId, SeedTarget>;
  const sessions = {} as Record<InstitutionId, AdminSession>;
  try {
    await Promise.all(IDS.map(async (id) => {
      const i = state.institutions[id];
      targets[id] = { homeserverUrl: `http://127.0.0.1:${i.ports.client}`, bridgeUrl: `http://127.0.0.1:${i.ports.bridge}`, sharedSecret: i.shared_secret, policy: policies[id] };
      await ensureAccounts(targets[id], i.accounts, save);
      sessions[id] = await adminSession(targets[id], i.accounts.find((a) => a.role === 'admin')!);
      await ensureRoster(targets[id], sessions[id], i.accounts.filter((a) => a.role === 'supporter' || a.role === 'counsellor'));
    }));
    if (!(await waitForPartnerLinks(targets, sessions, 60_000)) && !stopping) {
      process.stderr.write('peerline demo: the two bridges have not linked up yet; cross-institution matching starts once they have\n');
    }
  } finally {
    await Promise.all(Object.values(sessions).map((s) => s.close()));
  }
  if (stopping) return;

  const webUrls = {} as Record<InstitutionId, string>;
  for (const id of IDS) {
    const i = state.institutions[id];
    if (!haveWebClient) {
      webUrls[id] = '';
      continue;
    }
    // One origin per institution: a browser keeps one session per origin, so School A's student and
    // School B's supporter can be signed in side by side in two tabs.
    const web = await startWebServer({
      root: join(root, 'web-client', 'dist'), port: i.ports.web,
      config: { homeserver_url: targets[id].homeserverUrl, bridge_url: targets[id].bridgeUrl, region: 'GB', default_language: 'en' },
    });
    webServers.push(web);
    webUrls[id] = `${web.url}/`;
  }
  const info = demoInfo(state, webUrls);
  const infoFile = join(base, 'demo.json');
  writeFileSync(infoFile, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });

  say();
  say(`Peerline demo: two federated schools on this machine (${created ? 'new' : 'existing'} data in ${base})`);
  for (const id of IDS) {
    const x = info.institutions[id];
    say();
    say(`${x.name}   server name ${x.server_name}`);
    say(`  web client   ${x.web_url || 'not built (run `npm run build`)'}`);
    say(`  homeserver   ${x.homeserver_url}   bridge ${x.bridge_url}`);
    for (const a of x.accounts) say(`  ${a.role.padEnd(11)}  ${a.user_id.padEnd(28)}  password ${a.password}`);
  }
  say();
  say('Try it: sign in as School A\'s student and ask for support on "Exam stress"; sign in as a');
  say('supporter (School B\'s supporters take School A\'s requests too: the schools are partners),');
  say('make yourself available and accept. School B\'s students are minors: matched within School B only.');
  say(`For scripts: ${infoFile}   Logs: ${join(base, 'logs')}`);
  say('Ctrl-C stops everything; `npm start` again keeps accounts and rooms; `npm start -- --fresh` starts over.');
  say(`peerline demo ready: startup_ms=${Math.round(performance.now() - started)}`);
}

main().catch((e: unknown) => void shutdown(1, `could not start: ${(e as Error).message}`));
