// The support group list in a real browser: who each group is for, joining by keyboard, opening a
// group already joined, and a group closed to the student.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
/** The component sits under a section's h2 in its view, as here. */
const underSection = (page: Page): Promise<void> => page.evaluate(`document.getElementById('stage').insertAdjacentHTML('beforebegin', '<h2>Section</h2>')`);
const MODULE = 'src/ui/components/group-list/group-list.component.ts';

const groups = [
  { group_id: 'gr_exams', topic: 'exam-stress', name: 'Exam season circle', audience: 'institution', room_id: '!g1:a.example', created_ts: 1, joinable: true },
  { group_id: 'gr_mood', topic: 'low-mood', name: 'Low days together', audience: 'consortium', room_id: '!g2:a.example', created_ts: 2, joinable: true },
  { group_id: 'gr_closed', topic: 'friendships', name: 'Partner-only', audience: 'institution', room_id: '!g3:b.example', created_ts: 3, joinable: false },
];

describe('<peerline-group-list>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('says when no group is open', async () => {
    const page = await h.newPage();
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-group-list', { groups: [] });
    await page.getByText('There are no support groups open right now.').waitFor();
    expect(await h.axe(page)).toEqual([]);
  });

  it('lists groups, joins one by keyboard and opens one already joined', async () => {
    const page = await h.newPage({ width: 320 });
    await underSection(page);
    await h.mount(page, MODULE, 'peerline-group-list', { groups, topicLabels: { 'exam-stress': 'Exam stress' }, joinedRoomIds: ['!g2:a.example'] });
    const joins = await h.recordEvents(page, 'join-group');
    const opens = await h.recordEvents(page, 'open-room');
    await expect(page.getByText('Topic: Exam stress').isVisible()).resolves.toBe(true);
    await expect(page.getByText(/partner institutions too/).isVisible()).resolves.toBe(true);
    await expect(page.getByText('This group is not open to you.').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Join group: Exam season circle' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Open group: Low days together' }).click();
    await expect(joins()).resolves.toEqual([{ groupId: 'gr_exams' }]);
    await expect(opens()).resolves.toEqual([{ roomId: '!g2:a.example' }]);
    await page.evaluate(`(async () => { const el = document.querySelector('peerline-group-list'); el.busy = 'gr_exams'; await el.updateComplete; })()`);
    await expect(page.getByRole('button', { name: 'Join group: Exam season circle' }).isDisabled()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });
});
