// Every HTTP endpoint the fuzzer attacks, enumerated rather than listed by hand: the homeserver's
// client and federation route tables (read from a homeserver built in-process, never started) and
// the bridge's operations from its own /openapi.json. Each endpoint comes with valid values for its
// path parameters and the credentials that get a request past authentication, so that what is
// fuzzed reaches the body, query and path parsing behind it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../homeserver/src/config.ts';
import { createLogger } from '../../homeserver/src/logger.ts';
import { createHomeserver } from '../../homeserver/src/app.ts';
import type { FuzzStack, BridgeRole } from './stack.ts';

export type Listener = 'client' | 'federation' | 'bridge';

export interface Endpoint {
  listener: Listener;
  method: string;
  /** Path template with `{name}` parameters. */
  template: string;
  params: string[];
  /** Parameters whose value must be a well-formed id (a malformed one must be refused). */
  idParams: string[];
  /** 'token' (a bearer token), 'signed' (X-Matrix), or 'none'. */
  auth: { kind: 'none' } | { kind: 'token'; token: (s: FuzzStack) => Promise<string> | string; /** Each call makes new credentials (a write of its own). */ fresh?: true } | { kind: 'signed' };
  /** The JSON Schema of the body, where the endpoint publishes one (the bridge). */
  bodySchema?: JsonSchema;
  /** Body limit of the listener or route, in bytes. */
  bodyLimit: number;
  takesBody: boolean;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
}

const ID_PARAMS = new Set(['userId', 'roomId', 'eventId', 'roomIdOrAlias', 'roomAlias']);

/** The homeserver's routes as registered, from a homeserver built (not started) in a scratch directory. */
export function homeserverRoutes(): { listener: 'client' | 'federation'; method: string; path: string; auth: string }[] {
  const dir = mkdtempSync(join(tmpdir(), 'peerline-fuzz-routes-'));
  try {
    const hs = createHomeserver(loadConfig(['--server-name', 'routes.localhost', '--data-dir', dir, '--durable-commits', 'false']), { logger: createLogger('error', {}, () => undefined) });
    const out = [
      ...hs.routers.client.routes().map((r) => ({ listener: 'client' as const, ...r })),
      ...hs.routers.federation.routes().map((r) => ({ listener: 'federation' as const, ...r })),
    ];
    hs.services.db.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A fresh access token of carol's (a user no fixture depends on), for endpoints that spend the
 * caller's session, device or every device (logout/all).
 */
async function disposableToken(s: FuzzStack): Promise<string> {
  const res = await fetch(`${s.hs.baseUrl}/_matrix/client/v3/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'carol' }, password: s.users.carol.password }),
  });
  if (!res.ok) throw new Error(`login for a disposable token failed: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

const SPENDS_SESSION = /\/(logout(\/all)?|account\/deactivate|account\/password|delete_devices)$|\/devices\/\{deviceId\}$/;

export function homeserverEndpoints(): Endpoint[] {
  return homeserverRoutes().map((r) => {
    const template = r.path.split('/').map((seg) => (seg.startsWith(':') ? `{${seg.slice(1).replace(/\?$/, '')}}` : seg)).join('/');
    const params = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    let auth: Endpoint['auth'] = { kind: 'none' };
    if (r.auth === 'federation') auth = { kind: 'signed' };
    else if (r.auth !== 'none') {
      if (template.startsWith('/_synapse/admin/')) auth = { kind: 'token', token: (s) => s.users.admin.accessToken };
      else if (template.includes('/appservice/')) auth = { kind: 'token', token: (s) => s.bridge.asToken };
      else if (SPENDS_SESSION.test(template) && (r.method !== 'GET')) auth = { kind: 'token', token: disposableToken, fresh: true };
      else auth = { kind: 'token', token: (s) => s.users.alice.accessToken };
    }
    return {
      listener: r.listener, method: r.method, template, params, idParams: params.filter((p) => ID_PARAMS.has(p)), auth,
      bodyLimit: r.listener === 'federation' ? 4 * 1024 * 1024 : 1024 * 1024, takesBody: r.method !== 'GET',
    };
  });
}

interface OpenApiOperation {
  'x-peerline-access'?: { kind: string; roles?: string[] | 'any' };
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

const SPENDS_BRIDGE_SESSION = new Set(['post /v1/session/refresh', 'delete /v1/session']);

export async function bridgeEndpoints(s: FuzzStack): Promise<Endpoint[]> {
  const doc = (await s.bridge.api<{ paths: Record<string, Record<string, OpenApiOperation>> }>('GET', '/openapi.json')).body;
  const out: Endpoint[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const access = op['x-peerline-access'] ?? { kind: 'public' };
      let auth: Endpoint['auth'] = { kind: 'none' };
      if (access.kind === 'homeserver') auth = { kind: 'token', token: () => s.bridge.hsToken };
      else if (access.kind === 'session') {
        const known: BridgeRole[] = ['student', 'supporter', 'counsellor', 'admin'];
        const role: BridgeRole = known.find((r) => Array.isArray(access.roles) && access.roles.includes(r)) ?? 'student';
        if (SPENDS_BRIDGE_SESSION.has(`${method} ${template}`)) {
          auth = { kind: 'token', token: () => s.freshSession(role), fresh: true };
        } else auth = { kind: 'token', token: () => s.sessions[role] };
      }
      const params = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const schema = op.requestBody?.content?.['application/json']?.schema;
      out.push({
        listener: 'bridge', method: method.toUpperCase(), template, params, idParams: [], auth,
        ...(schema ? { bodySchema: schema } : {}),
        bodyLimit: template === '/v1/feedback' ? 4096 : 64 * 1024, takesBody: method !== 'get',
      });
    }
  }
  return out;
}

/** A valid value for each path parameter, so that only the fuzzed part of a request is wrong. */
export function baseParam(e: Endpoint, name: string, s: FuzzStack, n: number): string {
  const enc = encodeURIComponent;
  if (e.listener === 'bridge') {
    if (name === 'userId') return enc(`@fuzz-${n}:${s.hs.serverName}`);
    if (name === 'roomAlias') return enc(`#fuzz-${n}:${s.hs.serverName}`);
    return `fuzz-${name}-${n}`;
  }
  const fed = e.listener === 'federation';
  switch (name) {
    case 'userId': return enc(fed && /make_(join|leave)|invite/.test(e.template) ? `@fuzz:${s.fake.serverName}` : s.users.alice.userId);
    case 'roomId': case 'roomIdOrAlias': return enc(s.roomId);
    case 'eventId': return enc(s.eventId);
    case 'roomAlias': return enc(`#fuzz-${n}:${s.hs.serverName}`);
    case 'txnId': return `fuzz-${n}`;
    case 'eventType': return 'org.example.fuzz';
    case 'stateKey': return '';
    case 'filterId': return s.filterId;
    case 'type': return 'org.example.fuzz';
    case 'deviceId': return s.users.alice.deviceId;
    case 'version': return '1';
    case 'sessionId': return 'fuzz-session';
    case 'scope': return 'global';
    case 'kind': return 'override';
    case 'ruleId': return 'fixture-rule';
    case 'receiptType': return 'm.read';
    case 'token': return s.registrationToken;
    case 'appserviceId': return s.bridge.appserviceId;
    case 'serverName': return s.hs.serverName;
    default: return `fuzz-${name}`;
  }
}

export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
}
