// A room's messages, oldest first, with each of the user's own messages showing whether it is being
// sent, was sent or failed (with a retry). Emits `retry`.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import type { ChatMessage } from '../../../matrix/chat-client.ts';
import { messageTimelineStyles } from './message-timeline.styles.ts';

export type RetryEvent = CustomEvent<{ id: string }>;

export class MessageTimeline extends LitElement {
  static override properties = { messages: { attribute: false }, locale: {} };
  static override styles = messageTimelineStyles;
  declare messages: ChatMessage[];
  declare locale: string;

  constructor() {
    super();
    this.messages = [];
    this.locale = 'en';
    updateWhenLocaleChanges(this);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('messages')) {
      const scroller = this.renderRoot.querySelector('.scroller');
      if (scroller) scroller.scrollTop = scroller.scrollHeight;
    }
  }

  private stateText(m: ChatMessage): string {
    if (m.state === 'sending') return msg('Sending …', { id: 'timeline.sending' });
    if (m.state === 'failed') return msg('Not sent', { id: 'timeline.failed' });
    return msg('Sent', { id: 'timeline.sent' });
  }

  override render() {
    const time = new Intl.DateTimeFormat(this.locale, { hour: '2-digit', minute: '2-digit' });
    return html`
      <div class="scroller" tabindex="0" role="region" aria-label=${msg('Messages', { id: 'timeline.label' })}>
        ${this.messages.length === 0 ? html`<p class="empty">${msg('No messages yet. Write the first one.', { id: 'timeline.empty' })}</p>` : nothing}
        <ol>
          ${this.messages.map((m) => html`
            <li class=${m.mine ? 'mine' : 'theirs'} data-state=${m.state} data-event-id=${m.id}>
              <p class="sender">${m.mine ? msg('You', { id: 'timeline.you' }) : m.sender}
                <time datetime=${new Date(m.timestamp).toISOString()}>${time.format(m.timestamp)}</time></p>
              ${m.body === null
                ? html`<p class="body locked">${msg('This message cannot be decrypted yet.', { id: 'timeline.locked' })}</p>`
                : html`<p class="body">${m.body}</p>`}
              ${m.mine ? html`<p class="state">${this.stateText(m)}
                ${m.state === 'failed' ? html`<button type="button" @click=${() => this.dispatchEvent(new CustomEvent('retry', { detail: { id: m.id }, bubbles: true, composed: true }) satisfies RetryEvent)}>${msg('Send again', { id: 'timeline.retry' })}</button>` : nothing}</p>` : nothing}
            </li>`)}
        </ol>
      </div>`;
  }
}

customElements.define('peerline-message-timeline', MessageTimeline);

declare global {
  interface HTMLElementTagNameMap { 'peerline-message-timeline': MessageTimeline }
}
