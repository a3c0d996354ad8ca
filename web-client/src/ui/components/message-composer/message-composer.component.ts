// Writes a message: Enter sends, Shift+Enter starts a new line. Emits `send`, and `typing` when the
// person starts typing (renewed while they keep at it) and when they stop: after a pause, on send,
// when the field empties or loses focus.
import { LitElement, html } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { messageComposerStyles } from './message-composer.styles.ts';

export type SendEvent = CustomEvent<{ body: string }>;
export type TypingEvent = CustomEvent<{ typing: boolean }>;

/** Typing stops counting after this long without a keystroke. */
export const TYPING_IDLE_MS = 5_000;
/** While typing goes on, the notice is renewed this often (servers forget it after ~30 s). */
export const TYPING_RENEW_MS = 20_000;

export class MessageComposer extends LitElement {
  static override properties = { disabled: { type: Boolean } };
  static override styles = messageComposerStyles;
  declare disabled: boolean;
  private typing = false;
  private typingSince = 0;
  private idle: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.disabled = false;
    updateWhenLocaleChanges(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.setTyping(false);
  }

  override focus(): void {
    this.renderRoot.querySelector('textarea')?.focus();
  }

  private setTyping(typing: boolean): void {
    clearTimeout(this.idle);
    if (typing) this.idle = setTimeout(() => this.setTyping(false), TYPING_IDLE_MS);
    const renew = typing && Date.now() - this.typingSince > TYPING_RENEW_MS;
    if (typing === this.typing && !renew) return;
    this.typing = typing;
    if (typing) this.typingSince = Date.now();
    this.dispatchEvent(new CustomEvent('typing', { detail: { typing }, bubbles: true, composed: true }) satisfies TypingEvent);
  }

  private onInput(e: Event): void {
    this.setTyping((e.target as HTMLTextAreaElement).value.trim() !== '');
  }

  private send(): void {
    const area = this.renderRoot.querySelector('textarea');
    if (!area) return;
    const body = area.value.trim();
    if (!body) return;
    area.value = '';
    this.setTyping(false);
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
        <textarea id="composer" rows="2" aria-describedby="hint" ?disabled=${this.disabled} @keydown=${this.onKeyDown} @input=${this.onInput} @blur=${() => this.setTyping(false)}></textarea>
        <p id="hint" class="hint">${msg('Enter sends, Shift+Enter starts a new line.', { id: 'composer.hint' })}</p>
        <button type="submit" ?disabled=${this.disabled}>${msg('Send', { id: 'composer.send' })}</button>
      </form>`;
  }
}

customElements.define('peerline-message-composer', MessageComposer);

declare global {
  interface HTMLElementTagNameMap { 'peerline-message-composer': MessageComposer }
}
