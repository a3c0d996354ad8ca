// Writes a message: Enter sends, Shift+Enter starts a new line. Emits `send`.
import { LitElement, html } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { messageComposerStyles } from './message-composer.styles.ts';

export type SendEvent = CustomEvent<{ body: string }>;

export class MessageComposer extends LitElement {
  static override properties = { disabled: { type: Boolean } };
  static override styles = messageComposerStyles;
  declare disabled: boolean;

  constructor() {
    super();
    this.disabled = false;
    updateWhenLocaleChanges(this);
  }

  override focus(): void {
    this.renderRoot.querySelector('textarea')?.focus();
  }

  private send(): void {
    const area = this.renderRoot.querySelector('textarea');
    if (!area) return;
    const body = area.value.trim();
    if (!body) return;
    area.value = '';
    this.dispatchEvent(new CustomEvent('send', { detail: { body }, bubbles: true, composed: true }) satisfies SendEvent);
  }

  private onKeyDown(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    }
  }

  override render() {
    return html`
      <form @submit=${(e: Event) => { e.preventDefault(); this.send(); }}>
        <label for="composer">${msg('Message', { id: 'composer.label' })}</label>
        <textarea id="composer" rows="2" aria-describedby="hint" ?disabled=${this.disabled} @keydown=${this.onKeyDown}></textarea>
        <p id="hint" class="hint">${msg('Enter sends, Shift+Enter starts a new line.', { id: 'composer.hint' })}</p>
        <button type="submit" ?disabled=${this.disabled}>${msg('Send', { id: 'composer.send' })}</button>
      </form>`;
  }
}

customElements.define('peerline-message-composer', MessageComposer);

declare global {
  interface HTMLElementTagNameMap { 'peerline-message-composer': MessageComposer }
}
