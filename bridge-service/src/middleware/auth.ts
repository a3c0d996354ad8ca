// Who is asking, for each route's access rule:
// - `public`: anyone;
// - `session`: a bridge session token (Bearer), optionally with one of the listed roles — roles are
//   resolved from the roster at each request, so a roster change applies at once;
// - `homeserver`: the homeserver pushing to us as an appservice, proven by the hs_token
//   (constant-time compare; the legacy `access_token` query parameter must agree when present).
// Missing credentials → 401, wrong or insufficient → 401/403, always a JSON `{errcode, error}`.
import type { Context } from 'hono';
import { BridgeError, forbidden, missingToken } from '../errors.ts';
import { bearerToken, secretsEqual } from '../core/tokens.ts';
import type { SessionService } from '../services/sessions.ts';
import type { Role, RoleResolver } from '../services/roles.ts';
import type { AppEnv, Principal } from './context.ts';

export type Access =
  | { kind: 'public' }
  /** `tokenOnly`: the handler checks the token itself (refresh, which must see rotated tokens). */
  | { kind: 'session'; roles: readonly Role[] | 'any'; tokenOnly?: boolean }
  | { kind: 'homeserver' };

export const PUBLIC: Access = { kind: 'public' };
export const ANY_SESSION: Access = { kind: 'session', roles: 'any' };
export const HOMESERVER: Access = { kind: 'homeserver' };
export const rolesOnly = (...roles: Role[]): Access => ({ kind: 'session', roles });

export interface AuthDeps {
  sessions: SessionService;
  roles: RoleResolver;
  hsToken: string;
}

/** Authenticates the session token of a request and resolves the caller's roles. */
export async function sessionPrincipal(c: Context<AppEnv>, deps: AuthDeps): Promise<Principal> {
  const token = bearerToken(c.req.header('authorization'));
  if (!token) throw missingToken('This endpoint needs a session token: Authorization: Bearer <token> from POST /v1/session');
  const s = await deps.sessions.authenticate(token);
  const roles = await deps.roles.rolesOf(s.user_id);
  return { user_id: s.user_id, session_id: s.session_id, roles, token_hash: s.token_hash, expires_ts: s.expires_ts };
}

export function checkHomeserverToken(c: Context<AppEnv>, hsToken: string): void {
  const header = c.req.header('authorization');
  const fromHeader = bearerToken(header);
  const fromQuery = c.req.query('access_token');
  if (fromHeader === null && fromQuery === undefined) {
    throw new BridgeError(401, 'M_UNAUTHORIZED', 'Missing hs_token (Authorization: Bearer)');
  }
  const ok = (fromHeader === null || secretsEqual(fromHeader, hsToken)) && (fromQuery === undefined || secretsEqual(fromQuery, hsToken));
  if (!ok) throw forbidden('Invalid hs_token');
}

/** Applies a route's access rule; sets the principal for session routes. */
export async function enforceAccess(c: Context<AppEnv>, access: Access, deps: AuthDeps): Promise<void> {
  if (access.kind === 'public') return;
  if (access.kind === 'homeserver') {
    checkHomeserverToken(c, deps.hsToken);
    return;
  }
  if (access.tokenOnly) {
    if (!bearerToken(c.req.header('authorization'))) throw missingToken();
    return;
  }
  const principal = await sessionPrincipal(c, deps);
  c.set('principal', principal);
  if (access.roles !== 'any' && !access.roles.some((r) => principal.roles.includes(r))) {
    throw forbidden(`This endpoint is for ${access.roles.join(' or ')} roles; you have ${principal.roles.length > 0 ? principal.roles.join(', ') : 'no role'} here`);
  }
}
