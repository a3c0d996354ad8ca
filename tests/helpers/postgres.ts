// A throwaway PostgreSQL cluster for tests: Debian's binaries (`apt-get install postgresql`, which
// CI does) `initdb` into a temp directory and serve on a free loopback port with the unix socket in
// that directory. As root the binaries run as the `postgres` system user (PostgreSQL refuses root).
// One cluster per test file; `createDatabase()` hands out a fresh, empty database each call, and
// `isolatedSchema()` a cheaper empty namespace inside one.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.ts';

const run = promisify(execFile);

export interface PostgresCluster {
  /** `postgres://…` of a new, empty database (owned by the cluster's superuser); a few hundred ms. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** The newest installed server's bin directory; throws with the install command when none is. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does this)');
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0]!, 'bin');
}

/**
 * A fresh schema in the database at `url`, and a URL whose connections see only it (search_path):
 * an empty store for one test in milliseconds, where CREATE DATABASE takes a few hundred.
 */
export async function isolatedSchema(url: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad schema name ${name}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${name}`);
  return u.toString();
}

/** runuser by absolute path: it lives in /usr/sbin, which a minimal PATH (CI's) does not hold. */
function runuserPath(): string {
  const found = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser', '/bin/runuser'].find((p) => existsSync(p));
  if (!found) throw new Error('runuser not found: PostgreSQL cannot be started as the postgres user');
  return found;
}

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'peerline-pg-'));
  const data = join(dir, 'data');
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    owner = { uid: Number(stdout.trim()), gid: Number(g.trim()) };
    chownSync(dir, owner.uid, owner.gid);
  }
  const pgRun = (cmd: string, args: string[]): Promise<unknown> =>
    asRoot ? run(runuserPath(), ['-u', 'postgres', '--', join(bin, cmd), ...args], { cwd: dir }) : run(join(bin, cmd), args, { cwd: dir });

  // Trust on loopback only: a throwaway cluster that listens nowhere else, with no data worth keeping.
  await pgRun('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const conf = [
    `listen_addresses = '127.0.0.1'`, `port = ${port}`, `unix_socket_directories = '${dir}'`,
    // Durability is pointless here and costs seconds per test file.
    'fsync = off', 'synchronous_commit = off', 'full_page_writes = off',
    'max_connections = 50', 'shared_buffers = 16MB', `logging_collector = off`,
  ].join('\n');
  writeFileSync(join(data, 'postgresql.auto.conf'), conf + '\n');
  if (owner) chownSync(join(data, 'postgresql.auto.conf'), owner.uid, owner.gid);
  try {
    await pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
  } catch (e) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2_000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(e as Error).message}\n${log}`, { cause: e });
  }

  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  let n = 0;
  let stopped = false;
  return {
    async createDatabase() {
      const name = `t${process.pid}_${++n}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await admin.end().catch(() => undefined);
      await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
