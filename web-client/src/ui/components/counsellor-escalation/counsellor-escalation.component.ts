// One escalation of the counsellor's queue: severity in words, time waited against the policy's
// response target (marked when overdue), who holds it, the student's consent receipt, and what the
// counsellor can do now — claim a queued one; open, hand over or resolve one they hold.
// Emits `escalation-claim`, `escalation-handover`, `escalation-resolve` (each with escalationId)
// and `open-room` {roomId}, which the app shell handles.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { Colleague, EscalationOutcome, QueueItem, SeverityLevel } from '../../../bridge/counsellor-api.ts';
import { formatDuration, isOverdue, waitingNow } from '../counsellor-shared/escalation-facts.ts';
import type { HandoverSubmitDetail } from '../counsellor-handover-form/counsellor-handover-form.component.ts';
import type { ResolveSubmitDetail } from '../counsellor-resolve-form/counsellor-resolve-form.component.ts';
import '../counsellor-receipt/counsellor-receipt.component.ts';
import '../counsellor-handover-form/counsellor-handover-form.component.ts';
import '../counsellor-resolve-form/counsellor-resolve-form.component.ts';
import { counsellorEscalationStyles } from './counsellor-escalation.styles.ts';

export interface EscalationClaimDetail { escalationId: string }
export interface EscalationHandoverDetail { escalationId: string; to: string }
export interface EscalationResolveDetail { escalationId: string; outcome: EscalationOutcome }

type Panel = 'none' | 'handover' | 'resolve';

export function severityLabel(s: SeverityLevel): string {
  switch (s) {
    case 'critical': return msg('Critical', { id: 'counsellor.severity.critical' });
    case 'high': return msg('High', { id: 'counsellor.severity.high' });
    case 'medium': return msg('Medium', { id: 'counsellor.severity.medium' });
    case 'low': return msg('Low', { id: 'counsellor.severity.low' });
  }
}

export class CounsellorEscalation extends LitElement {
  static override properties = {
    item: { attribute: false }, me: {}, topicLabel: {}, elapsedMs: { type: Number }, colleagues: { attribute: false }, busy: { type: Boolean }, locale: {},
    panel: { state: true },
  };
  static override styles = counsellorEscalationStyles;
  declare item: QueueItem | null;
  /** The signed-in counsellor's user id. */
  declare me: string;
  declare topicLabel: string;
  /** Time since the bridge answered with `item` (the waiting time keeps running). */
  declare elapsedMs: number;
  declare colleagues: Colleague[] | null;
  declare busy: boolean;
  declare locale: string;
  declare panel: Panel;

  constructor() {
    super();
    this.item = null;
    this.me = '';
    this.topicLabel = '';
    this.elapsedMs = 0;
    this.colleagues = null;
    this.busy = false;
    this.locale = 'en';
    this.panel = 'none';
    updateWhenLocaleChanges(this);
  }

  /** Focus the card's heading (after an action elsewhere in the queue). */
  focusHeading(): void { this.renderRoot.querySelector<HTMLElement>('h3')?.focus(); }

