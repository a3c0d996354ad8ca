// Every section of the built client, as a person with every staff role sees it (supporter,
// counsellor and admin at once, so all desks show), checked the ways the issue asks: axe-core finds
// no violations in the light and the dark theme, nothing scrolls sideways at 320 px wide or with
// text at 200 %, and with reduced motion asked for, nothing on screen animates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RegisteredUser, TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { serveStatic, type StaticServer } from '../helpers/static-server.ts';
import { axeViolations, launchChromium } from '../helpers/browser.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SHOTS = resolve(import.meta.dirname, 'screenshots');
const enc = encodeURIComponent;
const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const TRAINING = [{ module: 'safeguarding', version: 1, completed: day(-30) }, { module: 'listening-basics', version: 2, completed: day(-30) }];
const DESKS = ['Conversations', 'Supporter desk', 'Counsellor desk', 'Administration', 'Account'];

let hs: TestHomeserver;
let bridge: TestBridge;
let web: StaticServer;
let browser: Browser;
let staff: RegisteredUser;
const contexts: BrowserContext[] = [];

async function signedIn(opts: { width: number; colorScheme?: 'light' | 'dark'; reducedMotion?: 'reduce' | 'no-preference' }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: opts.width, height: 800 }, colorScheme: opts.colorScheme ?? 'light', reducedMotion: opts.reducedMotion ?? 'no-preference' });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${web.url}/?hs=${enc(hs.baseUrl)}&bridge=${enc(bridge.url)}&lang=en`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(staff.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The first device is shown its new recovery key; later ones are offered a restore, which can wait.
  await page.getByRole('button', { name: /^(I've saved it|Not now)$/ }).click({ timeout: 60_000 });
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Administration' }).waitFor({ timeout: 30_000 });
  return page;
}

async function openDesk(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name }).click();
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  // Let the desk's first bridge calls settle so the checks see its real content.
  await page.waitForLoadState('networkidle', { timeout: 2_000 }).catch(() => { /* long polls keep the network busy: go on */ });
}

/** How far the page scrolls sideways (0 = fits). */
const sidewaysOverflow = (page: Page): Promise<number> => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/** Elements (through every shadow root) that animate or transition for longer than 10 ms. */
const MOVING = `(() => {
  const out = [];
  const ms = (v) => Math.max(...v.split(',').map((x) => x.trim().endsWith('ms') ? parseFloat(x) : parseFloat(x) * 1000));
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const s = getComputedStyle(el);
      const moving = (s.animationName !== 'none' && ms(s.animationDuration) > 10) || ms(s.transitionDuration) > 10;
      if (moving) out.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return out;
})()`;

describe('every view: accessibility, small screens, large text, themes, motion', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [{ hs, bridge }, web, browser] = await Promise.all([
      startHomeserverWithBridge({ policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`] }),
      serveStatic(resolve(ROOT, 'web-client/dist')),
      launchChromium(),
    ]);
    staff = await hs.registerUser('admin');
    const token = (await signInToBridge(bridge, hs, staff)).session_token;
    const sup = await bridge.api('PUT', `/v1/admin/roster/supporters/${enc(staff.userId)}`, { token, body: { topics: ['exam-stress'], training: TRAINING } });
    expect(sup.status, JSON.stringify(sup.body)).toBe(200);
    const cou = await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(staff.userId)}`, { token, body: {} });
    expect(cou.status, JSON.stringify(cou.body)).toBe(200);
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await web?.close();
    await bridge?.stop();
    bridge?.cleanup();
    await hs?.stop();
    hs?.cleanup();
  });

  it('has no axe violations in any section, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await signedIn({ width: 1000, colorScheme });
      for (const desk of DESKS) {
        await openDesk(page, desk);
        const violations = await axeViolations(page);
        expect({ desk, colorScheme, violations }).toEqual({ desk, colorScheme, violations: [] });
        if (colorScheme === 'dark') await page.screenshot({ path: resolve(SHOTS, `dark-${desk.toLowerCase().replace(/\s+/g, '-')}.png`), fullPage: true });
      }
    }
  });

  it('fits 320 px wide and text at 200 % without scrolling sideways', async () => {
    const page = await signedIn({ width: 320 });
    for (const desk of DESKS) {
      await openDesk(page, desk);
      expect({ desk, overflow: await sidewaysOverflow(page) }).toEqual({ desk, overflow: 0 });
    }
    await page.screenshot({ path: resolve(SHOTS, 'narrow-320.png'), fullPage: true });
    // 200 % text on a 640 px window (a 1280 px screen zoomed to 200 % leaves about that much).
    const big = await signedIn({ width: 640 });
    await big.evaluate("document.documentElement.style.fontSize = '200%'");
    for (const desk of DESKS) {
      await openDesk(big, desk);
      expect({ desk, overflow: await sidewaysOverflow(big) }).toEqual({ desk, overflow: 0 });
      expect(await big.evaluate<string>('getComputedStyle(document.body).fontSize')).toBe('32px');
    }
    await big.screenshot({ path: resolve(SHOTS, 'text-200.png'), fullPage: true });
  });

  it('keeps still when the person asks for reduced motion', async () => {
    const page = await signedIn({ width: 1000, reducedMotion: 'reduce' });
    for (const desk of DESKS) {
      await openDesk(page, desk);
      expect({ desk, moving: await page.evaluate<string[]>(MOVING) }).toEqual({ desk, moving: [] });
    }
    await page.getByRole('button', { name: 'Get help now' }).click();
    expect(await page.evaluate<string[]>(MOVING)).toEqual([]);
  });
});
