// Support groups: the institution's open groups, each opening its room, and "Open a group" on a topic
// the supporter is trained for. Each group on a topic they are trained for can be moderated (mute,
// remove, ban with a reason; reports) in a disclosure that loads its members only when opened.
import { LitElement, html, nothing } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import type { GroupView } from '../../../bridge/supporter-api.ts';
import type { BridgeClient } from '../../../bridge/bridge-client.ts';
import '../group-moderation/group-moderation.component.ts';
import { topicLabel } from '../supporter-shared/supporter.styles.ts';
import { supporterGroupsStyles } from './supporter-groups.styles.ts';

export interface OpenGroupDetail { topic: string; name: string }

export class SupporterGroups extends LitElement {
  static override properties = {
    groups: { attribute: false }, topics: { attribute: false }, qualifiedTopics: { attribute: false }, busy: { type: Boolean },
    bridge: { attribute: false }, moderating: { state: true },
  };
  static override styles = supporterGroupsStyles;
  declare groups: GroupView[];
  /** The policy's topics, for their labels. */
  declare topics: { id: string; label: string }[];
  /** Topics the supporter may open a group on. */
  declare qualifiedTopics: string[];
  declare busy: boolean;
  /** The bridge client, for moderation; without it no moderation is offered. */
  declare bridge: BridgeClient | null;
  /** Groups whose moderation disclosure is open. */
  declare moderating: ReadonlySet<string>;

  constructor() {
    super();
    this.groups = [];
    this.topics = [];
    this.qualifiedTopics = [];
    this.busy = false;
    this.bridge = null;
    this.moderating = new Set();
    updateWhenLocaleChanges(this);
  }

  /** Clears the form after the view opened the group. */
  resetForm(): void { this.renderRoot.querySelector<HTMLFormElement>('form.open')?.reset(); }

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const name = String(data.get('name') ?? '').trim();
    const topic = String(data.get('topic') ?? '');
    if (name === '' || topic === '') return;
    this.dispatchEvent(new CustomEvent<OpenGroupDetail>('open-group', { detail: { topic, name }, bubbles: true, composed: true }));
  }

  /** Moderation for groups on topics the supporter is trained for, loaded when its disclosure opens. */
  private moderation(g: GroupView) {
    if (!this.bridge || !this.qualifiedTopics.includes(g.topic)) return nothing;
    const open = this.moderating.has(g.group_id);
    const toggle = (e: Event): void => {
      const next = new Set(this.moderating);
      if ((e.target as HTMLDetailsElement).open) next.add(g.group_id); else next.delete(g.group_id);
      this.moderating = next;
    };
    return html`<details ?open=${open} @toggle=${toggle}>
      <summary>${msg('Moderate this group', { id: 'supporter.groups.moderate' })}</summary>
      ${open ? html`<peerline-group-moderation .bridge=${this.bridge} .group=${{ group_id: g.group_id, room_id: g.room_id, name: g.name }}></peerline-group-moderation>` : nothing}
    </details>`;
  }

  private group(g: GroupView) {
    const hid = `gr-${g.group_id}`;
    return html`<li>
      <h3 id=${hid}>${g.name}</h3>
      <p class="meta">${topicLabel(this.topics, g.topic)} · ${g.audience === 'consortium'
        ? msg('open to partner institutions', { id: 'supporter.groups.consortium' })
        : msg('this institution only', { id: 'supporter.groups.institution' })}</p>
      <div class="actions" role="group" aria-labelledby=${hid}>
        <button type="button" @click=${() => { this.dispatchEvent(new CustomEvent('open-room', { detail: { roomId: g.room_id }, bubbles: true, composed: true })); }}
        >${msg('Open group', { id: 'supporter.groups.open-room' })}</button>
      </div>
      <div class="moderation" data-group-id=${g.group_id} data-room-id=${g.room_id}>${this.moderation(g)}</div>
    </li>`;
  }

  override render() {
    return html`
      <section aria-labelledby="groups-heading">
        <h2 id="groups-heading">${msg('Support groups', { id: 'supporter.groups.heading' })}</h2>
        ${this.groups.length === 0
          ? html`<p class="empty">${msg('No open groups yet.', { id: 'supporter.groups.empty' })}</p>`
          : html`<ul class="cards">${this.groups.map((g) => this.group(g))}</ul>`}
        ${this.qualifiedTopics.length > 0 ? html`
          <form class="open" @submit=${this.submit} aria-labelledby="open-group-heading">
            <h3 id="open-group-heading">${msg('Open a group', { id: 'supporter.groups.open-heading' })}</h3>
            <label class="block">${msg('Topic', { id: 'supporter.groups.topic' })}
              <select name="topic" required ?disabled=${this.busy}>${this.qualifiedTopics.map((t) => html`<option value=${t}>${topicLabel(this.topics, t)}</option>`)}</select>
            </label>
            <label class="block">${msg('Name shown in the group list', { id: 'supporter.groups.name' })}
              <input name="name" required maxlength="100" autocomplete="off" ?disabled=${this.busy}>
            </label>
            <div class="actions"><button type="submit" class="primary" ?disabled=${this.busy}>${msg('Open a group', { id: 'supporter.groups.open-heading' })}</button></div>
          </form>` : nothing}
      </section>`;
  }
}

customElements.define('peerline-supporter-groups', SupporterGroups);

declare global {
  interface HTMLElementTagNameMap { 'peerline-supporter-groups': SupporterGroups }
}
