// The first screen: a welcome and the sign-in form. It paints before matrix-js-sdk has loaded, then
// asks the homeserver (plain fetch) whether it offers single sign-on and, if so, shows its buttons.
import { LitElement, html, css } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import '../components/sign-in-form/sign-in-form.component.ts';
import '../components/register-form/register-form.component.ts';
import type { SignInProblem, SsoSignInEvent } from '../components/sign-in-form/sign-in-form.component.ts';
import type { RegistrationProblem } from '../../matrix/registration.ts';
import { fetchLoginOptions, PASSWORD_ONLY, returnUrl, ssoRedirectUrl, type LoginOptions } from '../../matrix/sso.ts';
import { loadConfig } from '../../platform/config.ts';

export class SignInView extends LitElement {
  static override properties = {
    busy: { type: Boolean }, problem: { attribute: false }, registerProblem: { attribute: false }, mode: { state: true },
    loginOptions: { state: true }, loginOptionsKnown: { state: true }, redirecting: { state: true },
  };
  static override styles = css`
    :host { display: block; max-width: 26rem; margin: var(--pl-space-5) auto; padding: 0 var(--pl-space-3); }
    h1 { font-size: 1.75rem; margin: 0 0 var(--pl-space-2); }
    h1:focus { outline: none; }
    p { color: var(--pl-text-muted); margin: 0 0 var(--pl-space-4); }
    .switch { font: inherit; cursor: pointer; color: var(--pl-link); background: none; border: none; text-decoration: underline; padding: var(--pl-space-1) 0; min-height: 2.75rem; margin-top: var(--pl-space-3); }
    .switch:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
  `;
  declare busy: boolean;
  declare problem: SignInProblem;
  declare registerProblem: RegistrationProblem | null;
  /** Sign in, or create an account with a registration token. */
  declare mode: 'sign-in' | 'register';
  /** The homeserver's sign-in flows (password form alone until they are known). */
  declare loginOptions: LoginOptions;
  /** GET /login has been answered (or failed); until then the form is marked aria-busy. */
  declare loginOptionsKnown: boolean;
  /** On the way to the institution's sign-in page. */
  declare redirecting: boolean;
  private homeserverUrl: Promise<string> | null = null;
  // Coming back with the Back button restores this page from the back-forward cache: the buttons work again.
  private readonly onPageShow = (e: PageTransitionEvent): void => { if (e.persisted) this.redirecting = false; };

  constructor() {
    super();
    this.busy = false;
    this.problem = null;
    this.registerProblem = null;
    this.mode = 'sign-in';
    this.loginOptions = PASSWORD_ONLY;
    this.loginOptionsKnown = false;
    this.redirecting = false;
    updateWhenLocaleChanges(this);
    this.addEventListener('sso-sign-in', (e) => { void this.startSso((e as SsoSignInEvent).detail.idpId); });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('pageshow', this.onPageShow);
    this.homeserverUrl ??= loadConfig().then((c) => c.homeserverUrl);
    void this.homeserverUrl.then((hs) => fetchLoginOptions(hs)).then((options) => { this.loginOptions = options; this.loginOptionsKnown = true; });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('pageshow', this.onPageShow);
  }

  /** Sends the browser to the homeserver's SSO redirect; it comes back to this page with ?loginToken=. */
  private async startSso(idpId: string | null): Promise<void> {
    if (this.redirecting || !this.homeserverUrl) return;
    this.redirecting = true;
    location.assign(ssoRedirectUrl(await this.homeserverUrl, returnUrl(location.href), idpId));
  }

  /** Moves focus to the heading, so screen readers announce the view. */
  focusHeading(): void {
    this.renderRoot.querySelector('h1')?.focus();
  }

  private switchMode(): void {
    this.mode = this.mode === 'sign-in' ? 'register' : 'sign-in';
    void this.updateComplete.then(() => this.focusHeading());
  }

  override render() {
    if (this.mode === 'register') {
      return html`
        <h1 tabindex="-1">${msg('Create account', { id: 'register.heading' })}</h1>
        <p>${msg('Your institution gives you a registration code.', { id: 'register.intro' })}</p>
        <peerline-register-form ?busy=${this.busy} .problem=${this.registerProblem}></peerline-register-form>
        <button class="switch" type="button" @click=${this.switchMode}>${msg('I already have an account', { id: 'register.to-sign-in' })}</button>`;
    }
    return html`
      <h1 tabindex="-1">${msg('Sign in', { id: 'signin.heading' })}</h1>
      <p>${msg("Sign in with your institution's account.", { id: 'signin.intro' })}</p>
      <peerline-sign-in-form ?busy=${this.busy} .problem=${this.problem} .loginOptions=${this.loginOptions} ?redirecting=${this.redirecting}
        aria-busy=${this.loginOptionsKnown ? 'false' : 'true'}></peerline-sign-in-form>
      ${this.loginOptions.password // a homeserver offering only SSO creates accounts through it, not with a password
        ? html`<button class="switch" type="button" @click=${this.switchMode}>${msg('Create an account with a registration code', { id: 'signin.to-register' })}</button>`
        : ''}`;
  }
}

customElements.define('peerline-sign-in-view', SignInView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-sign-in-view': SignInView }
}
