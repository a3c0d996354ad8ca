// Moderating a group in a real browser: choose a member, an action and a reason, confirm, and the
// result is announced; the open reports show only what reporters shared, and close. The bridge is a
// small fake object (the real bridge's side is covered in bridge-service/src/moderation and
// tests/integration/bridge-moderation.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/group-moderation/group-moderation.component.ts';
const group = { group_id: 'gr1', room_id: '!g1:a.example', name: 'Exam stress circle' };
const members = [{ userId: '@s-1:a.example', displayName: 'Quiet Heron' }, { userId: '@s-2:a.example', displayName: 'Bold Otter' }];
const bridgeMembers = [
  { user_id: '@s-1:a.example', display_name: null, membership: 'join', muted: false },
  { user_id: '@s-2:a.example', display_name: null, membership: 'join', muted: true },
  { user_id: '@s-3:a.example', display_name: 'Calm Finch', membership: 'ban', muted: false },
];
const reports = [
  { report_id: 'rp_1', group_id: 'gr1', room_id: group.room_id, event_id: '$e1', reported_user_id: '@s-1:a.example', reason_code: 'harassment', shared_text: '> you are all losers', created_ts: Date.UTC(2026, 0, 12, 10), closed_ts: null, closed_by: null },
  { report_id: 'rp_2', group_id: 'gr1', room_id: group.room_id, event_id: '$e2', reported_user_id: '@s-2:a.example', reason_code: 'spam', shared_text: null, created_ts: Date.UTC(2026, 0, 12, 11), closed_ts: null, closed_by: null },
];

/** A fake bridge answering the moderation routes; a POST to moderation fails with `moderationError` when set. */
async function mountWithBridge(page: Page, opts: { moderationError?: number } = {}): Promise<void> {
  await h.mount(page, MODULE, 'peerline-group-moderation', { group, members });
  await page.evaluate(`(async () => {
    const { BridgeError } = await import('/src/bridge/bridge-client.ts');
    window.__calls = [];
    const el = document.querySelector('peerline-group-moderation');
    el.bridge = { request: async (method, path, o) => {
      window.__calls.push({ method, path, body: o && o.body });
      if (method === 'GET' && path === '/v1/groups/gr1/members') return { group_id: 'gr1', members: ${JSON.stringify(bridgeMembers)} };
      if (method === 'GET' && path === '/v1/reports?group_id=gr1&status=open') return { reports: ${JSON.stringify(reports)} };
      if (method === 'POST' && path === '/v1/groups/gr1/moderation') {
        if (${JSON.stringify(opts.moderationError ?? null)} !== null) throw new BridgeError(${JSON.stringify(opts.moderationError ?? 0)}, 'M_FORBIDDEN', 'no');
        return { group_id: 'gr1', action: o.body.action, member: { user_id: o.body.user_id, display_name: null, membership: 'join', muted: o.body.action === 'mute' }, applied_ts: 1 };
      }
      if (method === 'POST' && path.startsWith('/v1/reports/')) return {};
      throw new BridgeError(404, 'M_NOT_FOUND', path);
    } };
    await el.updateComplete;
  })()`);
  await page.getByRole('heading', { name: /Open reports \(2\)/ }).waitFor();
}
const calls = (page: Page): Promise<{ method: string; path: string; body?: Record<string, unknown> }[]> => page.evaluate('window.__calls');

describe('<peerline-group-moderation>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('mutes a member after a reason and a confirmation, and announces it', async () => {
    const page = await h.newPage();
    await mountWithBridge(page);
    const applied = await h.recordEvents(page, 'moderation-applied');
    await expect(page.getByRole('heading', { name: 'Moderation: Exam stress circle' }).isVisible()).resolves.toBe(true);
    const options = await page.getByLabel('Member', { exact: true }).locator('option').allTextContents();
    expect(options).toEqual(['Choose a member', 'Bold Otter (muted)', 'Calm Finch (banned)', 'Quiet Heron']);
    expect(await h.axe(page)).toEqual([]);

    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('Choose a member.');
    await page.getByLabel('Member', { exact: true }).selectOption('@s-1:a.example');
    await page.getByRole('radio', { name: /^Mute/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('Give a reason.');
    await page.getByLabel('Reason (required)').fill('Insults after a warning');
    await page.getByRole('button', { name: 'Continue' }).click();
    const confirm = page.getByText('Mute Quiet Heron in Exam stress circle?');
    await expect(confirm.isVisible()).resolves.toBe(true);
    await expect(page.locator('#mod-confirm-text').evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
    expect((await calls(page)).filter((c) => c.method === 'POST')).toEqual([]);

    await page.getByRole('button', { name: 'Yes, do it' }).click();
    await expect.poll(() => applied()).toEqual([{ groupId: 'gr1', action: 'mute', userId: '@s-1:a.example' }]);
    expect((await calls(page)).filter((c) => c.method === 'POST')).toEqual([
      { method: 'POST', path: '/v1/groups/gr1/moderation', body: { action: 'mute', user_id: '@s-1:a.example', reason: 'Insults after a warning' } },
    ]);
    await expect(page.getByRole('status').textContent()).resolves.toContain('Quiet Heron is muted.');
    await expect(page.getByLabel('Member', { exact: true }).locator('option', { hasText: 'Quiet Heron' }).textContent()).resolves.toBe('Quiet Heron (muted)');
  });

  it('shows reports with only the shared text, never the reporter, and closes them', async () => {
    const page = await h.newPage({ width: 320, colorScheme: 'dark' });
    await mountWithBridge(page);
    const closed = await h.recordEvents(page, 'report-closed');
    const first = page.locator('li[data-report-id="rp_1"]');
    await expect(first.getByRole('heading', { name: 'Harassment or bullying' }).isVisible()).resolves.toBe(true);
    await expect(first.textContent()).resolves.toContain('> you are all losers');
    await expect(first.textContent()).resolves.toContain('Message from Quiet Heron');
    await expect(page.locator('li[data-report-id="rp_2"]').textContent()).resolves.toContain('The reporter shared no text.');
    expect(await h.axe(page)).toEqual([]);

    await first.getByRole('button', { name: /Act on this member/ }).click();
    await expect(page.getByLabel('Member', { exact: true }).inputValue()).resolves.toBe('@s-1:a.example');
    await page.locator('li[data-report-id="rp_1"]').getByRole('button', { name: /Close report/ }).click();
    await expect.poll(() => closed()).toEqual([{ groupId: 'gr1', reportId: 'rp_1' }]);
    await expect(page.locator('li[data-report-id="rp_1"]').count()).resolves.toBe(0);
    await expect(page.getByRole('heading', { name: /Open reports \(1\)/ }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('status').textContent()).resolves.toContain('Report closed.');
    expect((await calls(page)).filter((c) => c.method === 'POST')).toEqual([{ method: 'POST', path: '/v1/reports/rp_1/close', body: undefined }]);
  });

  it('says so when the bridge refuses the action', async () => {
    const page = await h.newPage();
    await mountWithBridge(page, { moderationError: 403 });
    await page.getByLabel('Member', { exact: true }).selectOption('@s-2:a.example');
    await page.getByRole('radio', { name: /^Remove from the group/ }).check();
    await page.getByLabel('Reason (required)').fill('Spamming');
    await page.getByLabel('Reason (required)').press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Yes, do it' }).click();
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('You do not moderate this group');
    await expect(page.getByRole('button', { name: 'Continue' }).evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });
});
