// Consented escalation in the built web client, on one institution with its real homeserver and
// bridge: a student in the browser is matched with a supporter (a matrix-js-sdk client in Node), the
// supporter sends an encrypted escalation suggestion, and the student's consent dialog appears with
// crisis resources. Saying no creates nothing (the counsellors' queue stays empty); on a second
// suggestion the student shares a summary they write, and the counsellor — claiming through the
// bridge API and joining with their own client — decrypts exactly that summary and nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
const SUGGESTION = 'org.peerline.escalation.suggestion';

interface QueueItem { escalation_id: string; room_id: string | null; receipt: { signed: { receipt: { scope: { share: string; summary_sha256?: string } } } } }

let hs: TestHomeserver;
let bridge: TestBridge;
let web: StaticServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let student: RegisteredUser;
let supporter: RegisteredUser;
let counsellor: RegisteredUser;
let supporterToken: string;
let counsellorToken: string;
let studentToken: string;
let sc: Client | null = null;
let cc: Client | null = null;
let peerRoom: string;

async function queue(): Promise<QueueItem[]> {
  const r = await bridge.api<{ items: QueueItem[] }>('GET', '/v1/escalations/queue', { token: counsellorToken });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.items;
}

async function suggest(text: string): Promise<void> {
  await sc!.sendEvent(peerRoom, SUGGESTION as never, { reason: 'beyond_peer_support', suggested_severity: 'medium', text } as never);
}

