// Low bandwidth: the built web client in headless Chromium on a throttled 3G-class link (DevTools'
// network emulation: 400 ms round trip, 400 kbit/s each way) against a real homeserver, A in the
// client on a 360 px wide screen and B a matrix-js-sdk client answering every message.
// - bytes on A's wire per message round trip (A sends, B answers, A shows the answer decrypted),
//   counted through the DevTools protocol over conversations of 3 round trips and A's read receipt,
//   in text-only mode and, for contrast, in the full client;
// - time to interactive with a warm cache: a reload of the signed-in app (service worker and caches
//   warm, session and crypto store kept) until the conversation list shows the room;
// - the same from a cold cache (caches and service worker cleared, session kept), for contrast.
// The web client is served gzip-compressed, as Caddy's `encode` does in production. Requests the
// service worker itself makes (index.html and config.json, network first) are not throttled by the
// page's emulation, so the warm figure leaves out their two short downloads.
// Merged into bench/results/program.json under "lowBandwidth" (other benchmarks write other keys).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { buildWebClientIfStale } from '../tests/helpers/global-setup.ts';
import { launchChromium } from '../tests/helpers/browser.ts';
import { startHomeserver } from '../tests/helpers/homeserver.ts';
import { SLOW_3G, WireMeter, wireBreakdown, wireTotal } from '../tests/helpers/wire-meter.ts';
import { conversationRoundTrips, keyBackupUpload, openChat, roundTrip, ROOM_NAME, startChatPair } from '../tests/helpers/low-bandwidth.ts';
import { benchConfig } from './harness.ts';
import { median, round, type Figure } from './stats.ts';

const quick = process.argv.includes('--quick');
const ROOT = resolve(import.meta.dirname, '..');
const CONVERSATIONS = quick ? 2 : 4;
const ROUNDS = 3;
const WARM_RELOADS = quick ? 3 : 5;
const COLD_LOADS = quick ? 1 : 2;
const RUN_ID = process.env['PEERLINE_BENCH_RUN'] ?? `single-${process.pid}`;

buildWebClientIfStale(ROOT);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json',
  '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.wasm', '.svg', '.webmanifest']);

