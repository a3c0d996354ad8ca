// The student's "ask for support" flow in the built web client against a real homeserver and the
// real bridge: the student asks, sees the queue status, a supporter (driven through the bridge API)
// accepts, the room opens in the chat view and the supporter's matrix-js-sdk client decrypts what
// the student writes. The bridge sends no CORS headers, so the test answers for it the way a
// same-origin reverse proxy would (Playwright fulfils the preflight; the handler adds the origin).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import type { RegisteredUser, TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { serveStatic, type StaticServer } from '../helpers/static-server.ts';
import { axeViolations, launchChromium } from '../helpers/browser.ts';
import { collectMessages, newClient, waitFor, type Client } from '../helpers/client.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SHOTS = resolve(import.meta.dirname, 'screenshots');
const enc = encodeURIComponent;
const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const TRAINING = [{ module: 'safeguarding', version: 1, completed: day(-30) }, { module: 'listening-basics', version: 2, completed: day(-30) }];

let hs: TestHomeserver;
let bridge: TestBridge;
let web: StaticServer;
let browser: Browser;
let context: BrowserContext;
let student: RegisteredUser;
let supporter: RegisteredUser;
let supporterToken: string;
let supporterClient: Client | null = null;

describe('asking for support in the browser', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [{ hs, bridge }, web, browser] = await Promise.all([
      startHomeserverWithBridge({ policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`] }),
      serveStatic(resolve(ROOT, 'web-client/dist')),
      launchChromium(),
    ]);
    const admin = await hs.registerUser('admin');
    [student, supporter] = await Promise.all([hs.registerUser('student-web'), hs.registerUser('supporter-web')]);
    const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    const put = await bridge.api('PUT', `/v1/admin/roster/supporters/${enc(supporter.userId)}`, { token: adminToken, body: { topics: ['exam-stress'], training: TRAINING } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    supporterToken = (await signInToBridge(bridge, hs, supporter)).session_token;
    context = await browser.newContext({ viewport: { width: 1000, height: 720 } });
  }, 120_000);

  afterAll(async () => {
    supporterClient?.stopClient();
    await context?.close().catch(() => {});
    await browser?.close();
    await web?.close();
    await bridge?.stop();
    bridge?.cleanup();
    await hs?.stop();
    hs?.cleanup();
  });

  it('queues the student, shows the queue status, opens the matched room and the supporter decrypts the first message', async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/?hs=${enc(hs.baseUrl)}&bridge=${enc(bridge.url)}&lang=en`);
    await page.getByLabel('Username').fill(student.userId.slice(1).split(':')[0]!);
    await page.getByLabel('Password').fill(student.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await page.getByRole('button', { name: "I've saved it" }).click({ timeout: 60_000 });

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Ask for support' }).click();
    await page.getByRole('heading', { name: 'Ask for support' }).waitFor();
    await page.getByRole('radio', { name: 'Exam stress' }).check();
    await page.getByLabel(/A note for yourself/).fill('private: mention the maths exam');
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('main').getByRole('button', { name: 'Ask for support' }).click();

    // No supporter is available yet: the student waits, first in the queue, crisis resources in view.
    await page.getByText('You are number 1 in the queue').waitFor();
    await expect(page.getByRole('heading', { name: 'If you are in danger right now' }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: resolve(SHOTS, 'ask-for-support.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // The supporter's own device, then availability and accepting the offer.
    supporterClient = await newClient(hs.baseUrl, supporter);
    const available = await bridge.api('PUT', '/v1/supporters/me/availability', { token: supporterToken, body: { available: true } });
    expect(available.status, JSON.stringify(available.body)).toBe(200);
    let offerId = '';
    await waitFor('an offer', async () => {
      const r = await bridge.api<{ offers: { offer_id: string }[] }>('GET', '/v1/offers?timeout_ms=5000', { token: supporterToken });
      offerId = r.body.offers[0]?.offer_id ?? '';
      return offerId !== '';
    }, 30_000);
    const accepted = await bridge.api<{ room_id: string }>('POST', `/v1/offers/${enc(offerId)}/accept`, { token: supporterToken });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    const roomId = accepted.body.room_id;
    const sc = supporterClient;
    await waitFor('the supporter\'s invite', () => sc.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
    await sc.joinRoom(roomId);
    const atSupporter = collectMessages(sc, roomId);

    // The room opens in the chat view for the student, who writes the first message.
    await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
    await waitFor('the student to see the supporter joined', () => sc.getRoom(roomId)?.getMember(student.userId)?.membership === 'join', 30_000);
    await page.getByLabel('Message', { exact: true }).fill('Hi, exams are getting to me.');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await waitFor('the supporter to decrypt the student', () => atSupporter.bodies.includes('Hi, exams are getting to me.'), 60_000);
    expect(atSupporter.failures).toEqual([]);
    // The note stayed on the device.
    expect(atSupporter.bodies.some((b) => b.includes('maths exam'))).toBe(false);
  }, 180_000);
});
