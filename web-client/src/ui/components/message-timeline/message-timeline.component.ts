// A room's messages, oldest first. Each of my messages shows whether it is being sent, was sent, was
// seen by another member, or failed (with a retry); others' messages offer a report. Older history
// loads when the reader scrolls to the top (or presses the button there), keeping their place.
// Emits `retry`, `load-older`, `read-to-end` (the newest message is on screen) and `report-message`.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { ChatMessage } from '../../../matrix/chat-client.ts';
import { messageTimelineStyles } from './message-timeline.styles.ts';

export type RetryEvent = CustomEvent<{ id: string }>;
export type ReportMessageEvent = CustomEvent<{ roomId: string; eventId: string; body: string | null }>;
export type HistoryState = 'more' | 'loading' | 'complete';

/** How close to an edge (px) still counts as being at it. */
const EDGE = 120;

export class MessageTimeline extends LitElement {
  static override properties = {
    messages: { attribute: false }, locale: {}, roomId: { attribute: false }, offline: { type: Boolean }, history: {}, reportable: { attribute: false },
  };
  static override styles = messageTimelineStyles;
  declare messages: ChatMessage[];
  declare locale: string;
  /** The room shown; a change scrolls to its newest message. */
  declare roomId: string;
  /** While offline, unsent messages wait for the connection instead of showing as failed. */
  declare offline: boolean;
  /** Whether others' messages offer "Report" (support groups: their moderators receive reports). */
  declare reportable: boolean;
  declare history: HistoryState;

  /** Where the reader was before an update: the first message on screen and its offset, or pinned to the end. */
  private anchor: { id: string; top: number } | null = null;
  private pinned = true;
  private lastRoom = '';
  /** Keeps a reader who is at the newest message there when the pane or the messages change size. */
  private readonly resize = new ResizeObserver(() => {
    const s = this.scroller;
    if (s && this.pinned) s.scrollTop = s.scrollHeight;
  });

  constructor() {
    super();
    this.messages = [];
    this.locale = 'en';
    this.roomId = '';
    this.offline = false;
    this.reportable = true;
    this.history = 'complete';
    updateWhenLocaleChanges(this);
  }

