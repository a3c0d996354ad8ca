// A horizontal bar chart drawn as inline SVG (sized in em, so it grows with the text), with a one-line
// summary and a table of the same numbers for screen readers and anyone who prefers them. Suppressed
// cells (computed from too few cases) are drawn as a dashed outline and read "fewer than N" — never 0.
import { LitElement, html, svg, nothing } from 'lit';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { adminCommonStyles } from '../admin-common/admin-common.styles.ts';
import { barChartStyles } from './admin-bar-chart.styles.ts';

export interface ChartPoint { label: string; value: number | null; suppressed: boolean }
export type ChartUnit = 'count' | 'minutes';

let nextId = 0;

/** Milliseconds as minutes with one decimal at most (figures for waits and response times). */
export function minutesOf(ms: number): number {
  return Math.round(ms / 6000) / 10;
}

export class AdminBarChart extends LitElement {
  static override properties = {
    heading: {}, categoryHeader: { attribute: false }, valueHeader: { attribute: false }, points: { attribute: false },
    minimumCount: { type: Number }, unit: {},
  };
  static override styles = [adminCommonStyles, barChartStyles];
  declare heading: string;
  declare categoryHeader: string;
  declare valueHeader: string;
  declare points: ChartPoint[];
  declare minimumCount: number;
  /** 'count' shows values as they are; 'minutes' takes milliseconds and shows minutes. */
  declare unit: ChartUnit;
  private readonly uid = `chart-${++nextId}`;

  constructor() {
    super();
    this.heading = '';
    this.categoryHeader = '';
    this.valueHeader = '';
    this.points = [];
    this.minimumCount = 5;
    this.unit = 'count';
    updateWhenLocaleChanges(this);
  }

  private shown(v: number): number {
    return this.unit === 'minutes' ? minutesOf(v) : v;
  }

  /** A value in words: "12", "3.5 min", or "fewer than 5" for a suppressed cell. */
  valueText(p: ChartPoint): string {
    if (p.suppressed || p.value === null) {
      return this.unit === 'minutes'
        ? msg(str`not shown (fewer than ${this.minimumCount} cases)`, { id: 'admin.chart.suppressed-duration' })
        : msg(str`fewer than ${this.minimumCount}`, { id: 'admin.chart.suppressed' });
    }
    const n = this.shown(p.value).toLocaleString();
    return this.unit === 'minutes' ? msg(str`${n} min`, { id: 'admin.chart.minutes' }) : n;
  }

  private summary(): string {
    const known = this.points.filter((p) => !p.suppressed && p.value !== null);
    const hidden = this.points.length - known.length;
    if (this.points.length === 0) return msg('No figures for this selection.', { id: 'admin.chart.empty' });
    if (known.length === 0) return msg(str`Every value is suppressed: each comes from fewer than ${this.minimumCount} cases.`, { id: 'admin.chart.all-suppressed' });
    const top = known.reduce((a, b) => (b.value! > a.value! ? b : a));
    const highest = msg(str`Highest: ${top.label} with ${this.valueText(top)}.`, { id: 'admin.chart.highest' });
    return hidden === 0 ? highest : `${highest} ${msg(str`${hidden} of ${this.points.length} values are suppressed (fewer than ${this.minimumCount}).`, { id: 'admin.chart.some-suppressed' })}`;
  }

  private bars() {
    const known = this.points.map((p) => (p.suppressed || p.value === null ? 0 : p.value));
    const max = Math.max(1, ...known);
    // Rows in em: a label line, then the bar; the bar's length is a share of 70% of the width.
    return this.points.map((p, i) => {
      const top = i * 3.25;
      const suppressed = p.suppressed || p.value === null;
      const pct = suppressed ? 6 : Math.max(0.5, ((p.value ?? 0) / max) * 70);
      return svg`
        <text class="label" x="0" y="${top + 1}em">${p.label}</text>
        <rect class="${suppressed ? 'bar suppressed' : 'bar'}" x="0.1em" y="${top + 1.35}em" width="${pct}%" height="1.25em" rx="2"></rect>
        <text class="value" x="${pct + 2}%" y="${top + 2.3}em">${this.valueText(p)}</text>`;
    });
  }

  override render() {
    const id = this.uid;
    return html`
      <figure>
        <figcaption id="${id}-cap">${this.heading}</figcaption>
        <p class="summary" id="${id}-sum">${this.summary()}</p>
        ${this.points.length === 0 ? nothing : html`
          <svg class="chart" role="img" aria-labelledby="${id}-cap ${id}-sum" width="100%" height="${this.points.length * 3.25 + 0.5}em" xmlns="http://www.w3.org/2000/svg">
            ${this.bars()}
          </svg>
          <div class="table-wrap">
            <table>
              <caption>${msg(str`${this.heading}: the numbers`, { id: 'admin.chart.table-caption' })}</caption>
              <thead><tr><th scope="col">${this.categoryHeader}</th><th scope="col" class="num">${this.valueHeader}</th></tr></thead>
              <tbody>
                ${this.points.map((p) => html`<tr class="${p.suppressed ? 'suppressed' : ''}"><th scope="row">${p.label}</th><td class="num">${this.valueText(p)}</td></tr>`)}
              </tbody>
            </table>
          </div>`}
      </figure>`;
  }
}

customElements.define('peerline-admin-bar-chart', AdminBarChart);

declare global {
  interface HTMLElementTagNameMap { 'peerline-admin-bar-chart': AdminBarChart }
}
