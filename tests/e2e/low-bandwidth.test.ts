// Text-only mode on a slow connection, in the built client in Chromium against a real homeserver:
// person A on a 360 px wide screen switches text-only mode on in the account desk, then chats over
// a throttled 3G-class link (400 ms round trip, 400 kbit/s each way) with B (matrix-js-sdk with Rust
// crypto in Node), every message end-to-end encrypted; the bytes on A's wire for one round trip are
// measured through the DevTools protocol and must stay under 10 KB. Then the signed-in app shell
// opens with the network gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHomeserver, type TestHomeserver } from '../helpers/homeserver.ts';
import { launchChromium } from '../helpers/browser.ts';
import { serveStatic, type StaticServer } from '../helpers/static-server.ts';
import { openSection, signInInBrowser } from '../helpers/web-stack.ts';
import { SLOW_3G, WireMeter, wireBreakdown, wireTotal } from '../helpers/wire-meter.ts';
import { conversationRoundTrips, keyBackupUpload, messageItem, openChat, roundTrip, startChatPair, type ChatPair } from '../helpers/low-bandwidth.ts';

const NARROW = { width: 360, height: 740 };
const BUDGET_BYTES = 10_000;

let hs: TestHomeserver;
let web: StaticServer;
let browser: Browser;
let copy: string;
const contexts: BrowserContext[] = [];
let pair: ChatPair;
let page: Page;

/** Whether anything in the page scrolls sideways: the document, or any element inside the shadow roots. */
const SIDEWAYS = `(() => {
  const out = [];
  const doc = document.scrollingElement;
  if (doc.scrollWidth > doc.clientWidth) out.push('document ' + doc.scrollWidth);
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const s = getComputedStyle(el);
      if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1) out.push(el.tagName.toLowerCase() + ' ' + el.scrollWidth);
      if (el.getBoundingClientRect().right > innerWidth + 1 && s.position !== 'fixed') out.push(el.tagName.toLowerCase() + ' sticks out to ' + Math.round(el.getBoundingClientRect().right));
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return out;
})()`;

describe('text-only mode on a slow connection', () => {
  beforeAll(async () => {
    // A private copy of the build: another test run rebuilding dist must not swap files under the service worker.
    copy = mkdtempSync(join(tmpdir(), 'peerline-lowbw-'));
    cpSync(resolve(import.meta.dirname, '..', '..', 'web-client', 'dist'), copy, { recursive: true });
    [hs, web, browser] = await Promise.all([startHomeserver(), serveStatic(copy), launchChromium()]);
    pair = await startChatPair(hs, 'lowbw');
    page = await signInInBrowser(browser, web.url, { hs }, pair.a, { viewport: NARROW, contexts });
  });

  afterAll(async () => {
    pair?.stop();
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await web?.close();
    await hs?.stop();
    hs?.cleanup();
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('is switched on in the account desk and stays on for this device', async () => {
    await openSection(page, 'Account');
    const toggle = page.getByRole('checkbox', { name: 'Text-only mode' });
    await expect(toggle.isChecked()).resolves.toBe(false);
    await toggle.check();
    await page.getByRole('status').filter({ hasText: 'Saved on this device' }).waitFor();
    expect(await page.evaluate(SIDEWAYS)).toEqual([]);
    // The lighter sync starts with the next start of the app.
    await page.reload();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await openSection(page, 'Account');
    await expect(page.getByRole('checkbox', { name: 'Text-only mode' }).isChecked()).resolves.toBe(true);
  });

  it('chats over slow 3G, decrypting both ways, for under 10 KB per round trip', async () => {
    await openSection(page, 'Conversations');
    await openChat(page);
    const meter = await WireMeter.attach(page);
    await meter.throttle(SLOW_3G);
    try {
      // The first message shares the room key (Olm to B's device): a one-off cost, printed for contrast.
      const first = await roundTrip(page, meter, 'first');
      const firstRequests = [...first.requests, ...await keyBackupUpload(meter, first.requests)];
      process.stdout.write(`text-only, ${SLOW_3G.name}: first message of the conversation (shares and backs up the room key): ${wireTotal(firstRequests)} B\n${wireBreakdown(firstRequests)}\n`);

      const talk = await conversationRoundTrips(page, meter, 3);
      const perRoundTrip = Math.round(wireTotal(talk.requests) / talk.rounds);
      process.stdout.write(`text-only, ${SLOW_3G.name}: ${perRoundTrip} B per round trip (${talk.rounds} round trips and the closing read receipt: ${wireTotal(talk.requests)} B)\n${wireBreakdown(talk.requests)}\n`);
      expect(perRoundTrip).toBeGreaterThan(1000); // something was measured: a message alone is more
      expect(perRoundTrip).toBeLessThan(BUDGET_BYTES);
      // Nothing of typing notifications, and the read receipt went out once, for the conversation.
      expect(talk.requests.filter((r) => r.url.includes('/typing/'))).toEqual([]);
      expect(talk.requests.filter((r) => r.url.includes('/receipt/') && r.method !== 'OPTIONS')).toHaveLength(1);
    } finally {
      await meter.throttle(null);
      await meter.detach();
    }
    // Every answer is on screen decrypted, and nothing failed to decrypt.
    for (const n of ['first', '1', '2', '3']) await expect(messageItem(page, `pong ${n}`).isVisible()).resolves.toBe(true);
    await expect(page.getByText('cannot be decrypted').count()).resolves.toBe(0);
  });

  it('fits a 360 px wide screen: nothing scrolls sideways and the composer is usable', async () => {
    expect(page.viewportSize()?.width).toBe(360);
    expect(await page.evaluate(SIDEWAYS)).toEqual([]);
    const composer = page.getByLabel('Message', { exact: true });
    const box = await composer.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(360);
    expect(box!.width).toBeGreaterThan(200);
    await composer.fill('ping narrow');
    await composer.press('Enter');
    await messageItem(page, 'pong narrow').waitFor();
    expect(await page.evaluate(SIDEWAYS)).toEqual([]);
  });

  it('opens the signed-in app shell with no network after a cached visit', async () => {
    // The service worker controls the page and holds the shell and the chat code by now.
    await expect(page.evaluate<boolean>('!!navigator.serviceWorker.controller')).resolves.toBe(true);
    await page.context().setOffline(true);
    try {
      await page.reload();
      await page.getByRole('heading', { name: 'Conversations' }).waitFor();
      await page.getByRole('button', { name: 'Get help now' }).click();
      const dialog = page.getByRole('dialog', { name: 'Help in a crisis' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Close' }).click();
      expect(await page.evaluate(SIDEWAYS)).toEqual([]);
    } finally {
      await page.context().setOffline(false);
    }
    // Back online, the conversation comes back.
    await openChat(page);
    await messageItem(page, 'pong narrow').waitFor({ timeout: 60_000 });
  });
});
