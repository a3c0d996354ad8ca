// Shows a new recovery key once, calmly, with ways to copy or save it. Emits `recovery-key-saved`
// when the person closes it; the key is then gone from the app.
import { LitElement, html, type PropertyValues } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { keyBackupDialogStyles } from './key-backup-dialogs.styles.ts';

export class RecoveryKeyDialog extends LitElement {
  static override properties = { recoveryKey: { attribute: false }, copied: { state: true } };
  static override styles = keyBackupDialogStyles;
  declare recoveryKey: string | null;
  declare copied: boolean;

  constructor() {
    super();
    this.recoveryKey = null;
    this.copied = false;
    updateWhenLocaleChanges(this);
  }

  protected override updated(changed: PropertyValues<this>): void {
    const dialog = this.renderRoot.querySelector('dialog');
    if (!dialog || !changed.has('recoveryKey')) return;
    if (this.recoveryKey && !dialog.open) dialog.showModal();
    if (!this.recoveryKey && dialog.open) dialog.close();
  }

  private async copy(): Promise<void> {
    if (!this.recoveryKey) return;
    try {
      await navigator.clipboard.writeText(this.recoveryKey);
      this.copied = true;
    } catch {
      // No clipboard permission: select the key so the person can copy it themselves.
      const el = this.renderRoot.querySelector('.key');
      if (el) getSelection()?.selectAllChildren(el);
    }
  }

  private save(): void {
    if (!this.recoveryKey) return;
    const url = URL.createObjectURL(new Blob([`${this.recoveryKey}\n`], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'peerline-recovery-key.txt';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  private done(): void {
    this.copied = false;
    this.dispatchEvent(new CustomEvent('recovery-key-saved', { bubbles: true, composed: true }));
  }

  override render() {
    return html`
      <dialog aria-labelledby="rk-title" aria-describedby="rk-intro" @cancel=${(e: Event) => e.preventDefault()}>
        <h2 id="rk-title">${msg('Your recovery key', { id: 'recovery.title' })}</h2>
        <p id="rk-intro">${msg("Save this recovery key somewhere safe — you'll need it to read old messages on a new device.", { id: 'recovery.intro' })}</p>
        <code class="key" aria-label=${msg('Recovery key', { id: 'recovery.key-label' })}>${this.recoveryKey ?? ''}</code>
        <p class="status" role="status">${this.copied ? msg('Copied.', { id: 'recovery.copied' }) : ''}</p>
        <div class="actions">
          <button type="button" @click=${this.copy}>${msg('Copy', { id: 'recovery.copy' })}</button>
          <button type="button" @click=${this.save}>${msg('Save as file', { id: 'recovery.save' })}</button>
          <button type="button" class="primary" @click=${this.done}>${msg("I've saved it", { id: 'recovery.done' })}</button>
        </div>
      </dialog>`;
  }
}

customElements.define('peerline-recovery-key-dialog', RecoveryKeyDialog);

declare global {
  interface HTMLElementTagNameMap { 'peerline-recovery-key-dialog': RecoveryKeyDialog }
}
