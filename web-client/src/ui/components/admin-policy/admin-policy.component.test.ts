// The policy panel in a real browser: the summary of the policy in force, its load status, a reload
// request, and a rejected newer file listed problem by problem (file, path, what was expected).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';
import { testPolicy } from '../../../../../tests/helpers/bridge.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/admin-policy/admin-policy.component.ts';
const policy = testPolicy('a.example');
const status = { file: '/etc/peerline/policy.yaml', sha256: 'ab'.repeat(32), loaded_ts: Date.UTC(2026, 0, 5, 9), version: 2, last_rejected: null };
const underSection = (page: Page): Promise<void> =>
  page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h2>Policy</h2>')`);

describe('<peerline-admin-policy>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('summarises the policy in force and asks for a reload', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-admin-policy', { policy, status });
    const reload = await h.recordEvents(page, 'reload-policy');
    await expect(page.getByRole('table', { name: 'Topics' }).locator('tbody tr').count()).resolves.toBe(3);
    await expect(page.getByRole('row', { name: /Friendships/ }).textContent()).resolves.toContain('Active listening, Group moderation and cyberbullying');
    await expect(page.locator('peerline-admin-policy').textContent()).resolves.toBeDefined();
    const text = await page.locator('peerline-admin-policy').evaluate((el) => el.shadowRoot!.textContent ?? '');
    expect(text).toContain('School A');
    expect(text).toContain('2 sessions by default, at most 4');
    expect(text).toContain('/etc/peerline/policy.yaml');
    await page.getByRole('button', { name: 'Reload policy' }).click();
    await expect(reload()).resolves.toEqual([{}]);
    await page.evaluate(`(async () => { const el = document.querySelector('peerline-admin-policy'); el.result = 'unchanged'; await el.updateComplete; })()`);
    await expect(page.getByRole('status').textContent()).resolves.toBe('The policy file has not changed since it was last read.');
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);
  });

  it('lists every problem of a rejected file with its file, path and what was expected', async () => {
    const page = await h.newPage({ width: 320, colorScheme: 'dark' });
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-admin-policy', {
      policy, result: 'rejected',
      status: { ...status, last_rejected: { ts: Date.UTC(2026, 0, 6), sha256: 'cd'.repeat(32), problems: [
        { path: '$.retention_days.peer', message: "expected days peer rooms are kept, found 'thirty'" },
        { path: '$.topics[1].label', message: 'is required' },
      ] } },
    });
    const alert = page.getByRole('alert');
    await expect(alert.getByRole('heading', { name: 'A newer policy file was rejected' }).count()).resolves.toBe(1);
    const items = (await alert.getByRole('listitem').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    expect(items).toEqual([
      "/etc/peerline/policy.yaml at $.retention_days.peer: expected days peer rooms are kept, found 'thirty'",
      '/etc/peerline/policy.yaml at $.topics[1].label: is required',
    ]);
    await expect(page.getByRole('status').textContent()).resolves.toBe('The policy file has errors; the previous policy stays in force.');
    expect(await h.axe(page)).toEqual([]);
  });
});
