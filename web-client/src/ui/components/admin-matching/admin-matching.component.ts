// Matching at a glance for admins: the queue, supporters available, sessions running, partner links.
// Counts and metadata only, as the bridge gives them.
import { LitElement, html, nothing } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { adminCommonStyles } from '../admin-common/admin-common.styles.ts';
import type { MatchingStatus } from '../../../bridge/admin-api.ts';

export class AdminMatching extends LitElement {
  static override properties = { status: { attribute: false }, topicLabels: { attribute: false } };
  static override styles = adminCommonStyles;
  declare status: MatchingStatus | null;
  declare topicLabels: Record<string, string>;

  constructor() {
    super();
    this.status = null;
    this.topicLabels = {};
    updateWhenLocaleChanges(this);
  }

  override render() {
    const s = this.status;
    if (!s) return html`<p class="muted">${msg('Loading the matching overview…', { id: 'admin.matching.loading' })}</p>`;
    const byTopic = Object.entries(s.queue.by_topic);
    return html`
      <dl>
        <dt>${msg('Requests waiting', { id: 'admin.matching.waiting' })}</dt><dd>${s.queue.waiting}</dd>
        <dt>${msg('Requests offered to a supporter', { id: 'admin.matching.offered' })}</dt><dd>${s.queue.offered}</dd>
        <dt>${msg('Supporters available', { id: 'admin.matching.available' })}</dt><dd>${s.supporters.available}</dd>
        <dt>${msg('Supporters paused', { id: 'admin.matching.paused' })}</dt><dd>${s.supporters.paused}</dd>
        <dt>${msg('Sessions active', { id: 'admin.matching.active' })}</dt><dd>${s.sessions.active}</dd>
        ${s.partners.length === 0 ? nothing : html`
          <dt>${msg('Partner links', { id: 'admin.matching.partners' })}</dt>
          <dd>${s.partners.map((p) => `${p.partner} (${p.status})`).join(', ')}</dd>`}
      </dl>
      ${byTopic.length === 0 ? html`<p class="muted">${msg('No one is waiting.', { id: 'admin.matching.queue-empty' })}</p>` : html`
        <div class="table-wrap">
          <table>
            <caption>${msg('Open requests by topic', { id: 'admin.matching.by-topic' })}</caption>
            <thead><tr><th scope="col">${msg('Topic', { id: 'admin.figures.topic' })}</th><th scope="col" class="num">${msg('Open requests', { id: 'admin.matching.open' })}</th></tr></thead>
            <tbody>${byTopic.map(([t, n]) => html`<tr><th scope="row">${this.topicLabels[t] ?? t}</th><td class="num">${n}</td></tr>`)}</tbody>
          </table>
        </div>`}`;
  }
}

customElements.define('peerline-admin-matching', AdminMatching);

declare global {
  interface HTMLElementTagNameMap { 'peerline-admin-matching': AdminMatching }
}
