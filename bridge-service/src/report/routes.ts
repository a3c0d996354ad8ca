// The program report for admins: JSON for the desk, one tidy CSV table, and a printable HTML page.
// Each answer is audited (who, which period, which format); the audit names the admin, never anyone
// the report is about.
import { Type } from '@sinclair/typebox';
import { rolesOnly } from '../middleware/auth.ts';
import type { ApiRouter } from '../api/route.ts';
import type { AuditService } from '../services/audit.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { ReportService } from './report-service.ts';
import { reportCsv } from './report-csv.ts';
import { REPORT_HTML_CSP, reportHtml } from './report-html.ts';

export const REPORT_EXPORTED_ACTION = 'report.exported';

const WeekSchema = Type.String({ pattern: '^\\d{4}-W\\d{2}$', 'x-expected': "an ISO week such as '2026-W03'" });

const ReportCellSchema = Type.Object({
  section: Type.String(),
  week: Type.String({ description: "ISO week 'YYYY-Www', or 'all' for the period" }),
  topic: Type.String({ description: "topic id, or 'all'" }),
  measure: Type.String(),
  value: Type.Union([Type.Number(), Type.Null()], { description: 'null when suppressed' }),
  suppressed: Type.Boolean({ description: 'fewer than minimum_cell_count cases, or derivable from totals' }),
}, { title: 'ReportCell' });

export const ProgramReportSchema = Type.Object({
  from_week: Type.String(), to_week: Type.String(),
  from: Type.String({ description: 'Monday of the first week' }), to: Type.String({ description: 'Sunday of the last week' }),
  time_zone: Type.String(), minimum_cell_count: Type.Integer(), generated_ts: Type.Integer(),
  training_as_of: Type.String({ description: 'training coverage is a snapshot on this date' }),
  weeks: Type.Array(Type.String()),
  topics: Type.Array(Type.Object({ id: Type.String(), label: Type.String() })),
  modules: Type.Array(Type.Object({ id: Type.String(), label: Type.String() })),
  response_targets_minutes: Type.Record(Type.String(), Type.Number()),
  feedback_available: Type.Boolean(),
  themes: Type.Array(Type.String()),
  cells: Type.Array(ReportCellSchema, { description: 'one per section × week (or all) × topic (or all) × measure' }),
}, { title: 'ProgramReport' });

const query = Type.Object({
  from: Type.Optional({ ...WeekSchema, description: 'first ISO week (default: 11 weeks before `to`)' }),
  to: Type.Optional({ ...WeekSchema, description: 'last ISO week (default: the current week)' }),
});

export function register(router: ApiRouter, d: { report: ReportService; audit: AuditService; policy: () => InstitutionPolicy }): void {
  const build = async (q: { from?: string; to?: string }, actor: string, format: 'json' | 'csv' | 'html') => {
    const r = await d.report.report(q);
    await d.audit.record({ actor, action: REPORT_EXPORTED_ACTION, subject: null, details: { format, from_week: r.from_week, to_week: r.to_week } });
    return r;
  };
  const filename = (r: { from_week: string; to_week: string }, ext: string): string => `peerline-report-${r.from_week}-${r.to_week}.${ext}`;

  /** GET /v1/admin/report */
  router.add({
    method: 'get', path: '/v1/admin/report', operationId: 'programReport', tag: 'admin', access: rolesOnly('admin'),
    summary: 'Program report by ISO week and topic with totals; every cell under 5, and every cell that would reveal one, suppressed',
    query,
    responses: { 200: { description: 'The report', schema: ProgramReportSchema } },
    handler: ({ query: q, principal }) => build(q, principal.user_id, 'json'),
  });

  /** GET /v1/admin/report.csv */
  router.add({
    method: 'get', path: '/v1/admin/report.csv', operationId: 'programReportCsv', tag: 'admin', access: rolesOnly('admin'),
    summary: 'The program report as one tidy CSV table: section, week, topic, measure, value ("suppressed" where withheld)',
    query,
    responses: { 200: { description: 'CSV', contentType: 'text/csv' } },
    handler: async ({ query: q, principal }) => {
      const r = await build(q, principal.user_id, 'csv');
      return new Response(reportCsv(r), {
        headers: {
          'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${filename(r, 'csv')}"`,
          'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff',
        },
      });
    },
  });

  /** GET /v1/admin/report.html */
  router.add({
    method: 'get', path: '/v1/admin/report.html', operationId: 'programReportHtml', tag: 'admin', access: rolesOnly('admin'),
    summary: 'The program report as a printable, self-contained HTML page (no scripts, no external references)',
    query: Type.Object({ ...query.properties, lang: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('de')], { description: 'language of the page (default en)' })) }),
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
    handler: async ({ query: q, principal }) => {
      const r = await build({ ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) }, principal.user_id, 'html');
      const html = reportHtml(r, { institution: d.policy().institution.name, lang: q.lang ?? 'en' });
      return new Response(html, {
        headers: {
          'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': `${REPORT_HTML_CSP}; frame-ancestors 'none'`,
          'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer',
        },
      });
    },
  });
}
