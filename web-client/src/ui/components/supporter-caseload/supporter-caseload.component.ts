// The caseload: the supporter's active peer sessions. Each opens its room, can carry a suggestion to
// bring a counsellor in (an encrypted in-room event the student's client acts on — it only suggests,
// the student decides), and ends with a wrap-up: an outcome and, if wanted, a check-in offer.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { ESCALATION_REASONS, type EscalationReason } from '../../../../../protocol/src/event-type-names.ts';
import type { EscalationSuggestionContent } from '../../../../../protocol/src/event-types.ts';
import { END_OUTCOMES, type EndOutcome, type PeerSessionView } from '../../../bridge/supporter-api.ts';
import { topicLabel } from '../supporter-shared/supporter.styles.ts';
import { supporterCaseloadStyles } from './supporter-caseload.styles.ts';

type Severity = EscalationSuggestionContent['suggested_severity'];
const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];

export interface SuggestEscalationDetail { sessionId: string; roomId: string; content: EscalationSuggestionContent }
export interface EndSessionDetail { sessionId: string; outcome: EndOutcome; checkInTs: number | null }

export class SupporterCaseload extends LitElement {
  static override properties = {
    sessions: { attribute: false }, topics: { attribute: false }, busySessionId: { attribute: false },
    dialogSession: { state: true }, dialogKind: { state: true }, formProblem: { state: true },
  };
  static override styles = supporterCaseloadStyles;
  declare sessions: PeerSessionView[];
  declare topics: { id: string; label: string }[];
  declare busySessionId: string | null;
  declare dialogSession: PeerSessionView | null;
  declare dialogKind: 'suggest' | 'end' | null;
  declare formProblem: string;

  constructor() {
    super();
    this.sessions = [];
    this.topics = [];
    this.busySessionId = null;
    this.dialogSession = null;
    this.dialogKind = null;
    this.formProblem = '';
    updateWhenLocaleChanges(this);
  }

  private async openDialog(kind: 'suggest' | 'end', s: PeerSessionView): Promise<void> {
    this.dialogSession = s;
    this.dialogKind = kind;
    this.formProblem = '';
    await this.updateComplete;
    const d = this.renderRoot.querySelector('dialog');
    d?.querySelector('form')?.reset();
    d?.showModal();
  }

  private closeDialog(): void {
    this.renderRoot.querySelector('dialog')?.close();
  }

  private onClosed(): void {
    this.dialogKind = null;
    this.dialogSession = null;
  }

  private submitSuggestion(e: SubmitEvent): void {
    e.preventDefault();
    const s = this.dialogSession;
    if (!s?.room_id) return;
    const data = new FormData(e.target as HTMLFormElement);
    const text = String(data.get('text') ?? '').trim();
    const content: EscalationSuggestionContent = {
      reason: String(data.get('reason')) as EscalationReason,
      suggested_severity: String(data.get('severity')) as Severity,
      ...(text !== '' ? { text: text.slice(0, 2000) } : {}),
    };
    const detail: SuggestEscalationDetail = { sessionId: s.session_id, roomId: s.room_id, content };
    this.closeDialog();
    this.dispatchEvent(new CustomEvent<SuggestEscalationDetail>('suggest-escalation', { detail, bubbles: true, composed: true }));
  }

  private submitEnd(e: SubmitEvent): void {
    e.preventDefault();
    const s = this.dialogSession;
    if (!s) return;
    const data = new FormData(e.target as HTMLFormElement);
    const when = String(data.get('checkin') ?? '');
    let checkInTs: number | null = null;
    if (when !== '') {
      checkInTs = new Date(when).getTime();
      if (!Number.isFinite(checkInTs) || checkInTs <= Date.now()) {
        this.formProblem = msg('Choose a check-in time in the future, or leave it empty.', { id: 'supporter.end.checkin-past' });
        return;
      }
    }
    const detail: EndSessionDetail = { sessionId: s.session_id, outcome: String(data.get('outcome')) as EndOutcome, checkInTs };
    this.closeDialog();
    this.dispatchEvent(new CustomEvent<EndSessionDetail>('end-session', { detail, bubbles: true, composed: true }));
  }

  private reasonLabel(r: EscalationReason): string {
    switch (r) {
      case 'suicide_risk': return msg('Risk of suicide', { id: 'supporter.reason.suicide-risk' });
      case 'self_harm_risk': return msg('Risk of self-harm', { id: 'supporter.reason.self-harm-risk' });
      case 'harm_to_others': return msg('Risk of harm to others', { id: 'supporter.reason.harm-to-others' });
      case 'abuse_disclosure': return msg('Abuse was disclosed', { id: 'supporter.reason.abuse-disclosure' });
      case 'safeguarding_concern': return msg('Safeguarding concern', { id: 'supporter.reason.safeguarding' });
      case 'medical_concern': return msg('Medical concern', { id: 'supporter.reason.medical' });
      case 'beyond_peer_support': return msg('Needs more than peer support', { id: 'supporter.reason.beyond-peer' });
      default: return msg('Something else', { id: 'supporter.reason.other' });
    }
  }

  private severityLabel(s: Severity): string {
    switch (s) {
      case 'low': return msg('Low', { id: 'supporter.severity.low' });
      case 'medium': return msg('Medium', { id: 'supporter.severity.medium' });
      case 'high': return msg('High', { id: 'supporter.severity.high' });
      default: return msg('Critical', { id: 'supporter.severity.critical' });
    }
  }

  private outcomeLabel(o: EndOutcome): string {
    switch (o) {
      case 'completed': return msg('Completed — the student was supported', { id: 'supporter.outcome.completed' });
      case 'referred': return msg('Referred on — to a counsellor or another service', { id: 'supporter.outcome.referred' });
      default: return msg('Other', { id: 'supporter.outcome.other' });
    }
  }

