// The account desk: for students, their consent receipts (what each let a counsellor see, when, what
// became of it; withdraw while nobody has joined); for everyone, erasing the account — deactivation
// with erase at the homeserver, after which the device is signed out and wiped.
import { html, css, nothing, type PropertyValues } from 'lit';
import { msg } from '@lit/localize';
import { DeskView } from './desk-view.ts';
import type { BridgeClient } from '../../bridge/bridge-client.ts';
import { BridgeError } from '../../bridge/bridge-client.ts';
import { listReceipts, withdrawConsent, type ConsentReceiptView } from '../../bridge/student-api.ts';
import { AccountError, eraseAccount } from '../../matrix/account.ts';
import type { WithdrawConsentEvent } from '../components/consent-receipts/consent-receipts.component.ts';
import '../components/consent-receipts/consent-receipts.component.ts';
import '../components/erase-account/erase-account.component.ts';
import '../components/notification-settings/notification-settings.component.ts';
import '../components/text-only-settings/text-only-settings.component.ts';
import type { TextOnlyChangeEvent } from '../components/text-only-settings/text-only-settings.component.ts';

type ReceiptsProblem = 'load' | 'withdraw' | null;

export class AccountView extends DeskView {
  static override properties = {
    receipts: { state: true }, busy: { state: true }, problem: { state: true }, status: { state: true },
  };
  static override styles = css`
    :host { display: block; max-width: 40rem; margin: 0 auto; padding: var(--pl-space-3); }
    h1 { font-size: 1.5rem; margin: 0 0 var(--pl-space-2); }
    h1:focus { outline: none; }
    h2 { font-size: 1.25rem; margin: var(--pl-space-4) 0 var(--pl-space-2); }
    p { margin: 0 0 var(--pl-space-2); }
    .muted { color: var(--pl-text-muted); }
    .problem { color: var(--pl-danger); }
    .problem:empty, .status:empty { display: none; }
    .status { font-weight: 700; }
  `;
  declare receipts: ConsentReceiptView[] | null;
  declare busy: string | null;
  declare problem: ReceiptsProblem;
  declare status: string;

  private loadedFor: BridgeClient | null = null;

  constructor() {
    super();
    this.receipts = null;
    this.busy = null;
    this.problem = null;
    this.status = '';
  }

  private get isStudent(): boolean { return this.roles.includes('student'); }

  protected override updated(_changed: PropertyValues<this>): void {
    // The bridge client may arrive after the view: load the receipts once it is there.
    if (this.isStudent && this.bridge && this.loadedFor !== this.bridge) {
      this.loadedFor = this.bridge;
      void this.loadReceipts();
    }
  }

  private async loadReceipts(): Promise<void> {
    if (!this.bridge) return;
    try {
      this.receipts = await listReceipts(this.bridge);
      this.problem = null;
    } catch {
      this.problem = 'load';
    }
  }

  private async onWithdraw(e: WithdrawConsentEvent): Promise<void> {
    const id = e.detail.receiptId;
    if (!this.bridge) return;
    this.busy = id;
    this.problem = null;
    this.status = '';
    try {
      await withdrawConsent(this.bridge, id);
      this.status = msg('Your consent is withdrawn. No counsellor will be brought in.', { id: 'account.receipts.withdrawn-status' });
    } catch (err) {
      // 409: a counsellor joined meanwhile, or it was already closed; the list shows how it is now.
      if (!(err instanceof BridgeError && err.status === 409)) this.problem = 'withdraw';
    } finally {
      this.busy = null;
    }
    await this.loadReceipts();
  }

  /** Erases the account at the homeserver; the erase-account element shows a failure. */
  private readonly erase = async (password: string): Promise<void> => {
    const session = this.store?.matrixSession();
    if (!session) throw new AccountError('server', 'not signed in');
    await eraseAccount(session, password);
  };

  private erased(): void {
    // The bridge session ends too (best effort: it expires on its own anyway).
    void this.bridge?.request('DELETE', '/v1/session').catch(() => undefined);
    this.dispatchEvent(new CustomEvent('sign-out', { bubbles: true, composed: true }));
  }

  private problemText(): string {
    switch (this.problem) {
      case 'load': return msg('Your consent receipts could not be loaded. Please try again later.', { id: 'account.receipts.error.load' });
      case 'withdraw': return msg('Your consent could not be withdrawn. Please try again.', { id: 'account.receipts.error.withdraw' });
      default: return '';
    }
  }

  private receiptsSection() {
    if (!this.isStudent) return nothing;
    return html`
      <section aria-labelledby="receipts-heading">
        <h2 id="receipts-heading">${msg('Your consent receipts', { id: 'account.receipts.heading' })}</h2>
        <p class="muted">${msg('Each time you agreed to bring a counsellor in, your device signed a receipt saying what you agreed to share. While no counsellor has joined yet, you can still withdraw it.', { id: 'account.receipts.intro' })}</p>
        <p class="problem" role="alert">${this.problemText()}</p>
        <p class="status" role="status">${this.status}</p>
        ${this.receipts === null
          ? (this.problem === 'load' ? nothing : html`<p class="muted">${msg('Loading …', { id: 'devices.loading' })}</p>`)
          : html`<peerline-consent-receipts .receipts=${this.receipts} .busy=${this.busy}
              @withdraw-consent=${(e: WithdrawConsentEvent) => { void this.onWithdraw(e); }}></peerline-consent-receipts>`}
      </section>`;
  }

  override render() {
    return html`
      <h1 tabindex="-1">${msg('Account', { id: 'app.desk.account' })}</h1>
      ${this.receiptsSection()}
      <section aria-labelledby="notifications-heading">
        <h2 id="notifications-heading">${msg('Notifications', { id: 'account.notifications.heading' })}</h2>
        <peerline-notification-settings></peerline-notification-settings>
      </section>
      <section aria-labelledby="text-only-heading">
        <h2 id="text-only-heading">${msg('Slow connection', { id: 'account.text-only.heading' })}</h2>
        <peerline-text-only-settings .preference=${this.store?.textOnly() ?? { on: false, source: 'default' }}
          @text-only-change=${(e: TextOnlyChangeEvent) => { this.store?.setTextOnly(e.detail.on); this.requestUpdate(); }}></peerline-text-only-settings>
      </section>
      <section aria-labelledby="erase-heading">
        <h2 id="erase-heading">${msg('Erase my account', { id: 'account.erase.heading' })}</h2>
        <peerline-erase-account .erase=${this.erase} @account-erased=${this.erased}></peerline-erase-account>
      </section>`;
  }
}

customElements.define('peerline-account-view', AccountView);

declare global {
  interface HTMLElementTagNameMap { 'peerline-account-view': AccountView }
}
