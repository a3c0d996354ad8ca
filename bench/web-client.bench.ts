// Web client benchmark, on the production build (web-client/dist, rebuilt first when stale):
// - gzip size of the JS the first screen loads (the entry chunk and its static imports; matrix-js-sdk
//   and the crypto WASM are dynamic imports and excluded), and of all JS except the crypto WASM;
// - first contentful paint of the sign-in screen in headless Chromium on loopback with a warm cache.
// Writes bench/results/web-client.json.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { buildWebClientIfStale } from '../tests/helpers/global-setup.ts';
import { serveStatic } from '../tests/helpers/static-server.ts';
import { launchChromium } from '../tests/helpers/browser.ts';
import { median, percentile, report, round } from './stats.ts';

const quick = process.argv.includes('--quick');
const ROOT = resolve(import.meta.dirname, '..');
const DIST = resolve(ROOT, 'web-client/dist');

buildWebClientIfStale(ROOT);

const gzipKb = (file: string): number => gzipSync(readFileSync(file), { level: 9 }).length / 1024;

/** The entry scripts of index.html and every chunk they import statically, transitively. */
function firstScreenChunks(): string[] {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const queue = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\.?\/?([^"]+\.js)"/g)].map((m) => join(DIST, m[1]!));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // Static imports only: `import ... from "./x.js"`, `import "./x.js"`, `export ... from "./x.js"`; never `import("./x.js")`.
    for (const m of code.matchAll(/(?:\bimport|\bexport)\s*(?:[\w$*{}\s,]*?\s*from\s*)?["'](\.\/[^"']+\.js)["']/g)) {
      queue.push(resolve(file, '..', m[1]!));
    }
  }
  return [...seen];
}

const assets = readdirSync(join(DIST, 'assets')).map((f) => join(DIST, 'assets', f));
const firstScreen = firstScreenChunks();
const firstScreenKb = firstScreen.reduce((s, f) => s + gzipKb(f), 0);
const allJsKb = assets.filter((f) => f.endsWith('.js')).reduce((s, f) => s + gzipKb(f), 0);
const wasmKb = assets.filter((f) => f.endsWith('.wasm')).reduce((s, f) => s + gzipKb(f), 0);

const web = await serveStatic(DIST);
const browser = await launchChromium();
const fcps: number[] = [];
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const url = `${web.url}/?hs=${encodeURIComponent('http://127.0.0.1:9')}&lang=en`;
  await page.goto(url); // warms the HTTP cache
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const runs = quick ? 5 : 20;
  for (let i = 0; i < runs; i++) {
    await page.goto('about:blank');
    await page.goto(url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const fcp = await page.evaluate(`performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN`) as number;
    fcps.push(fcp);
  }
} finally {
  await browser.close();
  await web.close();
}

report('web-client.json', 'Web client (production build, headless Chromium on loopback)', [
  { name: 'first-screen JS (gzip)', value: round(firstScreenKb), unit: 'KB', floor: '<= 60' },
  { name: 'all JS except crypto WASM (gzip)', value: round(allJsKb), unit: 'KB', floor: '<= 350', reference: 'Hydrogen ~240 KB' },
  { name: 'crypto WASM (gzip, loaded after first paint)', value: round(wasmKb), unit: 'KB' },
  { name: 'first contentful paint p50 (warm cache)', value: round(median(fcps)), unit: 'ms', floor: '<= 500' },
  { name: 'first contentful paint p95 (warm cache)', value: round(percentile(fcps, 95)), unit: 'ms' },
], { firstScreenChunks: firstScreen.map((f) => f.slice(DIST.length + 1)), runs: fcps.length });
