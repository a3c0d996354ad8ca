// The chat's features in the built client against a real embedded homeserver: a student in Chromium,
// a supporter as a Node matrix-js-sdk client, in a Peerline room the bridge bot made. The student
// appears under a per-room pseudonym (their account name leaks nowhere), peers show by pseudonym and
// never by Matrix id, typing shows both ways, "Seen" follows the supporter's read receipt and the
// student's receipts go out, a message written offline is delivered exactly once when the network is
// back, and history older than the first page loads when scrolling to the top.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { ReceiptType } from 'matrix-js-sdk';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { axeViolations } from '../helpers/browser.ts';
import { SHOTS, signInInBrowser, startWebClientHost, type WebClientHost } from '../helpers/web-stack.ts';
import { collectMessages, joinEncryptedRoom, newClient, waitFor, type Client } from '../helpers/client.ts';
import { isPseudonym } from '../../web-client/src/matrix/pseudonym.ts';

const SUPPORTER_NAME = 'Steady Otter';
const HISTORY = 70;

let hs: TestHomeserver;
let host: WebClientHost;
let student: RegisteredUser;
let supporter: RegisteredUser;
let supporterClient: Client;
let roomId: string;

const messageItem = (page: Page, text: string) => page.locator('peerline-message-timeline li', { hasText: text });
const pad = (n: number): string => String(n).padStart(3, '0');

