// Seeding one demo institution through the public APIs, as an institution's provisioning would:
// accounts through Synapse's shared-secret registration API, then the admin signs in to the bridge
// (OpenID token → bridge session) and puts the supporters (with valid training) and the counsellor
// on the roster. Idempotent: what exists is kept, so a second start changes nothing.
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import type { SamplePolicy } from './policies.ts';
import { validTraining } from './policies.ts';

export type DemoRole = 'student' | 'supporter' | 'counsellor' | 'admin';

export interface DemoAccount {
  user_id: string;
  localpart: string;
  password: string;
  role: DemoRole;
  displayname: string;
}

export interface SeedTarget {
  homeserverUrl: string;
  bridgeUrl: string;
  sharedSecret: string;
  policy: SamplePolicy;
}

/** A JSON request over node:http (fetch would load undici: ~18 MB more for the demo's lifetime). */
function json<T>(url: string, init: { method: string; token?: string; body?: unknown }): Promise<{ status: number; body: T }> {
  const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: init.method,
      headers: {
        ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
        ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let body: unknown = {};
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          body = text ? JSON.parse(text) : {};
        } catch { /* not JSON: the status says enough */ }
        resolve({ status: res.statusCode ?? 0, body: body as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Registers an account with the shared secret (HMAC-SHA1 over nonce, user, password, admin flag). */
async function register(t: SeedTarget, a: DemoAccount): Promise<void> {
  const { body: { nonce } } = await json<{ nonce: string }>(`${t.homeserverUrl}/_synapse/admin/v1/register`, { method: 'GET' });
  const mac = createHmac('sha1', t.sharedSecret).update(`${nonce}\0${a.localpart}\0${a.password}\0notadmin`).digest('hex');
  const r = await json<{ errcode?: string; access_token?: string }>(`${t.homeserverUrl}/_synapse/admin/v1/register`, {
    method: 'POST', body: { nonce, username: a.localpart, password: a.password, admin: false, mac, displayname: a.displayname, inhibit_login: true },
  });
  if (r.status !== 200) throw new Error(`could not create ${a.user_id}: ${r.status} ${r.body.errcode ?? ''}`);
}

async function login(t: SeedTarget, a: DemoAccount): Promise<string> {
  const r = await json<{ access_token?: string; errcode?: string }>(`${t.homeserverUrl}/_matrix/client/v3/login`, {
    method: 'POST', body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: a.user_id }, password: a.password, initial_device_display_name: 'npm start (seeding)' },
  });
  if (r.status !== 200 || !r.body.access_token) throw new Error(`could not sign ${a.user_id} in: ${r.status} ${r.body.errcode ?? ''}`);
  return r.body.access_token;
}

/** Creates the accounts that do not exist yet (those with `created` unset), marking each once made. */
export async function ensureAccounts(t: SeedTarget, accounts: (DemoAccount & { created?: boolean })[], save: () => void): Promise<void> {
  for (const a of accounts) {
    if (a.created) continue;
    await register(t, a);
    a.created = true;
    save();
  }
}

export interface AdminSession {
  /** The admin's bridge session token. */
  bridgeToken: string;
  /** Signs the seeding device out again (the admin's own sign-ins are untouched). */
  close(): Promise<void>;
}

/** Signs the institution's admin in to the homeserver and, with an OpenID token, to the bridge. */
export async function adminSession(t: SeedTarget, admin: DemoAccount): Promise<AdminSession> {
  const token = await login(t, admin);
  const close = async (): Promise<void> => {
    await json(`${t.homeserverUrl}/_matrix/client/v3/logout`, { method: 'POST', token, body: {} }).catch(() => undefined);
  };
  try {
    const openid = await json<Record<string, unknown>>(`${t.homeserverUrl}/_matrix/client/v3/user/${encodeURIComponent(admin.user_id)}/openid/request_token`, { method: 'POST', token, body: {} });
    if (openid.status !== 200) throw new Error(`OpenID token for ${admin.user_id}: ${openid.status}`);
    const session = await json<{ session_token?: string }>(`${t.bridgeUrl}/v1/session`, { method: 'POST', body: openid.body });
    if (session.status !== 200 || !session.body.session_token) throw new Error(`bridge sign-in of ${admin.user_id}: ${session.status}`);
    return { bridgeToken: session.body.session_token, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Puts supporters (trained for every topic) and counsellors on the bridge's roster where missing or stale. */
export async function ensureRoster(t: SeedTarget, session: AdminSession, staff: DemoAccount[]): Promise<void> {
  const topics = t.policy.topics.map((x) => x.id);
  for (const s of staff) {
    const path = s.role === 'supporter' ? 'supporters' : 'counsellors';
    const url = `${t.bridgeUrl}/v1/admin/roster/${path}/${encodeURIComponent(s.user_id)}`;
    const current = await json<{ qualified_topics?: string[]; missing_training?: string[] }>(url, { method: 'GET', token: session.bridgeToken });
    if (current.status === 200 && (s.role === 'counsellor' || (current.body.missing_training?.length === 0 && topics.every((x) => current.body.qualified_topics?.includes(x))))) continue;
    const body = s.role === 'supporter'
      ? { topics, training: validTraining(t.policy) }
      : { team: t.policy.escalation.counsellor_team };
    const put = await json<{ error?: string }>(url, { method: 'PUT', token: session.bridgeToken, body });
    if (put.status !== 200) throw new Error(`roster ${path} ${s.user_id}: ${put.status} ${put.body.error ?? ''}`);
  }
}

/** Whether the bridge's link with its partner is up (cross-institution matching works from then on). */
export async function partnerLinkReady(t: SeedTarget, session: AdminSession): Promise<boolean> {
  const r = await json<{ partners?: { status: string }[] }>(`${t.bridgeUrl}/v1/admin/matching`, { method: 'GET', token: session.bridgeToken });
  return r.status === 200 && r.body.partners?.[0]?.status === 'ready';
}
