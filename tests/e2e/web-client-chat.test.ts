// The built web client in headless Chromium against a real embedded homeserver: two people in an
// encrypted room chat both ways through the UI, a reload keeps the session and history, the crisis
// button works with the network cut, sign-out wipes the device, and axe-core finds no violations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { axeViolations, openClient as openBrowserClient } from '../helpers/browser.ts';
import { SHOTS, signInInBrowser, startWebClientHost, type WebClientHost } from '../helpers/web-stack.ts';
const ROOM_NAME = 'Support chat';

let hs: TestHomeserver;
let host: WebClientHost;
let student: RegisteredUser;
let supporter: RegisteredUser;
let roomId: string;

const openClient = (): Promise<{ context: BrowserContext; page: Page }> => openBrowserClient(host.browser, host.web.url, hs.baseUrl, host.contexts);

/** A fresh context signed in as `user`; the first sign-in's recovery key (tests/e2e/key-backup.test.ts covers it) is dismissed. */
const signIn = (user: RegisteredUser): Promise<Page> => signInInBrowser(host.browser, host.web.url, { hs }, user, { contexts: host.contexts });

async function openRoom(page: Page): Promise<void> {
  await page.getByRole('button', { name: new RegExp(ROOM_NAME) }).click();
  await page.getByRole('heading', { name: ROOM_NAME, level: 2 }).waitFor();
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
}

const messageItem = (page: Page, text: string) => page.locator('peerline-message-timeline li', { hasText: text });

describe('web client in the browser', () => {
  beforeAll(async () => {
    [hs, host] = await Promise.all([startHomeserver(), startWebClientHost()]);
    student = await hs.registerUser('student1');
    supporter = await hs.registerUser('supporter1');
    const created = await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', {
      token: student.accessToken,
      body: { name: ROOM_NAME, preset: 'private_chat', invite: [supporter.userId], initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] },
    });
    expect(created.status).toBe(200);
    roomId = created.body.room_id;
    const joined = await api(hs, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, { token: supporter.accessToken, body: {} });
    expect(joined.status).toBe(200);
  });

  afterAll(async () => {
    await host?.close();
    await hs?.stop();
    hs?.cleanup();
  });

  it('paints the sign-in view and the crisis button with no accessibility violations', async () => {
    const { page } = await openClient();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect(page.getByRole('button', { name: 'Get help now' }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: resolve(SHOTS, 'sign-in.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
  });

  it('tells the user when the password is wrong', async () => {
    const { page } = await openClient();
    await page.getByLabel('Username').fill('student1');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'not right' }).textContent()).resolves.toContain('username or password is not right');
  });

  it('lets a student and a supporter chat both ways in an encrypted room, each reading the other decrypted', async () => {
    const [studentPage, supporterPage] = await Promise.all([signIn(student), signIn(supporter)]);
    const a = { page: studentPage, context: studentPage.context() };
    const b = { page: supporterPage };
    await Promise.all([openRoom(a.page), openRoom(b.page)]);
    await expect(a.page.getByText('End-to-end encrypted').first().isVisible()).resolves.toBe(true);

    await send(a.page, 'Hi, I could use someone to talk to.');
    await messageItem(a.page, 'Hi, I could use someone to talk to.').and(a.page.locator('[data-state="sent"]')).waitFor();
    await messageItem(b.page, 'Hi, I could use someone to talk to.').waitFor();
    // The live region announced it to the supporter.
    await expect(b.page.locator('#announcements').textContent()).resolves.toContain('Hi, I could use someone to talk to.');

    await send(b.page, "I'm here. What's on your mind?");
    await messageItem(a.page, "I'm here. What's on your mind?").waitFor();
    await expect(messageItem(a.page, "I'm here. What's on your mind?").textContent()).resolves.toContain(supporter.userId);

    // The server only ever held ciphertext.
    const raw = await api<{ chunk: { type: string }[] }>(hs, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`, { token: student.accessToken });
    expect(raw.body.chunk.some((e) => e.type === 'm.room.encrypted')).toBe(true);
    expect(raw.body.chunk.some((e) => e.type === 'm.room.message')).toBe(false);

    await a.page.screenshot({ path: resolve(SHOTS, 'chat.png'), fullPage: true });
    expect(await axeViolations(a.page)).toEqual([]);

    // Reload: same session, same device, history still decrypted.
    await a.page.reload();
    await a.page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await openRoom(a.page);
    await messageItem(a.page, "I'm here. What's on your mind?").waitFor();
    await messageItem(a.page, 'Hi, I could use someone to talk to.').waitFor();
    await expect(a.page.getByText('cannot be decrypted').count()).resolves.toBe(0);

    // Network cut: the crisis resources still open.
    await a.context.setOffline(true);
    await a.page.getByRole('button', { name: 'Get help now' }).click();
    const dialog = a.page.getByRole('dialog', { name: 'Help in a crisis' });
    await dialog.waitFor();
    await expect(dialog.getByRole('heading', { name: 'Emergency services' }).isVisible()).resolves.toBe(true);
    await a.page.screenshot({ path: resolve(SHOTS, 'crisis-offline.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await a.context.setOffline(false);

    // Sign-out wipes the session and the crypto store; a reload shows the sign-in view again.
    await a.page.getByRole('button', { name: 'Sign out' }).click();
    await a.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const left = await a.page.evaluate(`(async () => ({ session: localStorage.getItem('peerline.session'), dbs: (await indexedDB.databases()).map((d) => d.name) }))()`) as { session: string | null; dbs: string[] };
    expect(left).toEqual({ session: null, dbs: [] });
    await a.page.reload();
    await a.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('shows the interface in German when asked', async () => {
    const { page } = await openClient();
    await page.goto(`${host.web.url}/?hs=${encodeURIComponent(hs.baseUrl)}&lang=de`);
    await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
    await expect(page.getByRole('button', { name: 'Sofort Hilfe' }).isVisible()).resolves.toBe(true);
    await expect(page.evaluate('document.documentElement.lang')).resolves.toBe('de');
  });
});
