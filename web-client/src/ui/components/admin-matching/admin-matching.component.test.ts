// The matching overview in a real browser: counts in a description list, open requests by topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;

describe('<peerline-admin-matching>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows the queue, supporters available and sessions', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, 'src/ui/components/admin-matching/admin-matching.component.ts', 'peerline-admin-matching', {
      topicLabels: { 'exam-stress': 'Exam stress' },
      status: { queue: { waiting: 2, offered: 1, by_topic: { 'exam-stress': 3 } }, supporters: { available: 4, paused: 0 }, sessions: { active: 5, creating: 0 }, partners: [] },
    });
    const text = (await page.locator('peerline-admin-matching dl').innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('Requests waiting 2');
    expect(text).toContain('Supporters available 4');
    expect(text).toContain('Sessions active 5');
    await expect(page.getByRole('table', { name: 'Open requests by topic' }).getByRole('row', { name: /Exam stress/ }).textContent()).resolves.toContain('3');
    expect(await h.axe(page)).toEqual([]);
  });
});
