// The composer in a real browser: Enter sends and Shift+Enter does not, typing notices start on input
// and stop on send, on blur and when the field empties, and axe finds nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/message-composer/message-composer.component.ts';

describe('<peerline-message-composer>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('sends with Enter, keeps new lines with Shift+Enter and says when typing starts and stops', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-message-composer');
    const sends = await h.recordEvents(page, 'send');
    const typing = await h.recordEvents(page, 'typing');
    const field = page.getByLabel('Message', { exact: true });
    await field.focus();
    await page.keyboard.type('Hello');
    // One notice for a burst of keystrokes.
    await expect(typing()).resolves.toEqual([{ typing: true }]);
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('there');
    await page.keyboard.press('Enter');
    await expect(sends()).resolves.toEqual([{ body: 'Hello\nthere' }]);
    await expect(typing()).resolves.toEqual([{ typing: true }, { typing: false }]);
    await expect(field.inputValue()).resolves.toBe('');

    // Emptying the field stops typing; so does leaving it.
    await page.keyboard.type('x');
    await page.keyboard.press('Backspace');
    await expect(typing()).resolves.toEqual([{ typing: true }, { typing: false }, { typing: true }, { typing: false }]);
    await page.keyboard.type('again');
    await page.keyboard.press('Tab');
    await expect(typing()).resolves.toEqual([{ typing: true }, { typing: false }, { typing: true }, { typing: false }, { typing: true }, { typing: false }]);
    // The Send button sends too, and empty messages are not sent.
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(sends()).resolves.toEqual([{ body: 'Hello\nthere' }, { body: 'again' }]);
    expect(await h.axe(page)).toEqual([]);
  });
});