describe('chat features in the browser', () => {
  beforeAll(async () => {
    [hs, host] = await Promise.all([startHomeserver(), startWebClientHost()]);
    // A localpart that is a person's name: the homeserver copies it into the profile's display name.
    const bot = await hs.registerUser('peerline-bot');
    student = await hs.registerUser('anna.mueller');
    supporter = await hs.registerUser('supporter-jo');
    const created = await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', {
      token: bot.accessToken,
      body: {
        preset: 'private_chat', invite: [student.userId, supporter.userId],
        initial_state: [
          { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
          { type: 'org.peerline.session', state_key: '', content: { request_id: 'req-1', topic: 'exam-stress', institutions: [hs.serverName], created_ts: Date.now(), kind: 'peer' } },
        ],
      },
    });
    expect(created.status).toBe(200);
    roomId = created.body.room_id;
    expect((await api(hs, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, { token: student.accessToken, body: {} })).status).toBe(200);
    supporterClient = await newClient(hs.baseUrl, supporter);
    await joinEncryptedRoom(supporterClient, roomId);
    // The supporter's own Peerline client would pick a pseudonym; this one sets it by hand.
    const sendState = supporterClient.sendStateEvent.bind(supporterClient) as (r: string, t: string, c: Record<string, unknown>, k: string) => Promise<unknown>;
    await sendState(roomId, 'm.room.member', { membership: 'join', displayname: SUPPORTER_NAME }, supporter.userId);
  }, 60_000);

  afterAll(async () => {
    supporterClient?.stopClient();
    await host?.close();
    await hs?.stop();
    hs?.cleanup();
  });

  it('chats under pseudonyms with typing, receipts, an offline message sent once and older history on scroll', async () => {
    const page = await signInInBrowser(host.browser, host.web.url, { hs }, student, { contexts: host.contexts });
    const context = page.context();

    // Pseudonyms: the room is named after the supporter's pseudonym (not the bot, not an id)...
    await page.getByRole('button', { name: new RegExp(SUPPORTER_NAME) }).click();
    await page.getByRole('heading', { name: SUPPORTER_NAME, level: 2 }).waitFor();
    // ...and the student got a fresh pseudonym in this room, while the account's name is gone from the profile.
    const sc = supporterClient;
    const studentName = await waitFor('the student\'s pseudonym', () => {
      const n = sc.getRoom(roomId)?.getMember(student.userId)?.rawDisplayName;
      return n && isPseudonym(n) ? n : null;
    });
    expect(studentName).not.toMatch(/anna|mueller/i);
    const profile = await api<{ displayname?: string }>(hs, 'GET', `/_matrix/client/v3/profile/${encodeURIComponent(student.userId)}`, {});
    expect(profile.body.displayname ?? '').toBe('');
    await page.getByText(`You appear here as ${studentName}`).waitFor();

    // The supporter sends a long history while the student watches.
    const atSupporter = collectMessages(sc, roomId);
    for (let i = 1; i <= HISTORY; i++) await sc.sendTextMessage(roomId, `History ${pad(i)}`);
    await messageItem(page, `History ${pad(HISTORY)}`).waitFor({ timeout: 30_000 });
    await expect(messageItem(page, `History ${pad(HISTORY)}`).textContent()).resolves.toContain(SUPPORTER_NAME);
    const shown = await page.locator('peerline-conversations-view').textContent() ?? '';
    expect(shown).not.toContain(supporter.userId);
    expect(shown).not.toContain('supporter-jo');

    // The student read it all, with the room open and focused: the receipt reaches the supporter.
    const lastId = sc.getRoom(roomId)!.getLiveTimeline().getEvents().at(-1)!.getId()!;
    await waitFor('the student\'s read receipt', () => sc.getRoom(roomId)?.getEventReadUpTo(student.userId, true) === lastId);

    // Typing, both ways.
    await sc.sendTyping(roomId, true, 30_000);
    await expect.poll(() => page.locator('.typing').textContent()).toBe(`${SUPPORTER_NAME} is typing …`);
    await page.getByLabel('Message', { exact: true }).fill('Are you');
    await waitFor('the student typing', () => sc.getRoom(roomId)?.getMember(student.userId)?.typing === true);
    await sc.sendTyping(roomId, false, 30_000);
    await expect.poll(() => page.locator('.typing').textContent()).toBe('');
    await page.screenshot({ path: resolve(SHOTS, 'chat-typing.png') });
    expect(await axeViolations(page)).toEqual([]);

    // Sent, then seen once the supporter's receipt arrives.
    await page.getByLabel('Message', { exact: true }).fill('Are you still there?');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await waitFor('the supporter to get the question', () => atSupporter.bodies.includes('Are you still there?'));
    await waitFor('the student to stop typing', () => sc.getRoom(roomId)?.getMember(student.userId)?.typing === false);
    await messageItem(page, 'Are you still there?').and(page.locator('[data-state="sent"]')).waitFor();
    await expect(messageItem(page, 'Are you still there?').locator('.state').textContent()).resolves.toContain('Sent');
    const question = sc.getRoom(roomId)!.getLiveTimeline().getEvents().findLast((e) => e.getSender() === student.userId && e.getType() === 'm.room.message')!;
    await sc.sendReadReceipt(question, ReceiptType.Read);
    await messageItem(page, 'Are you still there?').and(page.locator('[data-seen="true"]')).waitFor();
    await expect(messageItem(page, 'Are you still there?').locator('.state').textContent()).resolves.toContain('Seen');

    // Offline: the status says so, the message waits, and on return it is delivered exactly once.
    await context.setOffline(true);
    await page.getByRole('status').filter({ hasText: "Offline — messages will be sent when you're back" }).waitFor();
    await page.getByLabel('Message', { exact: true }).fill('Written while offline');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await messageItem(page, 'Written while offline').waitFor();
    await page.screenshot({ path: resolve(SHOTS, 'chat-offline.png') });
    expect(await axeViolations(page)).toEqual([]);
    await context.setOffline(false);
    await waitFor('the offline message to arrive', () => atSupporter.bodies.includes('Written while offline'), 30_000);
    await messageItem(page, 'Written while offline').and(page.locator('[data-state="sent"]')).waitFor({ timeout: 30_000 });
    await expect(page.getByRole('status').filter({ hasText: 'Offline' }).count()).resolves.toBe(0);
    // A later message arriving proves the queue drained; the offline one is still there once.
    await page.getByLabel('Message', { exact: true }).fill('Back online');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await waitFor('the next message', () => atSupporter.bodies.includes('Back online'), 30_000);
    expect(atSupporter.bodies.filter((b) => b === 'Written while offline')).toHaveLength(1);
    await expect(messageItem(page, 'Written while offline').count()).resolves.toBe(1);
    expect(atSupporter.failures).toEqual([]);

    // A reload starts from the newest page only; scrolling to the top loads the rest, in order.
    await page.reload();
    await page.getByRole('button', { name: new RegExp(SUPPORTER_NAME) }).click();
    await messageItem(page, 'Back online').waitFor({ timeout: 30_000 });
    await expect(messageItem(page, `History ${pad(1)}`).count()).resolves.toBe(0);
    const scroller = page.locator('peerline-message-timeline .scroller');
    await waitFor('the oldest message to load', async () => {
      await scroller.evaluate((el) => { el.scrollTop = 0; });
      return (await messageItem(page, `History ${pad(1)}`).count()) === 1;
    }, 30_000);
    const bodies = await page.locator('peerline-message-timeline li .body').allTextContents();
    const history = bodies.filter((b) => b.startsWith('History '));
    expect(history).toEqual(Array.from({ length: HISTORY }, (_, i) => `History ${pad(i + 1)}`));
    await expect(page.getByText('cannot be decrypted').count()).resolves.toBe(0);
  }, 180_000);
});
