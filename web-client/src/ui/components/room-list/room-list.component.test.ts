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

  it('labels Peerline rooms by kind until a pseudonym is known, and drops the unread count once read', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, 'src/ui/components/room-list/room-list.component.ts', 'peerline-room-list', {
      rooms: [
        { roomId: '!p:x', name: '', kind: 'peer', encrypted: true, unread: 3, lastActivity: 3 },
        { roomId: '!g:x', name: '', kind: 'group', encrypted: true, unread: 0, lastActivity: 2 },
        { roomId: '!e:x', name: '', kind: 'escalation', encrypted: true, unread: 0, lastActivity: 1 },
      ],
      selectedRoomId: null,
    });
    await expect(page.getByRole('button', { name: /Support conversation/ }).textContent()).resolves.toContain('3 unread');
    await expect(page.getByRole('button', { name: /Support group/ }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: /Conversation with a counsellor/ }).isVisible()).resolves.toBe(true);
    await page.evaluate(`(async () => { const l = document.querySelector('peerline-room-list'); l.rooms = l.rooms.map((r) => ({ ...r, unread: 0, name: r.kind === 'peer' ? 'Steady Otter' : r.name })); await l.updateComplete; })()`);
    await expect(page.getByRole('button', { name: /Steady Otter/ }).textContent()).resolves.not.toContain('unread');
    expect(await h.axe(page)).toEqual([]);
  });
});
