// The consent dialog in a real browser: crisis resources first, choosing messages to share by
// keyboard, the answer as an event (nothing is sent from here), and no axe violations at 320 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/consent-dialog/consent-dialog.component.ts';
const RESOURCES = [{ region: 'default', language: 'en', name: 'Emergency services', phone: '112' }];
const MESSAGES = [
  { eventId: '$m1', sender: 'You', body: 'exams are too much' },
  { eventId: '$m2', sender: '@sup:a.example', body: 'that sounds hard' },
];

describe('<peerline-consent-dialog>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shares only the messages ticked, chosen by keyboard, and says why it asks', async () => {
    const page = await h.newPage({ width: 320, height: 700 });
    await h.mount(page, MODULE, 'peerline-consent-dialog', { resources: RESOURCES, messages: MESSAGES, reason: 'detector' });
    const given = await h.recordEvents(page, 'consent-given');
    await page.evaluate(`document.querySelector('peerline-consent-dialog').show()`);
    const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
    await dialog.waitFor();
    await expect(dialog.getByText('It sounds like things are really hard right now.').isVisible()).resolves.toBe(true);
    await expect(dialog.getByRole('link', { name: 'Call 112' }).isVisible()).resolves.toBe(true);
    await dialog.getByRole('radio', { name: 'Messages I choose from this chat' }).focus();
    await page.keyboard.press('Space');
    await dialog.getByRole('checkbox', { name: /that sounds hard/ }).focus();
    await page.keyboard.press('Space');
    expect(await h.axe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Yes, contact a counsellor' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect(given()).resolves.toEqual([{ choice: { share: 'messages', eventIds: ['$m2'] } }]);
  });

  it('cannot offer messages when there are none, and a no is an event without a choice', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-consent-dialog', { resources: RESOURCES, messages: [] });
    const declined = await h.recordEvents(page, 'consent-declined');
    const given = await h.recordEvents(page, 'consent-given');
    await page.evaluate(`document.querySelector('peerline-consent-dialog').show()`);
    const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
    await dialog.waitFor();
    await expect(dialog.getByRole('radio', { name: 'Messages I choose from this chat' }).isDisabled()).resolves.toBe(true);
    await dialog.getByRole('button', { name: "No, don't contact anyone" }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect(declined()).resolves.toEqual([{}]);
    await expect(given()).resolves.toEqual([]);
  });
});
