// The admin desk in the built web client against a real homeserver and the real bridge: the admin
// signs in, opens "Administration", reads the policy summary (and the bridge's validation errors for
// a broken policy file), adds a supporter with a topic and training (and sees the bridge refuse a bad
// entry, naming the field), sees the figures with suppressed cells in words, and finds the roster
// change in the audit log with the chain intact. axe runs on every section.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { RegisteredUser } from '../helpers/homeserver.ts';
import { testPolicy } from '../helpers/bridge.ts';
import { axeViolations } from '../helpers/browser.ts';
import { openSection, SHOTS, startWebStack, type WebStack } from '../helpers/web-stack.ts';

let stack: WebStack;
let supporter: RegisteredUser;

describe('the admin desk in the browser', () => {
  beforeAll(async () => {
    stack = await startWebStack();
    supporter = await stack.hs.registerUser('new-supporter');
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows the policy, manages the roster, charts the figures and shows the audit log with its chain intact', async () => {
    const { bridge, admin } = stack;
    const page = await stack.signIn(admin, { viewport: { width: 1000, height: 760 } });

    await openSection(page, 'Administration', { timeout: 30_000 });
    await page.getByRole('heading', { name: 'Administration', level: 1 }).waitFor();
    const tabs = page.getByRole('tablist', { name: 'Administration sections' });

    // Policy: the summary of the policy in force.
    await page.getByRole('table', { name: 'Topics' }).getByRole('row', { name: /Exam stress/ }).waitFor();
    await expect(page.getByText('Matching now').isVisible()).resolves.toBe(true);
    await expect(page.locator('peerline-admin-policy dd', { hasText: 'School A' }).count()).resolves.toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1000, height: 1600 });
    await page.screenshot({ path: resolve(SHOTS, 'admin-desk.png') });
    await page.setViewportSize({ width: 1000, height: 760 });

    // A broken policy file: the reload is refused and every problem is listed with file and path.
    const good = testPolicy(bridge.serverName);
    bridge.writePolicy({ ...good, retention_days: { peer: 'thirty', group: 90, escalation: 365 } });
    await page.getByRole('button', { name: 'Reload policy' }).click();
    const rejected = page.getByRole('alert').filter({ hasText: 'A newer policy file was rejected' });
    await rejected.waitFor();
    await expect(rejected.innerText()).resolves.toMatch(/policy\.yaml at \$\.retention_days\.peer: expected .*found/);
    expect(await axeViolations(page)).toEqual([]);
    bridge.writePolicy(good);
    await page.getByRole('button', { name: 'Reload policy' }).click();
    await rejected.waitFor({ state: 'detached' });

    // Roster: add a supporter with a topic and training; a bad entry shows the bridge's error.
    await tabs.getByRole('tab', { name: 'Roster' }).click();
    const form = page.getByRole('form', { name: 'Add or update a supporter' });
    await form.getByLabel('Matrix user ID').fill('@someone:elsewhere.example');
    await form.getByRole('checkbox', { name: 'Exam stress' }).check();
    await form.getByRole('button', { name: 'Save supporter' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'The bridge did not accept this entry.' });
    await expect(refusal.innerText()).resolves.toMatch(/M_INVALID_PARAM[\s\S]*Matrix user ID: @someone:elsewhere\.example is not a user of this institution/);
    await expect(form.getByLabel('Matrix user ID').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await axeViolations(page)).toEqual([]);

    await form.getByLabel('Matrix user ID').fill(supporter.userId);
    for (const module of ['Boundaries and confidentiality', 'Recognising risk and suggesting escalation', 'Active listening']) {
      await form.getByRole('group', { name: module }).getByRole('checkbox', { name: 'Completed' }).check();
    }
    await form.getByRole('button', { name: 'Save supporter' }).click();
    await page.getByRole('status').filter({ hasText: `Saved ${supporter.userId} as a supporter.` }).waitFor();
    await expect(refusal.count()).resolves.toBe(0);
    const row = page.getByRole('table', { name: 'Supporters (1)' }).getByRole('row', { name: new RegExp(supporter.userId) });
    const listed = await row.innerText();
    for (const part of ['Exam stress', 'Boundaries and confidentiality v1', 'Active listening v1']) expect(listed).toContain(part);
    expect(await axeViolations(page)).toEqual([]);
    const stored = await bridge.api<{ supporters: { user_id: string; qualified_topics: string[] }[] }>('GET', '/v1/admin/roster/supporters', { token: stack.adminToken });
    expect(stored.body.supporters).toEqual([expect.objectContaining({ user_id: supporter.userId, qualified_topics: ['exam-stress'] })]);

    // Figures: nothing has happened yet, so every cell is suppressed, said in words, never 0.
    await tabs.getByRole('tab', { name: 'Figures' }).click();
    const byWeek = page.getByRole('table', { name: /Support requests by week: Exam stress: the numbers/ });
    await byWeek.waitFor();
    const cells = await byWeek.locator('tbody td').allInnerTexts();
    expect(cells.length).toBeGreaterThan(0);
    expect(new Set(cells)).toEqual(new Set(['fewer than 5']));
    await expect(page.getByText('Every value is suppressed: each comes from fewer than 5 cases.').first().isVisible()).resolves.toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    // The desk scrolls inside <main>; a tall viewport puts the whole section in the picture.
    await page.setViewportSize({ width: 1000, height: 2000 });
    await page.screenshot({ path: resolve(SHOTS, 'admin-figures.png') });
    await page.setViewportSize({ width: 1000, height: 760 });

    // Audit log: the roster change is in it and the chain is intact.
    await tabs.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByText('Chain intact').waitFor();
    const entry = page.getByRole('row', { name: /roster\.supporter\.add/ });
    await expect(entry.innerText()).resolves.toContain(supporter.userId);
    await expect(entry.innerText()).resolves.toContain(admin.userId);
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1000, height: 1400 });
    await page.screenshot({ path: resolve(SHOTS, 'admin-audit.png') });
  }, 120_000);
});
