// Handing over to a colleague, in a real browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';
import { COLLEAGUE } from '../counsellor-shared/queue-item.fixture.ts';

const MODULE = 'src/ui/components/counsellor-handover-form/counsellor-handover-form.component.ts';
let h: ComponentHarness;

describe('<peerline-counsellor-handover-form>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('lists colleagues with their duty state and hands over to the chosen one', async () => {
    const page = await h.newPage();
    const colleagues = [{ user_id: COLLEAGUE, on_duty_now: true }, { user_id: '@coun-3:a.example', on_duty_now: false }];
    await h.mount(page, MODULE, 'peerline-counsellor-handover-form', { colleagues });
    const submitted = await h.recordEvents(page, 'handover-submit');
    const select = page.getByLabel('Colleague');
    await expect(select.locator('option').allTextContents()).resolves.toEqual([`${COLLEAGUE} (on duty)`, '@coun-3:a.example (not on duty)']);
    expect(await h.axe(page)).toEqual([]);
    await select.selectOption('@coun-3:a.example');
    await page.getByRole('button', { name: 'Hand over' }).click();
    await expect(submitted()).resolves.toEqual([{ to: '@coun-3:a.example' }]);
  });

  it('says when there is nobody to hand over to, and cancels', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, MODULE, 'peerline-counsellor-handover-form', { colleagues: [] });
    const cancelled = await h.recordEvents(page, 'form-cancel');
    await expect(page.getByText('No other counsellor is on the roster').count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Hand over' }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(cancelled()).resolves.toHaveLength(1);
    expect(await h.axe(page)).toEqual([]);
  });
});
