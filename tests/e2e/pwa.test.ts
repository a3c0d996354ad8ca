// The installable app: the built client served by `npm start`'s static server registers its service
// worker, and a cold reload with the network gone (servers closed, browser offline) still shows the
// sign-in screen and a crisis-resources dialog listing what the bridge last sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startWebServer, type WebServer } from '../../homeserver/src/cli/static-server.ts';
import { launchChromium } from '../helpers/browser.ts';

const DIST = resolve(import.meta.dirname, '..', '..', 'web-client', 'dist');
const BRIDGE_RESOURCE = { region: 'default', language: 'en', name: 'Campus Nightline', phone: '0800 123 456', hours: '20:00–08:00' };

let web: WebServer;
let copy: string;
let bridge: Server;
let bridgeUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** A stand-in for the bridge's public crisis-resources endpoint, on its own origin like the real one. */
async function startBridge(): Promise<Server> {
  const server = createServer((req, res) => {
    const ok = req.url?.startsWith('/v1/crisis-resources') ?? false;
    res.writeHead(ok ? 200 : 404, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
    res.end(JSON.stringify(ok ? { resources: [BRIDGE_RESOURCE] } : {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

describe('installable web client', () => {
  beforeAll(async () => {
    bridge = await startBridge();
    const addr = bridge.address();
    bridgeUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    // A private copy: another test run rebuilding dist must not swap files under the worker's install.
    copy = mkdtempSync(join(tmpdir(), 'peerline-pwa-'));
    cpSync(DIST, copy, { recursive: true });
    // As `npm start` does: config.json generated, pointing at a homeserver (unused here) and the bridge.
    [web, browser] = await Promise.all([
      startWebServer({ root: copy, port: 0, config: { homeserver_url: 'http://127.0.0.1:9', bridge_url: bridgeUrl, region: 'default' } }),
      launchChromium(),
    ]);
    context = await browser.newContext({ viewport: { width: 800, height: 700 } });
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await web?.close();
    bridge?.closeAllConnections();
    await new Promise<void>((r) => (bridge?.listening ? bridge.close(() => r()) : r()));
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('publishes a valid manifest whose icons all exist, including a maskable one', async () => {
    const manifestRes = await fetch(`${web.url}/manifest.webmanifest`);
    expect(manifestRes.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
    const manifest = (await manifestRes.json()) as { name: string; short_name: string; start_url: string; display: string; theme_color: string; background_color: string; icons: { src: string; sizes: string; type: string; purpose?: string }[] };
    expect(manifest.name).toBe('Peerline');
    expect(manifest.short_name.length).toBeLessThanOrEqual(12);
    expect(manifest.display).toBe('standalone');
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/);
    expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);
    // Chromium's installability check wants 192 and 512 px icons.
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    for (const icon of manifest.icons) {
      const res = await fetch(new URL(icon.src, `${web.url}/manifest.webmanifest`));
      expect(res.status, icon.src).toBe(200);
      expect(res.headers.get('content-type'), icon.src).toBe(icon.type);
      if (icon.type === 'image/png') {
        const bytes = new Uint8Array(await res.arrayBuffer());
        const view = new DataView(bytes.buffer);
        expect([...bytes.slice(1, 4)]).toEqual([80, 78, 71]); // "PNG"
        expect(`${view.getUint32(16)}x${view.getUint32(20)}`, icon.src).toBe(icon.sizes);
      }
    }
  });

  it('loads, links the manifest and hands control to its service worker', async () => {
    await page.goto(`${web.url}/?lang=en`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.locator('link[rel="manifest"]').getAttribute('href')).toBe('./manifest.webmanifest');
    // Strings, because this project's Node typings have no service-worker or Cache API types.
    const controlled = await page.evaluate<string | null>(`(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
      }
      return navigator.serviceWorker.controller?.scriptURL ?? null;
    })()`);
    expect(controlled).toBe(`${web.url}/sw.js`);
    // The first visit fetched the crisis list before the worker existed; the next one goes through it.
    await page.evaluate(() => localStorage.removeItem('peerline.crisis-resources'));
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect.poll(() => page.evaluate(() => localStorage.getItem('peerline.crisis-resources') ?? '')).toContain('Campus Nightline');
    const cached = await page.evaluate<string[]>(`(async () => (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => r.url)))).flat())()`);
    expect(cached).toEqual(expect.arrayContaining([`${web.url}/index.html`, `${web.url}/config.json`, `${web.url}/manifest.webmanifest`]));
    expect(cached.some((u) => u.startsWith(`${bridgeUrl}/v1/crisis-resources`))).toBe(true);
    expect(cached.filter((u) => u.includes('/_matrix/'))).toEqual([]);
  });

  it('shows sign-in and the crisis resources on a cold reload with no network at all', async () => {
    // Forget the app's own copy, so the list can only come from the service worker's cache.
    await page.evaluate(() => localStorage.removeItem('peerline.crisis-resources'));
    await web.close();
    bridge.closeAllConnections();
    await new Promise<void>((r) => bridge.close(() => r()));
    await context.setOffline(true);

    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect(page.getByLabel('Username').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Get help now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Help in a crisis' });
    await dialog.waitFor();
    await dialog.getByRole('heading', { name: 'Campus Nightline' }).waitFor();
    await expect(dialog.getByRole('link', { name: 'Call 0800 123 456' }).isVisible()).resolves.toBe(true);
  });
});
