// Consented escalation in the built web client, across a reload and with a withdrawal, on one
// institution with its real homeserver and bridge. The student says yes to sharing a summary, then
// RELOADS the page before any counsellor has joined: the summary waits on the device (IndexedDB), the
// reloaded client resumes waiting, and when the counsellor claims and joins they decrypt exactly that
// summary, posted once. On a second yes the student withdraws from the waiting status before anyone
// joined: the receipt shows withdrawn, the counsellor cannot get in, and nothing was ever posted.
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

interface Receipt { receipt_id: string; withdrawn_ts: number | null; escalation: { escalation_id: string; status: string; room_id: string | null } }

/** The student's consent receipts, newest first. */
async function receipts(): Promise<Receipt[]> {
  const r = await bridge.api<{ receipts: Receipt[] }>('GET', '/v1/consent/receipts', { token: studentToken });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.receipts;
}

/** The bodies of shared content still waiting in the browser's pending-share database. */
const pendingBodies = (): Promise<string[]> => page.evaluate(`new Promise((ok) => { const r = indexedDB.open('peerline-pending-shares'); r.onsuccess = () => {
  const db = r.result; if (!db.objectStoreNames.contains('shares')) { db.close(); ok([]); return; }
  const g = db.transaction('shares').objectStore('shares').getAll(); g.onsuccess = () => { db.close(); ok(g.result.flatMap((x) => x.items.map((i) => i.body))); }; }; })`);

/** How many events the student's account sent into `roomId`, as the homeserver has them (ciphertext: only the count is read). */
async function eventsSentByStudent(roomId: string): Promise<number> {
  const token = await page.evaluate<string>(`JSON.parse(localStorage.getItem('peerline.session')).accessToken`);
  const res = await fetch(`${hs.baseUrl}/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const { chunk } = await res.json() as { chunk: { type: string; sender: string }[] };
  return chunk.filter((e) => e.sender === student.userId && e.type === 'm.room.encrypted').length;
}

async function sayYesToSummary(summary: string): Promise<void> {
  await suggest('Would you like to talk to a counsellor?');
  const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
  await dialog.waitFor({ timeout: 30_000 });
  await dialog.getByRole('radio', { name: 'A short summary I write' }).check();
  await dialog.getByLabel('Your summary').fill(summary);
  await dialog.getByRole('button', { name: 'Yes, contact a counsellor' }).click();
  await page.getByText('A counsellor from your school has been asked to join').waitFor({ timeout: 30_000 });
}

async function suggest(text: string): Promise<void> {
  await sc!.sendEvent(peerRoom, SUGGESTION as never, { reason: 'beyond_peer_support', suggested_severity: 'medium', text } as never);
}

describe('consented escalation across a reload, and withdrawn before anyone joined', () => {
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

  it('keeps the chosen summary across a reload before a counsellor joins; the counsellor then decrypts it, posted once', async () => {
    const summary = 'Exam stress, and I have barely slept for two weeks.';
    await sayYesToSummary(summary);
    expect(await pendingBodies()).toEqual([summary]);

    await page.reload();
    // The reloaded client resumes waiting from what the device kept.
    await page.getByText('A counsellor from your school has been asked to join').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Withdraw — nothing has been shared yet' }).waitFor();
    await page.screenshot({ path: resolve(SHOTS, 'escalation-waiting.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    expect(await pendingBodies()).toEqual([summary]);

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
    // Posted once, and nothing of it is left on the device.
    expect(await eventsSentByStudent(escalationRoom)).toBe(1);
    expect(await pendingBodies()).toEqual([]);
    await page.getByRole('button', { name: 'OK' }).click();
  }, 150_000);

  it('withdraws before any counsellor joined: the receipt shows withdrawn and nothing is ever posted', async () => {
    await sayYesToSummary('Actually I would rather not share this.');
    const [newest] = await receipts();
    const escalationRoom = newest!.escalation.room_id!;
    expect(escalationRoom).toBeTruthy();
    expect(await pendingBodies()).toEqual(['Actually I would rather not share this.']);

    await page.getByRole('button', { name: 'Withdraw — nothing has been shared yet' }).click();
    await page.getByText('Withdraw your consent?').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Yes, withdraw' }).click();
    await page.getByText('You withdrew your consent. Nothing was shared, and no counsellor will join.').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: resolve(SHOTS, 'escalation-withdrawn.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    const [after] = await receipts();
    expect(after).toMatchObject({ receipt_id: newest!.receipt_id, escalation: { status: 'withdrawn' } });
    expect(after!.withdrawn_ts).not.toBeNull();
    expect((await queue()).map((i) => i.escalation_id)).not.toContain(newest!.escalation.escalation_id);
    // The counsellor's invite was taken back: they cannot get in, and there is nothing to find.
    await expect(cc!.joinRoom(escalationRoom)).rejects.toThrow();
    expect(await eventsSentByStudent(escalationRoom)).toBe(0);
    expect(await pendingBodies()).toEqual([]);
  }, 90_000);
});
