// Rate limits from the policy in force: API calls per signed-in user, sign-ins per client address
// (sign-in is what costs a homeserver round trip), and calls to public routes that take no session
// (anonymous feedback) per client address at the API rate. 429 with `retry_after_ms`, like Matrix.
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { limitExceeded } from '../errors.ts';
import type { RateLimiter } from '../services/rate-limiter.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { AppEnv } from './context.ts';

export type RateLimitKind = 'api' | 'signin' | 'public' | 'none';

export interface RateLimitDeps {
  limiter: RateLimiter;
  policy: () => InstitutionPolicy;
  trustForwardedFor: boolean;
}

/** The client's address: the socket peer, or the first X-Forwarded-For hop behind a trusted proxy. */
export function clientAddress(c: Context<AppEnv>, trustForwardedFor: boolean): string {
  if (trustForwardedFor) {
    const fwd = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (fwd) return fwd;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // app.request() in tests has no socket.
    return 'unknown';
  }
}

export function enforceRateLimit(c: Context<AppEnv>, kind: RateLimitKind, deps: RateLimitDeps): void {
  if (kind === 'none') return;
  const limits = deps.policy().rate_limits;
  if (kind === 'signin') {
    const wait = deps.limiter.take(`signin:${clientAddress(c, deps.trustForwardedFor)}`, limits.session_creations_per_minute, 60_000);
    if (wait > 0) throw limitExceeded(wait);
    return;
  }
  if (kind === 'public') {
    const wait = deps.limiter.take(`public:${clientAddress(c, deps.trustForwardedFor)}`, limits.api_requests_per_minute, 60_000);
    if (wait > 0) throw limitExceeded(wait);
    return;
  }
  const principal = c.get('principal');
  if (!principal) return;
  const wait = deps.limiter.take(`api:${principal.user_id}`, limits.api_requests_per_minute, 60_000);
  if (wait > 0) throw limitExceeded(wait);
}
