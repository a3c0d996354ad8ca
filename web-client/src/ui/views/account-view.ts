// The account view (placeholder until its work lands; replaced in this session).
import { LitElement, html } from 'lit';
import type { BridgeClient } from '../../bridge/bridge-client.ts';
import type { AppStore } from '../../state/app-store.ts';

export class AccountView extends LitElement {
  static override properties = { bridge: { attribute: false }, store: { attribute: false }, roles: { attribute: false }, locale: {} };
  declare bridge: BridgeClient | null;
  declare store: AppStore | null;
  declare roles: string[];
  declare locale: string;

  focusHeading(): void { this.renderRoot.querySelector('h1')?.focus(); }

  override render() {
    return html`<h1 tabindex="-1">Account</h1>`;
  }
}

customElements.define('peerline-account-view', AccountView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-account-view': AccountView }
}
