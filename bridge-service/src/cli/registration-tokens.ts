// `admin registration-token create|list|revoke`: the homeserver's registration tokens, through
// Synapse's admin API (/_synapse/admin/v1/registration_tokens), which the embedded homeserver
// implements too. Needs a server admin's Matrix access token; the homeserver must be running.
import { AdminError, describeError, type AdminSession } from './admin-session.ts';

export interface RegistrationToken {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

/** `2026-09-01` (end of that day, UTC) or a full ISO date-time → milliseconds since the epoch. */
export function parseExpiry(text: string, now = Date.now()): number {
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = Date.parse(dayOnly ? `${text}T23:59:59.999Z` : text);
  if (Number.isNaN(ms)) throw new AdminError(`--expires: expected a date 'YYYY-MM-DD' or an ISO date-time, found '${text}'`, 2);
  if (ms <= now) throw new AdminError(`--expires: ${text} is in the past`, 2);
  return ms;
}

export async function createRegistrationToken(session: AdminSession, opts: { uses?: number | null; expires?: number | null }): Promise<RegistrationToken> {
  const res = await session.homeserver<RegistrationToken>('POST', '/_synapse/admin/v1/registration_tokens/new', {
    uses_allowed: opts.uses ?? null, expiry_time: opts.expires ?? null,
  });
  if (res.status !== 200) throw new AdminError(`the homeserver did not create a registration token (${describeError(res)})`);
  return res.body;
}

export async function listRegistrationTokens(session: AdminSession, valid?: boolean): Promise<RegistrationToken[]> {
  const q = valid === undefined ? '' : `?valid=${valid}`;
  const res = await session.homeserver<{ registration_tokens: RegistrationToken[] }>('GET', `/_synapse/admin/v1/registration_tokens${q}`);
  if (res.status !== 200) throw new AdminError(`the homeserver did not list registration tokens (${describeError(res)})`);
  return res.body.registration_tokens;
}

export async function revokeRegistrationToken(session: AdminSession, token: string): Promise<void> {
  const res = await session.homeserver('DELETE', `/_synapse/admin/v1/registration_tokens/${encodeURIComponent(token)}`);
  if (res.status === 404) throw new AdminError(`no such registration token: ${token}`);
  if (res.status !== 200) throw new AdminError(`the homeserver did not revoke the token (${describeError(res)})`);
}

export function formatTokenTable(tokens: readonly RegistrationToken[], now = Date.now()): string {
  if (tokens.length === 0) return 'no registration tokens\n';
  const rows = tokens.map((t) => {
    const usedUp = t.uses_allowed !== null && t.pending + t.completed >= t.uses_allowed;
    const expired = t.expiry_time !== null && t.expiry_time <= now;
    return [t.token, t.uses_allowed === null ? 'unlimited' : String(t.uses_allowed), String(t.completed), String(t.pending),
      t.expiry_time === null ? 'never' : new Date(t.expiry_time).toISOString(), expired ? 'expired' : usedUp ? 'used up' : 'valid'];
  });
  const header = ['token', 'uses allowed', 'completed', 'pending', 'expires', 'state'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
