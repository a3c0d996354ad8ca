// E2EE made humane, in the built web client against a real homeserver: a person creates an account
// with an institution's registration token, key backup is set up silently and the recovery key shown
// once; an encrypted message arrives; on a second device the recovery key restores it decrypted; the
// device list shows both devices and "log out other devices" ends the first. axe runs on each dialog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { axeViolations, openClient as openBrowserClient } from '../helpers/browser.ts';
import { SHOTS, signInInBrowser, startWebClientHost, type WebClientHost } from '../helpers/web-stack.ts';
import { ENCRYPTION_STATE, newClient, waitFor, type Client } from '../helpers/client.ts';

const TOKEN = 'campus-autumn';
const PASSWORD = 'a calm long password';
const OLD_MESSAGE = 'Sent before your second device existed.';

let hs: TestHomeserver;
let host: WebClientHost;
let supporterClient: Client | null = null;

const openClient = (): Promise<{ context: BrowserContext; page: Page }> => openBrowserClient(host.browser, host.web.url, hs.baseUrl, host.contexts);

async function storedSession(page: Page): Promise<{ userId: string; accessToken: string; deviceId: string }> {
  return JSON.parse(await page.evaluate(`localStorage.getItem('peerline.session')`) as string) as { userId: string; accessToken: string; deviceId: string };
}

describe('key backup and devices in the browser', () => {
  beforeAll(async () => {
    [hs, host] = await Promise.all([startHomeserver({ extraArgs: ['--enable-registration'] }), startWebClientHost()]);
    const admin = await hs.registerUser('admin1', { admin: true });
    const created = await api(hs, 'POST', '/_synapse/admin/v1/registration_tokens/new', { token: admin.accessToken, body: { token: TOKEN } });
    expect(created.status).toBe(200);
  });

  afterAll(async () => {
    supporterClient?.stopClient();
    await host?.close();
    await hs?.stop();
    hs?.cleanup();
  });

  it('registers with a token, shows the recovery key once, and restores old messages on a new device', async () => {
    // First device: create the account.
    const a = await openClient();
    await a.page.getByRole('button', { name: 'Create an account with a registration code' }).click();
    await a.page.getByRole('heading', { name: 'Create account' }).waitFor();
    expect(await axeViolations(a.page)).toEqual([]);
    await a.page.getByLabel('Registration code').fill(TOKEN);
    await a.page.getByLabel('Username (optional)').fill('robin');
    await a.page.getByLabel('Password').fill(PASSWORD);
    await a.page.getByRole('button', { name: 'Create account' }).click();
    await a.page.getByRole('heading', { name: 'Conversations' }).waitFor();

    // Key backup was set up silently; the recovery key shows once.
    const keyDialog = a.page.getByRole('dialog', { name: 'Your recovery key' });
    await keyDialog.waitFor({ timeout: 60_000 });
    await expect(keyDialog.textContent()).resolves.toContain("you'll need it to read old messages on a new device");
    const recoveryKey = ((await keyDialog.locator('.key').textContent()) ?? '').trim();
    expect(recoveryKey).toMatch(/^E[A-Za-z0-9]{3}( [A-Za-z0-9]{4}){11}$/);
    await a.page.screenshot({ path: resolve(SHOTS, 'recovery-key.png') });
    expect(await axeViolations(a.page)).toEqual([]);
    await keyDialog.getByRole('button', { name: "I've saved it" }).click();
    await keyDialog.waitFor({ state: 'hidden' });

    const robin = await storedSession(a.page);
    expect(robin.userId).toBe(`@robin:${hs.serverName}`);
    const version = await api<{ version?: string }>(hs, 'GET', '/_matrix/client/v3/room_keys/version', { token: robin.accessToken });
    expect(version.status).toBe(200);

    // A supporter sends an encrypted message while robin has only the first device.
    const supporter: RegisteredUser = await hs.registerUser('supporter1');
    supporterClient = await newClient(hs.baseUrl, supporter);
    const room = await supporterClient.createRoom({ name: 'Support chat', invite: [robin.userId], initial_state: [ENCRYPTION_STATE] });
    const joined = await api(hs, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(room.room_id)}/join`, { token: robin.accessToken, body: {} });
    expect(joined.status).toBe(200);
    await waitFor('robin joined in the supporter client', () => supporterClient!.getRoom(room.room_id)?.getMember(robin.userId)?.membership === 'join');
    await supporterClient.sendTextMessage(room.room_id, OLD_MESSAGE);
    await a.page.getByRole('button', { name: /Support chat/ }).click();
    await a.page.locator('peerline-message-timeline li', { hasText: OLD_MESSAGE }).waitFor();

    // The first device backs the room key up (the SDK uploads after a short random delay).
    await waitFor('the room key in the backup', async () => {
      const keys = await api<{ rooms?: Record<string, unknown> }>(hs, 'GET', `/_matrix/client/v3/room_keys/keys?version=${version.body.version}`, { token: robin.accessToken });
      return keys.status === 200 && Object.keys(keys.body.rooms ?? {}).length > 0;
    }, 60_000);

    // Second device: sign in, enter the recovery key, read the old message.
    const b = { page: await signInInBrowser(host.browser, host.web.url, { hs }, { userId: robin.userId, password: PASSWORD }, { contexts: host.contexts, dismiss: null }) };
    const restore = b.page.getByRole('dialog', { name: 'Read your older messages' });
    await restore.waitFor({ timeout: 60_000 });
    expect(await axeViolations(b.page)).toEqual([]);
    await restore.getByLabel('Enter your recovery key').fill('EsT0 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000');
    await restore.getByRole('button', { name: 'Restore' }).click();
    await restore.getByRole('alert').filter({ hasText: 'does not fit' }).waitFor();
    await restore.getByLabel('Enter your recovery key').fill(recoveryKey);
    await restore.getByRole('button', { name: 'Restore' }).click();
    await restore.waitFor({ state: 'hidden', timeout: 60_000 });
    await expect(b.page.getByRole('dialog', { name: 'Your recovery key' }).count()).resolves.toBe(0);
    await b.page.getByRole('button', { name: /Support chat/ }).click();
    await b.page.locator('peerline-message-timeline li', { hasText: OLD_MESSAGE }).waitFor({ timeout: 30_000 });
    await b.page.screenshot({ path: resolve(SHOTS, 'restored.png'), fullPage: true });

    // Device list: both devices, then "log out other devices" ends the first one.
    await b.page.getByRole('button', { name: 'Your devices' }).click();
    const devices = b.page.getByRole('dialog', { name: 'Your devices' });
    const items = devices.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    await waitFor('two devices listed', async () => (await items.count()) === 2);
    await expect(devices.textContent()).resolves.toContain(robin.deviceId);
    expect(await axeViolations(b.page)).toEqual([]);
    await devices.getByLabel('Your password, to confirm').fill(PASSWORD);
    await devices.getByRole('button', { name: 'Log out other devices' }).click();
    await devices.getByRole('status').filter({ hasText: 'Logged out 1 other devices.' }).waitFor();
    await waitFor('one device listed', async () => (await items.count()) === 1);
    const after = await api<{ devices: { device_id: string }[] }>(hs, 'GET', '/_matrix/client/v3/devices', { token: (await storedSession(b.page)).accessToken });
    expect(after.body.devices.map((d) => d.device_id)).not.toContain(robin.deviceId);
    // The first device notices its session ended and returns to sign-in.
    await a.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 60_000 });
  });
});
