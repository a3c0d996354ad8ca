// Asks a student, in plain words, whether a counsellor of their own school may be brought in, and
// what to share. Crisis resources come first; "No" is as easy as "Yes" (and Escape means no).
// Emits `consent-given` ({ choice }) or `consent-declined`; signing and sending are the caller's job,
// so nothing leaves the device from here. The escalation host (ui/components/escalation-host) opens
// it and says why it is asking (`reason`: the student asked, the supporter suggested it — with their
// `note` — or the on-device risk detector noticed what the student wrote).
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { CrisisResource } from '../../../state/crisis-resources.ts';
import type { ConsentChoice } from '../../../safety/consent.ts';
import { readConsentChoice, SUMMARY_MAX_LENGTH, type ConsentFormResult } from './consent-dialog.choice.ts';
import { consentDialogStyles } from './consent-dialog.styles.ts';

/** A decrypted message the student may choose to share; text stays on the device until they do. */
export interface ShareableMessage { eventId: string; sender: string; body: string }

export type ConsentGivenEvent = CustomEvent<{ choice: ConsentChoice }>;
export type ConsentDeclinedEvent = CustomEvent<Record<string, never>>;

type Problem = Extract<ConsentFormResult, { ok: false }>['problem'];

/** Why the dialog is asking; shapes the first sentence only, never what is shared. */
export type ConsentReason = 'student' | 'suggestion' | 'detector';

export class ConsentDialog extends LitElement {
  static override properties = {
    resources: { attribute: false },
    messages: { attribute: false },
    reason: { attribute: false },
    note: { attribute: false },
    share: { state: true },
    problem: { state: true },
  };
  static override styles = consentDialogStyles;
  declare resources: CrisisResource[];
  declare messages: ShareableMessage[];
  declare reason: ConsentReason;
  /** The supporter's note with their suggestion (shown as their words, as plain text). */
  declare note: string | null;
  declare share: string | null;
  declare problem: Problem | null;
  private opener: HTMLElement | null = null;
  private answered = false;

  constructor() {
    super();
    this.resources = [];
    this.messages = [];
    this.reason = 'student';
    this.note = null;
    this.share = null;
    this.problem = null;
    updateWhenLocaleChanges(this);
  }

  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  /** Opens as a modal (the page behind is inert) and remembers where focus was, to return it. */
  async show(): Promise<void> {
    this.opener = deepActiveElement();
    this.share = null;
    this.problem = null;
    this.answered = false;
    await this.updateComplete;
    this.renderRoot.querySelector('form')?.reset();
    this.dialog?.showModal();
    this.renderRoot.querySelector<HTMLElement>('h2')?.focus();
  }

  get isOpen(): boolean {
    return this.dialog?.open ?? false;
  }

  private finish(event: ConsentGivenEvent | ConsentDeclinedEvent): void {
    this.answered = true;
    this.dialog?.close();
    this.dispatchEvent(event);
  }

  private decline(): void {
    this.finish(new CustomEvent('consent-declined', { detail: {}, bubbles: true, composed: true }) satisfies ConsentDeclinedEvent);
  }

