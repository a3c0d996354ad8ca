// The program report tab in a real browser: sections with charts and tables, suppressed cells in
// words ("fewer than 5", never 0), a period picker and the two exports, asked of the desk by events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
type Cell = { section: string; week: string; topic: string; measure: string; value: number | null; suppressed: boolean };
const c = (section: string, week: string, topic: string, measure: string, value: number | null): Cell => ({ section, week, topic, measure, value, suppressed: value === null });
const W = ['2026-W02', '2026-W03'];
const report = {
  from_week: W[0], to_week: W[1], from: '2026-01-05', to: '2026-01-18', time_zone: 'Europe/London', minimum_cell_count: 5, generated_ts: 0,
  training_as_of: '2026-01-12', weeks: W,
  topics: [{ id: 'exam-stress', label: 'Exam stress' }, { id: 'low-mood', label: 'Low mood' }],
  modules: [{ id: 'listening', label: 'Active listening' }],
  response_targets_minutes: { critical: 5, high: 30, medium: 240, low: 1440 },
  feedback_available: false, themes: [],
  cells: [
    c('participation', W[0]!, 'all', 'students_asking', 12), c('participation', W[1]!, 'all', 'students_asking', null),
    c('participation', 'all', 'exam-stress', 'students_asking', 9), c('participation', 'all', 'low-mood', 'students_asking', null), c('participation', 'all', 'all', 'students_asking', 14),
    c('requests', W[0]!, 'all', 'requests', 15), c('requests', W[1]!, 'all', 'requests', 6),
    c('requests', 'all', 'exam-stress', 'requests', null), c('requests', 'all', 'low-mood', 'requests', null), c('requests', 'all', 'all', 'requests', 21),
    c('requests', 'all', 'all', 'wait_median_ms', 240_000),
    c('training', 'all', 'all', 'active_supporters', 10), c('training', 'all', 'all', 'valid:listening', 10), c('training', 'all', 'all', 'expiring_within_30_days:listening', null),
    c('training', 'all', 'exam-stress', 'offering_supporters', 10), c('training', 'all', 'exam-stress', 'qualified_supporters', 8),
  ],
};
const underSection = (page: Page): Promise<void> =>
  page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h1>Admin</h1><h2>Program report</h2>')`);
const rows = async (page: Page, name: RegExp): Promise<string[]> =>
  (await page.getByRole('table', { name }).locator('tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());

describe('<peerline-admin-report>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows each section as a chart by week and a table by topic with totals, suppressed cells in words', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, 'src/ui/components/admin-report/admin-report.component.ts', 'peerline-admin-report', { report });
    await page.getByRole('heading', { name: 'Participation' }).waitFor();
    for (const name of ['Requests and matches', 'Sessions', 'Escalations and counsellor response', 'Session feedback', 'Training coverage']) {
      await expect(page.getByRole('heading', { name, exact: true }).count()).resolves.toBe(1);
    }
    await expect(rows(page, /Students asking — by week: the numbers/)).resolves.toEqual(['2026-W02 12', '2026-W03 fewer than 5']);
    await expect(page.getByRole('img', { name: /Students asking — by week/ }).count()).resolves.toBe(1);
    await expect(rows(page, /Requests and matches by topic, whole period/)).resolves.toEqual([
      'Exam stress fewer than 5 fewer than 5 fewer than 5 fewer than 5 fewer than 5 fewer than 5',
      'Low mood fewer than 5 fewer than 5 fewer than 5 fewer than 5 fewer than 5 fewer than 5',
      'Total 21 fewer than 5 fewer than 5 fewer than 5 4 min fewer than 5',
    ]);
    await expect(page.getByText('This bridge does not collect session feedback yet.').count()).resolves.toBe(1);
    await expect(rows(page, /Supporters with valid training, by module/)).resolves.toEqual(['Active listening 10 fewer than 5']);
    await expect(rows(page, /Supporters per topic/)).resolves.toEqual(['Exam stress 10 8']);
    await expect(page.getByText(/Response-time targets of the policy: critical: 5 min, high: 30 min/).count()).resolves.toBe(1);
    // No cell of any table reads 0 to 4.
    const cells = await page.locator('td').allInnerTexts();
    expect(cells.length).toBeGreaterThan(20);
    expect(cells.filter((t) => /^[0-4]$/.test(t.trim()))).toEqual([]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('asks for a period and for the exports by events, and announces status', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, 'src/ui/components/admin-report/admin-report.component.ts', 'peerline-admin-report', { report });
    const periods = await h.recordEvents(page, 'report-period');
    const downloads = await h.recordEvents(page, 'report-download');
    await expect(page.getByLabel('From week').inputValue()).resolves.toBe('2026-W02');
    await page.getByLabel('From week').fill('2025-W40');
    await page.getByRole('button', { name: 'Show report' }).click();
    await expect(periods()).resolves.toEqual([{ from: '2025-W40', to: '2026-W03' }]);
    await page.getByRole('button', { name: 'Download CSV' }).click();
    await page.getByRole('button', { name: 'Open printable report' }).click();
    await expect(downloads()).resolves.toEqual([{ format: 'csv' }, { format: 'html' }]);
    await page.evaluate(`document.querySelector('peerline-admin-report').status = 'The CSV file was downloaded.'`);
    await expect(page.getByRole('status').innerText()).resolves.toBe('The CSV file was downloaded.');
    await page.evaluate(`document.querySelector('peerline-admin-report').busy = true`);
    await expect(page.getByRole('button', { name: 'Download CSV' }).isDisabled()).resolves.toBe(true);
  });
});
