// The student's "ask for support" flow in the built web client against a real homeserver and the
// real bridge: the student asks, sees the queue status, a supporter (driven through the bridge API)
// accepts, the room opens in the chat view and the supporter's matrix-js-sdk client decrypts what
// the student writes. The bridge sends no CORS headers, so the test answers for it the way a
// same-origin reverse proxy would (Playwright fulfils the preflight; the handler adds the origin).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { RegisteredUser } from '../helpers/homeserver.ts';
import { signInToBridge } from '../helpers/bridge.ts';
import { axeViolations } from '../helpers/browser.ts';
import { collectMessages, joinEncryptedRoom, newClient, waitFor, type Client } from '../helpers/client.ts';
import { acceptNextOffer, openSection, putSupporter, SHOTS, startWebStack, type WebStack } from '../helpers/web-stack.ts';

let stack: WebStack;
let student: RegisteredUser;
let supporter: RegisteredUser;
let supporterToken: string;
let supporterClient: Client | null = null;

describe('asking for support in the browser', () => {
  beforeAll(async () => {
    stack = await startWebStack();
    const { hs, bridge } = stack;
    [student, supporter] = await Promise.all([hs.registerUser('student-web'), hs.registerUser('supporter-web')]);
    await putSupporter(bridge, stack.adminToken, supporter.userId);
    supporterToken = (await signInToBridge(bridge, hs, supporter)).session_token;
  }, 120_000);

  afterAll(async () => {
    supporterClient?.stopClient();
    await stack?.stop();
  });

  it('queues the student, shows the queue status, opens the matched room and the supporter decrypts the first message', async () => {
    const { hs, bridge } = stack;
    const page = await stack.signIn(student);

    await openSection(page, 'Ask for support');
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
    const { room_id: roomId } = await acceptNextOffer(bridge, supporterToken);
    const sc = supporterClient;
    await waitFor('the supporter\'s invite', () => sc.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
    await joinEncryptedRoom(sc, roomId);
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
