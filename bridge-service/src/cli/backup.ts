// `admin backup --out DIR` and `admin restore --from DIR`: the embedded homeserver's and the bridge's
// data directories. SQLite databases are copied with `VACUUM INTO` from a read transaction, which is
// a consistent snapshot even while the services write (WAL); every other file (signing key, TLS
// pair, appservice tokens) is copied as is; configuration files ride along for reference. The
// bridge is copied before the homeserver, so every room the bridge copy knows of exists in the
// homeserver copy. A manifest holds every file's SHA-256; restore checks them and `PRAGMA
// integrity_check` before touching anything, and refuses a data directory a running process has
// open.
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, openSync, readSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AdminError } from './admin-session.ts';

export const MANIFEST = 'manifest.json';
const SQLITE_MAGIC = 'SQLite format 3\0';
/** SQLite's side files and our own temporary files: never part of a copy. */
const SKIP = /(-wal|-shm|-journal|\.tmp-\d+)$/;

export type PartName = 'homeserver' | 'bridge';

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
  sqlite: boolean;
}

export interface BackupPart {
  source_data_dir: string;
  files: ManifestFile[];
  config_files: ManifestFile[];
}

export interface BackupManifest {
  format: 'peerline-backup';
  version: 1;
  created: string;
  parts: Partial<Record<PartName, BackupPart>>;
}

export interface BackupSource {
  part: PartName;
  dataDir: string;
  configFiles: string[];
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function isSqlite(path: string): boolean {
  const buf = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return buf.toString('latin1') === SQLITE_MAGIC;
}

function listFiles(dir: string, under = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, under)).sort()) {
    const rel = under ? join(under, name) : name;
    const st = statSync(join(dir, rel));
    if (st.isDirectory()) out.push(...listFiles(dir, rel));
    else if (st.isFile() && !SKIP.test(name)) out.push(rel);
  }
  return out;
}

/** A consistent copy of a (possibly live) SQLite database. */
function snapshotSqlite(from: string, to: string): void {
  const db = new DatabaseSync(from);
  try {
    db.exec('PRAGMA busy_timeout = 10000');
    db.prepare('VACUUM INTO ?').run(to);
  } finally {
    db.close();
  }
}

/** 'ok', or the first problems SQLite's integrity check reports. */
export function integrityOf(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).slice(0, 5).join('; ');
  } catch (e) {
    return (e as Error).message;
  } finally {
    db.close();
  }
}

/**
 * Whether another process has the database open. The embedded homeserver and the bridge keep their
 * databases open in WAL mode for as long as they run, holding a shared lock; an exclusive lock is
 * then refused at once.
 */
