// Single sign-on in the built web client. Against the embedded homeserver (password only) the sign-in
// screen stays as it was. Against an SSO homeserver — a small one written here that answers the login
// flows, the SSO redirect, a stand-in identity provider page and m.login.token itself, and passes
// everything else to a real embedded homeserver — a person clicks "Sign in with Campus Login", signs in
// at the provider, comes back with ?loginToken=, is signed in for real (sync, E2EE, key backup without
// a password), and the token is gone from the address bar. A forged token is refused with a clear error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { axeViolations, openClient } from '../helpers/browser.ts';
import { SHOTS, startWebClientHost, type WebClientHost } from '../helpers/web-stack.ts';
const IDP = { id: 'campus-oidc', name: 'Campus Login' };

/**
 * An SSO homeserver in front of a real one: it offers only m.login.sso (one identity provider) and
 * m.login.token, plays the identity provider, and maps each one-time login token to the session of
 * `user` on the real homeserver. Every other request is proxied unchanged.
 */
interface SsoHomeserver {
  url: string;
  /** The redirectUrl values the client sent to the redirect endpoint. */
  redirectUrls: string[];
  /** Login tokens exchanged (successfully or not), in order. */
  tokenLogins: { token: string; ok: boolean }[];
  close(): Promise<void>;
}

