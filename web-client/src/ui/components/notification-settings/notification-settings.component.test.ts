// The notifications section in a real browser, with the permission set through the page's context:
// not asked yet (asks only on a click; a refusal shows "blocked" and how to unblock), allowed (granted
// through Playwright), unsupported; the promise that notifications never show who wrote or what; axe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/notification-settings/notification-settings.component.ts';
const TAG = 'peerline-notification-settings';
const PROMISE = 'A notification only ever says that something new arrived. It never shows who wrote or what.';

const focused = (page: Page): Promise<string | null> =>
  page.evaluate(`document.querySelector('${TAG}').shadowRoot.activeElement?.textContent ?? null`);

describe('<peerline-notification-settings>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('when not asked yet: says so, asks only when the button is clicked, and shows a refusal as blocked', async () => {
    const page = await h.newPage({ width: 320, height: 640 });
    await page.evaluate(`(() => {
      window.asked = 0;
      const ask = Notification.requestPermission.bind(Notification);
      Notification.requestPermission = () => { window.asked++; return ask(); };
    })()`);
    await h.mount(page, MODULE, TAG);
    await expect(page.getByText(PROMISE).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('status').textContent()).resolves.toBe('You have not been asked about notifications yet.');
    const button = page.getByRole('button', { name: 'Allow notifications' });
    await expect(button.isVisible()).resolves.toBe(true);
    await expect(page.evaluate('window.asked')).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);

    // Nothing granted in this context: the browser answers no.
    await button.focus();
    await page.keyboard.press('Enter');
    await page.getByText('Notifications are blocked for Peerline in this browser.').waitFor();
    await expect(page.evaluate('window.asked')).resolves.toBe(1);
    await expect(page.getByText("To allow them, change the notification setting for this site in your browser's settings.").isVisible()).resolves.toBe(true);
    await expect(button.count()).resolves.toBe(0);
    await expect(focused(page)).resolves.toBe('Notifications are blocked for Peerline in this browser.');
    expect(await h.axe(page)).toEqual([]);
  });

  it('when allowed: says so and offers no button', async () => {
    const page = await h.newPage({ colorScheme: 'dark' });
    await page.context().grantPermissions(['notifications']);
    await h.mount(page, MODULE, TAG);
    await expect(page.getByRole('status').textContent()).resolves.toBe('Notifications are allowed on this device.');
    await expect(page.getByRole('button').count()).resolves.toBe(0);
    await expect(page.getByText(PROMISE).isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });

  it('follows a permission granted while it is shown', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG);
    await expect(page.getByRole('status').textContent()).resolves.toBe('You have not been asked about notifications yet.');
    await page.context().grantPermissions(['notifications']);
    await page.getByText('Notifications are allowed on this device.').waitFor();
  });

  it('where the browser has no notifications: says so, with no button', async () => {
    const page = await h.newPage();
    await page.evaluate('delete window.Notification');
    await h.mount(page, MODULE, TAG);
    await expect(page.getByRole('status').textContent()).resolves.toBe('This browser cannot show notifications.');
    await expect(page.getByRole('button').count()).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);
  });
});