  private emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  private open(panel: Panel): void {
    this.panel = panel;
    if (panel === 'handover') this.emit('colleagues-needed', {});
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('peerline-counsellor-handover-form, peerline-counsellor-resolve-form')?.focus());
  }

  private closePanel(): void {
    const was = this.panel;
    this.panel = 'none';
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(was === 'handover' ? 'button.handover' : 'button.resolve')?.focus());
  }

  private waiting(item: QueueItem): unknown {
    const target = formatDuration(item.target_minutes * 60_000, this.locale);
    const waited = formatDuration(waitingNow(item, this.elapsedMs), this.locale);
    const overdue = isOverdue(item, this.elapsedMs);
    if (item.claimed_ts === null) {
      return overdue
        ? html`<span class="badge overdue">${msg('Overdue', { id: 'counsellor.wait.overdue' })}</span> ${msg(str`waiting ${waited}, target ${target}`, { id: 'counsellor.wait.queued-overdue' })}`
        : msg(str`${waited} of a ${target} target`, { id: 'counsellor.wait.queued' });
    }
    return overdue
      ? html`<span class="badge overdue">${msg('Late', { id: 'counsellor.wait.late' })}</span> ${msg(str`claimed after ${waited}, target ${target}`, { id: 'counsellor.wait.claimed-late' })}`
      : msg(str`claimed after ${waited}, within the ${target} target`, { id: 'counsellor.wait.claimed' });
  }

  private holder(item: QueueItem): string {
    if (item.claimed_by === null) return msg('Nobody yet', { id: 'counsellor.holder.nobody' });
    if (item.claimed_by === this.me) return msg('You', { id: 'counsellor.holder.you' });
    return item.claimed_by;
  }

  private actions(item: QueueItem): unknown {
    const id = item.escalation_id;
    if (item.status === 'queued') {
      return html`<div class="actions">
        <button type="button" class="primary" ?disabled=${this.busy} @click=${() => this.emit<EscalationClaimDetail>('escalation-claim', { escalationId: id })}>
          ${msg('Claim and open the room', { id: 'counsellor.action.claim' })}</button>
      </div>`;
    }
    if (item.claimed_by !== this.me) return nothing;
    return html`
      <div class="actions">
        ${item.room_id ? html`<button type="button" class="primary" @click=${() => this.emit('open-room', { roomId: item.room_id })}>${msg('Open the room', { id: 'counsellor.action.open' })}</button>` : nothing}
        <button type="button" class="handover" aria-expanded=${this.panel === 'handover' ? 'true' : 'false'} ?disabled=${this.busy}
          @click=${() => { if (this.panel === 'handover') this.closePanel(); else this.open('handover'); }}>${msg('Hand over', { id: 'counsellor.action.handover' })}</button>
        <button type="button" class="resolve" aria-expanded=${this.panel === 'resolve' ? 'true' : 'false'} ?disabled=${this.busy}
          @click=${() => { if (this.panel === 'resolve') this.closePanel(); else this.open('resolve'); }}>${msg('Resolve', { id: 'counsellor.action.resolve' })}</button>
      </div>
      ${this.panel === 'handover' ? html`<div class="panel"><peerline-counsellor-handover-form .colleagues=${this.colleagues} ?busy=${this.busy}
          @handover-submit=${(e: CustomEvent<HandoverSubmitDetail>) => { e.stopPropagation(); this.emit<EscalationHandoverDetail>('escalation-handover', { escalationId: id, to: e.detail.to }); }}
          @form-cancel=${(e: Event) => { e.stopPropagation(); this.closePanel(); }}></peerline-counsellor-handover-form></div>` : nothing}
      ${this.panel === 'resolve' ? html`<div class="panel"><peerline-counsellor-resolve-form ?busy=${this.busy}
          @resolve-submit=${(e: CustomEvent<ResolveSubmitDetail>) => { e.stopPropagation(); this.emit<EscalationResolveDetail>('escalation-resolve', { escalationId: id, outcome: e.detail.outcome }); }}
          @form-cancel=${(e: Event) => { e.stopPropagation(); this.closePanel(); }}></peerline-counsellor-resolve-form></div>` : nothing}
    `;
  }

  override render() {
    const item = this.item;
    if (!item) return nothing;
    const overdue = isOverdue(item, this.elapsedMs);
    return html`
      <article class=${overdue ? 'overdue-card' : ''} aria-labelledby="heading">
        <h3 id="heading" tabindex="-1">
          <span class="badge severity-${item.severity}">${msg(str`${severityLabel(item.severity)} severity`, { id: 'counsellor.severity.label' })}</span>
          <span class="topic">${this.topicLabel || item.topic}</span>
        </h3>
        <dl>
          <dt>${msg('Waiting', { id: 'counsellor.fact.waiting' })}</dt>
          <dd class=${overdue ? 'overdue' : ''}>${this.waiting(item)}</dd>
          <dt>${msg('Student', { id: 'counsellor.fact.student' })}</dt>
          <dd>${item.student_user_id}</dd>
          <dt>${msg('Claimed by', { id: 'counsellor.fact.claimed-by' })}</dt>
          <dd>${this.holder(item)}</dd>
        </dl>
        <peerline-counsellor-receipt .receipt=${item.receipt} .locale=${this.locale}></peerline-counsellor-receipt>
        ${this.actions(item)}
      </article>
    `;
  }
}

customElements.define('peerline-counsellor-escalation', CounsellorEscalation);

declare global {
  interface HTMLElementTagNameMap { 'peerline-counsellor-escalation': CounsellorEscalation }
}
