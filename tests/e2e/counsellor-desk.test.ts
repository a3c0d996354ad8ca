// The counsellor desk in the built web client against a real homeserver and the real bridge: a
// student (matrix-js-sdk with Rust crypto in Node) consents with a receipt signed on their "device",
// the bridge opens the escalation; the counsellor signs in in the browser, sees it in the queue with
// its receipt and response target, claims it — the room opens and the student's message shows
// decrypted — then resolves it with an outcome and it leaves the queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import type { RegisteredUser, TestHomeserver } from '../helpers/homeserver.ts';
import { signInToBridge, startHomeserverWithBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { serveStatic, type StaticServer } from '../helpers/static-server.ts';
import { axeViolations, launchChromium } from '../helpers/browser.ts';
import { newClient, waitFor, type Client } from '../helpers/client.ts';
import { HomeserverClient } from '../../bridge-service/src/services/homeserver-client.ts';
import { encodeConsentPublicKey, generateConsentKeyPair, newConsentReceipt, sha256Base64, signConsentReceipt } from '../../protocol/src/consent.ts';
import { SESSION_EVENT_TYPE } from '../../protocol/src/event-types.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SHOTS = resolve(import.meta.dirname, 'screenshots');
const enc = encodeURIComponent;

let hs: TestHomeserver;
let bridge: TestBridge;
let web: StaticServer;
let browser: Browser;
let context: BrowserContext;
let student: RegisteredUser;
let counsellor: RegisteredUser;
let studentClient: Client | null = null;
let escalationRoom: string;

describe('the counsellor desk in the browser', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [{ hs, bridge }, web, browser] = await Promise.all([
      startHomeserverWithBridge({ policy: (name) => testPolicy(name), admins: (name) => [`@admin:${name}`] }),
      serveStatic(resolve(ROOT, 'web-client/dist')),
      launchChromium(),
    ]);
    const admin = await hs.registerUser('admin');
    [student, counsellor] = await Promise.all([hs.registerUser('student-esc'), hs.registerUser('counsellor-web')]);
    const colleague = await hs.registerUser('counsellor-two');
    const adminToken = (await signInToBridge(bridge, hs, admin)).session_token;
    for (const c of [counsellor, colleague]) {
      const put = await bridge.api('PUT', `/v1/admin/roster/counsellors/${enc(c.userId)}`, { token: adminToken, body: {} });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
    }

    // The peer room the escalation comes from, as the matching module's bot makes it.
    const bot = new HomeserverClient({ baseUrl: hs.baseUrl, asToken: bridge.asToken, botUserId: `@${bridge.senderLocalpart}:${hs.serverName}` });
    const { room_id: peerRoom } = await bot.createRoom({
      preset: 'private_chat',
      initial_state: [
        { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
        { type: SESSION_EVENT_TYPE, state_key: '', content: { request_id: 'req-counsellor-desk', topic: 'exam-stress', institutions: [hs.serverName], created_ts: Date.now(), kind: 'peer' } },
      ],
    });
    await bot.invite(peerRoom, student.userId);
    const sc = await newClient(hs.baseUrl, student);
    studentClient = sc;
    await sc.joinRoom(peerRoom);

    // The student consents on their device: a receipt signed with their registered key.
    const studentToken = (await signInToBridge(bridge, hs, student)).session_token;
    const keys = await generateConsentKeyPair();
    expect((await bridge.api('POST', '/v1/consent/keys', { token: studentToken, body: { public_key: encodeConsentPublicKey(keys.publicKey) } })).status).toBe(200);
    const receipt = await newConsentReceipt({
      student_user_id: student.userId, room_id: peerRoom, scope: { share: 'summary', summary_sha256: await sha256Base64('what I chose to share') },
      counsellor_institution: hs.serverName, severity: 'high',
    }, { now: Date.now(), ttlMs: 10 * 60_000 });
    const signed = await signConsentReceipt(receipt, keys.secretKey);
    const escalated = await bridge.api<{ room_id: string; status: string }>('POST', '/v1/escalations', { token: studentToken, body: { receipt: signed, room_id: peerRoom, scope: receipt.scope } });
    expect(escalated.status, JSON.stringify(escalated.body)).toBe(200);
    escalationRoom = escalated.body.room_id;
    await waitFor('the student\'s invite to the escalation room', () => sc.getRoom(escalationRoom)?.getMyMembership() === 'invite', 30_000);
    await sc.joinRoom(escalationRoom);

    context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    studentClient?.stopClient();
    await context?.close().catch(() => {});
    await browser?.close();
    await web?.close();
    await bridge?.stop();
    bridge?.cleanup();
    await hs?.stop();
    hs?.cleanup();
  });

  it('shows the escalation with its receipt and target, claims it into the room, and resolves it out of the queue', async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/?hs=${enc(hs.baseUrl)}&bridge=${enc(bridge.url)}&lang=en`);
    await page.getByLabel('Username').fill(counsellor.userId.slice(1).split(':')[0]!);
    await page.getByLabel('Password').fill(counsellor.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await page.getByRole('button', { name: "I've saved it" }).click({ timeout: 60_000 });

    const sections = page.getByRole('navigation', { name: 'Sections' });
    await sections.getByRole('button', { name: 'Counsellor desk' }).click();
    await page.getByRole('heading', { name: 'Counsellor desk', level: 1 }).waitFor();
    const card = page.getByRole('article', { name: /High severity/ });
    await card.waitFor({ timeout: 30_000 });
    await expect(card.textContent()).resolves.toMatch(/of a 30 min target/);
    await expect(card.textContent()).resolves.toContain(student.userId);
    const receipt = card.getByRole('group', { name: 'Consent receipt' });
    await expect(receipt.textContent()).resolves.toContain('A summary the student approved');
    await expect(receipt.textContent()).resolves.toContain('Verified with the student\'s key');
    await page.screenshot({ path: resolve(SHOTS, 'counsellor-desk.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // Claiming: the bot invites the counsellor, the shell joins and shows the room.
    await card.getByRole('button', { name: 'Claim and open the room' }).click();
    await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
    const sc = studentClient!;
    await waitFor('the student to see the counsellor join', () => sc.getRoom(escalationRoom)?.getMember(counsellor.userId)?.membership === 'join', 30_000);
    const shared = 'Thank you for coming in. Exams have been too much lately.';
    await sc.sendTextMessage(escalationRoom, shared);
    await page.locator('peerline-message-timeline li', { hasText: shared }).waitFor({ timeout: 60_000 });
    await expect(page.getByText('cannot be decrypted').count()).resolves.toBe(0);
    expect(await axeViolations(page)).toEqual([]);

    // Back at the desk, the escalation is the counsellor's; resolving takes it out of the queue.
    await sections.getByRole('button', { name: 'Counsellor desk' }).click();
    const mine = page.getByRole('article', { name: /High severity/ });
    await expect(mine.textContent()).resolves.toMatch(/Claimed by\s*You/);
    await mine.getByRole('button', { name: 'Resolve', expanded: false }).click();
    await mine.getByRole('radio', { name: 'Follow-up appointment booked' }).check();
    expect(await axeViolations(page)).toEqual([]);
    await mine.locator('peerline-counsellor-resolve-form').getByRole('button', { name: 'Resolve' }).click();
    await page.getByText('No escalations are waiting. New ones appear here by themselves.').waitFor({ timeout: 30_000 });
    await expect(page.getByRole('status').filter({ hasText: 'Resolved (Follow-up appointment booked)' }).count()).resolves.toBe(1);
    expect(await axeViolations(page)).toEqual([]);

    const queue = await bridge.api<{ items: unknown[] }>('GET', '/v1/escalations/queue', { token: (await signInToBridge(bridge, hs, counsellor)).session_token });
    expect(queue.body.items).toEqual([]);
  }, 180_000);
});
