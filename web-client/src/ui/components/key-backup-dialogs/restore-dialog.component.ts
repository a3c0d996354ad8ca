// On a new device of an account with key backup: asks for the recovery key so older messages can
// be read. Emits `restore-keys` with the key, or `restore-skipped`.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import type { RestoreState } from '../../../state/app-store.ts';
import { keyBackupDialogStyles } from './key-backup-dialogs.styles.ts';

export type RestoreKeysEvent = CustomEvent<{ recoveryKey: string }>;

export class RestoreDialog extends LitElement {
  static override properties = { state: { attribute: false } };
  static override styles = keyBackupDialogStyles;
  declare state: RestoreState;

  constructor() {
    super();
    this.state = 'none';
    updateWhenLocaleChanges(this);
  }

  protected override updated(changed: PropertyValues<this>): void {
    const dialog = this.renderRoot.querySelector('dialog');
    if (!dialog || !changed.has('state')) return;
    if (this.state !== 'none' && !dialog.open) dialog.showModal();
    if (this.state === 'none' && dialog.open) dialog.close();
  }

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const recoveryKey = String(new FormData(e.target as HTMLFormElement).get('recovery-key') ?? '').trim();
    if (!recoveryKey) return;
    this.dispatchEvent(new CustomEvent('restore-keys', { detail: { recoveryKey }, bubbles: true, composed: true }) satisfies RestoreKeysEvent);
  }

  private skip(): void {
    this.dispatchEvent(new CustomEvent('restore-skipped', { bubbles: true, composed: true }));
  }

  private problemText(): string | typeof nothing {
    if (this.state === 'wrong-key') return msg('That recovery key does not fit. Check it and try again.', { id: 'restore.error.key' });
    if (this.state === 'failed') return msg('Restoring did not work. Please try again.', { id: 'restore.error.failed' });
    return nothing;
  }

  override render() {
    const busy = this.state === 'working';
    return html`
      <dialog aria-labelledby="rs-title" @cancel=${(e: Event) => { e.preventDefault(); this.skip(); }}>
        <h2 id="rs-title">${msg('Read your older messages', { id: 'restore.title' })}</h2>
        <p>${msg('This is a new device. Enter your recovery key to read messages from before you signed in here.', { id: 'restore.intro' })}</p>
        <form @submit=${this.submit}>
          <label for="recovery-key">${msg('Enter your recovery key', { id: 'restore.key-label' })}</label>
          <input id="recovery-key" name="recovery-key" autocomplete="off" autocapitalize="none" spellcheck="false" required ?disabled=${busy}>
          <p class="problem" role="alert">${this.problemText()}</p>
          <p class="status" role="status">${busy ? msg('Restoring …', { id: 'restore.busy' }) : ''}</p>
          <div class="actions">
            <button type="submit" class="primary" ?disabled=${busy}>${msg('Restore', { id: 'restore.submit' })}</button>
            <button type="button" @click=${this.skip} ?disabled=${busy}>${msg('Not now', { id: 'restore.skip' })}</button>
          </div>
        </form>
      </dialog>`;
  }
}

customElements.define('peerline-restore-dialog', RestoreDialog);

declare global {
  interface HTMLElementTagNameMap { 'peerline-restore-dialog': RestoreDialog }
}
