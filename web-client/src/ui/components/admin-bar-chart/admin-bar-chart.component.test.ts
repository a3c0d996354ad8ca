// The bar chart in a real browser: bars drawn in SVG, a summary in words, a table with the same
// numbers, and suppressed cells reading "fewer than N" (never 0) in the chart and the table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/admin-bar-chart/admin-bar-chart.component.ts';

describe('<peerline-admin-bar-chart>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  const points = [
    { label: '2026-W01', value: 12, suppressed: false },
    { label: '2026-W02', value: null, suppressed: true },
    { label: '2026-W03', value: 7, suppressed: false },
  ];

  it('draws a bar per point, summarises it and offers the numbers as a table, suppressed cells in words', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-admin-bar-chart', {
      heading: 'Support requests by week', categoryHeader: 'Week', valueHeader: 'Support requests', points, minimumCount: 5,
    });
    const chart = page.getByRole('img', { name: /Support requests by week/ });
    await expect(chart.count()).resolves.toBe(1);
    await expect(page.locator('svg rect.bar').count()).resolves.toBe(3);
    await expect(page.locator('svg rect.bar.suppressed').count()).resolves.toBe(1);
    await expect(page.locator('svg').textContent()).resolves.toContain('fewer than 5');
    await expect(page.getByText('Highest: 2026-W01 with 12. 1 of 3 values are suppressed (fewer than 5).').count()).resolves.toBe(1);

    const table = page.getByRole('table', { name: 'Support requests by week: the numbers' });
    const rows = await table.locator('tbody tr').allInnerTexts();
    expect(rows.map((r) => r.replace(/\s+/g, ' ').trim())).toEqual(['2026-W01 12', '2026-W02 fewer than 5', '2026-W03 7']);
    expect(rows.join(' ')).not.toMatch(/\b0\b/);
    expect(await h.axe(page)).toEqual([]);
  });

  it('shows durations in minutes and says when every value is suppressed', async () => {
    const page = await h.newPage({ width: 320, colorScheme: 'dark' });
    await h.mount(page, MODULE, 'peerline-admin-bar-chart', {
      heading: 'Median wait', categoryHeader: 'Topic', valueHeader: 'Median wait', unit: 'minutes', minimumCount: 5,
      points: [{ label: 'Exam stress', value: null, suppressed: true }, { label: 'Low mood', value: null, suppressed: true }],
    });
    await expect(page.getByText('Every value is suppressed: each comes from fewer than 5 cases.').count()).resolves.toBe(1);
    await expect(page.getByRole('cell', { name: 'not shown (fewer than 5 cases)' }).count()).resolves.toBe(2);
    expect(await h.axe(page)).toEqual([]);

    await h.mount(page, MODULE, 'peerline-admin-bar-chart', {
      heading: 'Median wait 2', categoryHeader: 'Topic', valueHeader: 'Median wait', unit: 'minutes', minimumCount: 5,
      points: [{ label: 'Exam stress', value: 150_000, suppressed: false }],
    });
    await expect(page.getByRole('table', { name: 'Median wait 2: the numbers' }).getByRole('cell', { name: '2.5 min' }).count()).resolves.toBe(1);
  });
});