  private session(s: PeerSessionView) {
    const label = topicLabel(this.topics, s.topic);
    const busy = this.busySessionId === s.session_id;
    const since = new Date(s.created_ts).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
    const hid = `cs-${s.session_id}`;
    return html`<li>
      <h3 id=${hid}>${label}</h3>
      <p class="meta">${msg(str`Since ${since}`, { id: 'supporter.caseload.since' })}${s.institutions.length > 1 ? html` · ${s.institutions.join(', ')}` : nothing}
        ${s.status === 'creating' ? html` · ${msg('The room is being made …', { id: 'supporter.caseload.creating' })}` : nothing}</p>
      <div class="actions" role="group" aria-labelledby=${hid}>
        <button type="button" class="primary" ?disabled=${!s.room_id}
          @click=${() => { this.dispatchEvent(new CustomEvent('open-room', { detail: { roomId: s.room_id }, bubbles: true, composed: true })); }}
        >${msg('Open conversation', { id: 'supporter.caseload.open' })}</button>
        <button type="button" ?disabled=${!s.room_id || busy} @click=${() => { void this.openDialog('suggest', s); }}>${msg('Suggest a counsellor', { id: 'supporter.caseload.suggest' })}</button>
        <button type="button" ?disabled=${busy || s.status !== 'active'} @click=${() => { void this.openDialog('end', s); }}>${msg('End with wrap-up', { id: 'supporter.caseload.end' })}</button>
      </div>
    </li>`;
  }

  private suggestForm() {
    return html`
      <h2 id="dlg-title">${msg('Suggest a counsellor', { id: 'supporter.suggest.title' })}</h2>
      <p class="explain" id="dlg-desc">${msg('This only suggests it. The student sees your suggestion with the crisis resources and decides for themselves; no counsellor is brought in without their consent.', { id: 'supporter.suggest.explain' })}</p>
      <form @submit=${this.submitSuggestion}>
        <label class="block">${msg('Why', { id: 'supporter.suggest.reason' })}
          <select name="reason" required>${ESCALATION_REASONS.map((r) => html`<option value=${r} ?selected=${r === 'beyond_peer_support'}>${this.reasonLabel(r)}</option>`)}</select>
        </label>
        <fieldset>
          <legend>${msg('How urgent it seems', { id: 'supporter.suggest.severity' })}</legend>
          ${SEVERITIES.map((v) => html`<label class="choice"><input type="radio" name="severity" value=${v} ?checked=${v === 'medium'} required> ${this.severityLabel(v)}</label>`)}
        </fieldset>
        <label class="block">${msg('A note to the student', { id: 'supporter.suggest.note' })} <span class="optional">${msg('(optional, end-to-end encrypted)', { id: 'supporter.suggest.note-hint' })}</span>
          <textarea name="text" maxlength="2000"></textarea>
        </label>
        <div class="actions">
          <button type="submit" class="primary">${msg('Send the suggestion', { id: 'supporter.suggest.send' })}</button>
          <button type="button" @click=${this.closeDialog}>${msg('Cancel', { id: 'supporter.cancel' })}</button>
        </div>
      </form>`;
  }

  private endForm() {
    return html`
      <h2 id="dlg-title">${msg('End with wrap-up', { id: 'supporter.caseload.end' })}</h2>
      <p class="explain" id="dlg-desc">${msg('The conversation becomes read-only and you leave it. The student keeps it until it is deleted after the retention period.', { id: 'supporter.end.explain' })}</p>
      <form @submit=${this.submitEnd}>
        <fieldset>
          <legend>${msg('Outcome', { id: 'supporter.end.outcome' })}</legend>
          ${END_OUTCOMES.map((o) => html`<label class="choice"><input type="radio" name="outcome" value=${o} ?checked=${o === 'completed'} required> ${this.outcomeLabel(o)}</label>`)}
        </fieldset>
        <label class="block">${msg('Offer a check-in at', { id: 'supporter.end.checkin' })} <span class="optional">${msg('(optional; the student accepts or declines)', { id: 'supporter.end.checkin-hint' })}</span>
          <input type="datetime-local" name="checkin" @input=${() => { this.formProblem = ''; }}>
        </label>
        <p class="problem" role="alert">${this.formProblem}</p>
        <div class="actions">
          <button type="submit" class="primary">${msg('End the session', { id: 'supporter.end.confirm' })}</button>
          <button type="button" @click=${this.closeDialog}>${msg('Cancel', { id: 'supporter.cancel' })}</button>
        </div>
      </form>`;
  }

  /** Takes focus after an answer removed the control that had it. */
  focusHeading(): void { this.renderRoot.querySelector<HTMLElement>('#caseload-heading')?.focus(); }

  override render() {
    const active = this.sessions.filter((s) => s.role === 'supporter' && (s.status === 'active' || s.status === 'creating'));
    return html`
      <section aria-labelledby="caseload-heading">
        <h2 id="caseload-heading" tabindex="-1">${msg('Your conversations', { id: 'supporter.caseload.heading' })}</h2>
        ${active.length === 0
          ? html`<p class="empty">${msg('No active conversations.', { id: 'supporter.caseload.empty' })}</p>`
          : html`<ul class="cards">${active.map((s) => this.session(s))}</ul>`}
      </section>
      <dialog aria-labelledby="dlg-title" aria-describedby="dlg-desc" @close=${this.onClosed}>
        ${this.dialogKind === 'suggest' ? this.suggestForm() : this.dialogKind === 'end' ? this.endForm() : nothing}
      </dialog>`;
  }
}

customElements.define('peerline-supporter-caseload', SupporterCaseload);

declare global {
  interface HTMLElementTagNameMap { 'peerline-supporter-caseload': SupporterCaseload }
}