describe('consented escalation in the browser', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [{ hs, bridge }, web, browser] = await Promise.all([
      startHomeserverWithBridge({ policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`] }),
      serveStatic(resolve(ROOT, 'web-client/dist')),
      launchChromium(),
    ]);
    const admin = await hs.registerUser('admin');
    [student, supporter, counsellor] = await Promise.all([hs.registerUser('student-esc'), hs.registerUser('supporter-esc'), hs.registerUser('counsellor-esc')]);
    const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    const sup = await bridge.api('PUT', `/v1/admin/roster/supporters/${enc(supporter.userId)}`, { token: adminToken, body: { topics: ['exam-stress'], training: TRAINING } });
    expect(sup.status, JSON.stringify(sup.body)).toBe(200);
    const coun = await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(counsellor.userId)}`, { token: adminToken, body: {} });
    expect(coun.status, JSON.stringify(coun.body)).toBe(200);
    [supporterToken, counsellorToken, studentToken] = await Promise.all([supporter, counsellor, student].map(async (u) => (await signInToBridge(bridge, hs, u)).session_token)) as [string, string, string];
    [sc, cc] = await Promise.all([newClient(hs.baseUrl, supporter), newClient(hs.baseUrl, counsellor)]);
    context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  }, 120_000);

  afterAll(async () => {
    sc?.stopClient();
    cc?.stopClient();
    await context?.close().catch(() => {});
    await browser?.close();
    await web?.close();
    await bridge?.stop();
    bridge?.cleanup();
    await hs?.stop();
    hs?.cleanup();
  });

  it('matches the student with a supporter in the browser', async () => {
    page = await context.newPage();
    await page.goto(`${web.url}/?hs=${enc(hs.baseUrl)}&bridge=${enc(bridge.url)}&lang=en`);
    await page.getByLabel('Username').fill(student.userId.slice(1).split(':')[0]!);
    await page.getByLabel('Password').fill(student.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await page.getByRole('button', { name: "I've saved it" }).click({ timeout: 60_000 });
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Ask for support' }).click();
    await page.getByRole('radio', { name: 'Exam stress' }).check();
    await page.getByRole('main').getByRole('button', { name: 'Ask for support' }).click();
    await page.getByText('You are number 1 in the queue').waitFor();

    expect((await bridge.api('PUT', '/v1/supporters/me/availability', { token: supporterToken, body: { available: true } })).status).toBe(200);
    let offerId = '';
    await waitFor('an offer', async () => {
      const r = await bridge.api<{ offers: { offer_id: string }[] }>('GET', '/v1/offers?timeout_ms=5000', { token: supporterToken });
      offerId = r.body.offers[0]?.offer_id ?? '';
      return offerId !== '';
    }, 30_000);
    const accepted = await bridge.api<{ room_id: string }>('POST', `/v1/offers/${enc(offerId)}/accept`, { token: supporterToken });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    peerRoom = accepted.body.room_id;
    const s = sc!;
    await waitFor("the supporter's invite", () => s.getRoom(peerRoom)?.getMyMembership() === 'invite', 30_000);
    await s.joinRoom(peerRoom);
    const atSupporter = collectMessages(s, peerRoom);
    await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
    await waitFor('the student to see the supporter joined', () => s.getRoom(peerRoom)?.getMember(student.userId)?.membership === 'join', 30_000);
    await page.getByLabel('Message', { exact: true }).fill('Exams are getting to me and I cannot sleep.');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await waitFor('the supporter to decrypt the student', () => atSupporter.bodies.includes('Exams are getting to me and I cannot sleep.'), 60_000);
  }, 150_000);

  it("shows crisis resources and asks on the supporter's suggestion; a no creates nothing", async () => {
    await suggest('A counsellor at school could help with the sleep problems.');
    const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
    await dialog.waitFor({ timeout: 30_000 });
    await expect(dialog.getByRole('heading', { name: 'If you are in danger right now' }).isVisible()).resolves.toBe(true);
    await expect(dialog.getByText('A counsellor at school could help with the sleep problems.').isVisible()).resolves.toBe(true);
    await dialog.getByRole('radio', { name: 'A short summary I write' }).check();
    await page.screenshot({ path: resolve(SHOTS, 'consent-dialog.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    await dialog.getByRole('button', { name: "No, don't contact anyone" }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await queue()).toEqual([]);
    const receipts = await bridge.api<{ receipts: unknown[] }>('GET', '/v1/consent/receipts', { token: studentToken });
    expect(receipts.body.receipts).toEqual([]);
    const keys = await bridge.api<{ keys: unknown[] }>('GET', '/v1/consent/keys', { token: studentToken });
    expect(keys.body.keys).toEqual([]);
  }, 60_000);

  it('on a second suggestion shares a written summary, which the counsellor decrypts exactly', async () => {
    const summary = 'Exam stress, and I have barely slept for two weeks.';
    await suggest('Would you like to talk to a counsellor?');
    const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
    await dialog.waitFor({ timeout: 30_000 });
    await dialog.getByRole('radio', { name: 'A short summary I write' }).check();
    await dialog.getByLabel('Your summary').fill(summary);
    await dialog.getByRole('button', { name: 'Yes, contact a counsellor' }).click();
    await page.getByText('A counsellor from your school has been asked to join').waitFor({ timeout: 30_000 });

    // The counsellor sees it in the queue, with the student's receipt for exactly a summary.
    const [item] = await queue();
    expect(item?.receipt.signed.receipt.scope.share).toBe('summary');
    const escalationRoom = item!.room_id!;
    const claim = await bridge.api('POST', `/v1/escalations/${enc(item!.escalation_id)}/claim`, { token: counsellorToken });
    expect(claim.status, JSON.stringify(claim.body)).toBe(200);
    const c = cc!;
    await waitFor("the counsellor's invite", () => c.getRoom(escalationRoom)?.getMyMembership() === 'invite', 30_000);
    const atCounsellor = collectMessages(c, escalationRoom);
    await c.joinRoom(escalationRoom);
    await page.getByText('A counsellor has joined, and what you chose was shared with them.').waitFor({ timeout: 30_000 });
    await waitFor('the counsellor to decrypt the summary', () => atCounsellor.bodies.length > 0, 30_000);
    expect(atCounsellor.bodies).toEqual([summary]);
    expect(atCounsellor.failures).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
  }, 90_000);
});
