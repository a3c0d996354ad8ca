// The institution policy as clients see it: the public parts for signed-in users, crisis resources
// for anyone (a student in crisis must not need to sign in), the JSON Schema for institutions, and
// the full policy with its load status for admins.
import { Type } from '@sinclair/typebox';
import {
  crisisResourcesFor, isScheduleOpen, policyJsonSchema, PolicySchema, riskDetectionOf, RiskDetectionSchema, ScheduleSchema, TopicSchema,
} from '../../../protocol/src/policy.ts';
import { ANY_SESSION, PUBLIC, rolesOnly } from '../middleware/auth.ts';
import type { PolicyService } from '../services/policy.ts';
import type { Clock } from '../core/clock.ts';
import type { ApiRouter } from './route.ts';

const CrisisResourceSchema = PolicySchema.properties.crisis_resources.items;

export const PublicPolicySchema = Type.Object({
  institution: PolicySchema.properties.institution,
  partners: Type.Array(Type.Object({ server_name: Type.String(), institution_id: Type.String(), name: Type.String() })),
  topics: Type.Array(Type.Omit(TopicSchema, ['needs_training'])),
  support_hours: ScheduleSchema,
  open_now: Type.Boolean({ description: 'Whether peer support is open at the time of the request' }),
  cross_institution_matching: Type.Boolean(),
  minors: Type.Boolean(),
  retention_days: PolicySchema.properties.retention_days,
  crisis_resources: Type.Array(CrisisResourceSchema),
  risk_detection: Type.Required(RiskDetectionSchema, { description: "The on-device risk detector's settings, defaults filled in (clients run it; nothing is sent)" }),
}, { title: 'PublicPolicy' });

const ProblemSchema = Type.Object({ path: Type.String(), message: Type.String() });

export const PolicyStatusSchema = Type.Object({
  file: Type.String(),
  sha256: Type.String(),
  loaded_ts: Type.Integer(),
  version: Type.Integer({ description: 'Versions applied since start' }),
  last_rejected: Type.Union([Type.Null(), Type.Object({ ts: Type.Integer(), sha256: Type.String(), problems: Type.Array(ProblemSchema) })]),
}, { title: 'PolicyStatus' });

export interface PolicyRouteDeps {
  policy: PolicyService;
  clock: Clock;
}

export function register(router: ApiRouter, d: PolicyRouteDeps): void {
  /** GET /v1/policy */
  router.add({
    method: 'get', path: '/v1/policy', operationId: 'getPolicy', tag: 'policy', access: ANY_SESSION,
    summary: 'The parts of the institution policy clients show: topics, hours, crisis resources',
    responses: { 200: { description: 'The policy in force', schema: PublicPolicySchema } },
    handler: () => {
      const p = d.policy.current();
      return {
        institution: p.institution,
        partners: p.partners,
        topics: p.topics.map((t) => ({ id: t.id, label: t.label, ...(t.description !== undefined ? { description: t.description } : {}) })),
        support_hours: p.support_hours,
        open_now: isScheduleOpen(p.support_hours, new Date(d.clock.now())),
        cross_institution_matching: p.matching.cross_institution && !p.age_rules.minors,
        minors: p.age_rules.minors,
        retention_days: p.retention_days,
        crisis_resources: p.crisis_resources,
        risk_detection: riskDetectionOf(p),
      };
    },
  });

  /** GET /v1/crisis-resources */
  router.add({
    method: 'get', path: '/v1/crisis-resources', operationId: 'getCrisisResources', tag: 'policy', access: PUBLIC,
    summary: 'Crisis resources, most specific first (no sign-in needed)',
    query: Type.Object({
      region: Type.Optional(Type.String({ maxLength: 10, description: "ISO 3166 code such as 'GB'" })),
      language: Type.Optional(Type.String({ maxLength: 35, description: "BCP 47 tag such as 'en'" })),
    }),
    responses: { 200: { description: 'Resources', schema: Type.Object({ resources: Type.Array(CrisisResourceSchema) }) } },
    handler: ({ query }) => ({ resources: crisisResourcesFor(d.policy.current(), query) }),
  });

  /** GET /v1/policy/schema */
  router.add({
    method: 'get', path: '/v1/policy/schema', operationId: 'getPolicySchema', tag: 'policy', access: PUBLIC,
    summary: 'The JSON Schema institution policies are validated against',
    responses: { 200: { description: 'JSON Schema (2020-12)', schema: Type.Object({}, { additionalProperties: true }) } },
    handler: () => policyJsonSchema(),
  });

  /** GET /v1/admin/policy */
  router.add({
    method: 'get', path: '/v1/admin/policy', operationId: 'getPolicyStatus', tag: 'admin', access: rolesOnly('admin'),
    summary: 'The full policy in force and its load status, including a rejected newer version',
    responses: { 200: { description: 'Policy and status', schema: Type.Object({ policy: PolicySchema, status: PolicyStatusSchema }) } },
    handler: () => ({ policy: d.policy.current(), status: d.policy.status() }),
  });

  /** POST /v1/admin/policy/reload */
  router.add({
    method: 'post', path: '/v1/admin/policy/reload', operationId: 'reloadPolicy', tag: 'admin', access: rolesOnly('admin'),
    summary: 'Re-read the policy file now (it is also watched)',
    responses: {
      200: {
        description: 'Result and status',
        schema: Type.Object({ result: Type.Union([Type.Literal('applied'), Type.Literal('unchanged'), Type.Literal('rejected')]), status: PolicyStatusSchema }),
      },
    },
    handler: ({ principal }) => {
      const result = d.policy.reload(principal.user_id);
      return { result, status: d.policy.status() };
    },
  });
}