export function databaseInUse(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new DatabaseSync(path);
  try {
    db.exec('PRAGMA busy_timeout = 0');
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (e) {
    if (/locked|busy/i.test((e as Error).message)) return true;
    throw e;
  } finally {
    db.close();
  }
}

function copyPart(src: BackupSource, outDir: string): BackupPart {
  if (!existsSync(src.dataDir) || !statSync(src.dataDir).isDirectory()) throw new AdminError(`${src.part} data directory ${src.dataDir} does not exist`, 2);
  const dataOut = join(outDir, src.part, 'data');
  mkdirSync(dataOut, { recursive: true, mode: 0o700 });
  const files: ManifestFile[] = [];
  for (const rel of listFiles(src.dataDir)) {
    const from = join(src.dataDir, rel);
    const to = join(dataOut, rel);
    mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
    const sqlite = isSqlite(from);
    if (sqlite) {
      snapshotSqlite(from, to);
      const check = integrityOf(to);
      if (check !== 'ok') throw new AdminError(`the copy of ${from} fails SQLite's integrity check (${check}); backup incomplete`);
    } else {
      copyFileSync(from, to);
    }
    chmodSync(to, 0o600);
    files.push({ path: rel, sha256: sha256(to), bytes: statSync(to).size, sqlite });
  }
  const configOut = join(outDir, src.part, 'config');
  const configFiles: ManifestFile[] = [];
  for (const file of src.configFiles) {
    if (!existsSync(file)) throw new AdminError(`${src.part} configuration file ${file} does not exist`, 2);
    mkdirSync(configOut, { recursive: true, mode: 0o700 });
    const name = configFiles.some((c) => c.path === basename(file)) ? `${configFiles.length}-${basename(file)}` : basename(file);
    const to = join(configOut, name);
    copyFileSync(file, to);
    chmodSync(to, 0o600);
    configFiles.push({ path: name, sha256: sha256(to), bytes: statSync(to).size, sqlite: false });
  }
  return { source_data_dir: resolve(src.dataDir), files, config_files: configFiles };
}

export function backup(sources: readonly BackupSource[], outDir: string, now = new Date()): BackupManifest {
  if (sources.length === 0) throw new AdminError('nothing to back up: give --config BRIDGE.yaml and/or --homeserver-data DIR (or --homeserver-config FILE)', 2);
  if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new AdminError(`${outDir} is not empty; back up into a new directory`, 2);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const manifest: BackupManifest = { format: 'peerline-backup', version: 1, created: now.toISOString(), parts: {} };
  // The bridge first: see the module comment.
  const ordered = [...sources].sort((a, b) => (a.part === b.part ? 0 : a.part === 'bridge' ? -1 : 1));
  for (const src of ordered) manifest.parts[src.part] = copyPart(src, outDir);
  writeFileSync(join(outDir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  return manifest;
}

export function readManifest(fromDir: string): BackupManifest {
  const file = join(fromDir, MANIFEST);
  if (!existsSync(file)) throw new AdminError(`${fromDir} holds no ${MANIFEST}; is it a Peerline backup?`, 2);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  if (doc.format !== 'peerline-backup' || doc.version !== 1) throw new AdminError(`${file} is not a Peerline backup manifest (version 1)`, 2);
  return doc;
}

/** Every problem of the backup's files (checksums, SQLite integrity); empty when sound. */
export function checkBackupPart(fromDir: string, part: PartName, p: BackupPart): string[] {
  const problems: string[] = [];
  for (const f of [...p.files.map((x) => ({ ...x, dir: 'data' })), ...p.config_files.map((x) => ({ ...x, dir: 'config' }))]) {
    const path = join(fromDir, part, f.dir, f.path);
    if (relative(join(fromDir, part, f.dir), path).startsWith('..')) {
      problems.push(`${f.path}: path leaves the backup directory`);
      continue;
    }
    if (!existsSync(path)) {
      problems.push(`${part}/${f.dir}/${f.path} is missing`);
      continue;
    }
    if (sha256(path) !== f.sha256) problems.push(`${part}/${f.dir}/${f.path} does not match its checksum (changed since the backup)`);
    else if (f.sqlite) {
      const check = integrityOf(path);
      if (check !== 'ok') problems.push(`${part}/${f.dir}/${f.path} fails SQLite's integrity check: ${check}`);
    }
  }
  return problems;
}

export interface RestoreResult {
  part: PartName;
  target: string;
  files: number;
  movedAside: string | null;
}

/**
 * Checks that one part can be restored into `target`: the backup's files are sound, no running
 * process has the target open, and the target is empty (or `force`). Returns where existing data
 * will be moved (null: nothing there). Writes nothing.
 */
export function checkRestore(fromDir: string, part: PartName, p: BackupPart, target: string, opts: { force: boolean; now?: Date }): { target: string; moveAsideTo: string | null } {
  const problems = checkBackupPart(fromDir, part, p);
  if (problems.length > 0) throw new AdminError(`the backup's ${part} data is damaged; nothing restored:\n  ${problems.join('\n  ')}`);
  const abs = resolve(target);
  if (!existsSync(abs) || readdirSync(abs).length === 0) return { target: abs, moveAsideTo: null };
  for (const rel of listFiles(abs)) {
    const file = join(abs, rel);
    if (isSqlite(file) && databaseInUse(file)) {
      throw new AdminError(`${file} is in use: the ${part} that owns ${abs} is running. Stop it before restoring; nothing restored`);
    }
  }
  if (!opts.force) throw new AdminError(`${abs} already holds data; restore into an empty directory, or add --force to move the current data aside first; nothing restored`, 2);
  return { target: abs, moveAsideTo: `${abs}.before-restore-${(opts.now ?? new Date()).toISOString().replace(/[:.]/g, '-')}` };
}

/** Restores one part as planned by checkRestore: assembled beside the target, then renamed in. */
export function restorePart(fromDir: string, part: PartName, p: BackupPart, plan: { target: string; moveAsideTo: string | null }): RestoreResult {
  const abs = plan.target;
  const staging = `${abs}.restore-tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    for (const f of p.files) {
      const to = join(staging, f.path);
      mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
      copyFileSync(join(fromDir, part, 'data', f.path), to);
      chmodSync(to, 0o600);
    }
    if (plan.moveAsideTo) renameSync(abs, plan.moveAsideTo);
    else if (existsSync(abs)) rmSync(abs, { recursive: true });
    mkdirSync(dirname(abs), { recursive: true });
    renameSync(staging, abs);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return { part, target: abs, files: p.files.length, movedAside: plan.moveAsideTo };
}
