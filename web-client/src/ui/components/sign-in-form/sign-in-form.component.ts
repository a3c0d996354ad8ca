// Username and password, with errors announced next to the form. Emits `sign-in`.
import { LitElement, html, nothing } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { signInFormStyles } from './sign-in-form.styles.ts';

export type SignInProblem = 'credentials' | 'network' | 'server' | null;
export type SignInEvent = CustomEvent<{ username: string; password: string }>;

export class SignInForm extends LitElement {
  static override properties = { busy: { type: Boolean }, problem: { attribute: false } };
  static override styles = signInFormStyles;
  declare busy: boolean;
  declare problem: SignInProblem;

  constructor() {
    super();
    this.busy = false;
    this.problem = null;
    updateWhenLocaleChanges(this);
  }

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const username = String(data.get('username') ?? '').trim();
    const password = String(data.get('password') ?? '');
    if (!username || !password) return;
    this.dispatchEvent(new CustomEvent('sign-in', { detail: { username, password }, bubbles: true, composed: true }) satisfies SignInEvent);
  }

  private problemText(): string {
    switch (this.problem) {
      case 'credentials': return msg('The username or password is not right.', { id: 'signin.error.credentials' });
      case 'network': return msg('The server cannot be reached. Check your connection.', { id: 'signin.error.network' });
      default: return msg('Signing in did not work. Please try again.', { id: 'signin.error.server' });
    }
  }

  override render() {
    return html`
      <form @submit=${this.submit} aria-describedby=${this.problem ? 'problem' : nothing}>
        <label for="username">${msg('Username', { id: 'signin.username' })}</label>
        <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required ?disabled=${this.busy}>
        <label for="password">${msg('Password', { id: 'signin.password' })}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required ?disabled=${this.busy}>
        <p id="problem" class="problem" role="alert">${this.problem ? this.problemText() : nothing}</p>
        <button type="submit" ?disabled=${this.busy}>${this.busy ? msg('Signing in …', { id: 'signin.busy' }) : msg('Sign in', { id: 'signin.submit' })}</button>
      </form>`;
  }
}

customElements.define('peerline-sign-in-form', SignInForm);

declare global {
  interface HTMLElementTagNameMap { 'peerline-sign-in-form': SignInForm }
}
