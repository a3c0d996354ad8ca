// "Erase my account" in a real browser: the explanation, the password step, a wrong password shown
// as an alert with nothing erased, and success announced to the view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
/** The component sits under a section's h2 in its view, as here. */
const underSection = (page: Page): Promise<void> => page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h2>Section</h2>')`);
const MODULE = 'src/ui/components/erase-account/erase-account.component.ts';

describe('<peerline-erase-account>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('explains what erasing does, asks for the password, reports a wrong one and erases with the right one', async () => {
    const page = await h.newPage({ width: 320 });
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-erase-account');
    await page.evaluate(`(() => {
      window.__tried = [];
      document.querySelector('peerline-erase-account').erase = async (pw) => {
        window.__tried.push(pw);
        if (pw !== 'right horse') throw Object.assign(new Error('no'), { problem: 'password' });
      };
    })()`);
    const erased = await h.recordEvents(page, 'account-erased');
    await expect(page.getByText(/cannot be undone/).isVisible()).resolves.toBe(true);
    await expect(page.getByText(/can never sign in with this account again/).isVisible()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);

    await page.getByRole('button', { name: 'Erase my account …' }).click();
    const password = page.getByLabel('Your password, to confirm');
    await expect(password.evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    await password.fill('wrong');
    await password.press('Enter');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('That password is not right. Your account has not been erased.');
    await expect(erased()).resolves.toEqual([]);
    expect(await h.axe(page)).toEqual([]);

    await password.fill('right horse');
    await page.getByRole('button', { name: 'Erase my account for good' }).click();
    await expect.poll(() => erased()).toEqual([null]);
    await expect(page.evaluate('window.__tried')).resolves.toEqual(['wrong', 'right horse']);
  });

  it('cancels back to the start button without erasing', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-erase-account');
    const erased = await h.recordEvents(page, 'account-erased');
    await page.getByRole('button', { name: 'Erase my account …' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByLabel('Your password, to confirm').count()).resolves.toBe(0);
    await expect(page.evaluate(`document.querySelector('peerline-erase-account').shadowRoot.activeElement.textContent.trim()`)).resolves.toBe('Erase my account …');
    await expect(erased()).resolves.toEqual([]);
  });
});
