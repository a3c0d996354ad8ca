// The roster in a real browser: adding a supporter with topics and training by keyboard-reachable
// native controls, the bridge's errors shown with the field they concern, lists and removal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/admin-roster/admin-roster.component.ts';
const topics = [{ id: 'exam-stress', label: 'Exam stress' }, { id: 'low-mood', label: 'Low mood' }];
const modules = [{ id: 'safeguarding', label: 'Safeguarding', min_version: 1 }, { id: 'listening-basics', label: 'Active listening', min_version: 2 }];
/** In the desk the roster sits under the section's h2; give it one here so the heading order holds. */
const underSection = (page: Page): Promise<void> =>
  page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h2>Roster</h2>')`);
const supporter = {
  user_id: '@s1:a.example', topics: ['exam-stress', 'low-mood'], training: [{ module: 'safeguarding', version: 1, completed: '2026-01-10', expires: '2027-01-09' }],
  capacity: null, active: true, updated_ts: 1, updated_by: '@admin:a.example', effective_capacity: 2, qualified_topics: [], missing_training: ['listening-basics'],
};

describe('<peerline-admin-roster>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('sends a new supporter with topics and training records', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-admin-roster', { topics, modules, supporters: [], admins: [{ user_id: '@admin:a.example', added_ts: 0, added_by: 'config', bootstrap: true }] });
    const saved = await h.recordEvents(page, 'save-supporter');
    const form = page.getByRole('form', { name: 'Add or update a supporter' });
    await form.getByLabel('Matrix user ID').fill('@new:a.example');
    await form.getByRole('checkbox', { name: 'Exam stress' }).check();
    const safeguarding = form.getByRole('group', { name: 'Safeguarding' });
    await safeguarding.getByRole('checkbox', { name: 'Completed' }).check();
    await safeguarding.getByLabel('Completed on').fill('2026-02-01');
    await form.getByRole('group', { name: 'Active listening' }).getByRole('checkbox', { name: 'Completed' }).check();
    await form.getByRole('group', { name: 'Active listening' }).getByLabel('Completed on').fill('2026-02-02');
    expect(await h.axe(page)).toEqual([]);
    await form.getByLabel(/Capacity/).focus();
    await page.keyboard.type('3');
    await page.keyboard.press('Enter');
    await expect(saved()).resolves.toEqual([{
      userId: '@new:a.example',
      input: { topics: ['exam-stress'], training: [{ module: 'safeguarding', version: 1, completed: '2026-02-01' }, { module: 'listening-basics', version: 2, completed: '2026-02-02' }], capacity: 3 },
    }]);
    await expect(page.getByRole('row', { name: /@admin:a.example/ }).textContent()).resolves.toContain('set in the configuration');
  });

  it("shows the bridge's error with the field it concerns and moves focus to it", async () => {
    const page = await h.newPage({ width: 320 });
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-admin-roster', { topics, modules });
    await page.evaluate(`(() => { const el = document.querySelector('peerline-admin-roster'); el.error = { form: 'supporter', error: {
      errcode: 'M_INVALID_PARAM', message: 'The supporter record does not fit the policy',
      problems: [{ field: 'user', message: '@x:elsewhere.example is not a user of this institution or of a partner in the policy' }, { field: 'training', message: 'training[0].completed: expected a date' }] } }; })()`);
    const alert = page.getByRole('alert');
    await expect(alert.textContent()).resolves.toMatch(/M_INVALID_PARAM[\s\S]*Matrix user ID: @x:elsewhere.example is not a user of this institution[\s\S]*Training: training\[0\]\.completed: expected a date/);
    await expect(page.evaluate(`document.querySelector('peerline-admin-roster').shadowRoot.activeElement?.id`)).resolves.toBe('supporter-problems');
    const user = page.getByRole('form', { name: 'Add or update a supporter' }).getByLabel('Matrix user ID');
    await expect(user.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(user.evaluate((el) => (el as HTMLInputElement).ariaDescribedByElements?.map((d) => d.textContent).join('') ?? el.getAttribute('aria-describedby'))).resolves.toMatch(/not a user of this institution|supporter-user-problem/);
    expect(await h.axe(page)).toEqual([]);
  });

  it('lists supporters with what the policy makes of them, edits and removes', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-admin-roster', { topics, modules, supporters: [supporter], counsellors: [{ user_id: '@c1:a.example', team: 'wellbeing', active: true, updated_ts: 1, updated_by: 'x', on_duty_now: true }] });
    const removed = await h.recordEvents(page, 'remove-roster-entry');
    const row = page.getByRole('row', { name: /@s1:a.example/ });
    await expect(row.textContent()).resolves.toMatch(/Exam stress — not trained for it yet[\s\S]*Safeguarding v1, 2026-01-10 – 2027-01-09[\s\S]*Missing: listening-basics/);
    await row.getByRole('button', { name: 'Edit @s1:a.example' }).click();
    const form = page.getByRole('form', { name: 'Add or update a supporter' });
    await expect(form.getByLabel('Matrix user ID').inputValue()).resolves.toBe('@s1:a.example');
    await expect(form.getByRole('checkbox', { name: 'Low mood' }).isChecked()).resolves.toBe(true);
    await expect(form.getByRole('group', { name: 'Safeguarding' }).getByLabel('Completed on').inputValue()).resolves.toBe('2026-01-10');
    await row.getByRole('button', { name: 'Remove @s1:a.example from the supporters' }).click();
    await page.getByRole('button', { name: 'Remove @c1:a.example from the counsellors' }).click();
    await expect(removed()).resolves.toEqual([{ form: 'supporter', userId: '@s1:a.example' }, { form: 'counsellor', userId: '@c1:a.example' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('sends counsellors and admins', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-admin-roster', { topics, modules });
    const c = await h.recordEvents(page, 'save-counsellor');
    const a = await h.recordEvents(page, 'add-admin');
    const cf = page.getByRole('form', { name: 'Add or update a counsellor' });
    await cf.getByLabel('Matrix user ID').fill('@c2:a.example');
    await cf.getByRole('button', { name: 'Save counsellor' }).click();
    const af = page.getByRole('form', { name: 'Add an admin' });
    await af.getByLabel('Matrix user ID').fill('@a2:a.example');
    await af.getByRole('button', { name: 'Add admin' }).click();
    await expect(c()).resolves.toEqual([{ userId: '@c2:a.example', team: null }]);
    await expect(a()).resolves.toEqual([{ userId: '@a2:a.example' }]);
  });
});
