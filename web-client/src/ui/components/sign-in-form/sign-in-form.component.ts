// Username and password, with errors announced next to the form. Emits `sign-in`. Where the
// homeserver offers single sign-on, "Sign in with <provider>" buttons come first and emit `sso-sign-in`;
// where it offers only SSO, the password form is left out.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { signInFormStyles, ssoStyles } from './sign-in-form.styles.ts';
import { PASSWORD_ONLY, type LoginOptions } from '../../../matrix/sso.ts';

export type SignInProblem = 'credentials' | 'network' | 'server' | null;
export type SignInEvent = CustomEvent<{ username: string; password: string }>;
/** Single sign-on chosen: `idpId` names the identity provider, null lets the homeserver choose or ask. */
export type SsoSignInEvent = CustomEvent<{ idpId: string | null }>;

export class SignInForm extends LitElement {
  static override properties = { busy: { type: Boolean }, problem: { attribute: false }, loginOptions: { attribute: false }, redirecting: { type: Boolean } };
  static override styles = [signInFormStyles, ssoStyles];
  declare busy: boolean;
  declare problem: SignInProblem;
  /** What the homeserver offers (GET /login); the password form alone until known. */
  declare loginOptions: LoginOptions;
  /** The browser is on its way to the institution's sign-in page. */
  declare redirecting: boolean;

  constructor() {
    super();
    this.busy = false;
    this.problem = null;
    this.loginOptions = PASSWORD_ONLY;
    this.redirecting = false;
    updateWhenLocaleChanges(this);
  }

  private chooseSso(idpId: string | null): void {
    if (this.busy || this.redirecting) return;
    this.dispatchEvent(new CustomEvent('sso-sign-in', { detail: { idpId }, bubbles: true, composed: true }) satisfies SsoSignInEvent);
  }

  private renderSso(withPassword: boolean) {
    const providers = this.loginOptions.identityProviders;
    const disabled = this.busy || this.redirecting;
    const status = this.redirecting
      ? msg("Taking you to your institution's sign-in …", { id: 'sso.redirecting' })
      : this.busy && !withPassword ? msg('Signing in …', { id: 'signin.busy' }) : nothing;
    return html`
      <div class="sso">
        <ul class="providers">
          ${providers.length === 0
            ? html`<li><button type="button" ?disabled=${disabled} @click=${() => this.chooseSso(null)}>${msg('Sign in with your institution', { id: 'sso.sign-in-institution' })}</button></li>`
            : providers.map((p) => html`<li><button type="button" ?disabled=${disabled} @click=${() => this.chooseSso(p.id)}>${msg(str`Sign in with ${p.name}`, { id: 'sso.sign-in-with' })}</button></li>`)}
        </ul>
        <p class="status" role="status">${status}</p>
        ${withPassword ? html`<p class="or">${msg('Or sign in with a username and password:', { id: 'sso.or-password' })}</p>` : html`<p id="problem" class="problem" role="alert">${this.problem ? this.problemText() : nothing}</p>`}
      </div>`;
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
    const { sso, password } = this.loginOptions;
    if (sso && !password) return this.renderSso(false);
    return html`
      ${sso ? this.renderSso(true) : nothing}
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
