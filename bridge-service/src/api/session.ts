// Sessions of the web client with its bridge: sign-in with a Matrix OpenID token, who-am-I,
// rotation and sign-out.
import { Type } from '@sinclair/typebox';
import { trustedServerNames } from '../../../protocol/src/policy.ts';
import { bearerToken } from '../core/tokens.ts';
import { missingToken } from '../errors.ts';
import { ANY_SESSION, PUBLIC } from '../middleware/auth.ts';
import { ROLES } from '../services/roles.ts';
import type { RoleResolver } from '../services/roles.ts';
import type { SessionService, IssuedSession } from '../services/sessions.ts';
import type { OpenIdVerifier } from '../services/openid.ts';
import type { PolicyService } from '../services/policy.ts';
import type { Metrics } from '../services/metrics.ts';
import type { Clock } from '../core/clock.ts';
import type { ApiRouter } from './route.ts';

export const SignInSchema = Type.Object({
  access_token: Type.String({ minLength: 1, maxLength: 1024, description: 'OpenID token from POST /_matrix/client/v3/user/{userId}/openid/request_token' }),
  matrix_server_name: Type.String({ minLength: 1, maxLength: 255, description: 'The server that issued it (the user\'s homeserver)' }),
  token_type: Type.Optional(Type.Literal('Bearer')),
  expires_in: Type.Optional(Type.Integer({ minimum: 0 })),
}, { additionalProperties: false, title: 'SignIn' });

const RoleList = Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), { description: 'Roles from the roster; empty for partner users not on it' });

export const SessionTokenSchema = Type.Object({
  session_token: Type.String({ description: 'Bearer token for this bridge; send as Authorization: Bearer' }),
  expires_in_ms: Type.Integer({ description: 'Until the token expires; refresh before' }),
  expires_at: Type.Integer({ description: 'Expiry, ms since the epoch' }),
  session_id: Type.String(),
  user_id: Type.String(),
  roles: RoleList,
}, { title: 'SessionToken' });

export const SessionInfoSchema = Type.Object({
  session_id: Type.String(),
  user_id: Type.String(),
  roles: RoleList,
  expires_at: Type.Integer(),
}, { title: 'SessionInfo' });

export interface SessionRouteDeps {
  sessions: SessionService;
  openid: OpenIdVerifier;
  roles: RoleResolver;
  policy: PolicyService;
  metrics: Metrics;
  clock: Clock;
}

export function register(router: ApiRouter, d: SessionRouteDeps): void {
  const answer = async (s: IssuedSession): Promise<Record<string, unknown>> => ({
    session_token: s.token, expires_in_ms: Math.max(0, s.expires_ts - d.clock.now()), expires_at: s.expires_ts,
    session_id: s.session_id, user_id: s.user_id, roles: await d.roles.rolesOf(s.user_id),
  });

  /** POST /v1/session */
  router.add({
    method: 'post', path: '/v1/session', operationId: 'signIn', tag: 'session', access: PUBLIC, rateLimit: 'signin',
    summary: 'Sign in with a Matrix OpenID token',
    description: 'The bridge checks the token with GET /_matrix/federation/v1/openid/userinfo on the named server — only for servers the policy trusts (this institution and its partners) — and issues a short-lived session token.',
    body: SignInSchema,
    responses: {
      200: { description: 'Signed in', schema: SessionTokenSchema },
      502: { description: 'The homeserver could not be asked' },
    },
    handler: async ({ body, logger }) => {
      const userId = await d.openid.verify(body.access_token, body.matrix_server_name, trustedServerNames(d.policy.current()));
      const issued = await d.sessions.issue(userId);
      d.metrics.sessionsIssued.inc({ how: 'signin' });
      logger.info('signed in', { user_id: userId, session_id: issued.session_id });
      return answer(issued);
    },
  });

  /** GET /v1/session */
  router.add({
    method: 'get', path: '/v1/session', operationId: 'whoAmI', tag: 'session', access: ANY_SESSION,
    summary: 'The signed-in user, their roles and the token expiry',
    responses: { 200: { description: 'The session', schema: SessionInfoSchema } },
    handler: ({ principal }) => ({ session_id: principal.session_id, user_id: principal.user_id, roles: principal.roles, expires_at: principal.expires_ts }),
  });

  /** POST /v1/session/refresh */
  router.add({
    method: 'post', path: '/v1/session/refresh', operationId: 'refreshSession', tag: 'session',
    access: { kind: 'session', roles: 'any', tokenOnly: true },
    summary: 'Exchange the session token for a new one',
    description: 'The old token stops working at once. Refreshing with an already-exchanged token ends the whole session (a copy of it exists).',
    responses: { 200: { description: 'The new token', schema: SessionTokenSchema } },
    handler: async ({ c }) => {
      const token = bearerToken(c.req.header('authorization'));
      if (!token) throw missingToken();
      const issued = await d.sessions.refresh(token);
      d.metrics.sessionsIssued.inc({ how: 'refresh' });
      return answer(issued);
    },
  });

  /** DELETE /v1/session */
  router.add({
    method: 'delete', path: '/v1/session', operationId: 'signOut', tag: 'session', access: ANY_SESSION,
    summary: 'Sign out (this session, or with all=true every session of the user)',
    query: Type.Object({ all: Type.Optional(Type.Boolean({ description: 'End every session of the user' })) }),
    responses: { 200: { description: 'Signed out', schema: Type.Object({ revoked: Type.Integer({ description: 'Tokens ended' }) }) } },
    handler: async ({ principal, query, logger }) => {
      const revoked = query.all ? await d.sessions.revokeUser(principal.user_id) : await d.sessions.revoke(principal.session_id);
      logger.info('signed out', { user_id: principal.user_id, session_id: principal.session_id, all: query.all === true });
      return { revoked };
    },
  });
}
