import { describe, expect, it } from 'vitest';
import { fetchLoginOptions, loginTokenOf, parseLoginFlows, PASSWORD_ONLY, returnUrl, signInWithLoginToken, ssoRedirectUrl, takeLoginToken, withoutLoginToken } from './sso.ts';
import { SignInError } from './session.ts';

const reply = (status: number, body: unknown): typeof fetch => (async () => new Response(JSON.stringify(body), { status })) as typeof fetch;

describe('login flows', () => {
  it('reads password and SSO with its identity providers', () => {
    expect(parseLoginFlows({
      flows: [
        { type: 'm.login.password' },
        { type: 'm.login.sso', identity_providers: [{ id: 'oidc-campus', name: 'Campus Login', icon: 'mxc://a.example/x', brand: 'org.example' }, { id: 'saml' }] },
        { type: 'm.login.token' },
      ],
    })).toEqual({ password: true, sso: true, identityProviders: [{ id: 'oidc-campus', name: 'Campus Login' }, { id: 'saml', name: 'saml' }] });
  });

  it('reads SSO without listed providers, and without a password flow', () => {
    expect(parseLoginFlows({ flows: [{ type: 'm.login.sso' }, { type: 'm.login.token' }] })).toEqual({ password: false, sso: true, identityProviders: [] });
  });

  it('reads a password-only homeserver (the embedded one) as no SSO', () => {
    expect(parseLoginFlows({ flows: [{ type: 'm.login.password' }, { type: 'm.login.application_service' }] })).toEqual(PASSWORD_ONLY);
  });

  it('ignores malformed flows and providers and lists each provider once', () => {
    expect(parseLoginFlows(null)).toEqual({ password: false, sso: false, identityProviders: [] });
    expect(parseLoginFlows({ flows: 'nope' })).toEqual({ password: false, sso: false, identityProviders: [] });
    expect(parseLoginFlows({ flows: [null, 3, { type: 'm.login.sso', identity_providers: [null, { name: 'no id' }, { id: '' }, { id: 'a', name: '  ' }, { id: 'a', name: 'Again' }] }] }))
      .toEqual({ password: false, sso: true, identityProviders: [{ id: 'a', name: 'a' }] });
  });

  it('asks GET /login and falls back to the password form when it cannot', async () => {
    let asked = '';
    const ok = (async (url: string) => { asked = url; return new Response(JSON.stringify({ flows: [{ type: 'm.login.sso' }] })); }) as unknown as typeof fetch;
    await expect(fetchLoginOptions('https://a.example/', ok)).resolves.toEqual({ password: false, sso: true, identityProviders: [] });
    expect(asked).toBe('https://a.example/_matrix/client/v3/login');
    const offline = (async () => { throw new TypeError('Failed to fetch'); }) as typeof fetch;
    await expect(fetchLoginOptions('https://a.example', offline)).resolves.toEqual(PASSWORD_ONLY);
    await expect(fetchLoginOptions('https://a.example', reply(500, {}))).resolves.toEqual(PASSWORD_ONLY);
    await expect(fetchLoginOptions('https://a.example', reply(200, { flows: [{ type: 'm.login.application_service' }] }))).resolves.toEqual(PASSWORD_ONLY);
    await expect(fetchLoginOptions('', ok)).resolves.toEqual(PASSWORD_ONLY);
  });
});

describe('SSO redirect URLs', () => {
  it('builds the redirect for the homeserver to choose, and for one identity provider', () => {
    const back = 'https://peerline.a.example/?hs=https%3A%2F%2Fa.example&lang=de';
    expect(ssoRedirectUrl('https://a.example/', back)).toBe(`https://a.example/_matrix/client/v3/login/sso/redirect?redirectUrl=${encodeURIComponent(back)}`);
    const url = new URL(ssoRedirectUrl('https://a.example', back, 'oidc/campus idp'));
    expect(url.pathname).toBe('/_matrix/client/v3/login/sso/redirect/oidc%2Fcampus%20idp');
    expect(url.searchParams.get('redirectUrl')).toBe(back);
  });

  it('returns to this page with its other parameters, without an old token or fragment', () => {
    expect(returnUrl('https://p.example/app/?hs=x&loginToken=old&lang=de#top')).toBe('https://p.example/app/?hs=x&lang=de');
    expect(returnUrl('https://p.example/?hs=x')).toBe('https://p.example/?hs=x');
  });
});

describe('coming back with a login token', () => {
  it('reads the token and removes only it from the URL', () => {
    expect(loginTokenOf('https://p.example/?hs=x&loginToken=abc%2B1')).toBe('abc+1');
    expect(loginTokenOf('https://p.example/?loginToken=')).toBeNull();
    expect(loginTokenOf('https://p.example/')).toBeNull();
    expect(withoutLoginToken('https://p.example/?hs=x&loginToken=abc&lang=en#h')).toBe('https://p.example/?hs=x&lang=en#h');
    expect(withoutLoginToken('https://p.example/?loginToken=abc')).toBe('https://p.example/');
  });

  it('takes the token out of the address bar with replaceState', () => {
    const calls: unknown[][] = [];
    const hist = { state: { s: 1 }, replaceState: (...args: unknown[]) => { calls.push(args); } };
    expect(takeLoginToken({ href: 'https://p.example/?hs=x&loginToken=t1' }, hist)).toBe('t1');
    expect(calls).toEqual([[{ s: 1 }, '', 'https://p.example/?hs=x']]);
    expect(takeLoginToken({ href: 'https://p.example/?hs=x' }, hist)).toBeNull();
    expect(calls).toHaveLength(1);
  });

  it('exchanges the token with m.login.token for a session', async () => {
    let sent: { url: string; body: unknown } | null = null;
    const fetchFn = (async (url: string, init: RequestInit) => {
      sent = { url, body: JSON.parse(String(init.body)) };
      return new Response(JSON.stringify({ user_id: '@s-1:a.example', device_id: 'DEV', access_token: 'tok' }));
    }) as unknown as typeof fetch;
    await expect(signInWithLoginToken('https://a.example/', 'lt', fetchFn)).resolves.toEqual({ homeserverUrl: 'https://a.example', userId: '@s-1:a.example', deviceId: 'DEV', accessToken: 'tok' });
    expect(sent).toEqual({ url: 'https://a.example/_matrix/client/v3/login', body: { type: 'm.login.token', token: 'lt', initial_device_display_name: 'Peerline web' } });
  });

  it('reports a spent or forged token with its errcode', async () => {
    const err = await signInWithLoginToken('https://a.example', 'used', reply(403, { errcode: 'M_FORBIDDEN', error: 'Invalid login token' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignInError);
    expect(err).toMatchObject({ status: 403, errcode: 'M_FORBIDDEN' });
  });
});
