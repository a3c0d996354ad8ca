// The report as one tidy CSV table (RFC 4180): section, week, topic, measure, value — one row per
// cell, "suppressed" where the value is withheld. Fields that could start a spreadsheet formula are
// prefixed with an apostrophe (topic ids come from files and facts, not only from the policy).
import type { ProgramReport } from './report-service.ts';

export const CSV_HEADER = ['section', 'week', 'topic', 'measure', 'value'] as const;
export const SUPPRESSED_MARK = 'suppressed';

function field(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function reportCsv(r: ProgramReport): string {
  const lines = [CSV_HEADER.join(',')];
  for (const c of r.cells) {
    lines.push([c.section, c.week, c.topic, c.measure].map(field).join(',') + ',' + (c.suppressed || c.value === null ? SUPPRESSED_MARK : String(c.value)));
  }
  return lines.join('\r\n') + '\r\n';
}
