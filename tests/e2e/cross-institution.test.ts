// The whole product across two institutions, each with its own homeserver and bridge on loopback,
// driven through the built web client in three browser contexts: a student at A asks for support;
// the only free supporter is at B, who takes the request from the desk; they chat with every message
// decrypted in both browsers; the supporter suggests a counsellor and the student declines, which
// creates nothing; the student then asks for a counsellor, shares a summary they write, and A's
// counsellor claims the escalation in a third browser and reads exactly that summary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { RegisteredUser } from '../helpers/homeserver.ts';
import { signInToBridge, testPolicy } from '../helpers/bridge.ts';
import { startBridgePair, type BridgePair, type Institution } from '../helpers/bridge-pair.ts';
import { axeViolations } from '../helpers/browser.ts';
import { waitFor } from '../helpers/client.ts';
import { openSection, putCounsellor, putSupporter, SHOTS, signInInBrowser, startWebClientHost, type WebClientHost } from '../helpers/web-stack.ts';

const SUMMARY = 'I have not slept properly for two weeks because of the exams and I feel stuck.';

let pair: BridgePair;
let host: WebClientHost;
const adminTokens = new Map<Institution, string>();
let student: RegisteredUser;
let supporter: RegisteredUser;
let counsellor: RegisteredUser;

interface Status { partners: { status: string; availability: { topics: Record<string, number> } | null }[] }
const matching = async (side: Institution): Promise<Status> => (await side.bridge.api<Status>('GET', '/v1/admin/matching', { token: adminTokens.get(side)! })).body;

/** Signs `user` in to the web client of `side` in a fresh browser context. */
const signIn = (side: Institution, user: RegisteredUser): Promise<Page> =>
  signInInBrowser(host.browser, host.web.url, side, user, { viewport: { width: 1000, height: 760 }, contexts: host.contexts });

const bubble = (page: Page, text: string) => page.locator('peerline-message-timeline li', { hasText: text });

