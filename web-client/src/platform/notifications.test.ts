import { beforeAll, describe, expect, it } from 'vitest';
import { newMessageNotification, notifyNewMessages, type NotificationHost } from './notifications.ts';

beforeAll(() => {
  // Node has no document; the icon URL is all the module needs from it.
  (globalThis as { document?: unknown }).document ??= { baseURI: 'https://app.example/peerline/' };
});

function fakeHost(permission: NotificationPermission | 'unsupported', inView = false): NotificationHost & { shown: { title: string; options: NotificationOptions }[] } {
  const shown: { title: string; options: NotificationOptions }[] = [];
  return { shown, permission: () => permission, appInView: () => inView, show: async (title, options) => { shown.push({ title, options }); } };
}

describe('new-message notifications', () => {
  it('says only that a message arrived, with no sender, room or text', () => {
    const n = newMessageNotification(1);
    expect(n.title).toBe('Peerline');
    expect(n.options.body).toBe('New message');
    expect(Object.keys(n.options).sort()).toEqual(['body', 'icon', 'tag']);
  });

  it('counts several messages in one replaceable notification', () => {
    expect(newMessageNotification(3).options.body).toBe('3 new messages');
    expect(newMessageNotification(3).options.tag).toBe(newMessageNotification(1).options.tag);
  });

  it('shows a notification only with permission and while the app is out of view', async () => {
    const granted = fakeHost('granted');
    expect(await notifyNewMessages(2, granted)).toBe(true);
    expect(granted.shown.map((s) => s.options.body)).toEqual(['2 new messages']);

    for (const host of [fakeHost('default'), fakeHost('denied'), fakeHost('unsupported'), fakeHost('granted', true)]) {
      expect(await notifyNewMessages(1, host)).toBe(false);
      expect(host.shown).toEqual([]);
    }
  });

  it('shows nothing for a count of zero', async () => {
    const host = fakeHost('granted');
    expect(await notifyNewMessages(0, host)).toBe(false);
    expect(host.shown).toEqual([]);
  });
});
