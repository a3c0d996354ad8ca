// Text-only mode in the account desk: one switch (a checkbox), what it changes, and why it is on when
// the person has not chosen (the browser reports a slow connection or data saving). Outputs a
// `text-only-change` event; the desk keeps the choice on this device (platform/text-only.ts).
import { LitElement, html, nothing } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import type { TextOnlyPreference } from '../../../platform/text-only.ts';
import { textOnlySettingsStyles } from './text-only-settings.styles.ts';

export type TextOnlyChangeEvent = CustomEvent<{ on: boolean }>;

export class TextOnlySettings extends LitElement {
  static override properties = { preference: { attribute: false }, changed: { state: true } };
  static override styles = textOnlySettingsStyles;
  declare preference: TextOnlyPreference;
  /** Set once switched here: the lighter sync starts with the next start of the app. */
  declare changed: boolean;

  constructor() {
    super();
    this.preference = { on: false, source: 'default' };
    this.changed = false;
    updateWhenLocaleChanges(this);
  }

  private onChange(e: Event): void {
    const on = (e.target as HTMLInputElement).checked;
    this.changed = true;
    this.dispatchEvent(new CustomEvent<{ on: boolean }>('text-only-change', { detail: { on }, bubbles: true, composed: true }));
  }

  override render() {
    const { on, source } = this.preference;
    return html`
      <p class="muted">${msg('For slow or expensive connections and older phones: Peerline sends and fetches only the text of your conversations. It does not tell others when you are typing or show when they are. Messages stay end-to-end encrypted.', { id: 'account.text-only.intro' })}</p>
      <div class="choice">
        <input type="checkbox" id="text-only" .checked=${on} @change=${this.onChange} aria-describedby="text-only-status">
        <label for="text-only">${msg('Text-only mode', { id: 'account.text-only.label' })}</label>
      </div>
      ${source === 'suggested' && !this.changed
        ? html`<p class="suggested">${msg('Switched on because your browser reports a slow connection or data saving.', { id: 'account.text-only.suggested' })}</p>`
        : nothing}
      <p id="text-only-status" role="status">${this.changed
        ? msg('Saved on this device. The lighter connection starts the next time Peerline opens.', { id: 'account.text-only.saved' })
        : ''}</p>`;
  }
}

customElements.define('peerline-text-only-settings', TextOnlySettings);

declare global {
  interface HTMLElementTagNameMap { 'peerline-text-only-settings': TextOnlySettings }
  interface HTMLElementEventMap { 'text-only-change': TextOnlyChangeEvent }
}
