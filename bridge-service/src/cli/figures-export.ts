// `admin figures export --out FILE.csv`: the bridge's aggregate figures (GET /v1/admin/figures) as
// one CSV row per ISO week and topic. Suppressed cells stay suppressed: they are written as
// 'suppressed', never as a number, so a spreadsheet cannot mistake them for zero.
import { writeCsv } from './csv.ts';
import { AdminError, describeError, type AdminSession } from './admin-session.ts';

interface Cell { value: number | null; suppressed: boolean }
interface FiguresReport {
  from: string;
  to: string;
  time_zone: string;
  minimum_cell_count: number;
  cells: ({ week: string; topic: string } & Record<string, Cell | string>)[];
}

export const FIGURE_COLUMNS = ['requests', 'matches', 'wait_median_ms', 'wait_p90_ms', 'sessions', 'escalations', 'response_median_ms', 'response_p90_ms'] as const;

export async function fetchFigures(session: AdminSession, range: { from?: string | undefined; to?: string | undefined }): Promise<FiguresReport> {
  const q = new URLSearchParams();
  if (range.from) q.set('from', range.from);
  if (range.to) q.set('to', range.to);
  const res = await session.bridge<FiguresReport>('GET', `/v1/admin/figures${q.size ? `?${q}` : ''}`);
  if (res.status !== 200) throw new AdminError(`the bridge did not return figures (${describeError(res)})`);
  return res.body;
}

export function figuresCsv(report: FiguresReport): string {
  const rows = report.cells.map((row) => [row.week, row.topic, ...FIGURE_COLUMNS.map((c) => {
    const cell = row[c] as Cell | undefined;
    if (!cell || cell.suppressed) return 'suppressed';
    return cell.value === null ? '' : Math.round(cell.value);
  })]);
  return writeCsv(['week', 'topic', ...FIGURE_COLUMNS], rows);
}
