// The report as one printable, self-contained HTML page: a print stylesheet, inline SVG charts (each
// with a text alternative and the table of its numbers), no scripts and no external references, so it
// opens offline, prints to PDF from any browser and passes a strict CSP (the one <style> is allowed
// by its hash; SVG uses presentation attributes, never style attributes).
import { createHash } from 'node:crypto';
import type { ReportCell } from './suppression.ts';
import { ALL, EXPIRING_WITHIN_DAYS, type ProgramReport } from './report-service.ts';
import { reportLabels, type ReportLanguage, type ReportLabels } from './report-labels.ts';

const STYLE = `
  :root { color-scheme: light; }
  body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; background: #fff; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
  h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 2px solid #111; padding-bottom: .2rem; }
  h3 { font-size: 1.05rem; margin: 1.25rem 0 .4rem; }
  p { margin: 0 0 .6rem; }
  .meta { color: #333; }
  .note { border-left: 4px solid #1a4f8b; padding: .3rem .75rem; background: #eef3f9; }
  table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-variant-numeric: tabular-nums; }
  caption { text-align: left; font-weight: 600; padding: .2rem 0; }
  th, td { border: 1px solid #888; padding: .2rem .45rem; text-align: left; vertical-align: top; }
  td.num, th.num { text-align: right; }
  thead th { background: #e8e8e8; }
  tr.total th, tr.total td { font-weight: 700; background: #f3f3f3; }
  td.suppressed { color: #444; font-style: italic; }
  figure { margin: .5rem 0 1rem; }
  figcaption { font-weight: 600; }
  svg { display: block; max-width: 100%; height: auto; }
  .table-wrap { overflow-x: auto; }
  @page { size: A4; margin: 14mm 12mm; }
  @media print {
    body { margin: 0; max-width: none; font-size: 9.5pt; }
    h2 { break-before: page; }
    section:first-of-type h2 { break-before: auto; }
    figure, table, tr { break-inside: avoid; }
    .table-wrap { overflow: visible; }
    .note { background: none; }
  }
`;

/** The style element's hash, for the Content-Security-Policy that allows exactly it. */
export const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;
export const REPORT_HTML_CSP = `default-src 'none'; style-src '${STYLE_HASH}'; img-src 'none'; base-uri 'none'; form-action 'none'`;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Lookup = (section: string, week: string, topic: string, measure: string) => ReportCell | undefined;

function lookup(cells: ReportCell[]): Lookup {
  const m = new Map<string, ReportCell>();
  for (const c of cells) m.set(`${c.section}\u0000${c.week}\u0000${c.topic}\u0000${c.measure}`, c);
  return (section, week, topic, measure) => m.get(`${section}\u0000${week}\u0000${topic}\u0000${measure}`);
}

/** A cell as text: minutes for durations, percent for shares, "fewer than 5" when suppressed. */
function valueText(c: ReportCell | undefined, L: ReportLabels, lang: ReportLanguage): string {
  if (!c || c.suppressed || c.value === null) return L.suppressed;
  const locale = lang === 'de' ? 'de-DE' : 'en-GB';
  if (c.measure.endsWith('_ms')) return `${(Math.round(c.value / 6000) / 10).toLocaleString(locale)} min`;
  if (c.measure.endsWith('_percent')) return `${c.value.toLocaleString(locale)} %`;
  if (c.measure.endsWith('_mean')) return c.value.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return c.value.toLocaleString(locale);
}

function td(c: ReportCell | undefined, L: ReportLabels, lang: ReportLanguage): string {
  const suppressed = !c || c.suppressed;
  return `<td class="num${suppressed ? ' suppressed' : ''}">${esc(valueText(c, L, lang))}</td>`;
}

let chartSeq = 0;

