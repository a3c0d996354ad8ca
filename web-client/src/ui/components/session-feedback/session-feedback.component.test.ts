// The student's feedback form in a real browser: every control labelled and grouped, answered and
// sent by keyboard alone, a missing answer said in an alert with focus on it, and skipping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/session-feedback/session-feedback.component.ts';
/** The component sits under a section's h2 in its view, as here. */
const underSection = (page: Page): Promise<void> => page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h2>Section</h2>')`);
const focused = (page: Page): Promise<string> => page.evaluate(`(() => { const a = document.querySelector('peerline-session-feedback').shadowRoot.activeElement;
  return a ? (a.closest('label')?.textContent ?? a.textContent).replace(/\\s+/g, ' ').trim() : ''; })()`);

describe('<peerline-session-feedback>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('labels every control, in named groups, and passes axe', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-session-feedback', { topicLabel: 'Exam stress' });
    await expect(page.getByRole('heading', { name: 'How was this conversation?' }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('Your conversation about: Exam stress').isVisible()).resolves.toBe(true);
    const helpful = page.getByRole('group', { name: 'How helpful was it?' });
    await expect(helpful.getByRole('radio').count()).resolves.toBe(5);
    await expect(helpful.getByRole('radio', { name: '1 – Not helpful' }).count()).resolves.toBe(1);
    await expect(helpful.getByRole('radio', { name: '5 – Very helpful' }).count()).resolves.toBe(1);
    const safe = page.getByRole('group', { name: 'Did you feel safe in this conversation?' });
    await expect(safe.getByRole('radio', { name: 'Yes' }).count()).resolves.toBe(1);
    await expect(safe.getByRole('radio', { name: 'No', exact: true }).count()).resolves.toBe(1);
    const themes = page.getByRole('group', { name: /What fits\?/ });
    await expect(themes.getByRole('checkbox').count()).resolves.toBe(7);
    await expect(themes.getByRole('checkbox', { name: 'I would have liked a counsellor' }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Send anonymously' }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Skip' }).count()).resolves.toBe(1);
    expect(await h.axe(page)).toEqual([]);
  });

  it('is answered and sent with the keyboard alone', async () => {
    const page = await h.newPage({ width: 320 });
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-session-feedback', { topicLabel: 'Exam stress' });
    const sent = await h.recordEvents(page, 'feedback-send');
    await page.getByRole('radio', { name: '1 – Not helpful' }).focus();
    // Arrow keys move through the radio group and choose.
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    expect(await focused(page)).toBe('4 – Helpful');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Yes');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('I felt listened to');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Send anonymously');
    await page.keyboard.press('Enter');
    await expect(sent()).resolves.toEqual([{ helpfulness: 4, feltSafe: true, themes: ['listened-to', 'felt-understood'] }]);
  });

  it('says what is missing in an alert and puts focus on it, without sending', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-session-feedback', {});
    const sent = await h.recordEvents(page, 'feedback-send');
    await page.getByRole('button', { name: 'Send anonymously' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Choose how helpful it was, or skip.');
    await expect.poll(() => focused(page)).toBe('1 – Not helpful');
    await page.getByRole('radio', { name: '2 – A little helpful' }).check();
    await page.getByRole('button', { name: 'Send anonymously' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Say whether you felt safe, or skip.');
    await expect.poll(() => focused(page)).toBe('Yes');
    await page.getByRole('radio', { name: 'No', exact: true }).check();
    await page.getByRole('button', { name: 'Send anonymously' }).click();
    await expect(sent()).resolves.toEqual([{ helpfulness: 2, feltSafe: false, themes: [] }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('can be skipped, and shows the problem the view reports', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-session-feedback', { problem: 'Could not send.' });
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Could not send.');
    const skipped = await h.recordEvents(page, 'feedback-skip');
    await page.getByRole('button', { name: 'Skip' }).focus();
    await page.keyboard.press('Enter');
    await expect(skipped()).resolves.toEqual([null]);
  });
});
