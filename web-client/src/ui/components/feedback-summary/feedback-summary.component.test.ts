// The supporter's feedback summary in a real browser: "fewer than 5" until the first batch, then the
// totals in labelled tables; accessible either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/feedback-summary/feedback-summary.component.ts';
const underHeading = (page: Page): Promise<void> => page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h1>Desk</h1>')`);

describe('<peerline-feedback-summary>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('says there are fewer than 5 answers, and nothing more', async () => {
    const page = await h.newPage();
    await underHeading(page);
    await h.mount(page, MODULE, 'peerline-feedback-summary', { summary: { responses: 'fewer than 5' } });
    await expect(page.getByRole('status').textContent()).resolves.toContain('Fewer than 5 answers so far.');
    await expect(page.getByRole('table').count()).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);
  });

  it('shows the released totals in labelled tables', async () => {
    const page = await h.newPage({ width: 320 });
    await underHeading(page);
    await h.mount(page, MODULE, 'peerline-feedback-summary', { summary: {
      responses: 5, helpfulness: [0, 1, 0, 0, 4], helpfulness_mean: 4.4, felt_safe_yes: 4, felt_safe_no: 1,
      themes: { 'felt-rushed': 1, 'listened-to': 4, 'practical-ideas': 0 },
    } });
    await expect(page.getByText('5 answers — average helpfulness 4.4 of 5').isVisible()).resolves.toBe(true);
    const helpful = page.getByRole('table', { name: 'How helpful students found it' });
    await expect(helpful.getByRole('row', { name: '5 – Very helpful 4' }).count()).resolves.toBe(1);
    await expect(helpful.getByRole('row', { name: '2 – A little helpful 1' }).count()).resolves.toBe(1);
    await expect(page.getByText('Felt safe: 4 yes, 1 no').isVisible()).resolves.toBe(true);
    const themes = page.getByRole('table', { name: 'What students chose' });
    await expect(themes.getByRole('rowheader').allTextContents()).resolves.toEqual(['I felt listened to', 'It felt rushed']);
    expect(await h.axe(page)).toEqual([]);
  });

  it('says when it could not be loaded', async () => {
    const page = await h.newPage();
    await underHeading(page);
    await h.mount(page, MODULE, 'peerline-feedback-summary', { problem: true });
    await expect(page.getByRole('status').textContent()).resolves.toContain('could not be loaded');
  });
});
