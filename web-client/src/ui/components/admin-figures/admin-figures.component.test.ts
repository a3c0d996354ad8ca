// The figures panel in a real browser: a chart by week for one topic and one by topic for one week,
// for the figure chosen; suppressed cells read "fewer than N", never 0; no totals anywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
type Cell = { value: number | null; suppressed: boolean };
const S: Cell = { value: null, suppressed: true };
const v = (value: number): Cell => ({ value, suppressed: false });
const row = (week: string, topic: string, requests: Cell, wait: Cell = S) =>
  ({ week, topic, requests, matches: S, sessions: S, escalations: S, wait_median_ms: wait, wait_p90_ms: S, response_median_ms: S, response_p90_ms: S });
const report = {
  from: '2026-01-05', to: '2026-01-18', time_zone: 'Europe/London', minimum_cell_count: 5,
  weeks: ['2026-W02', '2026-W03'], topics: ['exam-stress', 'low-mood'],
  cells: [row('2026-W02', 'exam-stress', v(9), v(240_000)), row('2026-W02', 'low-mood', S), row('2026-W03', 'exam-stress', S), row('2026-W03', 'low-mood', v(6))],
};
const underSection = (page: Page): Promise<void> =>
  page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h2>Figures</h2>')`);

describe('<peerline-admin-figures>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('charts a figure by week and by topic with tables, suppressed cells in words', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, 'src/ui/components/admin-figures/admin-figures.component.ts', 'peerline-admin-figures', {
      report, topicLabels: { 'exam-stress': 'Exam stress', 'low-mood': 'Low mood' },
    });
    await page.getByRole('table', { name: /Support requests by week: Exam stress/ }).waitFor();
    const rows = async (name: RegExp): Promise<string[]> =>
      (await page.getByRole('table', { name }).locator('tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    await expect(rows(/Support requests by week: Exam stress/)).resolves.toEqual(['2026-W02 9', '2026-W03 fewer than 5']);
    await expect(rows(/Support requests by topic: 2026-W03/)).resolves.toEqual(['Exam stress fewer than 5', 'Low mood 6']);
    await expect(page.getByRole('img', { name: /Support requests by week/ }).count()).resolves.toBe(1);

    await page.getByRole('combobox', { name: 'Topic', exact: true }).selectOption('low-mood');
    await expect(rows(/Support requests by week: Low mood/)).resolves.toEqual(['2026-W02 fewer than 5', '2026-W03 6']);
    await page.getByRole('combobox', { name: 'Figure', exact: true }).selectOption('wait_median_ms');
    await page.getByRole('combobox', { name: 'Week', exact: true }).selectOption('2026-W02');
    await expect(rows(/Median wait for a match by topic: 2026-W02/)).resolves.toEqual(['Exam stress 4 min', 'Low mood not shown (fewer than 5 cases)']);
    await expect(page.getByRole('row', { name: /total|sum/i }).count()).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);
  });
});
