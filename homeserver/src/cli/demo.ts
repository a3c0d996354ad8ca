// `npm start`: one embedded homeserver for trying Peerline out, with demo accounts whose sign-in
// details are printed and written to .peerline/demo.json, and the built web client served beside it
// (pointed at this homeserver). A second start reuses the data; `npm start -- --fresh` starts over.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createHomeserver } from '../app.ts';
import { startWebServer, type WebServer } from './static-server.ts';

interface DemoState {
  shared_secret: string;
  accounts: { user_id: string; localpart: string; password: string; role: string }[];
}

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

const root = repositoryRoot();
const demoDir = join(root, '.peerline');
const args = process.argv.slice(2);
if (args.includes('--fresh')) rmSync(demoDir, { recursive: true, force: true });
mkdirSync(demoDir, { recursive: true });
const statePath = join(demoDir, 'demo-state.json');
const state: DemoState = existsSync(statePath)
  ? (JSON.parse(readFileSync(statePath, 'utf8')) as DemoState)
  : { shared_secret: randomBytes(24).toString('base64url'), accounts: [] };

const clientPort = process.env['PEERLINE_CLIENT_PORT'] ?? '8008';
const federationPort = process.env['PEERLINE_FEDERATION_PORT'] ?? '8448';
const config = loadConfig([
  '--server-name', `localhost:${federationPort}`, '--client-port', clientPort, '--federation-port', federationPort,
  '--data-dir', join(demoDir, 'homeserver'), '--registration-shared-secret', state.shared_secret,
]);
const hs = createHomeserver(config, { logger: createLogger('warn', { service: 'homeserver' }) });
const ports = await hs.start().catch((e: unknown) => {
  process.stderr.write(`peerline: could not start (${(e as Error).message}); set PEERLINE_CLIENT_PORT / PEERLINE_FEDERATION_PORT to free ports\n`);
  process.exit(1);
});

for (const [localpart, role] of [['demo-student', 'student'], ['demo-supporter', 'supporter']] as const) {
  if (state.accounts.some((a) => a.localpart === localpart)) continue;
  const password = randomBytes(9).toString('base64url');
  const userId = await hs.services.accounts.createUser({ localpart, password, displayname: role === 'student' ? 'Quiet Heron' : 'Steady Oak' });
  state.accounts.push({ user_id: userId, localpart, password, role });
}
writeFileSync(statePath, JSON.stringify(state, null, 2), { mode: 0o600 });
const baseUrl = `http://127.0.0.1:${ports.clientPort}`;

// The web client, with config.json generated so it signs in to this homeserver.
const webDir = join(root, 'web-client', 'dist');
const webPort = Number(process.env['PEERLINE_WEB_PORT'] ?? '8080');
let web: WebServer | null = null;
if (existsSync(join(webDir, 'index.html'))) {
  web = await startWebServer({ root: webDir, port: webPort, config: { homeserver_url: baseUrl, bridge_url: null, region: 'default', default_language: 'en' } })
    .catch((e: unknown) => {
      process.stderr.write(`peerline: could not serve the web client on port ${webPort} (${(e as Error).message}); set PEERLINE_WEB_PORT to a free port\n`);
      return null;
    });
}
writeFileSync(join(demoDir, 'demo.json'), JSON.stringify({ homeserver: { server_name: config.server_name, client_url: baseUrl, federation_url: `https://127.0.0.1:${ports.federationPort}` }, web_url: web?.url ?? null, accounts: state.accounts }, null, 2), { mode: 0o600 });

process.stdout.write([
  '',
  `Peerline demo homeserver is running: ${config.server_name}`,
  `  client API:  ${baseUrl}   (point any Matrix client here)`,
  web ? `  web client:  ${web.url}/   (sign in with an account below)` : '  web client:  not served (run `npm run build`, or free PEERLINE_WEB_PORT)',
  '  accounts:',
  ...state.accounts.map((a) => `    ${a.role.padEnd(10)} ${a.user_id}   password: ${a.password}`),
  `  details for scripts: ${join(demoDir, 'demo.json')}`,
  '  Ctrl-C stops it; `npm start -- --fresh` starts over.',
  '',
].join('\n'));

const stop = (): void => {
  Promise.all([web?.close(), hs.stop()]).then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
