// Notifications in the account desk: whether this browser may show them (allowed, blocked, not asked
// yet, or not supported), a button that asks — only when clicked, as browsers expect — and the promise
// that a notification never shows who wrote or what (platform/notifications.ts shows only a count).
import { LitElement, html, nothing } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { browserNotificationHost, requestNotificationPermission } from '../../../platform/notifications.ts';
import { notificationSettingsStyles } from './notification-settings.styles.ts';

export type NotificationState = NotificationPermission | 'unsupported';

export class NotificationSettings extends LitElement {
  static override properties = { state: { state: true }, asking: { state: true } };
  static override styles = notificationSettingsStyles;
  declare state: NotificationState;
  declare asking: boolean;
  private status: PermissionStatus | null = null;
  private readonly onPermissionChange = (): void => { this.state = browserNotificationHost.permission(); };

  constructor() {
    super();
    this.state = browserNotificationHost.permission();
    this.asking = false;
    updateWhenLocaleChanges(this);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.state = browserNotificationHost.permission();
    // Follows changes made in the browser's own settings while the desk is open, where it can.
    void navigator.permissions?.query({ name: 'notifications' as PermissionName }).then((s) => {
      if (!this.isConnected) return;
      this.status = s;
      s.addEventListener('change', this.onPermissionChange);
    }, () => { /* not queryable here: the state is read again on every visit */ });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.status?.removeEventListener('change', this.onPermissionChange);
    this.status = null;
  }

  private async ask(): Promise<void> {
    this.asking = true;
    try {
      this.state = await requestNotificationPermission();
    } catch {
      this.state = browserNotificationHost.permission();
    }
    this.asking = false;
    await this.updateComplete;
    // The button is gone once answered: keep focus on the answer.
    this.renderRoot.querySelector<HTMLElement>('.state')?.focus();
  }

  private stateText(): string {
    switch (this.state) {
      case 'granted': return msg('Notifications are allowed on this device.', { id: 'account.notifications.granted' });
      case 'denied': return msg('Notifications are blocked for Peerline in this browser.', { id: 'account.notifications.denied' });
      case 'unsupported': return msg('This browser cannot show notifications.', { id: 'account.notifications.unsupported' });
      default: return msg('You have not been asked about notifications yet.', { id: 'account.notifications.default' });
    }
  }

  override render() {
    return html`
      <p class="promise">${msg('A notification only ever says that something new arrived. It never shows who wrote or what.', { id: 'account.notifications.promise' })}</p>
      <p class="state" tabindex="-1" role="status">${this.stateText()}</p>
      ${this.state === 'denied'
        ? html`<p class="muted">${msg("To allow them, change the notification setting for this site in your browser's settings.", { id: 'account.notifications.unblock' })}</p>`
        : nothing}
      ${this.state === 'default'
        ? html`<div class="actions"><button type="button" class="primary" ?disabled=${this.asking} @click=${() => { void this.ask(); }}>${msg('Allow notifications', { id: 'account.notifications.ask' })}</button></div>`
        : nothing}`;
  }
}

customElements.define('peerline-notification-settings', NotificationSettings);

declare global {
  interface HTMLElementTagNameMap { 'peerline-notification-settings': NotificationSettings }
}
