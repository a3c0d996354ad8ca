// "Your devices" in a real browser: lists this device first, confirms "log out other devices" with
// the password, says when the password was wrong, and offers nothing to log out when alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

const MODULE = 'src/ui/components/device-list/device-list.component.ts';
const TAG = 'peerline-device-list';

let h: ComponentHarness;

/** Gives the mounted list a fake store: two devices, and a log-out that checks the password. */
async function withDevices(page: Page, devices: unknown[]): Promise<() => Promise<string[]>> {
  await page.evaluate(`(async () => {
    window.__calls = [];
    let devices = ${JSON.stringify(devices)};
    const el = document.querySelector('${TAG}');
    el.load = async () => devices;
    el.logOutOthers = async (password) => {
      window.__calls.push(password);
      if (password !== 'right') throw Object.assign(new Error('no'), { problem: 'password' });
      const n = devices.filter((d) => !d.current).length;
      devices = devices.filter((d) => d.current);
      return n;
    };
    await el.updateComplete;
  })()`);
  return () => page.evaluate<string[]>('window.__calls');
}

describe('<peerline-device-list>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('lists the devices and logs out the others only with the right password', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG);
    const calls = await withDevices(page, [
      { deviceId: 'PHONE', displayName: 'Phone', current: true, lastSeen: null },
      { deviceId: 'LAPTOP', displayName: 'Old laptop', current: false, lastSeen: 1_700_000_000_000 },
    ]);
    await page.getByRole('button', { name: 'Your devices' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your devices' });
    const list = dialog.getByRole('list', { name: 'Signed-in devices' });
    await list.waitFor();
    await expect(list.getByRole('listitem').first().textContent()).resolves.toContain('this device');
    await expect(list.getByRole('listitem').count()).resolves.toBe(2);
    expect(await h.axe(page)).toEqual([]);

    await dialog.getByLabel('Your password, to confirm').fill('wrong');
    await dialog.getByRole('button', { name: 'Log out other devices' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The password is not right.' }).waitFor();
    await expect(list.getByRole('listitem').count()).resolves.toBe(2);

    await dialog.getByLabel('Your password, to confirm').fill('right');
    await dialog.getByLabel('Your password, to confirm').press('Enter');
    await dialog.getByRole('status').filter({ hasText: 'Logged out 1 other devices.' }).waitFor();
    await expect(list.getByRole('listitem').count()).resolves.toBe(1);
    await expect(dialog.getByRole('button', { name: 'Log out other devices' }).count()).resolves.toBe(0);
    expect(await calls()).toEqual(['wrong', 'right']);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });
});