/** Vertical bars by category; suppressed values drawn as a dashed outline and named in the text. */
function barChart(title: string, points: { label: string; cell: ReportCell | undefined }[], L: ReportLabels, lang: ReportLanguage): string {
  const id = `chart-${++chartSeq}`;
  const barW = 22;
  const gap = 8;
  const h = 160;
  const left = 8;
  const width = Math.max(300, left + points.length * (barW + gap));
  const known = points.map((p) => (p.cell && !p.cell.suppressed && p.cell.value !== null ? p.cell.value : null));
  const max = Math.max(1, ...known.map((v) => v ?? 0));
  const bars = points.map((p, i) => {
    const x = left + i * (barW + gap);
    const v = known[i];
    const label = `<text x="${x + barW / 2}" y="${h + 14}" font-size="9" text-anchor="middle" fill="#111">${esc(p.label.replace(/^\d{4}-/, ''))}</text>`;
    if (v === null || v === undefined) {
      return `<rect x="${x}" y="${h - 12}" width="${barW}" height="12" fill="none" stroke="#555" stroke-dasharray="3 2"/>${label}`;
    }
    const bh = Math.max(1, (v / max) * (h - 20));
    return `<rect x="${x}" y="${h - bh}" width="${barW}" height="${bh}" fill="#1a4f8b"/>${label}`;
  }).join('');
  const shown = points.filter((_, i) => known[i] !== null);
  const top = shown.reduce<{ label: string; cell: ReportCell | undefined } | null>((a, p) => (a === null || (p.cell!.value! > a.cell!.value!) ? p : a), null);
  const summary = top ? L.chartSummary(top.label, valueText(top.cell, L, lang), points.length - shown.length, points.length) : L.chartAllSuppressed;
  return `<figure>
<figcaption id="${id}-t">${esc(title)}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${id}-t ${id}-d" viewBox="0 0 ${width} ${h + 22}" width="${width}" height="${h + 22}">
<title>${esc(title)}</title><desc id="${id}-d">${esc(summary)}</desc>
<line x1="0" y1="${h}" x2="${width}" y2="${h}" stroke="#111" stroke-width="1"/>${bars}
</svg>
<p>${esc(summary)}</p>
</figure>`;
}

