// The tabs in a real browser: WAI-ARIA roles and states, one tab stop, arrow keys and Home/End.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;

describe('<peerline-admin-tabs>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('moves between tabs with the arrow keys, Home and End, and labels its panel', async () => {
    const page = await h.newPage();
    await h.mount(page, 'src/ui/components/admin-tabs/admin-tabs.component.ts', 'peerline-admin-tabs', {
      label: 'Administration sections', selected: 'policy',
      tabs: [{ id: 'policy', label: 'Policy' }, { id: 'roster', label: 'Roster' }, { id: 'audit', label: 'Audit log' }],
    });
    await page.evaluate(`(() => { const el = document.querySelector('peerline-admin-tabs'); el.innerHTML = '<p>Panel content</p>';
      el.addEventListener('tab-change', (e) => { el.selected = e.detail.id; }); })()`);
    const changes = await h.recordEvents(page, 'tab-change');
    const list = page.getByRole('tablist', { name: 'Administration sections' });
    await expect(list.getByRole('tab').count()).resolves.toBe(3);
    await expect(page.getByRole('tabpanel', { name: 'Policy' }).count()).resolves.toBe(1);
    // The slotted content is what the panel shows.
    await expect(page.getByText('Panel content').isVisible()).resolves.toBe(true);
    await page.getByRole('tab', { name: 'Policy' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowLeft');
    await expect(changes()).resolves.toEqual([{ id: 'roster' }, { id: 'audit' }, { id: 'policy' }, { id: 'audit' }, { id: 'policy' }, { id: 'audit' }]);
    await expect(page.getByRole('tab', { name: 'Audit log' }).getAttribute('aria-selected')).resolves.toBe('true');
    await expect(page.getByRole('tab', { name: 'Audit log' }).getAttribute('tabindex')).resolves.toBe('0');
    await expect(page.getByRole('tab', { name: 'Policy' }).getAttribute('tabindex')).resolves.toBe('-1');
    await expect(page.evaluate(`document.querySelector('peerline-admin-tabs').shadowRoot.activeElement?.textContent.trim()`)).resolves.toBe('Audit log');
    await expect(page.getByRole('tabpanel', { name: 'Audit log' }).count()).resolves.toBe(1);
    // Tab leaves the tab list for the panel (one tab stop for the whole list).
    await page.keyboard.press('Tab');
    await expect(page.evaluate(`document.querySelector('peerline-admin-tabs').shadowRoot.activeElement?.getAttribute('role')`)).resolves.toBe('tabpanel');
    expect(await h.axe(page)).toEqual([]);
  });
});
