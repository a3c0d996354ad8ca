// What the demo keeps between starts (ports, shared secrets, seeded accounts: its data directory's
// state.json, mode 0600), and what it tells scripts (demo.json).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { InstitutionId } from './policies.ts';
import type { DemoAccount, DemoRole } from './seed.ts';

export interface InstitutionPorts {
  client: number;
  federation: number;
  bridge: number;
  web: number;
}

export interface InstitutionState {
  id: InstitutionId;
  name: string;
  ports: InstitutionPorts;
  shared_secret: string;
  accounts: (DemoAccount & { created?: boolean })[];
}

export interface DemoState {
  version: 1;
  institutions: Record<InstitutionId, InstitutionState>;
}

/** Ports of a first start (later starts keep theirs: the federation port is part of the server name). */
const DEFAULT_PORTS: Record<InstitutionId, InstitutionPorts> = {
  'school-a': { client: 8008, federation: 8448, bridge: 8010, web: 8080 },
  'school-b': { client: 8018, federation: 8449, bridge: 8020, web: 8081 },
};

const NAMES: Record<InstitutionId, string> = { 'school-a': 'School A', 'school-b': 'School B' };

/** The seeded people of each institution: localpart, role, display name. */
const PEOPLE: [string, DemoRole, string][] = [
  ['student', 'student', 'Student'],
  ['supporter-1', 'supporter', 'Supporter One'],
  ['supporter-2', 'supporter', 'Supporter Two'],
  ['counsellor', 'counsellor', 'Counsellor'],
  ['admin', 'admin', 'Admin'],
];

export const serverNameOf = (i: InstitutionState): string => `localhost:${i.ports.federation}`;

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The default ports where free (any free port otherwise, or always with `auto`), never one twice. */
async function choosePorts(id: InstitutionId, auto: boolean, taken: Set<number>): Promise<InstitutionPorts> {
  const out = { ...DEFAULT_PORTS[id] };
  for (const key of Object.keys(out) as (keyof InstitutionPorts)[]) {
    let p = out[key];
    if (auto || taken.has(p) || !(await portFree(p))) {
      do p = await anyFreePort(); while (taken.has(p));
    }
    taken.add(p);
    out[key] = p;
  }
  return out;
}

function newPassword(): string {
  return randomBytes(12).toString('base64url');
}

/** Reads the state, or makes a new one (ports chosen, passwords generated, nothing created yet). */
export async function loadOrCreateState(file: string, opts: { autoPorts: boolean }): Promise<{ state: DemoState; created: boolean }> {
  if (existsSync(file)) {
    const state = JSON.parse(readFileSync(file, 'utf8')) as DemoState;
    if (state.version !== 1 || !state.institutions['school-a'] || !state.institutions['school-b']) {
      throw new Error(`${file} is not a state this demo understands; start over with \`npm start -- --fresh\``);
    }
    return { state, created: false };
  }
  const taken = new Set<number>();
  const institutions = {} as Record<InstitutionId, InstitutionState>;
  for (const id of ['school-a', 'school-b'] as const) {
    const ports = await choosePorts(id, opts.autoPorts, taken);
    const serverName = `localhost:${ports.federation}`;
    institutions[id] = {
      id, name: NAMES[id], ports, shared_secret: randomBytes(24).toString('base64url'),
      accounts: PEOPLE.map(([localpart, role, displayname]) => ({
        user_id: `@${localpart}:${serverName}`, localpart, role, displayname: `${displayname} (${NAMES[id]})`, password: newPassword(),
      })),
    };
  }
  return { state: { version: 1, institutions }, created: true };
}

export function saveState(file: string, state: DemoState): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export interface DemoInfo {
  institutions: Record<InstitutionId, {
    name: string;
    server_name: string;
    /** The web client, configured for this institution. */
    web_url: string;
    homeserver_url: string;
    federation_url: string;
    bridge_url: string;
    /** Synapse's shared-secret registration (`/_synapse/admin/v1/register`), for scripts adding accounts. */
    registration_shared_secret: string;
    accounts: DemoAccount[];
  }>;
  /** Every seeded account, with its institution. */
  accounts: (DemoAccount & { institution: InstitutionId })[];
}

export function demoInfo(state: DemoState, webUrls: Record<InstitutionId, string>): DemoInfo {
  const institutions = {} as DemoInfo['institutions'];
  const accounts: DemoInfo['accounts'] = [];
  for (const i of Object.values(state.institutions)) {
    const own = i.accounts.map(({ created: _created, ...a }) => a);
    institutions[i.id] = {
      name: i.name, server_name: serverNameOf(i), web_url: webUrls[i.id],
      homeserver_url: `http://127.0.0.1:${i.ports.client}`, federation_url: `https://127.0.0.1:${i.ports.federation}`,
      bridge_url: `http://127.0.0.1:${i.ports.bridge}`, registration_shared_secret: i.shared_secret, accounts: own,
    };
    accounts.push(...own.map((a) => ({ ...a, institution: i.id })));
  }
  return { institutions, accounts };
}
