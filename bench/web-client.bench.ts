// Web client benchmark, on the production build (web-client/dist, rebuilt first when stale):
// - gzip size of the JS the first screen loads (the entry chunk and its static imports; matrix-js-sdk
//   and the crypto WASM are dynamic imports and excluded), and of all JS except the crypto WASM;
//   WASM that a library ships base64-encoded inside a JS file (libsodium-wrappers does, for the
//   consent receipts) is crypto WASM too, not JavaScript: it is cut out of the JS figure and reported
//   on its own line, and the raw all-JS figure (as shipped, WASM literals included) is reported as
//   well, so neither number can be mistaken for the other;
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

const gzipBytesKb = (data: string | Buffer): number => gzipSync(data, { level: 9 }).length / 1024;
const gzipKb = (file: string): number => gzipBytesKb(readFileSync(file));

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

/**
 * WASM modules embedded in JS as base64 string literals (optionally a `data:…;base64,` URI): any quoted
 * run of at least 1 KiB of base64 (standard or URL-safe alphabet) whose decoded bytes begin with the
 * WASM magic number `\0asm`. Returns the JS with each such literal emptied, and the literals.
 */
function splitEmbeddedWasm(code: string): { js: string; wasmBase64: string[] } {
  const wasmBase64: string[] = [];
  const js = code.replace(/(["'`])(data:[\w/.+-]*;base64,)?([A-Za-z0-9+/_-]{1024,}={0,2})\1/g, (literal, quote: string, _uri, b64: string) => {
    const magic = Buffer.from(b64.slice(0, 8).replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    if (magic.length < 4 || magic[0] !== 0x00 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) return literal;
    wasmBase64.push(b64);
    return quote + quote;
  });
  return { js, wasmBase64 };
}

const assets = readdirSync(join(DIST, 'assets')).map((f) => join(DIST, 'assets', f));
const firstScreen = firstScreenChunks();
const firstScreenKb = firstScreen.reduce((s, f) => s + gzipKb(f), 0);
const jsFiles = assets.filter((f) => f.endsWith('.js'));
const allJsRawKb = jsFiles.reduce((s, f) => s + gzipKb(f), 0);
let allJsKb = 0;
let embeddedWasmKb = 0;
const embeddedWasm: { chunk: string; base64Chars: number }[] = [];
for (const f of jsFiles) {
  const { js, wasmBase64 } = splitEmbeddedWasm(readFileSync(f, 'utf8'));
  allJsKb += gzipBytesKb(js);
  for (const b64 of wasmBase64) {
    // As shipped: the base64 text, gzipped with the rest of its file; counted here on its own.
    embeddedWasmKb += gzipBytesKb(b64);
    embeddedWasm.push({ chunk: f.slice(DIST.length + 1), base64Chars: b64.length });
  }
}
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
  { name: 'all JS as shipped, incl. base64-embedded WASM (gzip)', value: round(allJsRawKb), unit: 'KB' },
  { name: 'crypto WASM (gzip, loaded after first paint)', value: round(wasmKb), unit: 'KB' },
  { name: 'crypto WASM embedded base64 in JS (gzip)', value: round(embeddedWasmKb), unit: 'KB' },
  { name: 'first contentful paint p50 (warm cache)', value: round(median(fcps)), unit: 'ms', floor: '<= 500' },
  { name: 'first contentful paint p95 (warm cache)', value: round(percentile(fcps, 95)), unit: 'ms' },
], { firstScreenChunks: firstScreen.map((f) => f.slice(DIST.length + 1)), embeddedWasm, runs: fcps.length });
