// "Erase my account": says plainly what erasing does, asks for the password, and calls `erase`
// (supplied by the account view). A wrong password shows an error and changes nothing; success
// fires `account-erased`, after which the view signs the device out.
import { LitElement, html, nothing } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { eraseAccountStyles } from './erase-account.styles.ts';

export type EraseProblem = 'password' | 'network' | 'server';

export class EraseAccount extends LitElement {
  static override properties = {
    erase: { attribute: false }, open: { state: true }, busy: { state: true }, problem: { state: true },
  };
  static override styles = eraseAccountStyles;
  /** Erases the account with this password; rejects with `{ problem }` when it did not. */
  declare erase: (password: string) => Promise<void>;
  declare open: boolean;
  declare busy: boolean;
  declare problem: EraseProblem | null;

  constructor() {
    super();
    this.erase = async () => { throw Object.assign(new Error('not wired'), { problem: 'server' }); };
    this.open = false;
    this.busy = false;
    this.problem = null;
    updateWhenLocaleChanges(this);
  }

  private async show(): Promise<void> {
    this.open = true;
    this.problem = null;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('input[name=password]')?.focus();
  }

  private async cancel(): Promise<void> {
    this.open = false;
    this.problem = null;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLButtonElement>('button.start')?.focus();
  }

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const input = form.querySelector<HTMLInputElement>('input[name=password]')!;
    const password = input.value;
    if (!password) { this.problem = 'password'; input.focus(); return; }
    this.busy = true;
    this.problem = null;
    try {
      await this.erase(password);
      this.dispatchEvent(new CustomEvent('account-erased', { bubbles: true, composed: true }));
    } catch (err) {
      this.problem = (err as { problem?: EraseProblem }).problem ?? 'server';
      input.select();
      input.focus();
    } finally {
      this.busy = false;
    }
  }

  private problemText(): string {
    switch (this.problem) {
      case 'password': return msg('That password is not right. Your account has not been erased.', { id: 'account.erase.error.password' });
      case 'network': return msg('The server cannot be reached. Your account has not been erased. Check your connection and try again.', { id: 'account.erase.error.network' });
      default: return msg('Something went wrong. Your account has not been erased. Please try again.', { id: 'account.erase.error.server' });
    }
  }

  override render() {
    return html`
      <p>${msg('Erasing your account cannot be undone. When you erase it:', { id: 'account.erase.intro' })}</p>
      <ul class="facts">
        <li>${msg('you leave every conversation and group, and can never sign in with this account again;', { id: 'account.erase.fact-leave' })}</li>
        <li>${msg('your name and settings are deleted from the server;', { id: 'account.erase.fact-profile' })}</li>
        <li>${msg('everything kept on this device is wiped;', { id: 'account.erase.fact-device' })}</li>
        <li>${msg('people who were in a conversation with you can still read what you wrote there, until the conversation is deleted after the retention period.', { id: 'account.erase.fact-others' })}</li>
      </ul>
      ${this.open ? html`
        <form @submit=${(e: SubmitEvent) => { void this.submit(e); }}>
          <label class="block">${msg('Your password, to confirm', { id: 'devices.password' })}
            <input name="password" type="password" autocomplete="current-password" ?disabled=${this.busy} aria-describedby="erase-problem">
          </label>
          <p class="problem" id="erase-problem" role="alert">${this.problem ? this.problemText() : nothing}</p>
          <div class="actions">
            <button type="submit" class="danger" ?disabled=${this.busy}>${this.busy ? msg('Erasing …', { id: 'account.erase.busy' }) : msg('Erase my account for good', { id: 'account.erase.confirm' })}</button>
            <button type="button" ?disabled=${this.busy} @click=${() => { void this.cancel(); }}>${msg('Cancel', { id: 'account.erase.cancel' })}</button>
          </div>
        </form>`
      : html`<div class="actions"><button type="button" class="start" @click=${() => { void this.show(); }}>${msg('Erase my account …', { id: 'account.erase.start' })}</button></div>`}`;
  }
}

customElements.define('peerline-erase-account', EraseAccount);

declare global {
  interface HTMLElementTagNameMap { 'peerline-erase-account': EraseAccount }
}
