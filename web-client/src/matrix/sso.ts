// Single sign-on through the homeserver (Client-Server API, "SSO client login"): learn from GET /login
// whether it offers m.login.sso and which identity providers, send the browser to its redirect
// endpoint, and exchange the one-time `loginToken` it sends back for a session (m.login.token).
// Plain fetch only: this runs on the first screen, before matrix-js-sdk has loaded.
import { logIn, type Session } from './session.ts';

/** An entry of the m.login.sso flow's `identity_providers` (icon and brand are optional hints we do not need). */
export interface IdentityProvider {
  id: string;
  name: string;
}

/** How a person may sign in on this homeserver. */
export interface LoginOptions {
  /** m.login.password is offered. */
  password: boolean;
  /** m.login.sso is offered. */
  sso: boolean;
  /** The providers the homeserver lists; empty when it lists none (its redirect endpoint then chooses or asks). */
  identityProviders: IdentityProvider[];
}

/** What we assume when the flows cannot be read: the password form, as before SSO existed. */
export const PASSWORD_ONLY: LoginOptions = { password: true, sso: false, identityProviders: [] };

/** Reads the answer of GET /login; anything malformed counts as not offered. */
export function parseLoginFlows(body: unknown): LoginOptions {
  const flows = typeof body === 'object' && body !== null && Array.isArray((body as { flows?: unknown }).flows) ? (body as { flows: unknown[] }).flows : [];
  const objects = flows.filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null);
  const ssoFlows = objects.filter((f) => f['type'] === 'm.login.sso');
  const seen = new Set<string>();
  const identityProviders: IdentityProvider[] = [];
  for (const flow of ssoFlows) {
    const idps = Array.isArray(flow['identity_providers']) ? flow['identity_providers'] as unknown[] : [];
    for (const idp of idps) {
      if (typeof idp !== 'object' || idp === null) continue;
      const { id, name } = idp as Record<string, unknown>;
      if (typeof id !== 'string' || id === '' || seen.has(id)) continue;
      seen.add(id);
      identityProviders.push({ id, name: typeof name === 'string' && name.trim() !== '' ? name.trim() : id });
    }
  }
  return { password: objects.some((f) => f['type'] === 'm.login.password'), sso: ssoFlows.length > 0, identityProviders };
}

/** GET /_matrix/client/v3/login; falls back to the password form when the homeserver cannot be asked. */
export async function fetchLoginOptions(homeserverUrl: string, fetchFn: typeof fetch = fetch): Promise<LoginOptions> {
  const base = homeserverUrl.replace(/\/+$/, '');
  if (base === '') return PASSWORD_ONLY;
  try {
    const res = await fetchFn(`${base}/_matrix/client/v3/login`);
    if (!res.ok) return PASSWORD_ONLY;
    const options = parseLoginFlows(await res.json());
    // A homeserver offering neither (only application services, say) still gets the password form.
    return options.password || options.sso ? options : PASSWORD_ONLY;
  } catch {
    return PASSWORD_ONLY;
  }
}

/** Where the homeserver should send the browser back: this page, without a stale login token or fragment. */
export function returnUrl(pageHref: string): string {
  return withoutLoginToken(pageHref).replace(/#.*$/, '');
}

/** GET /_matrix/client/v3/login/sso/redirect[/{idpId}]?redirectUrl=… — the URL the browser navigates to. */
export function ssoRedirectUrl(homeserverUrl: string, redirectUrl: string, idpId: string | null = null): string {
  const base = homeserverUrl.replace(/\/+$/, '');
  const path = idpId === null ? '/_matrix/client/v3/login/sso/redirect' : `/_matrix/client/v3/login/sso/redirect/${encodeURIComponent(idpId)}`;
  return `${base}${path}?${new URLSearchParams({ redirectUrl }).toString()}`;
}

/** The `loginToken` query parameter of a page URL, or null. */
export function loginTokenOf(pageHref: string): string | null {
  const token = new URL(pageHref).searchParams.get('loginToken');
  return token !== null && token !== '' ? token : null;
}

/** The page URL with its `loginToken` query parameter removed (everything else kept as it was). */
export function withoutLoginToken(pageHref: string): string {
  const url = new URL(pageHref);
  if (!url.searchParams.has('loginToken')) return pageHref;
  url.searchParams.delete('loginToken');
  return url.toString();
}

/**
 * Takes the login token out of the address bar (history.replaceState, so it is neither bookmarked,
 * kept in history nor reused on reload) and returns it, or null when the page has none.
 */
export function takeLoginToken(loc: Pick<Location, 'href'>, hist: Pick<History, 'replaceState' | 'state'>): string | null {
  const token = loginTokenOf(loc.href);
  if (token !== null) hist.replaceState(hist.state, '', withoutLoginToken(loc.href));
  return token;
}

/** POST /_matrix/client/v3/login with m.login.token: the one-time token from the SSO redirect for a session. */
export function signInWithLoginToken(homeserverUrl: string, loginToken: string, fetchFn: typeof fetch = fetch): Promise<Session> {
  return logIn(homeserverUrl, { type: 'm.login.token', token: loginToken }, fetchFn);
}
