// The sign-in form in a real browser: the password form alone when the homeserver offers no single
// sign-on, "Sign in with <provider>" buttons above it when it does, and the buttons alone when SSO is
// all it offers. Events, keyboard, problems and axe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponentHarness, type ComponentHarness } from '../../../../../tests/helpers/components.ts';

const MODULE = 'src/ui/components/sign-in-form/sign-in-form.component.ts';
const TAG = 'peerline-sign-in-form';
let h: ComponentHarness;

describe('<peerline-sign-in-form>', () => {
  beforeAll(async () => { h = await startComponentHarness(); });
  afterAll(async () => { await h?.close(); });

  it('without SSO shows only the password form and emits sign-in', async () => {
    const page = await h.newPage();
    await h.mount(page, MODULE, TAG, { loginOptions: { password: true, sso: false, identityProviders: [] } });
    const signIns = await h.recordEvents(page, 'sign-in');
    await expect(page.getByRole('button', { name: /Sign in with/ }).count()).resolves.toBe(0);
    await expect(page.getByText('Or sign in with a username and password').count()).resolves.toBe(0);
    await page.getByLabel('Username').fill('robin');
    await page.getByLabel('Password').fill('a calm long password');
    await page.getByLabel('Password').press('Enter');
    await expect(signIns()).resolves.toEqual([{ username: 'robin', password: 'a calm long password' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('with SSO and a password shows a button per identity provider above the password form', async () => {
    const page = await h.newPage({ width: 320 });
    await h.mount(page, MODULE, TAG, {
      loginOptions: { password: true, sso: true, identityProviders: [{ id: 'oidc-campus', name: 'Campus Login' }, { id: 'saml-state', name: 'State Schools ID' }] },
    });
    const sso = await h.recordEvents(page, 'sso-sign-in');
    const campus = page.getByRole('button', { name: 'Sign in with Campus Login' });
    await expect(campus.isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Sign in with State Schools ID' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('list').getByRole('listitem').count()).resolves.toBe(2);
    await expect(page.getByText('Or sign in with a username and password:').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Username').isVisible()).resolves.toBe(true);
    // The provider buttons come first in reading and tab order.
    const campusBox = await campus.boundingBox();
    const usernameBox = await page.getByLabel('Username').boundingBox();
    expect(campusBox!.y).toBeLessThan(usernameBox!.y);
    await campus.focus();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(`document.querySelector('${TAG}').shadowRoot.activeElement.textContent.trim()`)).resolves.toBe('Sign in with State Schools ID');
    await page.keyboard.press('Enter');
    await campus.click();
    await expect(sso()).resolves.toEqual([{ idpId: 'saml-state' }, { idpId: 'oidc-campus' }]);
    expect(await h.axe(page)).toEqual([]);
  });

  it('with SSO only shows one institution button, no password form, and its problems and progress', async () => {
    const page = await h.newPage({ colorScheme: 'dark' });
    await h.mount(page, MODULE, TAG, { loginOptions: { password: false, sso: true, identityProviders: [] } });
    const sso = await h.recordEvents(page, 'sso-sign-in');
    await expect(page.getByLabel('Username').count()).resolves.toBe(0);
    await expect(page.getByLabel('Password').count()).resolves.toBe(0);
    await expect(page.getByText('Or sign in with').count()).resolves.toBe(0);
    const button = page.getByRole('button', { name: 'Sign in with your institution' });
    await button.click();
    await expect(sso()).resolves.toEqual([{ idpId: null }]);
    expect(await h.axe(page)).toEqual([]);

    // On the way to the institution: the button is disabled and the status says where the browser goes.
    await page.evaluate(`(async () => { const f = document.querySelector('${TAG}'); f.redirecting = true; await f.updateComplete; })()`);
    await expect(button.isDisabled()).resolves.toBe(true);
    await expect(page.getByRole('status').textContent()).resolves.toContain("Taking you to your institution's sign-in");
    await button.click({ force: true });
    await expect(sso()).resolves.toHaveLength(1);

    // Back with a token that did not work: the problem is announced.
    await page.evaluate(`(async () => { const f = document.querySelector('${TAG}'); f.redirecting = false; f.busy = true; await f.updateComplete; })()`);
    await expect(page.getByRole('status').textContent()).resolves.toContain('Signing in');
    await page.evaluate(`(async () => { const f = document.querySelector('${TAG}'); f.busy = false; f.problem = 'server'; await f.updateComplete; })()`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Signing in did not work');
    await expect(button.isEnabled()).resolves.toBe(true);
    expect(await h.axe(page)).toEqual([]);
  });
});
