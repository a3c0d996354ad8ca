// What every desk the app shell loads lazily shares: the properties the shell sets on it (the
// signed-in bridge client, or null while connecting; the store; the person's roles; the locale),
// re-rendering when the locale changes, and focusHeading() to move focus to the desk's <h1>.
import { LitElement, type PropertyDeclarations } from 'lit';
import { updateWhenLocaleChanges } from '@lit/localize';
import type { BridgeClient } from '../../bridge/bridge-client.ts';
import type { AppStore } from '../../state/app-store.ts';

export class DeskView extends LitElement {
  static override properties: PropertyDeclarations = {
    bridge: { attribute: false }, store: { attribute: false }, roles: { attribute: false }, locale: {},
  };
  declare bridge: BridgeClient | null;
  declare store: AppStore | null;
  declare roles: string[];
  declare locale: string;

  constructor() {
    super();
    this.bridge = null;
    this.store = null;
    this.roles = [];
    this.locale = 'en';
    updateWhenLocaleChanges(this);
  }

  focusHeading(): void { this.renderRoot.querySelector('h1')?.focus(); }
}