async function startSsoHomeserver(upstream: TestHomeserver, user: RegisteredUser): Promise<SsoHomeserver> {
  const target = new URL(upstream.baseUrl);
  const issued = new Set<string>();
  const redirectUrls: string[] = [];
  const tokenLogins: { token: string; ok: boolean }[] = [];
  const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization' };
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...cors }).end(JSON.stringify(body));
  };
  const proxy = (req: IncomingMessage, res: ServerResponse, body?: Buffer): void => {
    const headers = { ...req.headers, host: target.host };
    if (body) headers['content-length'] = String(body.length);
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    if (body) up.end(body); else req.pipe(up);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sso.invalid');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/_matrix/client/v3/login') {
      json(res, 200, { flows: [{ type: 'm.login.sso', identity_providers: [{ ...IDP, brand: 'org.example.campus' }] }, { type: 'm.login.token' }] });
    } else if (req.method === 'GET' && path.startsWith('/_matrix/client/v3/login/sso/redirect')) {
      const redirectUrl = url.searchParams.get('redirectUrl');
      const idp = path === '/_matrix/client/v3/login/sso/redirect' ? null : decodeURIComponent(path.slice('/_matrix/client/v3/login/sso/redirect/'.length));
      if (!redirectUrl || (idp !== null && idp !== IDP.id)) { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('unknown identity provider'); return; }
      redirectUrls.push(redirectUrl);
      res.writeHead(302, { Location: `/idp/authorize?${new URLSearchParams({ redirectUrl }).toString()}` }).end();
    } else if (req.method === 'GET' && path === '/idp/authorize') {
      // The identity provider's page; the person has a session there already and just confirms.
      const back = url.searchParams.get('redirectUrl') ?? '';
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(`<!doctype html><html lang="en"><title>Campus Login</title><main><h1>Campus Login</h1>
        <form method="get" action="/idp/approve"><input type="hidden" name="redirectUrl" value="${back.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"><button>Continue to Peerline</button></form></main></html>`);
    } else if (req.method === 'GET' && path === '/idp/approve') {
      // Back to the homeserver's callback, which sends the browser to the client with a one-time token.
      const back = new URL(url.searchParams.get('redirectUrl') ?? '');
      const token = randomBytes(16).toString('hex');
      issued.add(token);
      back.searchParams.set('loginToken', token);
      res.writeHead(302, { Location: back.toString() }).end();
    } else if (req.method === 'POST' && path === '/_matrix/client/v3/login') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        let body: Record<string, unknown> = {};
        try { body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>; } catch { /* passed on as it came */ }
        if (body['type'] !== 'm.login.token') { proxy(req, res, raw); return; }
        const token = typeof body['token'] === 'string' ? body['token'] : '';
        const ok = issued.delete(token); // one use only
        tokenLogins.push({ token, ok });
        if (!ok) { json(res, 403, { errcode: 'M_FORBIDDEN', error: 'Invalid login token' }); return; }
        json(res, 200, { user_id: user.userId, access_token: user.accessToken, device_id: user.deviceId });
      });
    } else {
      proxy(req, res);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    redirectUrls,
    tokenLogins,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

let hs: TestHomeserver;
let sso: SsoHomeserver;
let host: WebClientHost;

/** Waits until the sign-in view has read the homeserver's login flows. */
async function openAndReadFlows(homeserverUrl: string): Promise<Page> {
  const context = await host.browser.newContext({ viewport: { width: 1000, height: 720 } });
  host.contexts.push(context);
  const page = await context.newPage();
  const flows = page.waitForResponse((r) => r.url() === `${homeserverUrl}/_matrix/client/v3/login` && r.request().method() === 'GET');
  await page.goto(`${host.web.url}/?hs=${encodeURIComponent(homeserverUrl)}&lang=en`);
  await flows;
  // The form stops being busy once the view has rendered what GET /login offered.
  await page.locator('peerline-sign-in-form[aria-busy="false"]').waitFor();
  return page;
}

describe('single sign-on in the browser', () => {
  beforeAll(async () => {
    [hs, host] = await Promise.all([startHomeserver(), startWebClientHost()]);
    sso = await startSsoHomeserver(hs, await hs.registerUser('s-7kq2m9'));
  });

  afterAll(async () => {
    await host?.close();
    await sso?.close();
    await hs?.stop();
    hs?.cleanup();
  });

  it('shows only the password form when the homeserver offers no SSO', async () => {
    const page = await openAndReadFlows(hs.baseUrl);
    await expect(page.getByRole('button', { name: /Sign in with/ }).count()).resolves.toBe(0);
    await expect(page.getByLabel('Username').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Create an account with a registration code' }).isVisible()).resolves.toBe(true);
  });

  it('signs in through the identity provider, comes back signed in, and drops the login token from the URL', async () => {
    const page = await openAndReadFlows(sso.url);
    const button = page.getByRole('button', { name: `Sign in with ${IDP.name}` });
    await button.waitFor();
    // SSO is all this homeserver offers: no password form, no password registration.
    await expect(page.getByLabel('Password').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Create an account with a registration code' }).count()).resolves.toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: resolve(SHOTS, 'sign-in-sso.png') });

    await button.click();
    await page.getByRole('heading', { name: 'Campus Login' }).waitFor();
    expect(sso.redirectUrls).toEqual([`${host.web.url}/?hs=${encodeURIComponent(sso.url)}&lang=en`]);
    await page.getByRole('button', { name: 'Continue to Peerline' }).click();

    // Back in Peerline: the token was exchanged once, the client really runs against the homeserver.
    await page.getByRole('heading', { name: 'Conversations' }).waitFor({ timeout: 60_000 });
    expect(sso.tokenLogins).toHaveLength(1);
    expect(sso.tokenLogins[0]!.ok).toBe(true);
    const url = new URL(page.url());
    expect(url.searchParams.has('loginToken')).toBe(false);
    expect(url.searchParams.get('hs')).toBe(sso.url);
    expect(page.url()).not.toContain(sso.tokenLogins[0]!.token);
    const stored = JSON.parse(await page.evaluate(`localStorage.getItem('peerline.session')`) as string) as { userId: string; homeserverUrl: string };
    expect(stored).toMatchObject({ userId: `@s-7kq2m9:${hs.serverName}`, homeserverUrl: sso.url });

    // No password to authorise cross-signing: this homeserver needs none for the first upload, so key
    // backup is still set up and the recovery key shown once.
    const keyDialog = page.getByRole('dialog', { name: 'Your recovery key' });
    await keyDialog.waitFor({ timeout: 60_000 });
    await keyDialog.getByRole('button', { name: "I've saved it" }).click();
    await keyDialog.waitFor({ state: 'hidden' });

    // A reload resumes the stored session; the spent token is not tried again.
    await page.reload();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor({ timeout: 60_000 });
    expect(sso.tokenLogins).toHaveLength(1);
  });

  it('refuses a forged login token with a clear problem and clears it from the URL', async () => {
    const context = await host.browser.newContext({ viewport: { width: 1000, height: 720 } });
    host.contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${host.web.url}/?hs=${encodeURIComponent(sso.url)}&lang=en&loginToken=forged-token`);
    await page.getByRole('alert').filter({ hasText: 'Signing in did not work' }).waitFor();
    expect(sso.tokenLogins.at(-1)).toEqual({ token: 'forged-token', ok: false });
    expect(new URL(page.url()).searchParams.has('loginToken')).toBe(false);
    await expect(page.getByRole('button', { name: `Sign in with ${IDP.name}` }).isEnabled()).resolves.toBe(true);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('keeps the first screen usable at 320 px', async () => {
    const { page } = await openClient(host.browser, host.web.url, sso.url, host.contexts);
    await page.setViewportSize({ width: 320, height: 640 });
    const button = page.getByRole('button', { name: `Sign in with ${IDP.name}` });
    await button.waitFor();
    const box = await button.boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(320);
    expect(box!.height).toBeGreaterThanOrEqual(44);
  });
});
