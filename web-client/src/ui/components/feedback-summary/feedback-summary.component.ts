// The supporter's own feedback, as students gave it anonymously: totals only, released in batches of
// at least 5 answers (so no single answer can be told apart), or a plain "fewer than 5" until then.
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import type { SupporterFeedbackView } from '../../../../../protocol/src/feedback.ts';
import { helpfulnessLabel, themeLabel } from '../session-feedback/feedback-labels.ts';
import { feedbackSummaryStyles } from './feedback-summary.styles.ts';

export class FeedbackSummary extends LitElement {
  static override properties = { summary: { attribute: false }, problem: { type: Boolean } };
  static override styles = feedbackSummaryStyles;
  /** null while loading. */
  declare summary: SupporterFeedbackView | null;
  /** It could not be loaded. */
  declare problem: boolean;

  constructor() {
    super();
    this.summary = null;
    this.problem = false;
    updateWhenLocaleChanges(this);
  }

  private totals(s: Exclude<SupporterFeedbackView, { responses: 'fewer than 5' }>) {
    const themes = Object.entries(s.themes).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const mean = s.helpfulness_mean.toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: 1 });
    return html`
      <p class="headline">${msg(str`${s.responses} answers — average helpfulness ${mean} of 5`, { id: 'feedback.summary.headline' })}</p>
      <table>
        <caption>${msg('How helpful students found it', { id: 'feedback.summary.helpful-caption' })}</caption>
        <tbody>${[5, 4, 3, 2, 1].map((n) => html`<tr><th scope="row">${n} – ${helpfulnessLabel(n)}</th><td class="n">${s.helpfulness[n - 1]}</td></tr>`)}</tbody>
      </table>
      <p>${msg(str`Felt safe: ${s.felt_safe_yes} yes, ${s.felt_safe_no} no`, { id: 'feedback.summary.safe' })}</p>
      ${themes.length === 0 ? nothing : html`
        <table>
          <caption>${msg('What students chose', { id: 'feedback.summary.themes-caption' })}</caption>
          <tbody>${themes.map(([id, n]) => html`<tr><th scope="row">${themeLabel(id)}</th><td class="n">${n}</td></tr>`)}</tbody>
        </table>`}`;
  }

  override render() {
    const s = this.summary;
    return html`
      <h2>${msg('What students said', { id: 'feedback.summary.heading' })}</h2>
      <p class="hint">${msg('Anonymous answers after your sessions, as totals. They appear in batches of at least 5, so no single answer can be told apart.', { id: 'feedback.summary.about' })}</p>
      <div role="status">
        ${this.problem ? html`<p class="problem">${msg('Your feedback could not be loaded just now.', { id: 'feedback.summary.error' })}</p>`
          : s === null ? html`<p class="muted">${msg('Loading …', { id: 'devices.loading' })}</p>`
          : s.responses === 'fewer than 5' ? html`<p>${msg('Fewer than 5 answers so far. Your totals appear once there are at least 5.', { id: 'feedback.summary.fewer' })}</p>`
          : this.totals(s)}
      </div>`;
  }
}

customElements.define('peerline-feedback-summary', FeedbackSummary);

declare global {
  interface HTMLElementTagNameMap { 'peerline-feedback-summary': FeedbackSummary }
}
