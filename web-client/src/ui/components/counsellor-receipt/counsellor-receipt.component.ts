// The student's consent receipt as a counsellor reads it: what the student agreed to share, in plain
// words, when they signed it and when the bridge accepted it, and whether its signature verified.
import { LitElement, html } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { QueueItem } from '../../../bridge/counsellor-api.ts';
import { formatMoment } from '../counsellor-shared/escalation-facts.ts';
import { counsellorReceiptStyles } from './counsellor-receipt.styles.ts';

export class CounsellorReceipt extends LitElement {
  static override properties = { receipt: { attribute: false }, locale: {} };
  static override styles = counsellorReceiptStyles;
  declare receipt: QueueItem['receipt'] | null;
  declare locale: string;

  constructor() {
    super();
    this.receipt = null;
    this.locale = 'en';
    updateWhenLocaleChanges(this);
  }

  private scope(): string {
    const scope = this.receipt!.signed.receipt.scope;
    switch (scope.share) {
      case 'nothing': return msg('Nothing from the conversation: you join without its history.', { id: 'counsellor.receipt.share-nothing' });
      case 'summary': return msg('A summary the student approved; they post it in the room.', { id: 'counsellor.receipt.share-summary' });
      case 'messages': {
        const n = scope.event_ids?.length ?? 0;
        return msg(str`${n} messages the student chose; they post them in the room.`, { id: 'counsellor.receipt.share-messages' });
      }
    }
  }

  override render() {
    const r = this.receipt;
    if (!r) return html``;
    const signed = r.signed.receipt;
    return html`
      <div class="receipt" role="group" aria-labelledby="receipt-title">
        <p class="title" id="receipt-title">${msg('Consent receipt', { id: 'counsellor.receipt.title' })}</p>
        <dl>
          <dt>${msg('Shared with you', { id: 'counsellor.receipt.shared' })}</dt>
          <dd>${this.scope()}</dd>
          <dt>${msg('Signed', { id: 'counsellor.receipt.signed' })}</dt>
          <dd><time datetime=${new Date(signed.created_ts).toISOString()}>${formatMoment(signed.created_ts, this.locale)}</time></dd>
          <dt>${msg('Accepted', { id: 'counsellor.receipt.accepted' })}</dt>
          <dd><time datetime=${new Date(r.accepted_ts).toISOString()}>${formatMoment(r.accepted_ts, this.locale)}</time></dd>
          <dt>${msg('Signature', { id: 'counsellor.receipt.signature' })}</dt>
          <dd>${r.signature_valid
            ? html`<span class="verified">✓ ${msg('Verified with the student\'s key', { id: 'counsellor.receipt.verified' })}</span>`
            : html`<span class="unverified">⚠ ${msg('Not verified: treat this consent with care and check with the student', { id: 'counsellor.receipt.unverified' })}</span>`}</dd>
        </dl>
      </div>
    `;
  }
}

customElements.define('peerline-counsellor-receipt', CounsellorReceipt);

declare global {
  interface HTMLElementTagNameMap { 'peerline-counsellor-receipt': CounsellorReceipt }
}
