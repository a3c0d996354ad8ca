// The student's side end to end in the built web client, against a real homeserver and the real
// bridge: ask for support, reload while waiting and find the queue status again, be matched (the
// supporter is driven through the bridge API), see the session and end it, join a support group and
// open it, find no consent receipts, and erase the account (a wrong password first, which changes
// nothing) — after which the device is signed out and the account cannot sign in again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { RegisteredUser } from '../helpers/homeserver.ts';
import { signInToBridge } from '../helpers/bridge.ts';
import { axeViolations } from '../helpers/browser.ts';
import { waitFor } from '../helpers/client.ts';
import { acceptNextOffer, askForSupportInBrowser, openSection, putSupporter, SHOTS, startWebStack, type WebStack } from '../helpers/web-stack.ts';

const enc = encodeURIComponent;

let stack: WebStack;
let student: RegisteredUser;
let supporter: RegisteredUser;
let supporterToken: string;
let groupRoomId: string;

describe('the student in the browser', () => {
  beforeAll(async () => {
    stack = await startWebStack();
    const { hs, bridge } = stack;
    [student, supporter] = await Promise.all([hs.registerUser('student-flow'), hs.registerUser('supporter-flow')]);
    await putSupporter(bridge, stack.adminToken, supporter.userId);
    supporterToken = (await signInToBridge(bridge, hs, supporter)).session_token;
    const group = await bridge.api<{ room_id: string }>('POST', '/v1/groups', { token: supporterToken, body: { topic: 'exam-stress', name: 'Exam season circle' } });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    groupRoomId = group.body.room_id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('asks, keeps the queue place across a reload, ends the matched session, joins a group and erases the account', async () => {
    const { hs, bridge } = stack;
    const page = await stack.signIn(student);

    // Ask.
    await askForSupportInBrowser(page);

    // Reload while waiting: the request is found again and followed, not asked anew.
    await page.reload();
    await openSection(page, 'Ask for support', { timeout: 60_000 });
    await page.getByText('You are number 1 in the queue').waitFor();
    await expect(page.getByRole('radio', { name: 'Exam stress' }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Join group: Exam season circle' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: resolve(SHOTS, 'student-support.png'), fullPage: true });

    // A supporter takes it: the room opens in the conversations view.
    const accepted = await acceptNextOffer(bridge, supporterToken);
    await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });

    // The session is listed on the student's desk; ending it asks first.
    await openSection(page, 'Ask for support');
    await page.getByRole('heading', { name: 'Exam stress' }).waitFor();
    await expect(page.getByText('Going on now').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'End this session' }).click();
    await page.getByRole('group', { name: /End this session\?/ }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Yes, end it' }).click();
    await page.getByRole('status').filter({ hasText: 'The session has ended.' }).waitFor();
    await page.getByText(/^Ended /).waitFor();
    await expect(page.getByRole('button', { name: 'End this session' }).count()).resolves.toBe(0);
    const seen = await bridge.api<{ status: string }>('GET', `/v1/sessions/${enc(accepted.session_id)}`, { token: supporterToken });
    expect(seen.body.status).toBe('ended');
    expect(await axeViolations(page)).toEqual([]);

    // The group: the bridge invites, the app joins and shows it.
    await page.getByRole('button', { name: 'Join group: Exam season circle' }).click();
    await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
    await waitFor('the student to be in the group room', async () => {
      const res = await fetch(`${hs.baseUrl}/_matrix/client/v3/rooms/${enc(groupRoomId)}/joined_members`, { headers: { Authorization: `Bearer ${student.accessToken}` } });
      const body = (await res.json()) as { joined?: Record<string, unknown> };
      return res.status === 200 && student.userId in (body.joined ?? {});
    }, 30_000);

    // The account: no receipts; erasing needs the right password.
    await openSection(page, 'Account');
    await page.getByRole('heading', { name: 'Your consent receipts' }).waitFor();
    await page.getByText(/Nothing has been shared/).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Erase my account …' }).click();
    await page.getByLabel('Your password, to confirm').fill('not my password');
    await page.getByRole('button', { name: 'Erase my account for good' }).click();
    await page.getByRole('alert').filter({ hasText: 'That password is not right. Your account has not been erased.' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: resolve(SHOTS, 'account.png'), fullPage: true });
    const stillThere = await fetch(`${hs.baseUrl}/_matrix/client/v3/account/whoami`, { headers: { Authorization: `Bearer ${student.accessToken}` } });
    expect(stillThere.status).toBe(200);

    await page.getByLabel('Your password, to confirm').fill(student.password);
    await page.getByRole('button', { name: 'Erase my account for good' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
    const login = await fetch(`${hs.baseUrl}/_matrix/client/v3/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: student.userId }, password: student.password }),
    });
    expect(login.status).toBe(403);
    // The device kept nothing of the session.
    await expect(page.evaluate(() => localStorage.getItem('peerline.session'))).resolves.toBeNull();
  }, 180_000);
});
