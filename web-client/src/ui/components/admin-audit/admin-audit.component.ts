// The audit log: the verified state of the whole hash chain first ("intact", or where it breaks),
// then the entries newest first, a page at a time (the bridge pages back by sequence number).
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { adminCommonStyles } from '../admin-common/admin-common.styles.ts';
import { auditStyles } from './admin-audit.styles.ts';
import type { AuditEntry, ChainStatus } from '../../../bridge/admin-api.ts';

export interface AuditPageEvent extends CustomEvent<{ page: 'older' | 'newer' | 'newest' }> { type: 'audit-page' }

/** An entry's details as short "key: value" text (the bridge keeps content and secrets out of them). */
export function detailsText(d: Record<string, unknown>): string {
  return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ');
}

export class AdminAudit extends LitElement {
  static override properties = {
    entries: { attribute: false }, chain: { attribute: false }, canOlder: { type: Boolean }, canNewer: { type: Boolean }, busy: { type: Boolean },
  };
  static override styles = [adminCommonStyles, auditStyles];
  declare entries: AuditEntry[];
  declare chain: ChainStatus | null;
  declare canOlder: boolean;
  declare canNewer: boolean;
  declare busy: boolean;

  constructor() {
    super();
    this.entries = [];
    this.chain = null;
    this.canOlder = false;
    this.canNewer = false;
    this.busy = false;
    updateWhenLocaleChanges(this);
  }

  private page(page: 'older' | 'newer' | 'newest'): void {
    this.dispatchEvent(new CustomEvent('audit-page', { detail: { page }, bubbles: true, composed: true }));
  }

  private chainStatus() {
    const c = this.chain;
    if (!c) return nothing;
    if (c.ok) {
      return html`<div class="chain ok">
        <p class="verdict"><span aria-hidden="true">✓ </span>${msg('Chain intact', { id: 'admin.audit.intact' })}</p>
        <p>${msg(str`All ${c.length} entries verified: each one is linked by its hash to the one before.`, { id: 'admin.audit.intact-detail' })}</p>
      </div>`;
    }
    const at = c.first_break?.seq ?? c.length + 1;
    return html`<div class="chain broken" role="alert">
      <p class="verdict"><span aria-hidden="true">✗ </span>${msg(str`Chain broken at entry ${at}`, { id: 'admin.audit.broken' })}</p>
      <p>${c.first_break?.reason ?? ''} ${msg(str`${c.length} entries before it verify. Entries from the break on cannot be trusted; keep a copy of the database and investigate.`, { id: 'admin.audit.broken-detail' })}</p>
    </div>`;
  }

  override render() {
    const first = this.entries[0];
    const last = this.entries[this.entries.length - 1];
    return html`
      ${this.chainStatus()}
      <div class="table-wrap">
        <table>
          <caption>${first && last ? msg(str`Audit entries ${last.seq} to ${first.seq}, newest first`, { id: 'admin.audit.caption' }) : msg('Audit entries', { id: 'admin.audit.caption-empty' })}</caption>
          <thead><tr>
            <th scope="col" class="num">${msg('No.', { id: 'admin.audit.seq' })}</th>
            <th scope="col">${msg('Time', { id: 'admin.audit.time' })}</th>
            <th scope="col">${msg('Actor', { id: 'admin.audit.actor' })}</th>
            <th scope="col">${msg('Action', { id: 'admin.audit.action' })}</th>
            <th scope="col">${msg('Subject', { id: 'admin.audit.subject' })}</th>
            <th scope="col">${msg('Details', { id: 'admin.audit.details' })}</th>
          </tr></thead>
          <tbody>
            ${this.entries.length === 0 ? html`<tr><td colspan="6">${msg('No entries.', { id: 'admin.audit.empty' })}</td></tr>` : nothing}
            ${this.entries.map((e) => html`<tr>
              <th scope="row" class="num">${e.seq}${this.chain?.first_break && e.seq >= this.chain.first_break.seq ? html` <span class="untrusted">${msg('(unverified)', { id: 'admin.audit.unverified' })}</span>` : nothing}</th>
              <td>${new Date(e.ts).toLocaleString()}</td>
              <td><code>${e.actor}</code></td>
              <td><code>${e.action}</code></td>
              <td>${e.subject === null ? '—' : html`<code>${e.subject}</code>`}</td>
              <td class="details">${detailsText(e.details)}</td>
            </tr>`)}
          </tbody>
        </table>
      </div>
      <nav class="actions" aria-label=${msg('Audit log pages', { id: 'admin.audit.pages' })}>
        <button type="button" ?disabled=${!this.canNewer || this.busy} @click=${() => this.page('newest')}>${msg('Newest', { id: 'admin.audit.newest' })}</button>
        <button type="button" ?disabled=${!this.canNewer || this.busy} @click=${() => this.page('newer')}>${msg('Newer entries', { id: 'admin.audit.newer' })}</button>
        <button type="button" ?disabled=${!this.canOlder || this.busy} @click=${() => this.page('older')}>${msg('Older entries', { id: 'admin.audit.older' })}</button>
      </nav>`;
  }
}

customElements.define('peerline-admin-audit', AdminAudit);

declare global {
  interface HTMLElementTagNameMap { 'peerline-admin-audit': AdminAudit }
}