/** The built client, as the production proxy serves it: gzip where it pays, hashed assets immutable. */
async function serveCompressed(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const gz = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    void (async () => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      let file = join(root, path);
      if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
      if (!(await stat(file).then((s) => s.isFile(), () => false))) file = join(root, 'index.html');
      let body: Buffer = await readFile(file);
      const headers: Record<string, string> = {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': file.startsWith(join(root, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache',
        Vary: 'Accept-Encoding',
      };
      if (COMPRESSIBLE.has(extname(file)) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        if (!gz.has(file)) gz.set(file, gzipSync(body));
        body = gz.get(file)!;
        headers['Content-Encoding'] = 'gzip';
      }
      res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
      res.end(body);
    })().catch(() => { res.writeHead(500).end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Times the signed-in app from `navigate` (a reload or a visit) to the room listed (ms). */
async function timeToInteractive(page: Page, navigate: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await navigate();
  await page.getByRole('button', { name: new RegExp(ROOM_NAME) }).waitFor({ timeout: 600_000 });
  return performance.now() - t0;
}

async function measureConversations(page: Page, meter: WireMeter, label: string): Promise<number[]> {
  const perRoundTrip: number[] = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    const talk = await conversationRoundTrips(page, meter, ROUNDS, `${label.replace(/\W/g, '')}${c}.`);
    perRoundTrip.push(wireTotal(talk.requests) / talk.rounds);
    if (c === 0) process.stdout.write(`\n${label}: where the bytes of ${ROUNDS} round trips and the read receipt went\n${wireBreakdown(talk.requests)}\n`);
  }
  return perRoundTrip;
}

const copy = mkdtempSync(join(tmpdir(), 'peerline-bench-lowbw-'));
cpSync(resolve(ROOT, 'web-client/dist'), copy, { recursive: true });
const [hs, web, browser] = await Promise.all([startHomeserver({ extraArgs: ['--config', benchConfig()] }), serveCompressed(copy), launchChromium()]);
try {
  const pair = await startChatPair(hs, 'bench-lowbw');
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto(`${web.url}/?hs=${encodeURIComponent(hs.baseUrl)}&lang=en`);
  await page.getByLabel('Username').fill(pair.a.userId.slice(1).split(':')[0]!);
  await page.getByLabel('Password').fill(pair.a.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: "I've saved it" }).click({ timeout: 60_000 });
  await openChat(page);

  const meter = await WireMeter.attach(page);
  await meter.throttle(SLOW_3G);

  // The full client first, for contrast; the first message shares and backs up the room key.
  const firstFull = await roundTrip(page, meter, 'first');
  const firstBytes = wireTotal([...firstFull.requests, ...await keyBackupUpload(meter, firstFull.requests)]);
  const full = await measureConversations(page, meter, 'full client');

  // Text-only mode, chosen in the account desk; its lighter sync starts with the next start.
  await meter.throttle(null);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Account' }).click();
  await page.getByRole('checkbox', { name: 'Text-only mode' }).check();
  await page.reload();
  await openChat(page);
  await meter.throttle(SLOW_3G);
  await roundTrip(page, meter, 'again');
  const textOnly = await measureConversations(page, meter, 'text-only mode');

  // Time to interactive, warm: the service worker controls the page and holds the shell and the chat code.
  if (!(await page.evaluate<boolean>('!!navigator.serviceWorker.controller'))) throw new Error('no service worker controls the page');
  const warm: number[] = [];
  for (let i = 0; i < WARM_RELOADS; i++) warm.push(await timeToInteractive(page, () => page.reload({ waitUntil: 'commit' })));

  // Cold: no service worker, no caches; the session and the crypto store stay, as after a browser's
  // cache was cleared. The page bypasses any service worker, so every request goes through its
  // throttled network (a worker's own fetches would not be throttled).
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setBypassServiceWorker', { bypass: true });
  const cold: number[] = [];
  const coldBytes: number[] = [];
  for (let i = 0; i < COLD_LOADS; i++) {
    await page.goto('about:blank');
    await cdp.send('Storage.clearDataForOrigin', { origin: web.url, storageTypes: 'cache_storage,service_workers' });
    await cdp.send('Network.clearBrowserCache');
    meter.start();
    cold.push(await timeToInteractive(page, () => page.goto(`${web.url}/?lang=en`, { waitUntil: 'commit' })));
    coldBytes.push(wireTotal(meter.stop()));
  }
  await meter.throttle(null);
  pair.stop();
  await context.close();

  const figures: Figure[] = [
    { name: `bytes per message round trip, text-only mode (${SLOW_3G.name}, median of ${CONVERSATIONS}×${ROUNDS})`, value: round(median(textOnly) / 1000, 2), unit: 'KB', floor: '< 10' },
    { name: 'bytes per message round trip, full client (contrast)', value: round(median(full) / 1000, 2), unit: 'KB' },
    { name: 'bytes of the first message of a conversation, full client (shares and backs up the room key)', value: round(firstBytes / 1000, 2), unit: 'KB' },
    { name: `time to interactive, slow 3G, warm cache (median of ${WARM_RELOADS})`, value: round(median(warm) / 1000, 2), unit: 's' },
    { name: `time to interactive, slow 3G, cold cache (median of ${COLD_LOADS}, contrast)`, value: round(median(cold) / 1000, 2), unit: 's' },
    { name: 'bytes on the wire for that cold start (gzip as served)', value: round(median(coldBytes) / 1e6, 2), unit: 'MB' },
  ];
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'program.json');
  let doc: Record<string, unknown> = {};
  try { doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>; } catch { /* first writer */ }
  doc['lowBandwidth'] = {
    title: 'Low bandwidth: text-only chat and start-up on slow 3G (headless Chromium, DevTools network emulation)',
    date: new Date().toISOString(), node: process.version, runId: RUN_ID, profile: SLOW_3G, figures,
    samples: { textOnlyBytesPerRoundTrip: textOnly.map(Math.round), fullBytesPerRoundTrip: full.map(Math.round), warmMs: warm.map(Math.round), coldMs: cold.map(Math.round), coldBytes },
  };
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n');
  const rows = figures.map((f) => [f.name, `${f.value} ${f.unit}`, f.floor ?? '']);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['figure', 'value', 'floor'][i]!.length));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  process.stdout.write(`\nLow bandwidth\n${line(['figure', 'value', 'floor'])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n(merged into bench/results/program.json under "lowBandwidth")\n`);
} finally {
  await browser.close();
  await web.close();
  await hs.stop();
  hs.cleanup();
  rmSync(copy, { recursive: true, force: true });
}
