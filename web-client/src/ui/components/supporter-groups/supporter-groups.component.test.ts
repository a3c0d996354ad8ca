// Support groups in a real browser: the list opens a group's room, "Open a group" on a trained topic,
// and the marked place where group moderation goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;
const MODULE = 'src/ui/components/supporter-groups/supporter-groups.component.ts';
const topics = [{ id: 'exam-stress', label: 'Exam stress' }, { id: 'friendships', label: 'Friendships' }];
const groups = [{ group_id: 'gr1', topic: 'exam-stress', name: 'Exam week circle', audience: 'institution', room_id: '!g1:x', created_ts: 1, joinable: true }];

describe('<peerline-supporter-groups>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('opens a group room and opens a new group on a trained topic by keyboard', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, 'peerline-supporter-groups', { groups, topics, qualifiedTopics: ['exam-stress', 'friendships'] });
    const opened = await h.recordEvents(page, 'open-room');
    const created = await h.recordEvents(page, 'open-group');
    await expect(page.getByText('Exam stress · this institution only').isVisible()).resolves.toBe(true);
    await expect(page.locator('.moderation[data-group-id="gr1"]').count()).resolves.toBe(1);
    await page.getByRole('group', { name: 'Exam week circle' }).getByRole('button', { name: 'Open group' }).focus();
    await page.keyboard.press('Enter');
    await expect(opened()).resolves.toEqual([{ roomId: '!g1:x' }]);

    await page.getByLabel('Topic').selectOption('friendships');
    await page.getByLabel('Name shown in the group list').fill('Making friends');
    await page.keyboard.press('Enter');
    await expect(created()).resolves.toEqual([{ topic: 'friendships', name: 'Making friends' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('offers no form without a trained topic and says when there are no groups', async () => {
    const page = await h.newPage({ width: 320, colorScheme: 'dark' });
    await h.mount(page, MODULE, 'peerline-supporter-groups', { groups: [], topics, qualifiedTopics: [] });
    await expect(page.getByText('No open groups yet.').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Open a group' }).count()).resolves.toBe(0);
    expect(await h.axe(page)).toEqual([]);
  });
});
