// Operations endpoints: liveness, readiness, Prometheus metrics, and the OpenAPI document.
import { Type } from '@sinclair/typebox';
import { PUBLIC } from '../middleware/auth.ts';
import type { Metrics } from '../services/metrics.ts';
import type { ReadinessService } from '../services/readiness.ts';
import { reply, type ApiRouter } from './route.ts';

const Check = Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) });
export const ReadinessSchema = Type.Object({
  ready: Type.Boolean(),
  checks: Type.Object({ store: Check, policy: Check, homeserver: Check }),
}, { title: 'Readiness' });

export function register(router: ApiRouter, d: { metrics: Metrics; readiness: ReadinessService; openApi: () => Record<string, unknown> }): void {
  /** GET /health */
  router.add({
    method: 'get', path: '/health', operationId: 'health', tag: 'system', access: PUBLIC,
    summary: 'Liveness: the process answers',
    responses: { 200: { description: 'Alive', schema: Type.Object({ status: Type.Literal('ok') }) } },
    handler: () => ({ status: 'ok' }),
  });

  /** GET /ready */
  router.add({
    method: 'get', path: '/ready', operationId: 'ready', tag: 'system', access: PUBLIC,
    summary: 'Readiness: store open, a valid policy in force, homeserver reachable',
    responses: { 200: { description: 'Ready', schema: ReadinessSchema }, 503: { description: 'Not ready', schema: ReadinessSchema } },
    handler: async () => {
      const r = await d.readiness.check();
      return r.ready ? r : reply(503, r);
    },
  });

  /** GET /metrics */
  router.add({
    method: 'get', path: '/metrics', operationId: 'metrics', tag: 'system', access: PUBLIC,
    summary: 'Prometheus metrics (text exposition format)',
    responses: { 200: { description: 'Metrics', schema: Type.String(), contentType: 'text/plain; version=0.0.4' } },
    handler: () => new Response(d.metrics.render(), { headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' } }),
  });

  /** GET /openapi.json */
  router.add({
    method: 'get', path: '/openapi.json', operationId: 'openApi', tag: 'system', access: PUBLIC,
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1', schema: Type.Object({}, { additionalProperties: true }) } },
    handler: () => d.openApi(),
  });
}
