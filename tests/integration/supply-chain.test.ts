// Supply chain: the lockfile exists and matches every package.json (root and workspaces), every
// dependency resolves from it alone, every registry package in it is pinned by an integrity hash, and
// no package runs an install script unless package.json's `allowScripts` lists it (it lists none).
// The npm audit of production dependencies is read by tests/helpers/npm-audit.ts, whose verdicts are
// checked here on recorded reports; the live audit runs with `npm run audit:production` (see README).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { interpretAuditReport } from '../helpers/npm-audit.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

interface Manifest {
  name?: string;
  workspaces?: string[];
  allowScripts?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}
interface LockEntry extends Manifest {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  hasInstallScript?: boolean;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const manifest = readJson<Manifest>(join(ROOT, 'package.json'));
const lockPath = join(ROOT, 'package-lock.json');
const lock = existsSync(lockPath) ? readJson<{ lockfileVersion: number; packages: Record<string, LockEntry> }>(lockPath) : null;
const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** Node's resolution within the lockfile: the nearest node_modules/<name> from `from` up to the root. */
function resolveInLock(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i >= 0 ? dir.slice(0, i) : '';
  }
}

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

describe('supply chain', () => {
  it('has a package-lock.json (lockfile v2 or later)', () => {
    expect(lock, 'package-lock.json is missing: run npm install and commit it').not.toBeNull();
    expect(lock!.lockfileVersion).toBeGreaterThanOrEqual(2);
  });

  it('records exactly the dependencies each package.json declares, for the root and every workspace', () => {
    const packages = lock!.packages;
    const roots: [string, Manifest][] = [['', manifest], ...(manifest.workspaces ?? []).map((w) => [w, readJson<Manifest>(join(ROOT, w, 'package.json'))] as [string, Manifest])];
    for (const [path, m] of roots) {
      const entry = packages[path];
      expect(entry, `workspace ${path || '(root)'} is missing from the lockfile`).toBeDefined();
      for (const field of DEP_FIELDS) {
        expect(entry![field] ?? {}, `${path || 'root'} ${field} differ between package.json and package-lock.json`).toEqual(m[field] ?? {});
      }
      if (path) {
        // The workspace is linked under its own name, so imports of it resolve to the source folder.
        expect(packages[`node_modules/${m.name}`], `workspace ${m.name} is not linked in the lockfile`).toMatchObject({ link: true, resolved: path });
      }
    }
  });

  it('resolves every dependency of every package in the lockfile from the lockfile alone', () => {
    const packages = lock!.packages;
    const unresolved: string[] = [];
    for (const [path, entry] of Object.entries(packages)) {
      if (entry.link) continue;
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
        // Dev dependencies of installed packages are never installed; optional ones may be absent (other platforms).
        if (field === 'devDependencies' && path.includes('node_modules/')) continue;
        for (const name of Object.keys(entry[field] ?? {})) {
          if (!resolveInLock(packages, path, name) && field !== 'optionalDependencies') unresolved.push(`${name} (needed by ${path || 'root'})`);
        }
      }
    }
    expect(unresolved).toEqual([]);
  });

  it('passes npm\'s own check of the tree the lockfile describes (npm ls --all --omit=optional --package-lock-only)', async () => {
    const { stdout } = await run('npm', ['ls', '--all', '--omit=optional', '--package-lock-only', '--json'], { cwd: ROOT, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 })
      .catch((e: { stdout?: string; message: string }) => ({ stdout: e.stdout ?? JSON.stringify({ problems: [e.message] }) }));
    const tree = JSON.parse(stdout) as { problems?: string[]; dependencies?: Record<string, unknown> };
    expect(tree.problems ?? []).toEqual([]);
    for (const w of manifest.workspaces ?? []) expect(Object.keys(tree.dependencies ?? {})).toContain(readJson<Manifest>(join(ROOT, w, 'package.json')).name);
  });

  it('pins every registry package by a sha512 integrity hash and fetches none from git, files or plain http', () => {
    const loose: string[] = [];
    for (const [path, entry] of Object.entries(lock!.packages)) {
      if (!path.includes('node_modules/') || entry.link) continue;
      if (!entry.integrity?.startsWith('sha512-')) loose.push(`${path}: no sha512 integrity`);
      if (entry.resolved !== undefined && !entry.resolved.startsWith('https://')) loose.push(`${path}: resolved from ${entry.resolved}`);
    }
    expect(loose).toEqual([]);
  });

  it('runs no dependency install scripts: none in the lockfile or the installed packages unless allowScripts lists it', () => {
    expect(manifest.allowScripts, 'package.json must keep an explicit allowScripts list').toBeDefined();
    const allowed = new Set(Object.keys(manifest.allowScripts ?? {}));
    const withScripts: string[] = [];
    for (const [path, entry] of Object.entries(lock!.packages)) {
      if (!path) continue;
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length) || path;
      if (allowed.has(name)) continue;
      if (entry.hasInstallScript) withScripts.push(`${path} (hasInstallScript in package-lock.json)`);
      // The lockfile's flag is written by npm; the installed package.json says what would really run.
      const installed = join(ROOT, entry.link ? entry.resolved! : path);
      if (existsSync(join(installed, 'package.json'))) {
        const scripts = readJson<Manifest>(join(installed, 'package.json')).scripts ?? {};
        for (const s of INSTALL_SCRIPTS) if (scripts[s]) withScripts.push(`${path} (${s} script)`);
        // npm runs `node-gyp rebuild` for a package with a binding.gyp and no install script.
        if (existsSync(join(installed, 'binding.gyp'))) withScripts.push(`${path} (binding.gyp)`);
      }
    }
    expect(withScripts).toEqual([]);
  });
});

describe('npm audit verdicts (tests/helpers/npm-audit.ts)', () => {
  const report = (counts: Record<string, number>, vulnerabilities: Record<string, { severity: string }> = {}): string =>
    JSON.stringify({ auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0, ...counts } } });

  it('passes a report with low and moderate findings only', () => {
    expect(interpretAuditReport(report({ low: 2, moderate: 1 }, { a: { severity: 'low' }, b: { severity: 'moderate' } }))).toMatchObject({ ok: true });
  });

  it('fails a report with a high or critical finding, naming the packages', () => {
    for (const severity of ['high', 'critical']) {
      const verdict = interpretAuditReport(report({ [severity]: 1 }, { 'bad-pkg': { severity } }));
      expect(verdict).toMatchObject({ ok: false, kind: 'findings', packages: [`bad-pkg (${severity})`] });
    }
  });

  it('fails, saying so, when the audit endpoint cannot be reached or answers something else', () => {
    // What npm prints when the registry refuses the bulk advisory request (recorded here: a GET-only mirror).
    const refused = JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } });
    const offline = JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org failed', detail: '' } });
    for (const out of [refused, offline, '', 'not json', '{}']) {
      const verdict = interpretAuditReport(out);
      expect(verdict).toMatchObject({ ok: false, kind: 'unreachable' });
      expect((verdict as { message: string }).message).toMatch(/npm audit (could not be done|did not answer)/);
    }
  });
});
