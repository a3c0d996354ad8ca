// The aggregate figures: pick a figure (requests, matches, waits…), then see it by week for one
// topic and by topic for one week, each as a bar chart with its table. The bridge suppresses small
// cells and gives no totals; this view adds none either (a sum would undo the suppression).
import { LitElement, html, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { adminCommonStyles } from '../admin-common/admin-common.styles.ts';
import '../admin-bar-chart/admin-bar-chart.component.ts';
import type { ChartPoint } from '../admin-bar-chart/admin-bar-chart.component.ts';
import { FIGURE_METRICS, type FigureMetric, type FiguresReport } from '../../../bridge/admin-api.ts';

export function metricLabel(m: FigureMetric): string {
  switch (m) {
    case 'requests': return msg('Support requests', { id: 'admin.figures.metric.requests' });
    case 'matches': return msg('Matches with a supporter', { id: 'admin.figures.metric.matches' });
    case 'sessions': return msg('Peer sessions', { id: 'admin.figures.metric.sessions' });
    case 'escalations': return msg('Escalations to a counsellor', { id: 'admin.figures.metric.escalations' });
    case 'wait_median_ms': return msg('Median wait for a match', { id: 'admin.figures.metric.wait' });
    case 'response_median_ms': return msg('Median counsellor response time', { id: 'admin.figures.metric.response' });
  }
}

export class AdminFigures extends LitElement {
  static override properties = {
    report: { attribute: false }, topicLabels: { attribute: false },
    metric: { state: true }, topic: { state: true }, week: { state: true },
  };
  static override styles = adminCommonStyles;
  declare report: FiguresReport | null;
  declare topicLabels: Record<string, string>;
  declare metric: FigureMetric;
  declare topic: string;
  declare week: string;

  constructor() {
    super();
    this.report = null;
    this.topicLabels = {};
    this.metric = 'requests';
    this.topic = '';
    this.week = '';
    updateWhenLocaleChanges(this);
  }

  private label(topic: string): string {
    return this.topicLabels[topic] ?? topic;
  }

  override render() {
    const r = this.report;
    if (!r) return html`<p class="muted">${msg('Loading figures…', { id: 'admin.figures.loading' })}</p>`;
    const topic = r.topics.includes(this.topic) ? this.topic : (r.topics[0] ?? '');
    const week = r.weeks.includes(this.week) ? this.week : (r.weeks[r.weeks.length - 1] ?? '');
    const m = this.metric;
    const unit = m.endsWith('_ms') ? 'minutes' : 'count';
    const point = (label: string, row: FiguresReport['cells'][number] | undefined): ChartPoint =>
      ({ label, value: row?.[m].value ?? null, suppressed: row ? row[m].suppressed : true });
    const byWeek = r.weeks.map((w) => point(w, r.cells.find((c) => c.week === w && c.topic === topic)));
    const byTopic = r.topics.map((t) => point(this.label(t), r.cells.find((c) => c.week === week && c.topic === t)));
    return html`
      <p>${msg(str`From ${r.from} to ${r.to}, in whole weeks (Monday to Sunday, ${r.time_zone}).`, { id: 'admin.figures.range' })}
        ${msg(str`To protect students, any figure computed from fewer than ${r.minimum_cell_count} cases is suppressed and there are no totals.`, { id: 'admin.figures.privacy' })}</p>
      <form class="controls" @submit=${(e: Event) => e.preventDefault()}>
        <label class="block">${msg('Figure', { id: 'admin.figures.metric' })}
          <select name="metric" @change=${(e: Event) => { this.metric = (e.target as HTMLSelectElement).value as FigureMetric; }}>
            ${FIGURE_METRICS.map((x) => html`<option value=${x} ?selected=${x === m}>${metricLabel(x)}</option>`)}
          </select>
        </label>
      </form>
      ${r.topics.length === 0 || r.weeks.length === 0 ? html`<p>${msg('No figures for this period.', { id: 'admin.figures.none' })}</p>` : html`
        <section aria-labelledby="by-week">
          <h3 id="by-week">${msg('By week', { id: 'admin.figures.by-week' })}</h3>
          <label class="block">${msg('Topic', { id: 'admin.figures.topic' })}
            <select name="topic" @change=${(e: Event) => { this.topic = (e.target as HTMLSelectElement).value; }}>
              ${r.topics.map((t) => html`<option value=${t} ?selected=${t === topic}>${this.label(t)}</option>`)}
            </select>
          </label>
          <peerline-admin-bar-chart .heading=${msg(str`${metricLabel(m)} by week: ${this.label(topic)}`, { id: 'admin.figures.by-week-heading' })}
            .categoryHeader=${msg('Week', { id: 'admin.figures.week' })} .valueHeader=${metricLabel(m)}
            .points=${byWeek} .minimumCount=${r.minimum_cell_count} .unit=${unit}></peerline-admin-bar-chart>
        </section>
        <section aria-labelledby="by-topic">
          <h3 id="by-topic">${msg('By topic', { id: 'admin.figures.by-topic' })}</h3>
          <label class="block">${msg('Week', { id: 'admin.figures.week' })}
            <select name="week" @change=${(e: Event) => { this.week = (e.target as HTMLSelectElement).value; }}>
              ${r.weeks.map((w) => html`<option value=${w} ?selected=${w === week}>${w}</option>`)}
            </select>
          </label>
          <peerline-admin-bar-chart .heading=${msg(str`${metricLabel(m)} by topic: ${week}`, { id: 'admin.figures.by-topic-heading' })}
            .categoryHeader=${msg('Topic', { id: 'admin.figures.topic' })} .valueHeader=${metricLabel(m)}
            .points=${byTopic} .minimumCount=${r.minimum_cell_count} .unit=${unit}></peerline-admin-bar-chart>
        </section>`}
      ${nothing}`;
  }
}

customElements.define('peerline-admin-figures', AdminFigures);

declare global {
  interface HTMLElementTagNameMap { 'peerline-admin-figures': AdminFigures }
}
