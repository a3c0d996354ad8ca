// Signed in: the room list and the open conversation. On narrow screens one pane shows at a time.
// The open room has a header (its name, how I appear there, "Talk to a counsellor" for students,
// "Leave conversation"), the timeline, who is typing, the connection state and the composer.
// Emits `escalation-requested` {roomId}; `report-message` comes from the timeline.
import { LitElement, html, css, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { AppSnapshot, AppStore } from '../../state/app-store.ts';
import { roomLabel } from '../components/room-list/room-list.component.ts';
import '../components/room-list/room-list.component.ts';
import '../components/message-timeline/message-timeline.component.ts';
import '../components/message-composer/message-composer.component.ts';
import type { MessageTimeline } from '../components/message-timeline/message-timeline.component.ts';
import type { TypingEvent } from '../components/message-composer/message-composer.component.ts';

export type EscalationRequestedEvent = CustomEvent<{ roomId: string }>;

export class ConversationsView extends LitElement {
  static override properties = {
    state: { attribute: false }, locale: {}, store: { attribute: false }, canEscalate: { type: Boolean },
    leaveProblem: { state: true }, leaving: { state: true },
  };
  static override styles = css`
    :host { display: grid; grid-template-columns: minmax(14rem, 20rem) 1fr; grid-template-rows: auto 1fr; height: 100%; min-height: 0; gap: 0 var(--pl-space-3); padding: 0 var(--pl-space-3); box-sizing: border-box; }
    .top { grid-column: 1 / -1; display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: var(--pl-space-2); padding: var(--pl-space-2) 0; }
    h1 { font-size: 1.5rem; margin: 0; }
    h1:focus, h2:focus { outline: none; }
    .who { color: var(--pl-text-muted); margin: 0; overflow-wrap: anywhere; }
    .signout, .room-actions button, dialog button { font: inherit; cursor: pointer; color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3); min-height: 2.75rem; }
    .room-actions .escalate, dialog .confirm { background: var(--pl-accent); color: var(--pl-accent-fg); border-color: var(--pl-accent); font-weight: 700; }
    .back { display: none; font: inherit; cursor: pointer; color: var(--pl-link); background: none; border: none; text-decoration: underline; padding: var(--pl-space-1) 0; min-height: 2.75rem; }
    button:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
    nav { overflow-y: auto; min-height: 0; }
    section { display: grid; grid-template-rows: auto auto 1fr auto auto; min-height: 0; gap: var(--pl-space-2); padding-bottom: var(--pl-space-3); }
    .room-head { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: var(--pl-space-2); }
    .room-actions { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); }
    h2 { font-size: 1.25rem; margin: 0; overflow-wrap: anywhere; }
    .me { margin: 0; color: var(--pl-text-muted); font-size: 0.875rem; overflow-wrap: anywhere; }
    .status, .placeholder, .typing { color: var(--pl-text-muted); }
    .typing { margin: 0; min-height: 1.5em; font-size: 0.875rem; font-style: italic; }
    .connection { margin: 0; }
    .connection.on { padding: var(--pl-space-2) var(--pl-space-3); border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); background: var(--pl-surface); color: var(--pl-text); font-weight: 600; }
    .problem { margin: 0; color: var(--pl-danger); }
    dialog { max-width: min(30rem, calc(100vw - 2rem)); border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); background: var(--pl-bg); color: var(--pl-text); padding: var(--pl-space-4); }
    dialog h3 { margin: 0 0 var(--pl-space-2); font-size: 1.25rem; }
    dialog p { margin: 0 0 var(--pl-space-3); }
    dialog .buttons { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); justify-content: flex-end; }
    @media (max-width: 40rem) {
      :host { grid-template-columns: 1fr; }
      :host([room-open]) nav { display: none; }
      :host(:not([room-open])) section { display: none; }
      .back { display: inline-block; }
    }
  `;
  declare state: AppSnapshot;
  declare locale: string;
  /** The store, for what the chat does beyond sending (typing, receipts, history, leaving); the app shell sets it. */
  declare store: AppStore | null;
  /** Students may bring a counsellor in: shows "Talk to a counsellor" in the open room. */
  declare canEscalate: boolean;
  declare leaveProblem: boolean;
  declare leaving: boolean;

  private readonly onWindowFocus = (): void => this.markReadIfSeen();

  constructor() {
    super();
    this.locale = 'en';
    this.store = null;
    this.canEscalate = false;
    this.leaveProblem = false;
    this.leaving = false;
    updateWhenLocaleChanges(this);
    this.addEventListener('typing', (e) => { this.store?.setTyping((e as TypingEvent).detail.typing); });
    this.addEventListener('load-older', () => { void this.store?.loadOlder(); });
    this.addEventListener('read-to-end', () => this.markReadIfFocused());
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('focus', this.onWindowFocus);
    document.addEventListener('visibilitychange', this.onWindowFocus);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('focus', this.onWindowFocus);
    document.removeEventListener('visibilitychange', this.onWindowFocus);
  }

  focusHeading(): void {
    this.renderRoot.querySelector('h1')?.focus();
  }

  focusRoomHeading(): void {
    this.renderRoot.querySelector('h2')?.focus();
  }

  /** Read receipts go only while the person can see the room: the page is visible and focused. */
  private markReadIfFocused(): void {
    if (this.state.selectedRoomId && document.visibilityState === 'visible' && document.hasFocus()) this.store?.markRead();
  }

  private markReadIfSeen(): void {
    const timeline = this.renderRoot.querySelector<MessageTimeline>('peerline-message-timeline');
    if (timeline?.isAtEnd()) this.markReadIfFocused();
  }

  protected override updated(): void {
    this.toggleAttribute('room-open', this.state.selectedRoomId !== null);
  }

  private requestEscalation(): void {
    const roomId = this.state.selectedRoomId;
    if (!roomId) return;
    this.dispatchEvent(new CustomEvent('escalation-requested', { detail: { roomId }, bubbles: true, composed: true }) satisfies EscalationRequestedEvent);
  }

  private askToLeave(): void {
    this.leaveProblem = false;
    this.renderRoot.querySelector('dialog')?.showModal();
  }

  private async leave(): Promise<void> {
    if (!this.store || this.leaving) return;
    this.leaving = true;
    const left = await this.store.leaveRoom();
    this.leaving = false;
    this.renderRoot.querySelector('dialog')?.close();
    if (left) {
      await this.updateComplete;
      this.focusHeading();
    } else {
      this.leaveProblem = true;
    }
  }

  private typingText(): string {
    const names = this.state.typing.map((n) => n !== '' ? n : msg('Someone', { id: 'timeline.someone' }));
    if (names.length === 0) return '';
    if (names.length === 1) return msg(str`${names[0]} is typing …`, { id: 'chat.typing-one' });
    return msg(str`${names.join(', ')} are typing …`, { id: 'chat.typing-many' });
  }

  private renderRoom(s: AppSnapshot, roomId: string) {
    const name = roomLabel({ roomId, name: s.selectedRoomName, ...(s.selectedRoomKind ? { kind: s.selectedRoomKind } : {}) });
    const offline = s.connection === 'offline';
    return html`
      <div class="room-head">
        <div>
          <button class="back" type="button" @click=${() => this.dispatchEvent(new CustomEvent('room-selected', { detail: { roomId: null }, bubbles: true, composed: true }))}>${msg('Back to conversations', { id: 'chat.back' })}</button>
          <h2 id="room-heading" tabindex="-1">${name}</h2>
          ${s.selectedRoomMyName ? html`<p class="me">${msg(str`You appear here as ${s.selectedRoomMyName}`, { id: 'chat.appear-as' })}</p>` : nothing}
        </div>
        <div class="room-actions">
          ${this.canEscalate && s.selectedRoomKind !== 'escalation'
            ? html`<button type="button" class="escalate" @click=${this.requestEscalation}>${msg('Talk to a counsellor', { id: 'chat.escalate' })}</button>` : nothing}
          <button type="button" class="leave" @click=${this.askToLeave}>${msg('Leave conversation', { id: 'chat.leave' })}</button>
        </div>
      </div>
      <p class="problem" role="alert">${this.leaveProblem ? msg('Could not leave the conversation. Check your connection and try again.', { id: 'chat.leave-failed' }) : ''}</p>
      <peerline-message-timeline .messages=${s.messages} .locale=${this.locale} .roomId=${roomId} .reportable=${s.selectedRoomKind === 'group'} ?offline=${offline} .history=${s.history}></peerline-message-timeline>
      <div>
        <p class="connection ${offline ? 'on' : ''}" role="status">${offline ? msg("Offline — messages will be sent when you're back", { id: 'chat.offline' }) : ''}</p>
        <p class="typing" aria-live="polite">${this.typingText()}</p>
      </div>
      <peerline-message-composer></peerline-message-composer>
      <dialog aria-labelledby="leave-title" aria-describedby="leave-text">
        <h3 id="leave-title">${msg('Leave this conversation?', { id: 'chat.leave-title' })}</h3>
        <p id="leave-text">${msg('You will no longer see its messages, and the others will see that you left.', { id: 'chat.leave-text' })}</p>
        <div class="buttons">
          <button type="button" @click=${() => this.renderRoot.querySelector('dialog')?.close()}>${msg('Stay', { id: 'chat.leave-cancel' })}</button>
          <button type="button" class="confirm" ?disabled=${this.leaving} @click=${() => { void this.leave(); }}>${msg('Leave', { id: 'chat.leave-confirm' })}</button>
        </div>
      </dialog>`;
  }

  override render() {
    const s = this.state;
    return html`
      <div class="top">
        <div>
          <h1 tabindex="-1">${msg('Conversations', { id: 'chat.heading' })}</h1>
          <p class="who">${msg(str`Signed in as ${s.userId ?? ''}`, { id: 'chat.signed-in-as' })}</p>
        </div>
        <button class="signout" type="button" @click=${() => this.dispatchEvent(new CustomEvent('sign-out', { bubbles: true, composed: true }))}>${msg('Sign out', { id: 'chat.sign-out' })}</button>
      </div>
      <nav aria-label=${msg('Your conversations', { id: 'rooms.label' })}>
        ${s.phase === 'ready'
          ? html`<peerline-room-list .rooms=${s.rooms} .selectedRoomId=${s.selectedRoomId}></peerline-room-list>`
          : html`<p class="status" role="status">${msg('Loading your conversations securely …', { id: 'chat.starting' })}</p>`}
      </nav>
      <section aria-labelledby=${s.selectedRoomId ? 'room-heading' : nothing}>
        ${s.selectedRoomId
          ? this.renderRoom(s, s.selectedRoomId)
          : html`<p class="placeholder">${msg('Choose a conversation.', { id: 'chat.pick-room' })}</p>`}
      </section>`;
  }
}

customElements.define('peerline-conversations-view', ConversationsView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-conversations-view': ConversationsView }
}
