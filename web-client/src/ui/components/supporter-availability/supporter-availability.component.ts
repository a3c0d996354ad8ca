// Availability and topics: a switch "take requests now", the topics to take them on (only those the
// supporter is trained for), their load, and their training as the policy sees it — expiring or
// missing training said plainly, since it decides which requests can reach them: each blocked topic
// with its reason and a way to the module (`training-open`, which the desk turns into the module).
import { LitElement, html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { AvailabilityView, BlockedTopicView, SupporterRecordView } from '../../../bridge/supporter-api.ts';
import { topicLabel } from '../supporter-shared/supporter.styles.ts';
import { supporterAvailabilityStyles } from './supporter-availability.styles.ts';

/** Training that ends within this many days is flagged. */
const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface AvailabilityChange { available: boolean; topics: string[] | null }

/** Asks the desk to open a training module (`training-open`). */
export interface TrainingOpenDetail { module: string }

export class SupporterAvailability extends LitElement {
  static override properties = {
    availability: { attribute: false }, record: { attribute: false }, topics: { attribute: false }, busy: { type: Boolean }, today: { attribute: false },
  };
  static override styles = supporterAvailabilityStyles;
  declare availability: AvailabilityView | null;
  declare record: SupporterRecordView | null;
  /** The policy's topics, for their labels. */
  declare topics: { id: string; label: string }[];
  declare busy: boolean;
  /** Today's date (YYYY-MM-DD) for judging expiry; the view passes the real date, tests a fixed one. */
  declare today: string;

  constructor() {
    super();
    this.availability = null;
    this.record = null;
    this.topics = [];
    this.busy = false;
    this.today = new Date().toISOString().slice(0, 10);
    updateWhenLocaleChanges(this);
  }

  private chosenTopics(): string[] | null {
    const qualified = this.availability?.qualified_topics ?? [];
    const boxes = [...this.renderRoot.querySelectorAll<HTMLInputElement>('input[name=topic]')];
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    // Every trained topic = null, so topics trained for later are taken too.
    return chosen.length === qualified.length ? null : chosen;
  }

  /** What the person just chose, shown until the stored availability comes back (or the change fails). */
  private pending: AvailabilityChange | null = null;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('availability')) this.pending = null;
  }

  private emit(available: boolean): void {
    const detail: AvailabilityChange = { available, topics: this.chosenTopics() };
    this.pending = detail;
    this.dispatchEvent(new CustomEvent<AvailabilityChange>('availability-change', { detail, bubbles: true, composed: true }));
  }

  private onSwitch(e: Event): void {
    this.emit((e.target as HTMLInputElement).checked);
  }

  private onTopic(): void {
    this.emit(this.pending?.available ?? this.availability?.available ?? false);
  }

  private trainingLine(t: SupporterRecordView['training'][number]) {
    const expiresDays = t.expires === null ? null : Math.round((Date.parse(t.expires) - Date.parse(this.today)) / DAY_MS);
    const name = `${t.module} (v${t.version})`;
    if (expiresDays !== null && expiresDays < 0) {
      return html`<li class="warning">${msg(str`${name}: expired on ${t.expires}.`, { id: 'supporter.training.expired' })}</li>`;
    }
    if (expiresDays !== null && expiresDays <= EXPIRY_WARNING_DAYS) {
      return html`<li class="warning">${msg(str`${name}: expires soon, on ${t.expires}. Renew it to keep taking requests.`, { id: 'supporter.training.expiring' })}</li>`;
    }
    return html`<li>${t.expires === null
      ? msg(str`${name}: valid.`, { id: 'supporter.training.valid' })
      : msg(str`${name}: valid until ${t.expires}.`, { id: 'supporter.training.valid-until' })}</li>`;
  }

  private openTraining(module: string): void {
    this.dispatchEvent(new CustomEvent<TrainingOpenDetail>('training-open', { detail: { module }, bubbles: true, composed: true }));
  }

  private reason(r: BlockedTopicView['training'][number]) {
    switch (r.status) {
      case 'expired': return msg(str`${r.label} expired on ${r.expires ?? ''}`, { id: 'supporter.blocked.expired' });
      case 'outdated': return msg(str`${r.label} was completed in a version that no longer counts`, { id: 'supporter.blocked.outdated' });
      default: return msg(str`${r.label} is missing`, { id: 'supporter.blocked.missing' });
    }
  }

  /** Topics no request can reach the supporter for, each with why, and a way to the modules. */
  private blocked(list: BlockedTopicView[]) {
    if (list.length === 0) return nothing;
    const modules = new Map<string, string>();
    for (const b of list) for (const t of b.training) modules.set(t.module, t.label);
    return html`
      <div class="blocked">
        <h3>${msg('Topics that cannot reach you now', { id: 'supporter.blocked.heading' })}</h3>
        <ul class="training">${list.map((b) => html`<li class="warning">${topicLabel(this.topics, b.topic)}: ${[
          ...(b.not_on_roster ? [msg('not one of your topics on the roster (ask your institution)', { id: 'supporter.blocked.not-on-roster' })] : []),
          ...b.training.map((t) => this.reason(t)),
        ].join('; ')}.</li>`)}</ul>
        ${modules.size > 0 ? html`<div class="actions">${[...modules].map(([id, label]) => html`
          <button @click=${() => this.openTraining(id)}>${msg(str`Go to the training: ${label}`, { id: 'supporter.blocked.open' })}</button>`)}</div>` : nothing}
      </div>`;
  }

  private training() {
    const r = this.record;
    if (!r) return html`<p class="warning">${msg('You are not on the supporter roster. Ask your institution to add you.', { id: 'supporter.training.no-record' })}</p>`;
    const untrained = r.topics.filter((t) => !r.qualified_topics.includes(t));
    return html`
      <h3>${msg('Your training', { id: 'supporter.training.heading' })}</h3>
      ${r.training.length > 0 ? html`<ul class="training">${r.training.map((t) => this.trainingLine(t))}</ul>` : nothing}
      ${!r.active ? html`<p class="warning">${msg('Your place on the roster is paused. Ask your institution to reactivate it.', { id: 'supporter.training.inactive' })}</p>` : nothing}
      ${r.missing_training.length > 0 ? html`<p class="warning">${msg(str`Training missing: ${r.missing_training.join(', ')}. You cannot take requests until it is recorded.`, { id: 'supporter.training.missing' })}</p>` : nothing}
      ${this.availability?.blocked_topics ? this.blocked(this.availability.blocked_topics) : nothing}
      ${untrained.length > 0 && r.missing_training.length === 0 && !this.availability?.blocked_topics ? html`<p class="warning">${msg(str`Not trained (or training expired) for: ${untrained.map((t) => topicLabel(this.topics, t)).join(', ')}.`, { id: 'supporter.training.untrained-topics' })}</p>` : nothing}`;
  }

  override render() {
    const stored = this.availability;
    const a = stored && this.pending ? { ...stored, ...this.pending } : stored;
    const qualified = a?.qualified_topics ?? [];
    const canTake = qualified.length > 0;
    const chosen = (id: string): boolean => a?.topics === null || a?.topics === undefined || a.topics.includes(id);
    return html`
      <section aria-labelledby="av-heading" aria-busy=${this.busy ? 'true' : 'false'}>
        <h2 id="av-heading">${msg('Availability', { id: 'supporter.availability.heading' })}</h2>
        ${a === null ? html`<p class="muted">${msg('Loading …', { id: 'supporter.loading' })}</p>` : html`
          <label class="switch">
            <input type="checkbox" role="switch" .checked=${live(a.available)} ?disabled=${!canTake && !a.available} @change=${this.onSwitch}
              aria-describedby="av-state">
            ${msg('Take requests now', { id: 'supporter.availability.switch' })}
          </label>
          <p id="av-state" class="state">${stored!.available
            ? msg(str`You are available: ${stored!.active_sessions} of ${stored!.effective_capacity} sessions in use.`, { id: 'supporter.availability.on' })
            : msg('You are not taking requests.', { id: 'supporter.availability.off' })}</p>
          ${a.paused_reason !== null && !a.available ? html`<p class="warning">${msg('The service paused you because an offer went unanswered. Switch on again when you are back.', { id: 'supporter.availability.paused' })}</p>` : nothing}
          ${canTake ? html`
            <fieldset>
              <legend>${msg('Topics you take', { id: 'supporter.availability.topics' })}</legend>
              ${qualified.map((id) => html`<label class="choice"><input type="checkbox" name="topic" value=${id} .checked=${live(chosen(id))} @change=${this.onTopic}> ${topicLabel(this.topics, id)}</label>`)}
            </fieldset>` : html`<p class="warning">${msg('You are not trained for any topic right now, so no requests can reach you.', { id: 'supporter.availability.no-topics' })}</p>`}`}
        ${this.training()}
      </section>`;
  }
}

customElements.define('peerline-supporter-availability', SupporterAvailability);

declare global {
  interface HTMLElementTagNameMap { 'peerline-supporter-availability': SupporterAvailability }
}