describe('two institutions in three browsers', () => {
  beforeAll(async () => {
    [pair, host] = await Promise.all([
      startBridgePair({ policy: (own, other) => testPolicy(own, [other]), bridgeEnv: { PEERLINE_MATCHING_TICK_MS: '500' } }),
      startWebClientHost(),
    ]);
    const [adminA, adminB] = await Promise.all([pair.a.hs.registerUser('admin'), pair.b.hs.registerUser('admin')]);
    adminTokens.set(pair.a, (await signInToBridge(pair.a.bridge, pair.a.hs, adminA)).session_token);
    adminTokens.set(pair.b, (await signInToBridge(pair.b.bridge, pair.b.hs, adminB)).session_token);
    [student, counsellor, supporter] = await Promise.all([
      pair.a.hs.registerUser('s-amara'), pair.a.hs.registerUser('c-okafor'), pair.b.hs.registerUser('sup-berg'),
    ]);
    await putSupporter(pair.b.bridge, adminTokens.get(pair.b)!, supporter.userId);
    await putCounsellor(pair.a.bridge, adminTokens.get(pair.a)!, counsellor.userId);
    // The bridges link up through their coordination room before anyone asks.
    await waitFor('the coordination room at A', async () => (await matching(pair.a)).partners[0]?.status === 'ready', 60_000);
    await waitFor('the coordination room at B', async () => (await matching(pair.b)).partners[0]?.status === 'ready', 60_000);
  }, 180_000);

  afterAll(async () => {
    await host?.close();
    await pair?.stop();
  });

  it('matches A\'s student with B\'s supporter, they chat encrypted, and A\'s counsellor reads only what the student chose to share', async () => {
    // B's supporter opens the desk and takes requests.
    const sp = await signIn(pair.b, supporter);
    await openSection(sp, 'Supporter desk', { timeout: 30_000 });
    const desk = sp.getByRole('main');
    await desk.getByRole('switch', { name: 'Take requests now' }).check({ timeout: 30_000 });
    await desk.getByRole('status').filter({ hasText: 'You are available.' }).waitFor();
    await waitFor('A to see B\'s spare capacity', async () => ((await matching(pair.a)).partners[0]?.availability?.topics['exam-stress'] ?? 0) > 0, 30_000);

    // A's student asks; nobody at A is free, so the request goes to B.
    const st = await signIn(pair.a, student);
    await openSection(st, 'Ask for support', { timeout: 30_000 });
    await st.getByRole('radio', { name: 'Exam stress' }).check();
    await st.getByRole('main').getByRole('button', { name: 'Ask for support' }).click();
    await st.getByText(/in the queue|looking at your request/).waitFor({ timeout: 30_000 });

    const accept = desk.getByRole('button', { name: 'Accept: Exam stress' });
    await accept.waitFor({ timeout: 30_000 });
    await expect(desk.getByText(student.userId).count()).resolves.toBe(0);
    await accept.click();

    // Both conversations open; messages cross the federation both ways, decrypted in each browser.
    const stComposer = st.getByLabel('Message', { exact: true });
    const spComposer = sp.getByLabel('Message', { exact: true });
    await stComposer.waitFor({ timeout: 60_000 });
    await spComposer.waitFor({ timeout: 60_000 });
    await stComposer.fill('Hi, exams are really getting to me.');
    await stComposer.press('Enter');
    await bubble(sp, 'Hi, exams are really getting to me.').waitFor({ timeout: 60_000 });
    await spComposer.fill('Thanks for reaching out. I am listening.');
    await spComposer.press('Enter');
    await bubble(st, 'Thanks for reaching out. I am listening.').waitFor({ timeout: 60_000 });
    for (const p of [st, sp]) await expect(p.getByText('cannot be decrypted').count()).resolves.toBe(0);
    // Neither side sees the other's Matrix id.
    await expect(sp.getByText(student.userId).count()).resolves.toBe(0);
    await expect(st.getByText(supporter.userId).count()).resolves.toBe(0);
    await st.screenshot({ path: resolve(SHOTS, 'cross-student-chat.png') });
    await sp.screenshot({ path: resolve(SHOTS, 'cross-supporter-chat.png') });
    expect(await axeViolations(st)).toEqual([]);

    // The supporter suggests a counsellor; the student says no, and nothing is created anywhere.
    await openSection(sp, 'Supporter desk');
    await desk.getByRole('group', { name: 'Exam stress' }).getByRole('button', { name: 'Suggest a counsellor' }).click({ timeout: 30_000 });
    const suggest = sp.getByRole('dialog', { name: 'Suggest a counsellor' });
    await suggest.getByLabel('Why').selectOption('beyond_peer_support');
    await suggest.getByRole('radio', { name: 'Medium' }).check();
    await suggest.getByRole('button', { name: 'Send the suggestion' }).click();
    await desk.getByRole('status').filter({ hasText: 'Suggestion sent.' }).waitFor({ timeout: 30_000 });

    const consent = st.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
    await consent.waitFor({ timeout: 60_000 });
    await expect(consent.getByRole('heading', { name: 'If you are in danger right now' }).isVisible()).resolves.toBe(true);
    await consent.getByRole('button', { name: "No, don't contact anyone" }).click();
    await consent.waitFor({ state: 'hidden' });
    const counsellorToken = (await signInToBridge(pair.a.bridge, pair.a.hs, counsellor)).session_token;
    const queue = async (): Promise<unknown[]> => (await pair.a.bridge.api<{ items: unknown[] }>('GET', '/v1/escalations/queue', { token: counsellorToken })).body.items;
    expect(await queue()).toEqual([]);

    // Later the student asks for a counsellor themselves and shares a summary they write.
    await st.getByRole('button', { name: 'Talk to a counsellor' }).click();
    await consent.waitFor();
    await consent.getByRole('radio', { name: 'A short summary I write' }).check();
    await consent.getByLabel('Your summary').fill(SUMMARY);
    await consent.getByRole('button', { name: 'Yes, contact a counsellor' }).click();
    await st.getByText('A counsellor from your school has been asked to join').waitFor({ timeout: 30_000 });
    await waitFor('the escalation in A\'s queue', async () => (await queue()).length === 1, 30_000);

    // A's counsellor claims it in a third browser and reads exactly the summary, decrypted.
    const co = await signIn(pair.a, counsellor);
    await openSection(co, 'Counsellor desk', { timeout: 30_000 });
    const card = co.getByRole('article', { name: /severity/ });
    await card.getByRole('group', { name: 'Consent receipt' }).waitFor({ timeout: 30_000 });
    await co.screenshot({ path: resolve(SHOTS, 'cross-counsellor-queue.png'), fullPage: true });
    expect(await axeViolations(co)).toEqual([]);
    await card.getByRole('button', { name: 'Claim and open the room' }).click();
    await bubble(co, SUMMARY).waitFor({ timeout: 60_000 });
    await st.getByText('A counsellor has joined, and what you chose was shared with them.').waitFor({ timeout: 60_000 });
    // Only the summary: nothing of the peer conversation reached the counsellor's room.
    await expect(bubble(co, 'exams are really getting to me').count()).resolves.toBe(0);
    await expect(co.getByText('cannot be decrypted').count()).resolves.toBe(0);
    await co.screenshot({ path: resolve(SHOTS, 'cross-counsellor-room.png') });
  }, 300_000);
});
