// The audit log in a real browser: the chain status said in words ("intact" or "broken at entry N"),
// the entries as a table, and paging.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/admin-audit/admin-audit.component.ts';
const entry = (seq: number, action: string, subject: string | null, details: Record<string, unknown> = {}) =>
  ({ seq, ts: Date.UTC(2026, 0, seq), actor: '@admin:a.example', action, subject, details, prev_hash: 'p', hash: 'h' });
const entries = [entry(3, 'roster.supporter.add', '@s1:a.example', { topics: ['exam-stress'], capacity: null }), entry(2, 'policy.reload', null), entry(1, 'roster.admin.add', '@a2:a.example')];

describe('<peerline-admin-audit>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('shows an intact chain and the entries, and pages', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-admin-audit', { entries, chain: { ok: true, length: 3, head_hash: 'h', first_break: null }, canOlder: true });
    const paged = await h.recordEvents(page, 'audit-page');
    await expect(page.getByText('Chain intact').count()).resolves.toBe(1);
    await expect(page.getByText('All 3 entries verified', { exact: false }).count()).resolves.toBe(1);
    const table = page.getByRole('table', { name: 'Audit entries 1 to 3, newest first' });
    await expect(table.locator('tbody tr').count()).resolves.toBe(3);
    await expect(table.getByRole('row', { name: /roster.supporter.add/ }).textContent()).resolves.toContain('topics: ["exam-stress"]; capacity: null');
    await expect(page.getByRole('button', { name: 'Newer entries' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Older entries' }).click();
    await expect(paged()).resolves.toEqual([{ page: 'older' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('says where a broken chain breaks and marks the entries from there on', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, MODULE, 'peerline-admin-audit', {
      entries, chain: { ok: false, length: 1, head_hash: 'h', first_break: { seq: 2, reason: 'entry 2 does not link to entry 1' } },
    });
    const alert = page.getByRole('alert');
    await expect(alert.textContent()).resolves.toMatch(/Chain broken at entry 2[\s\S]*entry 2 does not link to entry 1/);
    await expect(page.getByText('(unverified)').count()).resolves.toBe(2);
    expect(await h.axe(page)).toEqual([]);
  });
});
