// The stage the browser end-to-end tests share: the built client (web-client/dist) served on
// loopback and Debian's Chromium to open it in, and for whole-product tests one institution's real
// homeserver and bridge with its admin signed in to the bridge. Also the steps those tests repeat:
// signing a person in through the sign-in screen, opening a section, putting staff on the roster,
// and a supporter (through the bridge API) taking the next offer.
//
//   const stack = await startWebStack();
//   await putSupporter(stack.bridge, stack.adminToken, supporter.userId);
//   const page = await stack.signIn(student);
//   await openSection(page, 'Ask for support');
//   await stack.stop();
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { launchChromium } from './browser.ts';
import { serveStatic, type StaticServer } from './static-server.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, waitFor, type TestBridge } from './bridge.ts';
import type { RegisteredUser, TestHomeserver } from './homeserver.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const enc = encodeURIComponent;

/** Where the browser tests save their screenshots (git-ignored). */
export const SHOTS = resolve(ROOT, 'tests/e2e/screenshots');

/** The built client on a loopback server and a Chromium; contexts opened through it close with it. */
export interface WebClientHost {
  web: StaticServer;
  browser: Browser;
  contexts: BrowserContext[];
  /** Closes every collected context, the browser and the server. */
  close(): Promise<void>;
}

export async function startWebClientHost(): Promise<WebClientHost> {
  mkdirSync(SHOTS, { recursive: true });
  const [web, browser] = await Promise.all([serveStatic(resolve(ROOT, 'web-client/dist')), launchChromium()]);
  const contexts: BrowserContext[] = [];
  return {
    web, browser, contexts,
    close: async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await web.close();
    },
  };
}

/** Where a client signs in: a homeserver, and the institution's bridge where there is one. */
export interface SignInTarget {
  hs: { baseUrl: string };
  bridge?: { url: string };
}

export interface SignInOptions {
  /** Defaults to 1000 × 720. */
  viewport?: { width: number; height: number };
  colorScheme?: BrowserContextOptions['colorScheme'];
  reducedMotion?: BrowserContextOptions['reducedMotion'];
  /**
   * The button that closes the key dialog once signed in. The first device is shown its new
   * recovery key ("I've saved it", the default); null leaves whatever shows for the test.
   */
  dismiss?: string | RegExp | null;
  /** The new context is added here, for the test to close. */
  contexts?: BrowserContext[];
}

/** Signs `user` in through the client's sign-in screen, in English, in a fresh browser context. */
export async function signInInBrowser(browser: Browser, webUrl: string, at: SignInTarget, user: Pick<RegisteredUser, 'userId' | 'password'>, opts: SignInOptions = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1000, height: 720 },
    ...(opts.colorScheme ? { colorScheme: opts.colorScheme } : {}),
    ...(opts.reducedMotion ? { reducedMotion: opts.reducedMotion } : {}),
  });
  opts.contexts?.push(context);
  const page = await context.newPage();
  const bridge = at.bridge ? `&bridge=${enc(at.bridge.url)}` : '';
  await page.goto(`${webUrl}/?hs=${enc(at.hs.baseUrl)}${bridge}&lang=en`);
  await page.getByLabel('Username').fill(user.userId.slice(1).split(':')[0]!);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Conversations' }).waitFor();
  const dismiss = opts.dismiss === undefined ? "I've saved it" : opts.dismiss;
  if (dismiss !== null) await page.getByRole('button', { name: dismiss }).click({ timeout: 60_000 });
  return page;
}

/** A section's button in the app's "Sections" navigation. */
export const sectionButton = (page: Page, name: string): Locator => page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name });

/** Opens a section (desk) through the "Sections" navigation. */
export async function openSection(page: Page, name: string, opts: { timeout?: number } = {}): Promise<void> {
  await sectionButton(page, name).click(opts);
}

/** A whole institution (homeserver + bridge, `@admin` an admin of the bridge) and the client to reach it. */
export interface WebStack extends WebClientHost {
  hs: TestHomeserver;
  bridge: TestBridge;
  /** `@admin:<server>`, registered and an admin of the bridge. */
  admin: RegisteredUser;
  /** The admin's bridge session token. */
  adminToken: string;
  /** Signs `user` in to this institution in a fresh browser context (closed by stop()). */
  signIn(user: Pick<RegisteredUser, 'userId' | 'password'>, opts?: Omit<SignInOptions, 'contexts'>): Promise<Page>;
  /** Closes the browser, the client's server, the bridge and the homeserver. */
  stop(): Promise<void>;
}

export async function startWebStack(): Promise<WebStack> {
  const [{ hs, bridge }, host] = await Promise.all([
    startHomeserverWithBridge({ policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`] }),
    startWebClientHost(),
  ]);
  const stop = async (): Promise<void> => {
    await host.close();
    await bridge.stop();
    bridge.cleanup();
    await hs.stop();
    hs.cleanup();
  };
  try {
    const admin = await hs.registerUser('admin');
    const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    return {
      ...host, hs, bridge, admin, adminToken, stop,
      signIn: (user, opts = {}) => signInInBrowser(host.browser, host.web.url, { hs, bridge }, user, { ...opts, contexts: host.contexts }),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The training every test supporter has: every module of the School A sample (v1), done 30 days ago. */
export function trainingRecords(): { module: string; version: number; completed: string }[] {
  const completed = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  return ['active-listening', 'boundaries-confidentiality', 'risk-and-escalation', 'group-moderation'].map((module) => ({ module, version: 1, completed }));
}

/** Puts `userId` on the bridge's roster as a supporter for `topics`, with the shared training records (or `training`). */
export async function putSupporter(bridge: TestBridge, adminToken: string, userId: string, topics: string[] = ['exam-stress'], training = trainingRecords()): Promise<void> {
  const put = await bridge.api('PUT', `/v1/admin/roster/supporters/${enc(userId)}`, { token: adminToken, body: { topics, training } });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
}

/** Puts `userId` on the bridge's roster as a counsellor. */
export async function putCounsellor(bridge: TestBridge, adminToken: string, userId: string): Promise<void> {
  const put = await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(userId)}`, { token: adminToken, body: {} });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
}

/** The supporter (bridge API) switches availability on, waits for an offer and accepts it. */
export async function acceptNextOffer(bridge: TestBridge, supporterToken: string): Promise<{ room_id: string; session_id: string }> {
  const available = await bridge.api('PUT', '/v1/supporters/me/availability', { token: supporterToken, body: { available: true } });
  expect(available.status, JSON.stringify(available.body)).toBe(200);
  let offerId = '';
  await waitFor('an offer', async () => {
    const r = await bridge.api<{ offers: { offer_id: string }[] }>('GET', '/v1/offers?timeout_ms=5000', { token: supporterToken });
    offerId = r.body.offers[0]?.offer_id ?? '';
    return offerId !== '';
  }, 30_000);
  const accepted = await bridge.api<{ room_id: string; session_id: string }>('POST', `/v1/offers/${enc(offerId)}/accept`, { token: supporterToken });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
  return accepted.body;
}

/** The signed-in student asks for support on "Exam stress" and waits, first in the queue. */
export async function askForSupportInBrowser(page: Page): Promise<void> {
  await openSection(page, 'Ask for support');
  await page.getByRole('radio', { name: 'Exam stress' }).check();
  await page.getByRole('main').getByRole('button', { name: 'Ask for support' }).click();
  await page.getByText('You are number 1 in the queue').waitFor();
}
