// Resolving with an outcome, in a real browser: an outcome is required, keyboard works, cancel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

const MODULE = 'src/ui/components/counsellor-resolve-form/counsellor-resolve-form.component.ts';
let h: ComponentHarness;

describe('<peerline-counsellor-resolve-form>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('offers every outcome code in words, asks for one, and submits the chosen one by keyboard', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-counsellor-resolve-form');
    const submitted = await h.recordEvents(page, 'resolve-submit');
    const group = page.getByRole('group', { name: 'Outcome' });
    await expect(group.getByRole('radio').count()).resolves.toBe(10);
    await page.getByRole('button', { name: 'Resolve' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Choose an outcome first.');
    await expect(submitted()).resolves.toEqual([]);
    expect(await h.axe(page)).toEqual([]);
    await page.getByRole('radio', { name: 'Follow-up appointment booked' }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Resolve' }).focus();
    await page.keyboard.press('Enter');
    await expect(submitted()).resolves.toEqual([{ outcome: 'follow_up_booked' }]);
  });

  it('cancels', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, MODULE, 'peerline-counsellor-resolve-form');
    const cancelled = await h.recordEvents(page, 'form-cancel');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(cancelled()).resolves.toHaveLength(1);
    expect(await h.axe(page)).toEqual([]);
  });
});
