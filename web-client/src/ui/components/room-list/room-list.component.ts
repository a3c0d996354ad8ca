// The user's conversations as native buttons in a list, each with its unread count. Emits `room-selected`.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { RoomSummary } from '../../../matrix/chat-client.ts';
import { roomListStyles } from './room-list.styles.ts';

export type RoomSelectedEvent = CustomEvent<{ roomId: string }>;

/** A room's name, or for a Peerline room whose members have no pseudonym yet, what kind of room it is. */
export function roomLabel(r: Pick<RoomSummary, 'name' | 'kind' | 'roomId'>): string {
  if (r.name !== '') return r.name;
  switch (r.kind) {
    case 'group': return msg('Support group', { id: 'rooms.kind.group' });
    case 'escalation': return msg('Conversation with a counsellor', { id: 'rooms.kind.escalation' });
    case 'peer': return msg('Support conversation', { id: 'rooms.kind.peer' });
    default: return r.roomId;
  }
}

export class RoomList extends LitElement {
  static override properties = { rooms: { attribute: false }, selectedRoomId: { attribute: false } };
  static override styles = roomListStyles;
  declare rooms: RoomSummary[];
  declare selectedRoomId: string | null;

  constructor() {
    super();
    this.rooms = [];
    this.selectedRoomId = null;
    updateWhenLocaleChanges(this);
  }

  private select(roomId: string): void {
    this.dispatchEvent(new CustomEvent('room-selected', { detail: { roomId }, bubbles: true, composed: true }) satisfies RoomSelectedEvent);
  }

  override render() {
    if (this.rooms.length === 0) return html`<p class="empty">${msg('No conversations yet.', { id: 'chat.no-rooms' })}</p>`;
    return html`
      <ul aria-label=${msg('Your conversations', { id: 'rooms.label' })}>
        ${this.rooms.map((r) => html`
          <li>
            <button type="button" data-room-id=${r.roomId} aria-current=${r.roomId === this.selectedRoomId ? 'true' : nothing} @click=${() => this.select(r.roomId)}>
              <span class="name">${roomLabel(r)}</span>
              ${r.encrypted ? html`<span class="meta">${msg('End-to-end encrypted', { id: 'rooms.encrypted' })}</span>` : nothing}
              ${r.unread > 0 ? html`<span class="unread">${msg(str`${r.unread} unread`, { id: 'rooms.unread' })}</span>` : nothing}
            </button>
          </li>`)}
      </ul>`;
  }
}

customElements.define('peerline-room-list', RoomList);

declare global {
  interface HTMLElementTagNameMap { 'peerline-room-list': RoomList }
}
