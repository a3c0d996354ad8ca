// Signed in: the room list and the open conversation. On narrow screens one pane shows at a time.
import { LitElement, html, css, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { AppSnapshot } from '../../state/app-store.ts';
import '../components/room-list/room-list.component.ts';
import '../components/message-timeline/message-timeline.component.ts';
import '../components/message-composer/message-composer.component.ts';

export class ConversationsView extends LitElement {
  static override properties = { state: { attribute: false }, locale: {} };
  static override styles = css`
    :host { display: grid; grid-template-columns: minmax(14rem, 20rem) 1fr; grid-template-rows: auto 1fr; height: 100%; min-height: 0; gap: 0 var(--pl-space-3); padding: 0 var(--pl-space-3); box-sizing: border-box; }
    .top { grid-column: 1 / -1; display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: var(--pl-space-2); padding: var(--pl-space-2) 0; }
    h1 { font-size: 1.5rem; margin: 0; }
    h1:focus, h2:focus { outline: none; }
    .who { color: var(--pl-text-muted); margin: 0; overflow-wrap: anywhere; }
    .signout { font: inherit; cursor: pointer; color: var(--pl-text); background: var(--pl-surface); border: 2px solid var(--pl-border-strong); border-radius: var(--pl-radius); padding: var(--pl-space-1) var(--pl-space-3); min-height: 2.75rem; }
    .back { display: none; font: inherit; cursor: pointer; color: var(--pl-link); background: none; border: none; text-decoration: underline; padding: var(--pl-space-1) 0; min-height: 2.75rem; }
    button:focus-visible { outline: 3px solid var(--pl-focus); outline-offset: 2px; }
    nav { overflow-y: auto; min-height: 0; }
    section { display: grid; grid-template-rows: auto 1fr auto; min-height: 0; gap: var(--pl-space-2); padding-bottom: var(--pl-space-3); }
    h2 { font-size: 1.25rem; margin: 0; overflow-wrap: anywhere; }
    .status, .placeholder { color: var(--pl-text-muted); }
    @media (max-width: 40rem) {
      :host { grid-template-columns: 1fr; }
      :host([room-open]) nav { display: none; }
      :host(:not([room-open])) section { display: none; }
      .back { display: inline-block; }
    }
  `;
  declare state: AppSnapshot;
  declare locale: string;

  constructor() {
    super();
    this.locale = 'en';
    updateWhenLocaleChanges(this);
  }

  focusHeading(): void {
    this.renderRoot.querySelector('h1')?.focus();
  }

  focusRoomHeading(): void {
    this.renderRoot.querySelector('h2')?.focus();
  }

  protected override updated(): void {
    this.toggleAttribute('room-open', this.state.selectedRoomId !== null);
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
          ? html`
            <div>
              <button class="back" type="button" @click=${() => this.dispatchEvent(new CustomEvent('room-selected', { detail: { roomId: null }, bubbles: true, composed: true }))}>${msg('Back to conversations', { id: 'chat.back' })}</button>
              <h2 id="room-heading" tabindex="-1">${s.selectedRoomName}</h2>
            </div>
            <peerline-message-timeline .messages=${s.messages} .locale=${this.locale}></peerline-message-timeline>
            <peerline-message-composer></peerline-message-composer>`
          : html`<p class="placeholder">${msg('Choose a conversation.', { id: 'chat.pick-room' })}</p>`}
      </section>`;
  }
}

customElements.define('peerline-conversations-view', ConversationsView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-conversations-view': ConversationsView }
}
