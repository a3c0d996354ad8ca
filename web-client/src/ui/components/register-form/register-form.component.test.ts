// The registration form in a real browser: labelled fields, the registration code and password
// required, the event carrying what was typed, and each problem said in words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

const MODULE = 'src/ui/components/register-form/register-form.component.ts';
const TAG = 'peerline-register-form';
let h: ComponentHarness;

describe('<peerline-register-form>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('sends the code, the optional username and the password, and explains a bad code', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, MODULE, TAG);
    const events = await h.recordEvents(page, 'register');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(events()).resolves.toEqual([]); // the browser's own validation: the code is required
    await page.getByLabel('Registration code').fill('SCHOOL-A-2026');
    await page.getByLabel('Password').fill('a long passphrase');
    await page.getByLabel('Password').press('Enter');
    await expect(events()).resolves.toEqual([{ token: 'SCHOOL-A-2026', username: '', password: 'a long passphrase' }]);
    expect(await h.axe(page)).toEqual([]);

    await page.evaluate(`(async () => { const el = document.querySelector('${TAG}'); el.problem = 'token'; el.busy = false; await el.updateComplete; })()`);
    await page.getByText('This registration code is not valid. Ask your institution for a new one.').waitFor();
    await page.evaluate(`(async () => { const el = document.querySelector('${TAG}'); el.problem = null; el.busy = true; await el.updateComplete; })()`);
    await expect(page.getByRole('button', { name: 'Creating account …' }).isDisabled()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });
});
