// The first screen: a welcome and the sign-in form. It paints before matrix-js-sdk has loaded.
import { LitElement, html, css } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import '../components/sign-in-form/sign-in-form.component.ts';
import type { SignInProblem } from '../components/sign-in-form/sign-in-form.component.ts';

export class SignInView extends LitElement {
  static override properties = { busy: { type: Boolean }, problem: { attribute: false } };
  static override styles = css`
    :host { display: block; max-width: 26rem; margin: var(--pl-space-5) auto; padding: 0 var(--pl-space-3); }
    h1 { font-size: 1.75rem; margin: 0 0 var(--pl-space-2); }
    h1:focus { outline: none; }
    p { color: var(--pl-text-muted); margin: 0 0 var(--pl-space-4); }
  `;
  declare busy: boolean;
  declare problem: SignInProblem;

  constructor() {
    super();
    this.busy = false;
    this.problem = null;
    updateWhenLocaleChanges(this);
  }

  /** Moves focus to the heading, so screen readers announce the view. */
  focusHeading(): void {
    this.renderRoot.querySelector('h1')?.focus();
  }

  override render() {
    return html`
      <h1 tabindex="-1">${msg('Sign in', { id: 'signin.heading' })}</h1>
      <p>${msg("Sign in with your institution's account.", { id: 'signin.intro' })}</p>
      <peerline-sign-in-form ?busy=${this.busy} .problem=${this.problem}></peerline-sign-in-form>`;
  }
}

customElements.define('peerline-sign-in-view', SignInView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-sign-in-view': SignInView }
}
