// The admin desk's program report (issue #9): the report as JSON for the desk, and its CSV and
// printable HTML exports. Every cell under 5 — and every cell that would reveal one — comes
// suppressed from the bridge; nothing here adds totals or fills gaps.
import type { BridgeClient } from './bridge-client.ts';

import type { ProgramReport, ReportCell } from '../../../protocol/src/program-report.ts';

export type { ProgramReport, ReportCell } from '../../../protocol/src/program-report.ts';
export interface ReportPeriod { from?: string; to?: string }

function query(p: ReportPeriod, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (p.from) q.set('from', p.from);
  if (p.to) q.set('to', p.to);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.size > 0 ? `?${q}` : '';
}

/** GET /v1/admin/report */
export const getReport = (b: BridgeClient, p: ReportPeriod = {}): Promise<ProgramReport> => b.request('GET', `/v1/admin/report${query(p)}`);
/** GET /v1/admin/report.csv */
export const getReportCsv = (b: BridgeClient, p: ReportPeriod = {}): Promise<{ text: string; type: string }> => b.requestText(`/v1/admin/report.csv${query(p)}`);
/** GET /v1/admin/report.html */
export const getReportHtml = (b: BridgeClient, p: ReportPeriod = {}, lang: 'en' | 'de' = 'en'): Promise<{ text: string; type: string }> =>
  b.requestText(`/v1/admin/report.html${query(p, { lang })}`);

/** The cell of a section, week ('all' for the period) and topic ('all'), if the report has it. */
export function reportCell(r: ProgramReport, section: string, week: string, topic: string, measure: string): ReportCell | undefined {
  return r.cells.find((c) => c.section === section && c.week === week && c.topic === topic && c.measure === measure);
}
