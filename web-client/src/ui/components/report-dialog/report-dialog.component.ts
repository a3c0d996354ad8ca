// Reporting a message in a support group, as the reporter decides: a reason, and only the text they
// choose to share — the message's text when they tick it (unticked at first), and their own words
// when they write some. The dialog shows exactly what will be sent before it is sent. Emits
// `report-sent` ({ reportId, roomId, eventId }) or `report-cancelled`; Escape cancels.
import { LitElement, html, nothing } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { BridgeError, type BridgeClient } from '../../../bridge/bridge-client.ts';
import { REPORT_NOTE_MAX, REPORT_REASONS, reportMessage, sharedReportText, type ReportReason } from '../../../bridge/moderation-api.ts';
import { reportDialogStyles } from './report-dialog.styles.ts';

export type ReportSentEvent = CustomEvent<{ reportId: string; roomId: string; eventId: string }>;
export type ReportCancelledEvent = CustomEvent<{ roomId: string; eventId: string }>;

type Problem = 'reason' | 'duplicate' | 'not-member' | 'gone' | 'network' | 'server';

export function reportReasonLabel(r: ReportReason): string {
  switch (r) {
    case 'harassment': return msg('Harassment or bullying', { id: 'report.reason.harassment' });
    case 'self-harm-risk': return msg('Someone may be at risk of harming themselves', { id: 'report.reason.self-harm-risk' });
    case 'spam': return msg('Spam or advertising', { id: 'report.reason.spam' });
    case 'other': return msg('Something else', { id: 'report.reason.other' });
  }
}

export class ReportDialog extends LitElement {
  static override properties = {
    bridge: { attribute: false },
    roomId: { attribute: false },
    eventId: { attribute: false },
    body: { attribute: false },
    senderName: { attribute: false },
    reason: { state: true },
    includeMessage: { state: true },
    note: { state: true },
    busy: { state: true },
    problem: { state: true },
    announcement: { state: true },
  };
  static override styles = reportDialogStyles;
  declare bridge: BridgeClient | null;
  declare roomId: string;
  declare eventId: string;
  /** The decrypted text of the message; it leaves the device only if the reporter ticks the box. */
  declare body: string;
  /** Optional: who sent it, as the room shows them. */
  declare senderName: string;
  declare reason: ReportReason | null;
  declare includeMessage: boolean;
  declare note: string;
  declare busy: boolean;
  declare problem: Problem | null;
  declare announcement: string;
  private opener: HTMLElement | null = null;
  private sent = false;

  constructor() {
    super();
    this.bridge = null;
    this.roomId = '';
    this.eventId = '';
    this.body = '';
    this.senderName = '';
    this.reason = null;
    this.includeMessage = false;
    this.note = '';
    this.busy = false;
    this.problem = null;
    this.announcement = '';
    updateWhenLocaleChanges(this);
  }

  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  get isOpen(): boolean {
    return this.dialog?.open ?? false;
  }

  /** Opens as a modal with nothing chosen, and remembers where focus was, to return it. */
  async show(): Promise<void> {
    this.opener = deepActiveElement();
    this.reason = null;
    this.includeMessage = false;
    this.note = '';
    this.problem = null;
    this.busy = false;
    this.sent = false;
    this.announcement = '';
    await this.updateComplete;
    this.renderRoot.querySelector('form')?.reset();
    this.dialog?.showModal();
    this.renderRoot.querySelector<HTMLElement>('h2')?.focus();
  }

  private cancel(): void {
    this.dialog?.close();
  }

