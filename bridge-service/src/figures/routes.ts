// Aggregate figures for admins (small cells suppressed; see figures-service.ts).
import { Type } from '@sinclair/typebox';
import { DateSchema } from '../../../protocol/src/policy.ts';
import { rolesOnly } from '../middleware/auth.ts';
import type { ApiRouter } from '../api/route.ts';
import type { FiguresService } from './figures-service.ts';

const CellSchema = Type.Object({
  value: Type.Union([Type.Number(), Type.Null()], { description: 'null when suppressed' }),
  suppressed: Type.Boolean({ description: 'computed from fewer than minimum_cell_count facts (zero included)' }),
}, { title: 'FigureCell' });

export const FiguresRowSchema = Type.Object({
  week: Type.String({ description: "ISO week, 'YYYY-Www'" }),
  topic: Type.String(),
  requests: CellSchema,
  matches: CellSchema,
  wait_median_ms: CellSchema,
  wait_p90_ms: CellSchema,
  sessions: CellSchema,
  escalations: CellSchema,
  response_median_ms: CellSchema,
  response_p90_ms: CellSchema,
}, { title: 'FiguresRow' });

export const FiguresReportSchema = Type.Object({
  from: Type.String({ description: 'Monday of the first week (the asked range widened to whole ISO weeks)' }),
  to: Type.String({ description: 'Sunday of the last week' }),
  time_zone: Type.String({ description: 'weeks are counted in the institution\'s time zone' }),
  minimum_cell_count: Type.Integer(),
  weeks: Type.Array(Type.String()),
  topics: Type.Array(Type.String()),
  cells: Type.Array(FiguresRowSchema, { description: 'one row per week × topic' }),
}, { title: 'FiguresReport' });

export function register(router: ApiRouter, d: { figures: FiguresService }): void {
  /** GET /v1/admin/figures */
  router.add({
    method: 'get', path: '/v1/admin/figures', operationId: 'aggregateFigures', tag: 'admin', access: rolesOnly('admin'),
    summary: 'Requests, waits, matches, sessions, escalations and response times by topic and ISO week; cells under 5 suppressed',
    query: Type.Object({
      from: Type.Optional({ ...DateSchema, description: 'first local date (default: 11 weeks before the week of `to`)' }),
      to: Type.Optional({ ...DateSchema, description: 'last local date (default: today)' }),
    }),
    responses: { 200: { description: 'Figures', schema: FiguresReportSchema } },
    handler: ({ query }) => d.figures.report({ ...(query.from ? { from: query.from } : {}), ...(query.to ? { to: query.to } : {}) }),
  });
}
