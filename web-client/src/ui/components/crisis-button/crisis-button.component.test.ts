// The crisis button in a real browser: one tap opens the resources as a modal dialog with working
// call, text and web links; Escape and Close dismiss it; offline it still opens (nothing is fetched).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

const MODULE = 'src/ui/components/crisis-button/crisis-button.component.ts';
const resources = [
  { region: 'default', language: 'en', name: 'Samaritans', phone: '116 123', sms: '85258', url: 'https://www.samaritans.org', hours: '24/7', description: 'Someone to talk to, any time.' },
  { region: 'default', language: 'en', name: 'Emergency services', phone: '112' },
];

let h: ComponentHarness;

describe('<peerline-crisis-button>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('opens the resources in a modal dialog with call, text and web links, and closes by Escape or Close', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, MODULE, 'peerline-crisis-button', { resources });
    const open = page.getByRole('button', { name: 'Get help now' });
    await expect(open.getAttribute('aria-haspopup')).resolves.toBe('dialog');
    await open.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Help in a crisis' });
    await dialog.waitFor();
    await expect(dialog.getByRole('link', { name: 'Call 116 123' }).getAttribute('href')).resolves.toBe('tel:116123');
    await expect(dialog.getByRole('link', { name: 'Text 85258' }).getAttribute('href')).resolves.toBe('sms:85258');
    await expect(dialog.getByRole('link', { name: 'Website Samaritans' }).getAttribute('rel')).resolves.toContain('noopener');
    await expect(dialog.getByRole('link', { name: 'Call 112' }).count()).resolves.toBe(1);
    await expect(dialog.getByText('Open: 24/7').count()).resolves.toBe(1);
    expect(await h.axe(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await open.click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('opens with the network cut, in the dark theme', async () => {
    const page = await h.newPage({ colorScheme: 'dark' });
    await h.mount(page, MODULE, 'peerline-crisis-button', { resources });
    await page.context().setOffline(true);
    await page.getByRole('button', { name: 'Get help now' }).click();
    await page.getByRole('dialog', { name: 'Help in a crisis' }).getByRole('heading', { name: 'Samaritans' }).waitFor();
    expect(await h.axe(page)).toEqual([]);
  });
});