  protected override firstUpdated(): void {
    const s = this.scroller;
    const list = this.renderRoot.querySelector('ol');
    if (s) this.resize.observe(s);
    if (list) this.resize.observe(list);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) this.firstUpdated();
  }

  private get scroller(): HTMLElement | null { return this.renderRoot.querySelector<HTMLElement>('.scroller'); }

  /** Whether the newest message is on screen. */
  isAtEnd(): boolean {
    const s = this.scroller;
    return !s || s.scrollHeight - s.scrollTop - s.clientHeight <= EDGE;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('messages')) return;
    const s = this.scroller;
    if (!s) return;
    this.pinned = this.isAtEnd();
    this.anchor = null;
    const top = s.getBoundingClientRect().top;
    for (const li of s.querySelectorAll<HTMLElement>('li[data-event-id]')) {
      const r = li.getBoundingClientRect();
      if (r.bottom > top) { this.anchor = { id: li.dataset['eventId'] ?? '', top: r.top - top }; break; }
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    const s = this.scroller;
    if (!s || !changed.has('messages') && !changed.has('roomId')) return;
    const last = this.messages.at(-1);
    const roomChanged = this.roomId !== this.lastRoom;
    this.lastRoom = this.roomId;
    if (roomChanged || this.pinned || (last?.mine && last.state !== 'sent' && changed.has('messages'))) {
      s.scrollTop = s.scrollHeight;
      this.pinned = true;
    } else if (this.anchor) {
      // Older messages came in above: keep the reader's message where it was.
      const li = s.querySelector<HTMLElement>(`li[data-event-id="${CSS.escape(this.anchor.id)}"]`);
      if (li) s.scrollTop += li.getBoundingClientRect().top - s.getBoundingClientRect().top - this.anchor.top;
    }
    if (this.isAtEnd()) this.emit('read-to-end', {});
    this.maybeLoadOlder();
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private maybeLoadOlder(): void {
    const s = this.scroller;
    if (s && this.history === 'more' && s.scrollTop <= EDGE) this.emit('load-older', {});
  }

  private onScroll(): void {
    this.pinned = this.isAtEnd();
    this.maybeLoadOlder();
    if (this.isAtEnd()) this.emit('read-to-end', {});
  }

  private stateText(m: ChatMessage): string {
    if (m.state === 'sending') return msg('Sending …', { id: 'timeline.sending' });
    if (m.state === 'failed') return this.offline ? msg("Waiting for the connection – it will be sent when you're back", { id: 'timeline.queued' }) : msg('Not sent', { id: 'timeline.failed' });
    if (m.seen) return msg('Seen', { id: 'timeline.seen' });
    return msg('Sent', { id: 'timeline.sent' });
  }

  private senderName(m: ChatMessage): string {
    if (m.mine) return msg('You', { id: 'timeline.you' });
    if (m.senderName === undefined) return m.sender;
    return m.senderName !== '' ? m.senderName : msg('Someone', { id: 'timeline.someone' });
  }

  private report(m: ChatMessage): void {
    this.emit('report-message', { roomId: this.roomId, eventId: m.id, body: m.body } satisfies ReportMessageEvent['detail']);
  }

  /** The button goes while loading: focus stays in the message list rather than falling to the page. */
  private showOlder(): void {
    this.scroller?.focus();
    this.emit('load-older', {});
  }

  private renderHistory() {
    if (this.messages.length === 0) return nothing;
    if (this.history === 'more') return html`<button type="button" class="older" @click=${this.showOlder}>${msg('Show older messages', { id: 'timeline.older' })}</button>`;
    if (this.history === 'loading') return html`<p class="older-status">${msg('Loading older messages …', { id: 'timeline.older-loading' })}</p>`;
    return html`<p class="older-status">${msg('This is the start of the conversation.', { id: 'timeline.start' })}</p>`;
  }

  override render() {
    const time = new Intl.DateTimeFormat(this.locale, { hour: '2-digit', minute: '2-digit' });
    return html`
      <div class="scroller" tabindex="0" role="region" aria-label=${msg('Messages', { id: 'timeline.label' })} @scroll=${this.onScroll}>
        ${this.renderHistory()}
        ${this.messages.length === 0 ? html`<p class="empty">${msg('No messages yet. Write the first one.', { id: 'timeline.empty' })}</p>` : nothing}
        <ol>
          ${repeat(this.messages, (m) => m.id, (m) => {
            const name = this.senderName(m);
            return html`
            <li class=${m.mine ? 'mine' : 'theirs'} data-state=${m.state} data-waiting=${m.state === 'failed' && this.offline ? 'true' : nothing} data-seen=${m.seen ? 'true' : nothing} data-event-id=${m.id}>
              <p class="sender">${name}
                <time datetime=${new Date(m.timestamp).toISOString()}>${time.format(m.timestamp)}</time></p>
              ${m.body === null
                ? html`<p class="body locked">${msg('This message cannot be decrypted yet.', { id: 'timeline.locked' })}</p>`
                : html`<p class="body">${m.body}</p>`}
              ${m.mine ? html`<p class="state">${this.stateText(m)}
                ${m.state === 'failed' && !this.offline ? html`<button type="button" @click=${() => this.emit('retry', { id: m.id } satisfies RetryEvent['detail'])}>${msg('Send again', { id: 'timeline.retry' })}</button>` : nothing}</p>`
                : !this.reportable ? nothing : html`<p class="actions"><button type="button" class="report" aria-label=${msg(str`Report message from ${name}`, { id: 'timeline.report-label' })} @click=${() => this.report(m)}>${msg('Report', { id: 'timeline.report' })}</button></p>`}
            </li>`;
          })}
        </ol>
      </div>`;
  }
}

customElements.define('peerline-message-timeline', MessageTimeline);

declare global {
  interface HTMLElementTagNameMap { 'peerline-message-timeline': MessageTimeline }
}
