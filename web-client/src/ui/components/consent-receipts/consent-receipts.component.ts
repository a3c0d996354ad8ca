// The student's consent receipts in plain words: what each let a counsellor see, when it was given,
// what became of it, and — while no counsellor has joined — a way to withdraw it after a confirm step.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { ConsentReceiptView } from '../../../bridge/student-api.ts';
import { ConfirmStep } from '../student-shared/confirm-step.ts';
import { when } from '../student-shared/when.ts';
import { consentReceiptsStyles } from './consent-receipts.styles.ts';

export interface WithdrawConsentEvent extends CustomEvent<{ receiptId: string }> { type: 'withdraw-consent' }

export class ConsentReceipts extends LitElement {
  static override properties = {
    receipts: { attribute: false }, busy: { attribute: false },
  };
  static override styles = consentReceiptsStyles;
  declare receipts: ConsentReceiptView[];
  /** The receipt a withdrawal is on its way for. */
  declare busy: string | null;
  private readonly confirm = new ConfirmStep(this, 'data-withdraw');

  constructor() {
    super();
    this.receipts = [];
    this.busy = null;
    updateWhenLocaleChanges(this);
  }

  private withdraw(id: string): void {
    this.confirm.close();
    this.dispatchEvent(new CustomEvent('withdraw-consent', { detail: { receiptId: id }, bubbles: true, composed: true }));
  }

  private covered(r: ConsentReceiptView): string {
    const scope = r.receipt.receipt.scope;
    switch (scope.share) {
      case 'nothing': return msg('A counsellor could join your conversation. They see nothing that was written before.', { id: 'student.receipt.share-nothing' });
      case 'summary': return msg('A counsellor could join your conversation and read a summary you approved.', { id: 'student.receipt.share-summary' });
      case 'messages': return msg(str`A counsellor could join your conversation and read ${scope.event_ids?.length ?? 0} messages you chose.`, { id: 'student.receipt.share-messages' });
    }
  }

  private state(r: ConsentReceiptView): string {
    if (r.withdrawn_ts !== null) return msg(str`You withdrew this consent on ${when(r.withdrawn_ts)}.`, { id: 'student.receipt.withdrawn-at' });
    const e = r.escalation;
    switch (e.status) {
      case 'opening':
      case 'queued': return msg('Waiting for a counsellor.', { id: 'student.receipt.waiting' });
      case 'claimed': return e.counsellor_joined
        ? msg('A counsellor has joined. What you agreed to share is shared.', { id: 'student.receipt.joined' })
        : msg('A counsellor is about to join.', { id: 'student.receipt.claimed' });
      case 'resolved': return msg('Closed by the counsellor.', { id: 'student.receipt.resolved' });
      case 'withdrawn': return msg('Withdrawn.', { id: 'student.receipt.withdrawn' });
    }
  }

  private receipt(r: ConsentReceiptView) {
    const id = r.receipt_id;
    return html`<li>
      <h3 id="rc-${id}">${msg(str`Consent given ${when(r.accepted_ts)}`, { id: 'student.receipt.given' })}</h3>
      <p>${this.covered(r)}</p>
      <p class="meta">${msg(str`Counsellors of ${r.receipt.receipt.counsellor_institution}`, { id: 'student.receipt.institution' })}</p>
      <p class="state">${this.state(r)}</p>
      ${r.withdrawable && this.confirm.open !== id ? html`<div class="actions">
        <button type="button" data-withdraw=${id} aria-describedby="rc-${id}" ?disabled=${this.busy === id} @click=${() => { void this.confirm.ask(id); }}>${msg('Withdraw my consent', { id: 'student.receipt.withdraw' })}</button>
      </div>` : nothing}
      ${this.confirm.open === id ? html`
        <div class="confirm" role="group" aria-labelledby="wc-${id}">
          <p id="wc-${id}">${msg('Withdraw this consent? No counsellor will be brought in, and nothing more is shared.', { id: 'student.receipt.confirm' })}</p>
          <div class="actions">
            <button type="button" class="danger" @click=${() => this.withdraw(id)}>${msg('Yes, withdraw it', { id: 'student.receipt.confirm-yes' })}</button>
            <button type="button" data-keep=${id} @click=${() => { void this.confirm.keep(id); }}>${msg('No, keep it', { id: 'student.receipt.confirm-no' })}</button>
          </div>
        </div>` : nothing}
    </li>`;
  }

  override render() {
    if (this.receipts.length === 0) return html`<p class="muted">${msg('You have not agreed to bring a counsellor in. Nothing has been shared.', { id: 'student.receipts.none' })}</p>`;
    return html`<ul class="cards">${this.receipts.map((r) => this.receipt(r))}</ul>`;
  }
}

customElements.define('peerline-consent-receipts', ConsentReceipts);

declare global {
  interface HTMLElementTagNameMap { 'peerline-consent-receipts': ConsentReceipts }
}
