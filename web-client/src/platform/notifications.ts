// System notifications for new messages. They show only that something arrived ("New message",
// "3 new messages"): never a sender, room name or text, since a lock screen is not private and the
// content is end-to-end encrypted. The functions take a count, so content cannot be passed in.
import { msg, str } from '@lit/localize';

const TAG = 'peerline-new-messages';

export interface NewMessageNotification {
  title: string;
  options: NotificationOptions;
}

/** The notification for `count` unseen messages; nothing in it comes from the messages. */
export function newMessageNotification(count: number): NewMessageNotification {
  const n = Math.max(1, Math.floor(count));
  return {
    title: msg('Peerline', { id: 'app.title' }),
    options: {
      body: n === 1 ? msg('New message', { id: 'notification.new-message' }) : msg(str`${n} new messages`, { id: 'notification.new-messages' }),
      // One notification that updates, rather than a stack of them.
      tag: TAG,
      icon: new URL('icons/icon-192.png', document.baseURI).href,
    },
  };
}

/** What showing a notification needs from the browser; tests pass a fake. */
export interface NotificationHost {
  permission(): NotificationPermission | 'unsupported';
  /** True while the person is looking at the app: the message is on screen already. */
  appInView(): boolean;
  show(title: string, options: NotificationOptions): Promise<void>;
}

export const browserNotificationHost: NotificationHost = {
  permission: () => ('Notification' in globalThis ? Notification.permission : 'unsupported'),
  appInView: () => document.visibilityState === 'visible' && document.hasFocus(),
  async show(title, options) {
    // Through the service worker where there is one: Android Chrome allows no `new Notification`.
    const reg = 'serviceWorker' in navigator ? await navigator.serviceWorker.getRegistration() : undefined;
    if (reg) await reg.showNotification(title, options);
    else new Notification(title, options);
  },
};

/** Asks for permission; call only from a click, browsers ignore or penalise unprompted requests. */
export async function requestNotificationPermission(): Promise<NotificationPermission | 'unsupported'> {
  if (!('Notification' in globalThis)) return 'unsupported';
  return Notification.requestPermission();
}

/** Shows "New message" when allowed and the app is not in view. Returns whether it showed one. */
export async function notifyNewMessages(count: number, host: NotificationHost = browserNotificationHost): Promise<boolean> {
  if (count < 1 || host.permission() !== 'granted' || host.appInView()) return false;
  const { title, options } = newMessageNotification(count);
  try {
    await host.show(title, options);
    return true;
  } catch {
    return false;
  }
}
