// The program report tab: a period of ISO weeks, then each section — participation, requests and
// matches, sessions, escalations, feedback, training — as a chart by week (where a trend is easier to
// see than to read) and a table by topic with the period's totals. Cells the bridge suppressed read
// "fewer than 5"; this view adds no sums of its own. Downloads (CSV, printable page) are asked of
// the desk through events, which fetches them with the admin's session.
import { LitElement, html, css, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { adminCommonStyles } from '../admin-common/admin-common.styles.ts';
import '../admin-bar-chart/admin-bar-chart.component.ts';
import { minutesOf, type ChartPoint } from '../admin-bar-chart/admin-bar-chart.component.ts';
import type { ProgramReport, ReportCell } from '../../../bridge/report-api.ts';

export interface ReportPeriodEvent extends CustomEvent<{ from: string; to: string }> { type: 'report-period' }
export interface ReportDownloadEvent extends CustomEvent<{ format: 'csv' | 'html' }> { type: 'report-download' }

const ALL = 'all';
type Section = 'participation' | 'requests' | 'sessions' | 'escalations' | 'feedback';

export function measureLabel(m: string): string {
  const h = /^helpfulness_(\d)$/.exec(m);
  if (h) return msg(str`Helpfulness ${h[1]!}`, { id: 'admin.report.m.helpfulness-n' });
  if (m.startsWith('theme:')) return msg(str`Theme: ${m.slice(6)}`, { id: 'admin.report.m.theme' });
  switch (m) {
    case 'students_asking': return msg('Students asking', { id: 'admin.report.m.students' });
    case 'requests': return msg('Requests', { id: 'admin.report.m.requests' });
    case 'matches': return msg('Matches', { id: 'admin.report.m.matches' });
    case 'matches_local': return msg('By own supporters', { id: 'admin.report.m.matches-local' });
    case 'matches_partner': return msg('By partner supporters', { id: 'admin.report.m.matches-partner' });
    case 'served_for_partners': return msg('Partner requests served', { id: 'admin.report.m.served' });
    case 'wait_median_ms': return msg('Median wait', { id: 'admin.report.m.wait-median' });
    case 'wait_p90_ms': return msg('Wait (90th percentile)', { id: 'admin.report.m.wait-p90' });
    case 'sessions': return msg('Sessions ended', { id: 'admin.report.m.sessions' });
    case 'length_median_ms': return msg('Median length', { id: 'admin.report.m.length-median' });
    case 'length_p90_ms': return msg('Length (90th percentile)', { id: 'admin.report.m.length-p90' });
    case 'escalations': return msg('Escalations', { id: 'admin.report.m.escalations' });
    case 'responses': return msg('Responses', { id: 'admin.report.m.responses' });
    case 'responses_within_target': return msg('Within target', { id: 'admin.report.m.within' });
    case 'responses_late': return msg('After target', { id: 'admin.report.m.late' });
    case 'responses_within_target_percent': return msg('Share within target', { id: 'admin.report.m.within-share' });
    case 'response_median_ms': return msg('Median response time', { id: 'admin.report.m.response-median' });
    case 'response_p90_ms': return msg('Response time (90th percentile)', { id: 'admin.report.m.response-p90' });
    case 'helpfulness_mean': return msg('Mean helpfulness (1–5)', { id: 'admin.report.m.helpfulness-mean' });
    case 'felt_safe_yes': return msg('Felt safe', { id: 'admin.report.m.safe-yes' });
    case 'felt_safe_no': return msg('Did not feel safe', { id: 'admin.report.m.safe-no' });
    case 'felt_safe_percent': return msg('Share feeling safe', { id: 'admin.report.m.safe-share' });
    case 'valid': return msg('Valid training', { id: 'admin.report.m.valid' });
    case 'expiring': return msg('Expiring within 30 days', { id: 'admin.report.m.expiring' });
    case 'offering_supporters': return msg('Supporters offering it', { id: 'admin.report.m.offering' });
    case 'qualified_supporters': return msg('Qualified supporters', { id: 'admin.report.m.qualified' });
    default: return m;
  }
}

function sectionLabel(s: Section | 'training'): string {
  switch (s) {
    case 'participation': return msg('Participation', { id: 'admin.report.s.participation' });
    case 'requests': return msg('Requests and matches', { id: 'admin.report.s.requests' });
    case 'sessions': return msg('Sessions', { id: 'admin.report.s.sessions' });
    case 'escalations': return msg('Escalations and counsellor response', { id: 'admin.report.s.escalations' });
    case 'feedback': return msg('Session feedback', { id: 'admin.report.s.feedback' });
    case 'training': return msg('Training coverage', { id: 'admin.report.s.training' });
  }
}

const SECTIONS: { id: Section; main: string; measures: string[] }[] = [
  { id: 'participation', main: 'students_asking', measures: ['students_asking'] },
  { id: 'requests', main: 'requests', measures: ['requests', 'matches', 'matches_local', 'matches_partner', 'wait_median_ms', 'wait_p90_ms'] },
  { id: 'sessions', main: 'sessions', measures: ['sessions', 'length_median_ms', 'length_p90_ms'] },
  { id: 'escalations', main: 'escalations', measures: ['escalations', 'responses', 'responses_within_target', 'responses_late', 'responses_within_target_percent', 'response_median_ms'] },
  { id: 'feedback', main: 'responses', measures: ['responses', 'helpfulness_mean', 'felt_safe_percent'] },
];

export class AdminReport extends LitElement {
  static override properties = { report: { attribute: false }, busy: { type: Boolean }, status: {}, from: { state: true }, to: { state: true } };
  static override styles = [adminCommonStyles, css`
    section { margin-bottom: var(--pl-space-4, 2rem); }
    .period { display: flex; flex-wrap: wrap; gap: var(--pl-space-2); align-items: end; margin-bottom: var(--pl-space-3); }
    .period label { display: grid; gap: var(--pl-space-1); font-weight: 700; }
    td.suppressed { font-style: italic; color: var(--pl-text-muted); }
    .note { border-left: 4px solid var(--pl-border-strong); padding-left: var(--pl-space-2); }
  `];
  declare report: ProgramReport | null;
  declare busy: boolean;
  /** Announced in the live region: loading, downloaded, or what went wrong. */
  declare status: string;
  declare from: string;
  declare to: string;
  private index: Map<string, ReportCell> = new Map();
  private indexed: ProgramReport | null = null;

  constructor() {
    super();
    this.report = null;
    this.busy = false;
    this.status = '';
    this.from = '';
    this.to = '';
    updateWhenLocaleChanges(this);
  }

  private cell(section: string, week: string, topic: string, measure: string): ReportCell | undefined {
    if (this.indexed !== this.report) {
      this.index = new Map((this.report?.cells ?? []).map((c) => [`${c.section}|${c.week}|${c.topic}|${c.measure}`, c]));
      this.indexed = this.report;
    }
    return this.index.get(`${section}|${week}|${topic}|${measure}`);
  }

  private text(c: ReportCell | undefined): string {
    const min = this.report?.minimum_cell_count ?? 5;
    if (!c || c.suppressed || c.value === null) return msg(str`fewer than ${min}`, { id: 'admin.chart.suppressed' });
    if (c.measure.endsWith('_ms')) return msg(str`${minutesOf(c.value).toLocaleString()} min`, { id: 'admin.chart.minutes' });
    if (c.measure.endsWith('_percent')) return `${c.value.toLocaleString()} %`;
    if (c.measure.endsWith('_mean')) return c.value.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return c.value.toLocaleString();
  }

  private td(c: ReportCell | undefined) {
    return html`<td class="num ${!c || c.suppressed ? 'suppressed' : ''}">${this.text(c)}</td>`;
  }

  private onShow(e: Event): void {
    e.preventDefault();
    const r = this.report;
    const from = this.from || r?.from_week || '';
    const to = this.to || r?.to_week || '';
    this.dispatchEvent(new CustomEvent('report-period', { detail: { from, to }, bubbles: true, composed: true }));
  }

  private download(format: 'csv' | 'html'): void {
    this.dispatchEvent(new CustomEvent('report-download', { detail: { format }, bubbles: true, composed: true }));
  }

  private chart(heading: string, points: ChartPoint[], unit: 'count' | 'minutes', category: string, valueHeader: string) {
    return html`<peerline-admin-bar-chart .heading=${heading} .points=${points} .unit=${unit} .minimumCount=${this.report?.minimum_cell_count ?? 5}
      .categoryHeader=${category} .valueHeader=${valueHeader}></peerline-admin-bar-chart>`;
  }

  private byTopic(section: Section, measures: string[]) {
    const r = this.report!;
    const rows = [...r.topics.map((t) => ({ label: t.label, topic: t.id, total: false })), { label: msg('Total', { id: 'admin.report.total' }), topic: ALL, total: true }];
    return html`<div class="table-wrap"><table>
      <caption>${msg(str`${sectionLabel(section)} by topic, whole period`, { id: 'admin.report.by-topic' })}</caption>
      <thead><tr><th scope="col">${msg('Topic', { id: 'admin.report.topic' })}</th>${measures.map((m) => html`<th scope="col" class="num">${measureLabel(m)}</th>`)}</tr></thead>
      <tbody>${rows.map((row) => html`<tr><th scope="row">${row.total ? html`<strong>${row.label}</strong>` : row.label}</th>${measures.map((m) => this.td(this.cell(section, ALL, row.topic, m)))}</tr>`)}</tbody>
    </table></div>`;
  }

  private section(s: typeof SECTIONS[number]) {
    const r = this.report!;
    const id = `report-${s.id}`;
    if (s.id === 'feedback' && !r.feedback_available) {
      return html`<section aria-labelledby=${id}><h3 id=${id}>${sectionLabel(s.id)}</h3>
        <p class="muted">${msg('This bridge does not collect session feedback yet.', { id: 'admin.report.no-feedback' })}</p></section>`;
    }
    const point = (w: string, measure: string): ChartPoint => {
      const c = this.cell(s.id, w, ALL, measure);
      return { label: w, value: c?.value ?? null, suppressed: !c || c.suppressed };
    };
    const weekHeader = msg('Week', { id: 'admin.report.week' });
    const extra = s.id === 'requests'
      ? this.chart(`${measureLabel('wait_median_ms')} — ${msg('by week', { id: 'admin.report.by-week' })}`, r.weeks.map((w) => point(w, 'wait_median_ms')), 'minutes', weekHeader, measureLabel('wait_median_ms'))
      : s.id === 'escalations'
        ? html`<p>${msg('Response-time targets of the policy:', { id: 'admin.report.targets' })} ${Object.entries(r.response_targets_minutes).map(([sev, m]) => `${sev}: ${m} min`).join(', ')}</p>
          ${this.chart(`${measureLabel('response_median_ms')} — ${msg('by week', { id: 'admin.report.by-week' })}`, r.weeks.map((w) => point(w, 'response_median_ms')), 'minutes', weekHeader, measureLabel('response_median_ms'))}`
        : s.id === 'feedback'
          ? this.chart(msg('How helpful was the session? Responses per score, whole period', { id: 'admin.report.helpfulness-chart' }),
            [1, 2, 3, 4, 5].map((n) => { const c = this.cell('feedback', ALL, ALL, `helpfulness_${n}`); return { label: String(n), value: c?.value ?? null, suppressed: !c || c.suppressed }; }),
            'count', msg('Score', { id: 'admin.report.score' }), measureLabel('responses'))
          : nothing;
    return html`<section aria-labelledby=${id}>
      <h3 id=${id}>${sectionLabel(s.id)}</h3>
      ${this.chart(`${measureLabel(s.main)} — ${msg('by week', { id: 'admin.report.by-week' })}`, r.weeks.map((w) => point(w, s.main)), 'count', weekHeader, measureLabel(s.main))}
      ${extra}
      ${this.byTopic(s.id, s.measures)}
    </section>`;
  }

  private training() {
    const r = this.report!;
    const policyTopics = r.topics.filter((t) => this.cell('training', ALL, t.id, 'offering_supporters') !== undefined);
    return html`<section aria-labelledby="report-training">
      <h3 id="report-training">${sectionLabel('training')}</h3>
      <p>${msg(str`As of ${r.training_as_of}. Active supporters: ${this.text(this.cell('training', ALL, ALL, 'active_supporters'))}.`, { id: 'admin.report.training-as-of' })}</p>
      <div class="table-wrap"><table>
        <caption>${msg('Supporters with valid training, by module', { id: 'admin.report.by-module' })}</caption>
        <thead><tr><th scope="col">${msg('Module', { id: 'admin.report.module' })}</th><th scope="col" class="num">${measureLabel('valid')}</th><th scope="col" class="num">${measureLabel('expiring')}</th></tr></thead>
        <tbody>${r.modules.map((m) => html`<tr><th scope="row">${m.label}</th>${this.td(this.cell('training', ALL, ALL, `valid:${m.id}`))}${this.td(this.cell('training', ALL, ALL, `expiring_within_30_days:${m.id}`))}</tr>`)}</tbody>
      </table></div>
      <div class="table-wrap"><table>
        <caption>${msg('Supporters per topic', { id: 'admin.report.training-topics' })}</caption>
        <thead><tr><th scope="col">${msg('Topic', { id: 'admin.report.topic' })}</th><th scope="col" class="num">${measureLabel('offering_supporters')}</th><th scope="col" class="num">${measureLabel('qualified_supporters')}</th></tr></thead>
        <tbody>${policyTopics.map((t) => html`<tr><th scope="row">${t.label}</th>${this.td(this.cell('training', ALL, t.id, 'offering_supporters'))}${this.td(this.cell('training', ALL, t.id, 'qualified_supporters'))}</tr>`)}</tbody>
      </table></div>
    </section>`;
  }

  override render() {
    const r = this.report;
    return html`
      <form class="period" @submit=${this.onShow} aria-label=${msg('Report period', { id: 'admin.report.period' })}>
        <label>${msg('From week', { id: 'admin.report.from' })}
          <input type="week" name="from" .value=${this.from || r?.from_week || ''} @input=${(e: Event) => { this.from = (e.target as HTMLInputElement).value; }}></label>
        <label>${msg('To week', { id: 'admin.report.to' })}
          <input type="week" name="to" .value=${this.to || r?.to_week || ''} @input=${(e: Event) => { this.to = (e.target as HTMLInputElement).value; }}></label>
        <button type="submit" class="primary" ?disabled=${this.busy}>${msg('Show report', { id: 'admin.report.show' })}</button>
      </form>
      <div class="actions">
        <button type="button" ?disabled=${this.busy || !r} @click=${() => this.download('csv')}>${msg('Download CSV', { id: 'admin.report.csv' })}</button>
        <button type="button" ?disabled=${this.busy || !r} @click=${() => this.download('html')}>${msg('Open printable report', { id: 'admin.report.print' })}</button>
      </div>
      <p class="status" role="status" aria-live="polite">${this.status}</p>
      ${!r ? html`<p class="muted">${msg('Loading the report…', { id: 'admin.report.loading' })}</p>` : html`
        <p>${msg(str`Weeks ${r.from_week} to ${r.to_week} (${r.from} to ${r.to}, ${r.time_zone}).`, { id: 'admin.report.range' })}</p>
        <p class="note">${msg(str`To protect students, every figure from fewer than ${r.minimum_cell_count} cases reads "fewer than ${r.minimum_cell_count}", and so does any figure from which such a one could be worked out. No figure names anyone.`, { id: 'admin.report.suppression' })}</p>
        ${SECTIONS.map((s) => this.section(s))}
        ${this.training()}`}`;
  }
}

customElements.define('peerline-admin-report', AdminReport);

declare global {
  interface HTMLElementTagNameMap { 'peerline-admin-report': AdminReport }
}
