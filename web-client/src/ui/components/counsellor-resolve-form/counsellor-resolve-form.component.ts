// Resolving an escalation: the counsellor picks one outcome code (the bridge's list) and confirms.
// Emits `resolve-submit` {outcome} or `form-cancel`; the desk calls the bridge.
import { LitElement, html, nothing } from 'lit';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { ESCALATION_OUTCOMES, type EscalationOutcome } from '../../../bridge/counsellor-api.ts';
import { counsellorBaseStyles } from '../counsellor-shared/counsellor.styles.ts';

export interface ResolveSubmitDetail { outcome: EscalationOutcome }

/** The outcome in words (the bridge stores the code). */
export function outcomeLabel(o: EscalationOutcome): string {
  switch (o) {
    case 'support_provided': return msg('Support given', { id: 'counsellor.outcome.support-provided' });
    case 'follow_up_booked': return msg('Follow-up appointment booked', { id: 'counsellor.outcome.follow-up-booked' });
    case 'referred_internal': return msg('Referred within the institution', { id: 'counsellor.outcome.referred-internal' });
    case 'referred_external': return msg('Referred to an outside service', { id: 'counsellor.outcome.referred-external' });
    case 'safeguarding_referral': return msg('Safeguarding referral made', { id: 'counsellor.outcome.safeguarding-referral' });
    case 'emergency_services': return msg('Emergency services involved', { id: 'counsellor.outcome.emergency-services' });
    case 'student_declined': return msg('Student declined help', { id: 'counsellor.outcome.student-declined' });
    case 'no_response': return msg('No response from the student', { id: 'counsellor.outcome.no-response' });
    case 'duplicate': return msg('Duplicate of another escalation', { id: 'counsellor.outcome.duplicate' });
    case 'other': return msg('Other', { id: 'counsellor.outcome.other' });
  }
}

export class CounsellorResolveForm extends LitElement {
  static override properties = { busy: { type: Boolean }, missing: { state: true } };
  static override styles = counsellorBaseStyles;
  declare busy: boolean;
  declare missing: boolean;

  constructor() {
    super();
    this.busy = false;
    this.missing = false;
    updateWhenLocaleChanges(this);
  }

  /** Focus the first outcome (the form has just opened). */
  override focus(): void {
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('input[type=radio]')?.focus());
  }

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const outcome = new FormData(e.target as HTMLFormElement).get('outcome');
    if (typeof outcome !== 'string' || !(ESCALATION_OUTCOMES as readonly string[]).includes(outcome)) {
      this.missing = true;
      this.focus();
      return;
    }
    this.missing = false;
    this.dispatchEvent(new CustomEvent<ResolveSubmitDetail>('resolve-submit', { detail: { outcome: outcome as EscalationOutcome }, bubbles: true, composed: true }));
  }

  private cancel(): void {
    this.dispatchEvent(new CustomEvent('form-cancel', { bubbles: true, composed: true }));
  }

  override render() {
    return html`
      <form @submit=${this.submit} novalidate>
        <fieldset aria-describedby=${this.missing ? 'missing' : nothing}>
          <legend>${msg('Outcome', { id: 'counsellor.resolve.legend' })}</legend>
          ${ESCALATION_OUTCOMES.map((o) => html`
            <label class="choice"><input type="radio" name="outcome" value=${o} ?disabled=${this.busy}> ${outcomeLabel(o)}</label>`)}
        </fieldset>
        ${this.missing ? html`<p class="problem" id="missing" role="alert">${msg('Choose an outcome first.', { id: 'counsellor.resolve.missing' })}</p>` : nothing}
        <div class="actions">
          <button type="submit" class="primary" ?disabled=${this.busy}>${msg('Resolve', { id: 'counsellor.resolve.submit' })}</button>
          <button type="button" @click=${this.cancel}>${msg('Cancel', { id: 'counsellor.form.cancel' })}</button>
        </div>
      </form>
    `;
  }
}

customElements.define('peerline-counsellor-resolve-form', CounsellorResolveForm);

declare global {
  interface HTMLElementTagNameMap { 'peerline-counsellor-resolve-form': CounsellorResolveForm }
}
