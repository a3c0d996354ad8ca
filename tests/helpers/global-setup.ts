// Builds the homeserver once before the tests: integration tests start the compiled build, the
// artifact institutions run. Also builds web-client/dist for the browser tests, when its sources are
// newer than the last build (a Vite build is about a second, but most runs change no client code).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), s.mtimeMs);
}

export function buildWebClientIfStale(root: string): void {
  const web = resolve(root, 'web-client');
  const built = newestMtime(join(web, 'dist', 'index.html'));
  // The client bundles protocol/ too (event type names, consent signing).
  const sources = Math.max(...['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) => newestMtime(join(web, p))), newestMtime(join(root, 'protocol', 'src')));
  if (built > sources) return;
  // vitest sets NODE_ENV=test, which would make this a development build (Lit's dev mode, no service
  // worker): the tests must exercise the production build people get.
  execFileSync(process.execPath, [resolve(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: web, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' },
  });
}

export default function setup(): void {
  const root = resolve(import.meta.dirname, '..', '..');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', resolve(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  buildWebClientIfStale(root);
}
