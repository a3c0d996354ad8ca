// Support groups the student can see: name, topic, who takes part, and a button to join (or to open
// one already joined). The desk view asks the bridge to invite the student and then opens the room.
import { LitElement, html } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { SupportGroupView } from '../../../bridge/student-api.ts';
import { groupListStyles } from './group-list.styles.ts';

export interface JoinGroupEvent extends CustomEvent<{ groupId: string }> { type: 'join-group' }

export class GroupList extends LitElement {
  static override properties = {
    groups: { attribute: false }, topicLabels: { attribute: false }, joinedRoomIds: { attribute: false }, busy: { attribute: false },
  };
  static override styles = groupListStyles;
  declare groups: SupportGroupView[];
  /** Topic id → the label the policy gives it. */
  declare topicLabels: Record<string, string>;
  /** Rooms this account is already in: their groups open instead of joining again. */
  declare joinedRoomIds: string[];
  /** The group a join is on its way for. */
  declare busy: string | null;

  constructor() {
    super();
    this.groups = [];
    this.topicLabels = {};
    this.joinedRoomIds = [];
    this.busy = null;
    updateWhenLocaleChanges(this);
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private group(g: SupportGroupView) {
    const topic = this.topicLabels[g.topic] ?? g.topic;
    const joined = this.joinedRoomIds.includes(g.room_id);
    return html`<li>
      <h3>${g.name}</h3>
      <p class="meta">${msg(str`Topic: ${topic}`, { id: 'student.group.topic' })} · ${g.audience === 'consortium'
        ? msg('Open to students of partner institutions too', { id: 'student.group.consortium' })
        : msg('For students of your institution', { id: 'student.group.institution' })}</p>
      <div class="actions">
        ${joined
          ? html`<button type="button" @click=${() => this.emit('open-room', { roomId: g.room_id })}
              aria-label=${msg(str`Open group: ${g.name}`, { id: 'student.group.open-label' })}>${msg('Open group', { id: 'student.group.open' })}</button>`
          : g.joinable
            ? html`<button type="button" class="primary" ?disabled=${this.busy === g.group_id} @click=${() => this.emit('join-group', { groupId: g.group_id })}
                aria-label=${msg(str`Join group: ${g.name}`, { id: 'student.group.join-label' })}>${msg('Join group', { id: 'student.group.join' })}</button>`
            : html`<p class="muted">${msg('This group is not open to you.', { id: 'student.group.closed' })}</p>`}
      </div>
    </li>`;
  }

  override render() {
    if (this.groups.length === 0) return html`<p class="muted">${msg('There are no support groups open right now.', { id: 'student.groups.none' })}</p>`;
    return html`<ul class="cards">${this.groups.map((g) => this.group(g))}</ul>`;
  }
}

customElements.define('peerline-group-list', GroupList);

declare global {
  interface HTMLElementTagNameMap { 'peerline-group-list': GroupList }
}