  private onClose(): void {
    if (!this.sent) {
      this.dispatchEvent(new CustomEvent('report-cancelled', { detail: { roomId: this.roomId, eventId: this.eventId }, bubbles: true, composed: true }) satisfies ReportCancelledEvent);
    }
    this.opener?.focus();
    this.opener = null;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy) return;
    if (this.reason === null) {
      this.problem = 'reason';
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('input[name=reason]')?.focus();
      return;
    }
    if (!this.bridge) {
      this.problem = 'network';
      return;
    }
    this.busy = true;
    this.problem = null;
    const shared = sharedReportText({ includeMessage: this.includeMessage, messageText: this.body, ownWords: this.note });
    try {
      const r = await reportMessage(this.bridge, { room_id: this.roomId, event_id: this.eventId, reason_code: this.reason, ...(shared !== undefined ? { shared_text: shared } : {}) });
      this.sent = true;
      this.announcement = msg("Report sent to the group's moderators.", { id: 'report.sent' });
      this.dialog?.close();
      this.dispatchEvent(new CustomEvent('report-sent', { detail: { reportId: r.report_id, roomId: this.roomId, eventId: this.eventId }, bubbles: true, composed: true }) satisfies ReportSentEvent);
    } catch (err) {
      this.problem = !(err instanceof BridgeError) || err.status >= 500 ? 'server'
        : err.status === 0 ? 'network'
        : err.status === 409 ? 'duplicate'
        : err.status === 403 ? 'not-member'
        : err.status === 404 ? 'gone' : 'server';
    } finally {
      this.busy = false;
    }
  }

  private problemText(p: Problem): string {
    switch (p) {
      case 'reason': return msg('Choose a reason first.', { id: 'report.problem.reason' });
      case 'duplicate': return msg('You have already reported this message. The moderators have it.', { id: 'report.problem.duplicate' });
      case 'not-member': return msg('Only members of this group can report its messages.', { id: 'report.problem.not-member' });
      case 'gone': return msg('This message or group cannot be found any more.', { id: 'report.problem.gone' });
      case 'network': return msg('No connection to the support service. Please try again.', { id: 'report.problem.network' });
      case 'server': return msg('Something went wrong. Please try again.', { id: 'report.problem.server' });
    }
  }

  override render() {
    const p = this.problem;
    const hasNote = this.note.trim() !== '';
    return html`
      <dialog aria-labelledby="report-title" aria-describedby="report-intro" @close=${this.onClose}>
        <h2 id="report-title" tabindex="-1">${msg('Report this message', { id: 'report.title' })}</h2>
        <p id="report-intro">${msg("The group's moderators will look at your report. Other students never see who reported a message.", { id: 'report.intro' })}</p>
        <form @submit=${this.submit} novalidate>
          <fieldset aria-describedby=${p === 'reason' ? 'report-problem' : nothing} aria-invalid=${p === 'reason' ? 'true' : 'false'}>
            <legend>${msg('Why are you reporting it?', { id: 'report.reason-legend' })}</legend>
            ${REPORT_REASONS.map((r) => html`
              <label class="choice"><input type="radio" name="reason" value=${r} .checked=${this.reason === r}
                @change=${() => { this.reason = r; if (this.problem === 'reason') this.problem = null; }}> ${reportReasonLabel(r)}</label>`)}
          </fieldset>
          ${this.reason === 'self-harm-risk' ? html`
            <p class="hint">${msg('If someone is in danger right now, also use "Get help now" or call emergency services.', { id: 'report.danger-hint' })}</p>` : nothing}
          <fieldset>
            <legend>${msg('The message', { id: 'report.message-legend' })}</legend>
            ${this.senderName ? html`<p class="sender">${this.senderName}</p>` : nothing}
            <blockquote id="report-message">${this.body}</blockquote>
            <label class="choice"><input type="checkbox" name="include" .checked=${this.includeMessage}
              @change=${(e: Event) => { this.includeMessage = (e.target as HTMLInputElement).checked; }}> ${msg("Include this message's text", { id: 'report.include-text' })}</label>
            <p class="hint">${msg('Without the text, the moderators only know which message you reported.', { id: 'report.include-hint' })}</p>
          </fieldset>
          <label class="block" for="report-note">${msg('In your own words (optional)', { id: 'report.note-label' })}</label>
          <textarea id="report-note" name="note" maxlength=${REPORT_NOTE_MAX} aria-describedby="report-note-hint" .value=${this.note}
            @input=${(e: Event) => { this.note = (e.target as HTMLTextAreaElement).value; }}></textarea>
          <p id="report-note-hint" class="hint">${msg('Only what you write here is sent.', { id: 'report.note-hint' })}</p>
          <div class="summary" aria-live="polite">
            <p><strong>${msg('What will be sent:', { id: 'report.summary' })}</strong></p>
            <ul>
              <li>${this.reason ? reportReasonLabel(this.reason) : msg('No reason chosen yet', { id: 'report.summary.no-reason' })}</li>
              <li>${this.includeMessage ? msg("The message's text", { id: 'report.summary.text' }) : msg("Not the message's text", { id: 'report.summary.no-text' })}</li>
              <li>${hasNote ? msg('Your own words', { id: 'report.summary.note' }) : msg('No words of your own', { id: 'report.summary.no-note' })}</li>
            </ul>
          </div>
          <p id="report-problem" class="problem" role="alert">${p ? this.problemText(p) : nothing}</p>
          <div class="actions">
            <button class="cancel" type="button" @click=${() => this.cancel()}>${msg('Cancel', { id: 'report.cancel' })}</button>
            <button class="send" type="submit" ?disabled=${this.busy} aria-disabled=${this.busy ? 'true' : 'false'}>
              ${this.busy ? msg('Sending …', { id: 'report.sending' }) : msg('Send report', { id: 'report.send' })}</button>
          </div>
        </form>
      </dialog>
      <p class="visually-hidden" role="status">${this.announcement}</p>`;
  }
}

function deepActiveElement(): HTMLElement | null {
  let el: Element | null = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el instanceof HTMLElement ? el : null;
}

customElements.define('peerline-report-dialog', ReportDialog);

declare global {
  interface HTMLElementTagNameMap { 'peerline-report-dialog': ReportDialog }
  interface HTMLElementEventMap { 'report-sent': ReportSentEvent; 'report-cancelled': ReportCancelledEvent }
}
