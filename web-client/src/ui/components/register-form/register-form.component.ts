// Creating an account with an institution's registration token: token, optional username (the server
// picks one when left empty) and password. Emits `register`; errors are announced next to the form.
import { LitElement, html, nothing } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import type { RegistrationProblem } from '../../../matrix/registration.ts';
import { registerFormStyles } from './register-form.styles.ts';

export type RegisterEvent = CustomEvent<{ token: string; username: string; password: string }>;

export class RegisterForm extends LitElement {
  static override properties = { busy: { type: Boolean }, problem: { attribute: false } };
  static override styles = registerFormStyles;
  declare busy: boolean;
  declare problem: RegistrationProblem | null;

  constructor() {
    super();
    this.busy = false;
    this.problem = null;
    updateWhenLocaleChanges(this);
  }

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const token = String(data.get('token') ?? '').trim();
    const username = String(data.get('username') ?? '').trim();
    const password = String(data.get('password') ?? '');
    if (!token || !password) return;
    this.dispatchEvent(new CustomEvent('register', { detail: { token, username, password }, bubbles: true, composed: true }) satisfies RegisterEvent);
  }

  private problemText(): string {
    switch (this.problem) {
      case 'token': return msg('This registration code is not valid. Ask your institution for a new one.', { id: 'register.error.token' });
      case 'username-taken': return msg('This username is already taken. Try another, or leave it empty.', { id: 'register.error.taken' });
      case 'username-invalid': return msg('Usernames may use lowercase letters, digits and . _ = - / only.', { id: 'register.error.username' });
      case 'weak-password': return msg('Please choose a longer password.', { id: 'register.error.password' });
      case 'disabled': return msg('This server does not allow new accounts.', { id: 'register.error.disabled' });
      case 'network': return msg('The server cannot be reached. Check your connection.', { id: 'signin.error.network' });
      default: return msg('Creating the account did not work. Please try again.', { id: 'register.error.server' });
    }
  }

  override render() {
    return html`
      <form @submit=${this.submit} aria-describedby=${this.problem ? 'register-problem' : nothing}>
        <label for="token">${msg('Registration code', { id: 'register.token' })}</label>
        <input id="token" name="token" autocomplete="off" autocapitalize="none" spellcheck="false" required ?disabled=${this.busy}>
        <label for="new-username">${msg('Username (optional)', { id: 'register.username' })}</label>
        <input id="new-username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" aria-describedby="username-hint" ?disabled=${this.busy}>
        <p id="username-hint" class="hint">${msg('Leave it empty and we pick one for you.', { id: 'register.username-hint' })}</p>
        <label for="new-password">${msg('Password', { id: 'signin.password' })}</label>
        <input id="new-password" name="password" type="password" autocomplete="new-password" required ?disabled=${this.busy}>
        <p id="register-problem" class="problem" role="alert">${this.problem ? this.problemText() : nothing}</p>
        <button type="submit" ?disabled=${this.busy}>${this.busy ? msg('Creating account …', { id: 'register.busy' }) : msg('Create account', { id: 'register.submit' })}</button>
      </form>`;
  }
}

customElements.define('peerline-register-form', RegisterForm);

declare global {
  interface HTMLElementTagNameMap { 'peerline-register-form': RegisterForm }
}
