// Text-only mode in the account desk, in a real browser: the switch shows the preference, says when
// it was switched on because of a slow connection, reports a change and confirms it is saved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

const MODULE = 'src/ui/components/text-only-settings/text-only-settings.component.ts';
const TAG = 'peerline-text-only-settings';

let h: ComponentHarness;

describe('<peerline-text-only-settings>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('says why it is on when the connection suggested it, and reports the choice', async () => {
    const page = await h.newPage({ width: 360, height: 640 });
    await h.mount(page, MODULE, TAG, { preference: { on: true, source: 'suggested' } });
    const events = await h.recordEvents(page, 'text-only-change');
    const toggle = page.getByRole('checkbox', { name: 'Text-only mode' });
    await expect(toggle.isChecked()).resolves.toBe(true);
    await page.getByText('Switched on because your browser reports a slow connection').waitFor();
    expect(await h.axe(page)).toEqual([]);

    await toggle.uncheck();
    await page.getByRole('status').filter({ hasText: 'Saved on this device' }).waitFor();
    await expect(page.getByText('Switched on because').count()).resolves.toBe(0);
    await toggle.check();
    expect(await events()).toEqual([{ on: false }, { on: true }]);
  });

  it('is off with nothing to explain by default', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG, { preference: { on: false, source: 'default' } });
    await expect(page.getByRole('checkbox', { name: 'Text-only mode' }).isChecked()).resolves.toBe(false);
    await expect(page.getByText('Switched on because').count()).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);
  });
});