/** Rows × measures; the last row, if `total` is set, is the period's total. */
function table(caption: string, rowHead: string, rows: { label: string; week: string; topic: string; total?: boolean }[], section: string, measures: string[], get: Lookup, L: ReportLabels, lang: ReportLanguage): string {
  const head = `<tr><th scope="col">${esc(rowHead)}</th>${measures.map((m) => `<th scope="col" class="num">${esc(L.measure(m))}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr${r.total ? ' class="total"' : ''}><th scope="row">${esc(r.label)}</th>${measures.map((m) => td(get(section, r.week, r.topic, m), L, lang)).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table><caption>${esc(caption)}</caption><thead>${head}</thead><tbody>\n${body}\n</tbody></table></div>`;
}

const SECTION_MEASURES: Record<string, { main: string; measures: string[] }> = {
  participation: { main: 'students_asking', measures: ['students_asking'] },
  requests: { main: 'requests', measures: ['requests', 'matches', 'matches_local', 'matches_partner', 'served_for_partners', 'wait_median_ms', 'wait_p90_ms'] },
  sessions: { main: 'sessions', measures: ['sessions', 'length_median_ms', 'length_p90_ms'] },
  escalations: { main: 'escalations', measures: ['escalations', 'responses', 'responses_within_target', 'responses_late', 'responses_within_target_percent', 'response_median_ms', 'response_p90_ms'] },
  feedback: { main: 'responses', measures: ['responses', 'helpfulness_mean', 'felt_safe_yes', 'felt_safe_no', 'felt_safe_percent'] },
};

export function reportHtml(r: ProgramReport, opts: { institution: string; lang?: ReportLanguage }): string {
  const lang = opts.lang ?? 'en';
  const L = reportLabels(lang);
  const get = lookup(r.cells);
  const weekRows = [...r.weeks.map((w) => ({ label: w, week: w, topic: ALL })), { label: L.total, week: ALL, topic: ALL, total: true }];
  const topicRows = [...r.topics.map((t) => ({ label: t.label, week: ALL, topic: t.id })), { label: L.total, week: ALL, topic: ALL, total: true }];
  const sections: string[] = [];

  for (const section of ['participation', 'requests', 'sessions', 'escalations', 'feedback'] as const) {
    const spec = SECTION_MEASURES[section]!;
    const parts = [`<h2 id="${section}">${esc(L.section(section))}</h2>`, `<p>${esc(L.sectionIntro(section))}</p>`];
    if (section === 'feedback' && !r.feedback_available) {
      parts.push(`<p class="note">${esc(L.noFeedback)}</p>`);
      sections.push(`<section aria-labelledby="${section}">${parts.join('\n')}</section>`);
      continue;
    }
    if (section === 'escalations') {
      parts.push(`<p>${esc(L.targets)} ${Object.entries(r.response_targets_minutes).map(([s, m]) => `${esc(L.severity(s))}: ${m} min`).join(', ')}.</p>`);
    }
    parts.push(barChart(`${L.measure(spec.main)} — ${L.byWeek}`, r.weeks.map((w) => ({ label: w, cell: get(section, w, ALL, spec.main) })), L, lang));
    parts.push(table(`${L.section(section)} — ${L.byWeek}`, L.week, weekRows, section, spec.measures, get, L, lang));
    parts.push(table(`${L.section(section)} — ${L.byTopic}`, L.topic, topicRows, section, spec.measures, get, L, lang));
    if (section === 'feedback') {
      const dist = [1, 2, 3, 4, 5].map((n) => ({ label: String(n), cell: get('feedback', ALL, ALL, `helpfulness_${n}`) }));
      parts.push(barChart(L.helpfulnessChart, dist, L, lang));
      parts.push(table(L.helpfulnessChart, L.topic, topicRows, 'feedback', [1, 2, 3, 4, 5].map((n) => `helpfulness_${n}`), get, L, lang));
      if (r.themes.length > 0) {
        parts.push(table(L.themes, L.topic, topicRows, 'feedback', r.themes.map((t) => `theme:${t}`), get, L, lang));
      }
    }
    // The main count by week and topic: the detail the totals above sum up.
    const detail = `<div class="table-wrap"><table><caption>${esc(`${L.measure(spec.main)} — ${L.byWeekAndTopic}`)}</caption><thead><tr><th scope="col">${esc(L.week)}</th>${r.topics.map((t) => `<th scope="col" class="num">${esc(t.label)}</th>`).join('')}</tr></thead><tbody>\n${
      r.weeks.map((w) => `<tr><th scope="row">${esc(w)}</th>${r.topics.map((t) => td(get(section, w, t.id, spec.main), L, lang)).join('')}</tr>`).join('\n')
    }\n</tbody></table></div>`;
    parts.push(detail);
    sections.push(`<section aria-labelledby="${section}">${parts.join('\n')}</section>`);
  }

  const training = [`<h2 id="training">${esc(L.section('training'))}</h2>`, `<p>${esc(L.trainingIntro(r.training_as_of, EXPIRING_WITHIN_DAYS))}</p>`,
    `<p>${esc(L.measure('active_supporters'))}: ${esc(valueText(get('training', ALL, ALL, 'active_supporters'), L, lang))}</p>`];
  training.push(`<div class="table-wrap"><table><caption>${esc(L.byModule)}</caption><thead><tr><th scope="col">${esc(L.module)}</th><th scope="col" class="num">${esc(L.measure('valid'))}</th><th scope="col" class="num">${esc(L.measure('expiring'))}</th></tr></thead><tbody>\n${
    r.modules.map((m) => `<tr><th scope="row">${esc(m.label)}</th>${td(get('training', ALL, ALL, `valid:${m.id}`), L, lang)}${td(get('training', ALL, ALL, `expiring_within_${EXPIRING_WITHIN_DAYS}_days:${m.id}`), L, lang)}</tr>`).join('\n')
  }\n</tbody></table></div>`);
  const policyTopics = r.topics.filter((t) => get('training', ALL, t.id, 'offering_supporters') !== undefined);
  training.push(barChart(`${L.measure('qualified_supporters')} — ${L.byTopic}`, policyTopics.map((t) => ({ label: t.label, cell: get('training', ALL, t.id, 'qualified_supporters') })), L, lang));
  training.push(table(L.byTopic, L.topic, policyTopics.map((t) => ({ label: t.label, week: ALL, topic: t.id })), 'training', ['offering_supporters', 'qualified_supporters'], get, L, lang));
  sections.push(`<section aria-labelledby="training">${training.join('\n')}</section>`);

  const title = L.title(opts.institution);
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(REPORT_HTML_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} ${esc(r.from_week)}–${esc(r.to_week)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">${esc(L.period(r.from_week, r.to_week, r.from, r.to, r.time_zone))} ${esc(L.generated(new Date(r.generated_ts).toISOString().slice(0, 16).replace('T', ' ')))}</p>
<p class="note">${esc(L.suppressionNote(r.minimum_cell_count))}</p>
</header>
<main>
${sections.join('\n')}
</main>
</body>
</html>
`;
}
