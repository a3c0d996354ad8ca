// The OpenAPI 3.1 document of the bridge, generated from the route declarations — the very TypeBox
// schemas that validate requests — so the description cannot drift from the behaviour.
import type { TSchema } from '@sinclair/typebox';
import { ErrorSchema, type RouteDef } from './route.ts';

const json = (schema: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

function errorResponse(description: string): Record<string, unknown> {
  return { description, content: { 'application/json': { schema: json(ErrorSchema) } } };
}

function operation(def: RouteDef): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  for (const m of def.path.matchAll(/\{(\w+)\}/g)) {
    parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  }
  if (def.query) {
    const q = json(def.query) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      parameters.push({
        name, in: 'query', required: q.required?.includes(name) ?? false, schema,
        ...(typeof schema['description'] === 'string' ? { description: schema['description'] } : {}),
      });
    }
  }
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(def.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: json(r.schema) } } } : {}),
    };
  }
  if (def.body || def.query) responses['400'] ??= errorResponse('The request is malformed (M_NOT_JSON, M_BAD_JSON, M_INVALID_PARAM)');
  if (def.body) responses['413'] ??= errorResponse('The request body is too large (M_TOO_LARGE)');
  if (def.access.kind !== 'public') {
    responses['401'] ??= errorResponse('Missing, unknown or expired credentials');
    responses['403'] ??= errorResponse(def.access.kind === 'homeserver' ? 'Wrong hs_token' : 'The caller lacks the role this endpoint needs');
  }
  if (def.access.kind === 'session' || def.rateLimit === 'signin') responses['429'] ??= errorResponse('Rate limited (M_LIMIT_EXCEEDED, retry_after_ms)');
  const access = def.access.kind === 'session' ? { kind: 'session', roles: def.access.roles } : { kind: def.access.kind };
  return {
    operationId: def.operationId,
    summary: def.summary,
    ...(def.description ? { description: def.description } : {}),
    tags: [def.tag],
    ...(def.access.kind === 'public' ? { security: [] } : { security: [def.access.kind === 'homeserver' ? { homeserverToken: [] } : { session: [] }] }),
    'x-peerline-access': access,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(def.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(def.body) } } } } : {}),
    responses,
  };
}

export function openApiDocument(routes: readonly RouteDef[], info: { title: string; version: string; serverUrl?: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of routes) (paths[def.path] ??= {})[def.method] = operation(def);
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description: 'Peerline bridge: institution policy, roster, sessions and the application-service endpoints. '
        + 'Web clients authenticate with a Matrix OpenID token (POST /v1/session) and then send `Authorization: Bearer <session token>`.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: {
        session: { type: 'http', scheme: 'bearer', description: 'Session token from POST /v1/session (15 minutes, rotating)' },
        homeserverToken: { type: 'http', scheme: 'bearer', description: "The homeserver's hs_token from the appservice registration" },
      },
      schemas: { Error: json(ErrorSchema) },
    },
    paths,
  };
}
