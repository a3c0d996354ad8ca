// The request queue: offers the bridge made to this supporter, each with its topic, how long the
// student has waited and until when it can be taken — nothing about who the student is beyond what
// the bridge gives (their institution when it is a partner's). Accept or decline each.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { OfferView } from '../../../bridge/supporter-api.ts';
import { minutesOf, topicLabel } from '../supporter-shared/supporter.styles.ts';
import { supporterQueueStyles } from './supporter-queue.styles.ts';

export class SupporterQueue extends LitElement {
  static override properties = {
    offers: { attribute: false }, topics: { attribute: false }, busyOfferId: { attribute: false }, available: { type: Boolean },
  };
  static override styles = supporterQueueStyles;
  declare offers: OfferView[];
  declare topics: { id: string; label: string }[];
  /** The offer being answered (its buttons are disabled meanwhile). */
  declare busyOfferId: string | null;
  /** Whether the supporter is taking requests (for the empty-queue text). */
  declare available: boolean;

  constructor() {
    super();
    this.offers = [];
    this.topics = [];
    this.busyOfferId = null;
    this.available = false;
    updateWhenLocaleChanges(this);
  }

  private answer(type: 'offer-accept' | 'offer-decline', offerId: string): void {
    this.dispatchEvent(new CustomEvent(type, { detail: { offerId }, bubbles: true, composed: true }));
  }

  private offer(o: OfferView) {
    const label = topicLabel(this.topics, o.topic);
    const busy = this.busyOfferId !== null;
    const by = new Date(o.expires_ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return html`<li>
      <h3 id="offer-${o.offer_id}">${label}</h3>
      <p class="meta">
        ${msg(str`Waiting about ${minutesOf(o.waiting_seconds)} min`, { id: 'supporter.queue.waiting' })}
        · ${msg(str`answer by ${by}`, { id: 'supporter.queue.answer-by' })}
        ${o.language ? html` · ${msg(str`language: ${o.language}`, { id: 'supporter.queue.language' })}` : nothing}
        ${o.cross_institution ? html` · ${msg(str`a student of ${o.institution}`, { id: 'supporter.queue.partner' })}` : nothing}
      </p>
      <div class="actions" role="group" aria-labelledby="offer-${o.offer_id}">
        <button type="button" class="primary" ?disabled=${busy} @click=${() => { this.answer('offer-accept', o.offer_id); }}
          aria-label=${msg(str`Accept: ${label}`, { id: 'supporter.queue.accept-label' })}>${msg('Accept', { id: 'supporter.queue.accept' })}</button>
        <button type="button" ?disabled=${busy} @click=${() => { this.answer('offer-decline', o.offer_id); }}
          aria-label=${msg(str`Decline: ${label}`, { id: 'supporter.queue.decline-label' })}>${msg('Decline', { id: 'supporter.queue.decline' })}</button>
      </div>
    </li>`;
  }

  /** Takes focus after an answer removed the control that had it. */
  focusHeading(): void { this.renderRoot.querySelector<HTMLElement>('#queue-heading')?.focus(); }

  override render() {
    return html`
      <section aria-labelledby="queue-heading">
        <h2 id="queue-heading" tabindex="-1">${msg('Requests for you', { id: 'supporter.queue.heading' })}</h2>
        ${this.offers.length === 0
          ? html`<p class="empty">${this.available
            ? msg('No requests right now. New ones appear here by themselves.', { id: 'supporter.queue.empty' })
            : msg('Switch on availability to receive requests.', { id: 'supporter.queue.empty-off' })}</p>`
          : html`<ul class="cards">${this.offers.map((o) => this.offer(o))}</ul>`}
      </section>`;
  }
}

customElements.define('peerline-supporter-queue', SupporterQueue);

declare global {
  interface HTMLElementTagNameMap { 'peerline-supporter-queue': SupporterQueue }
}
