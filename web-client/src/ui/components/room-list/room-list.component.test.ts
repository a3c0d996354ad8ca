// The room list in a real browser: names, unread counts for screen readers, selection by keyboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

let h: ComponentHarness;

describe('<peerline-room-list>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  const rooms = [
    { roomId: '!a:x', name: 'Quiet Heron', encrypted: true, unread: 2, lastActivity: 2 },
    { roomId: '!b:x', name: 'Exam stress group', encrypted: true, unread: 0, lastActivity: 1 },
  ];

  it('lists rooms, announces unread counts and selects a room by keyboard', async () => {
    const page = await h.newPage();
    await h.mount(page, 'src/ui/components/room-list/room-list.component.ts', 'peerline-room-list', { rooms, selectedRoomId: '!b:x' });
    const events = await h.recordEvents(page, 'room-selected');
    const items = page.getByRole('button');
    await expect(items.count()).resolves.toBe(2);
    await expect(page.getByRole('button', { name: /Quiet Heron/ }).textContent()).resolves.toMatch(/2/);
    await page.getByRole('button', { name: /Quiet Heron/ }).focus();
    await page.keyboard.press('Enter');
    await expect(events()).resolves.toEqual([{ roomId: '!a:x' }]);
    expect(await h.axe(page)).toEqual([]);
  });
});
