// "How was this conversation?" — the student's optional, anonymous answer after a session: how
// helpful (1–5, each with words), whether they felt safe, and themes from the fixed list. Send or
// skip; nothing waits on it. Emits `feedback-send` {helpfulness, feltSafe, themes} and `feedback-skip`;
// the view sends it with the session's one-time ticket.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { FEEDBACK_THEMES, type FeedbackTheme } from '../../../../../protocol/src/feedback.ts';
import { helpfulnessLabel, themeLabel } from './feedback-labels.ts';
import { sessionFeedbackStyles } from './session-feedback.styles.ts';

export interface FeedbackAnswer { helpfulness: number; feltSafe: boolean; themes: FeedbackTheme[] }
export type FeedbackSendEvent = CustomEvent<FeedbackAnswer>;

export class SessionFeedback extends LitElement {
  static override properties = { topicLabel: {}, busy: { type: Boolean }, problem: {}, missing: { state: true } };
  static override styles = sessionFeedbackStyles;
  /** The session's topic, in words. */
  declare topicLabel: string;
  declare busy: boolean;
  /** Set by the view when sending failed. */
  declare problem: string;
  declare missing: 'helpfulness' | 'safe' | null;

  constructor() {
    super();
    this.topicLabel = '';
    this.busy = false;
    this.problem = '';
    this.missing = null;
    updateWhenLocaleChanges(this);
  }

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const helpfulness = Number(data.get('helpfulness'));
    const safe = data.get('safe');
    this.missing = !helpfulness ? 'helpfulness' : safe === null ? 'safe' : null;
    if (this.missing) {
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>(`input[name=${this.missing === 'helpfulness' ? 'helpfulness' : 'safe'}]`)?.focus());
      return;
    }
    const themes = FEEDBACK_THEMES.filter((t) => data.getAll('theme').includes(t));
    this.dispatchEvent(new CustomEvent('feedback-send', { detail: { helpfulness, feltSafe: safe === 'yes', themes }, bubbles: true, composed: true }) satisfies FeedbackSendEvent);
  }

  private skip(): void {
    this.dispatchEvent(new CustomEvent('feedback-skip', { bubbles: true, composed: true }));
  }

  override render() {
    const missing = this.missing === 'helpfulness'
      ? msg('Choose how helpful it was, or skip.', { id: 'feedback.missing.helpfulness' })
      : this.missing === 'safe' ? msg('Say whether you felt safe, or skip.', { id: 'feedback.missing.safe' }) : '';
    return html`
      <section aria-labelledby="feedback-title" aria-describedby="feedback-about">
        <h3 id="feedback-title">${msg('How was this conversation?', { id: 'feedback.title' })}</h3>
        <p class="meta">${this.topicLabel ? msg(str`Your conversation about: ${this.topicLabel}`, { id: 'feedback.topic' }) : nothing}</p>
        <p id="feedback-about" class="hint">${msg('Optional and anonymous: your answer is not linked to you or to this conversation. Your supporter only sees totals of at least 5 answers.', { id: 'feedback.about' })}</p>
        <form novalidate @submit=${(e: SubmitEvent) => this.submit(e)}>
          <fieldset>
            <legend>${msg('How helpful was it?', { id: 'feedback.helpful.legend' })}</legend>
            <div class="choices">
              ${[1, 2, 3, 4, 5].map((n) => html`<label class="choice"><input type="radio" name="helpfulness" value=${n}> ${n} – ${helpfulnessLabel(n)}</label>`)}
            </div>
          </fieldset>
          <fieldset>
            <legend>${msg('Did you feel safe in this conversation?', { id: 'feedback.safe.legend' })}</legend>
            <div class="choices">
              <label class="choice"><input type="radio" name="safe" value="yes"> ${msg('Yes', { id: 'feedback.safe.yes' })}</label>
              <label class="choice"><input type="radio" name="safe" value="no"> ${msg('No', { id: 'feedback.safe.no' })}</label>
            </div>
          </fieldset>
          <fieldset>
            <legend>${msg('What fits? (optional, choose any)', { id: 'feedback.themes.legend' })}</legend>
            ${FEEDBACK_THEMES.map((t) => html`<label class="choice"><input type="checkbox" name="theme" value=${t}> ${themeLabel(t)}</label>`)}
          </fieldset>
          <p class="problem" role="alert">${missing || this.problem}</p>
          <div class="actions">
            <button class="primary" type="submit" ?disabled=${this.busy}>${msg('Send anonymously', { id: 'feedback.send' })}</button>
            <button type="button" ?disabled=${this.busy} @click=${() => this.skip()}>${msg('Skip', { id: 'feedback.skip' })}</button>
          </div>
        </form>
      </section>`;
  }
}

customElements.define('peerline-session-feedback', SessionFeedback);

declare global {
  interface HTMLElementTagNameMap { 'peerline-session-feedback': SessionFeedback }
}