  private submit(e: Event): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const result = readConsentChoice({
      share: typeof data.get('share') === 'string' ? (data.get('share') as string) : null,
      summary: String(data.get('summary') ?? ''),
      eventIds: data.getAll('message').map(String),
    });
    if (!result.ok) {
      this.problem = result.problem;
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(result.problem === 'empty-summary' ? '#summary' : 'fieldset input')?.focus());
      return;
    }
    this.finish(new CustomEvent('consent-given', { detail: { choice: result.choice }, bubbles: true, composed: true }) satisfies ConsentGivenEvent);
  }

  private onClose(): void {
    // Escape or any other way of closing without an answer counts as no: nobody is contacted.
    if (!this.answered) this.decline();
    this.opener?.focus();
    this.opener = null;
  }

  private problemText(p: Problem): string {
    switch (p) {
      case 'choose-share': return msg('Choose what to share, or say no.', { id: 'consent.problem.choose' });
      case 'empty-summary': return msg('Write a few words, or choose another option.', { id: 'consent.problem.summary' });
      case 'no-messages': return msg('Tick at least one message, or choose another option.', { id: 'consent.problem.messages' });
    }
  }

  private reasonText(): string {
    switch (this.reason) {
      case 'suggestion': return msg('Your supporter suggests bringing in a counsellor. It is your choice.', { id: 'escalation.reason.suggestion' });
      case 'detector': return msg('It sounds like things are really hard right now. You do not have to face this alone.', { id: 'escalation.reason.detector' });
      default: return msg('You asked to talk to a counsellor.', { id: 'escalation.reason.student' });
    }
  }

  override render() {
    const problem = this.problem;
    return html`
      <dialog aria-labelledby="consent-title" aria-describedby="consent-reason consent-intro consent-who" @close=${this.onClose}>
        <section class="crisis" aria-labelledby="consent-crisis">
          <h2 id="consent-crisis">${msg('If you are in danger right now', { id: 'consent.crisis-heading' })}</h2>
          <ul>
            ${this.resources.map((r) => html`
              <li>
                <span class="name">${r.name}</span>
                ${r.phone ? html`<a href="tel:${r.phone.replace(/\s+/g, '')}">${msg(str`Call ${r.phone}`, { id: 'crisis.call' })}</a>` : nothing}
                ${r.url && !r.phone ? html`<a href=${r.url} target="_blank" rel="noopener noreferrer">${msg('Website', { id: 'crisis.website' })}<span class="visually-hidden"> ${r.name}</span></a>` : nothing}
              </li>`)}
          </ul>
        </section>
        <h2 id="consent-title" tabindex="-1">${msg('Would you like a counsellor to help?', { id: 'consent.title' })}</h2>
        <p id="consent-reason">${this.reasonText()}</p>
        ${this.note ? html`<figure class="note"><blockquote>${this.note}</blockquote><figcaption>${msg('Your supporter', { id: 'escalation.note-from' })}</figcaption></figure>` : nothing}
        <p id="consent-intro">${msg('If you say yes, a counsellor from your own school will be invited to a new private, encrypted chat with you.', { id: 'consent.intro' })}</p>
        <p id="consent-who">${msg('Only that counsellor will see what you choose to share below. Nothing is shared unless you say yes.', { id: 'consent.who' })}</p>
        <form @submit=${this.submit} novalidate>
          <fieldset aria-describedby=${problem === 'choose-share' ? 'consent-problem' : nothing} aria-invalid=${problem === 'choose-share' ? 'true' : 'false'}>
            <legend>${msg('What do you want to share?', { id: 'consent.share-legend' })}</legend>
            <label><input type="radio" name="share" value="nothing" @change=${() => { this.share = 'nothing'; this.problem = null; }}>
              ${msg('Nothing. The counsellor only knows you asked for help.', { id: 'consent.share.nothing' })}</label>
            <label><input type="radio" name="share" value="summary" @change=${() => { this.share = 'summary'; this.problem = null; }}>
              ${msg('A short summary I write', { id: 'consent.share.summary' })}</label>
            ${this.share === 'summary' ? html`
              <div class="detail">
                <label for="summary">${msg('Your summary', { id: 'consent.summary-label' })}</label>
                <textarea id="summary" name="summary" rows="4" maxlength=${SUMMARY_MAX_LENGTH} aria-describedby="summary-hint ${problem === 'empty-summary' ? 'consent-problem' : ''}" aria-invalid=${problem === 'empty-summary' ? 'true' : 'false'}></textarea>
                <p id="summary-hint" class="hint">${msg('Only what you write here is shared.', { id: 'consent.summary-hint' })}</p>
              </div>` : nothing}
            <label><input type="radio" name="share" value="messages" ?disabled=${this.messages.length === 0} @change=${() => { this.share = 'messages'; this.problem = null; }}>
              ${msg('Messages I choose from this chat', { id: 'consent.share.messages' })}</label>
            ${this.share === 'messages' ? html`
              <fieldset class="detail" aria-describedby=${problem === 'no-messages' ? 'consent-problem' : nothing}>
                <legend>${msg('Messages to share', { id: 'consent.messages-legend' })}</legend>
                ${this.messages.map((m) => html`<label class="message"><input type="checkbox" name="message" value=${m.eventId}><span><strong>${m.sender}</strong> ${m.body}</span></label>`)}
              </fieldset>` : nothing}
          </fieldset>
          <p id="consent-problem" class="problem" role="alert">${problem ? this.problemText(problem) : nothing}</p>
          <p class="hint">${msg("Saying no is fine. Nobody is contacted and this chat goes on as before.", { id: 'consent.no-note' })}</p>
          <div class="actions">
            <button class="no" type="button" @click=${() => this.decline()}>${msg("No, don't contact anyone", { id: 'consent.decline' })}</button>
            <button class="yes" type="submit">${msg('Yes, contact a counsellor', { id: 'consent.accept' })}</button>
          </div>
        </form>
      </dialog>`;
  }
}

function deepActiveElement(): HTMLElement | null {
  let el: Element | null = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el instanceof HTMLElement ? el : null;
}

customElements.define('peerline-consent-dialog', ConsentDialog);

declare global {
  interface HTMLElementTagNameMap { 'peerline-consent-dialog': ConsentDialog }
  interface HTMLElementEventMap { 'consent-given': ConsentGivenEvent; 'consent-declined': ConsentDeclinedEvent }
}
