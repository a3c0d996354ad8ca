// Anonymous session feedback through the real views, the real bridge and a real homeserver: the
// student's session ends in the student's desk, the feedback form appears there, is answered with the
// keyboard only and sent once; the supporter's desk says "fewer than 5"; once four more students
// have answered (seeded through the bridge API, each with the real one-time ticket of their own ended
// session), the supporter's desk shows the aggregate — and nothing of any single answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page, Request } from 'playwright-core';
import type { RegisteredUser } from '../helpers/homeserver.ts';
import { signInToBridge } from '../helpers/bridge.ts';
import { axeViolations } from '../helpers/browser.ts';
import { acceptNextOffer, askForSupportInBrowser, openSection, putSupporter, startWebStack, type WebStack } from '../helpers/web-stack.ts';

const enc = encodeURIComponent;

let stack: WebStack;
let student: RegisteredUser;
let supporter: RegisteredUser;
let supporterToken: string;

/** Another student's whole session, through the bridge API: asks, is matched, ends it, and answers with the session's own ticket. */
async function seedAnswer(localpart: string, helpfulness: number, feltSafe: boolean): Promise<void> {
  const { hs, bridge } = stack;
  const s = await hs.registerUser(localpart);
  const token = (await signInToBridge(bridge, hs, s)).session_token;
  expect((await bridge.api('POST', '/v1/requests', { token, body: { topic: 'exam-stress' } })).status).toBe(201);
  const { session_id: sessionId } = await acceptNextOffer(bridge, supporterToken);
  expect((await bridge.api('POST', `/v1/sessions/${enc(sessionId)}/end`, { token, body: {} })).status).toBe(200);
  const ticket = await bridge.api<{ ticket: string }>('POST', `/v1/sessions/${enc(sessionId)}/feedback-ticket`, { token });
  expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
  const sent = await bridge.api('POST', '/v1/feedback', { body: { ticket: ticket.body.ticket, helpfulness, felt_safe: feltSafe, themes: ['listened-to'] } });
  expect(sent.status, JSON.stringify(sent.body)).toBeLessThan(300);
}

describe('anonymous feedback in the browser', () => {
  beforeAll(async () => {
    stack = await startWebStack();
    [student, supporter] = await Promise.all([stack.hs.registerUser('student-fb'), stack.hs.registerUser('supporter-fb')]);
    await putSupporter(stack.bridge, stack.adminToken, supporter.userId);
    supporterToken = (await signInToBridge(stack.bridge, stack.hs, supporter)).session_token;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('asks after the session, is answered by keyboard and sent once; the supporter sees nothing below 5 answers, then only totals', async () => {
    const page = await stack.signIn(student);
    const feedbackPosts: Request[] = [];
    page.on('request', (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/feedback') feedbackPosts.push(r); });

    await askForSupportInBrowser(page);
    await acceptNextOffer(stack.bridge, supporterToken);
    await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
    await openSection(page, 'Ask for support');
    await page.getByRole('button', { name: 'End this session' }).click();
    await page.getByRole('button', { name: 'Yes, end it' }).click();

    // The form appears in the student's desk.
    const form = page.getByRole('region', { name: 'How was this conversation?' });
    await form.waitFor({ timeout: 15_000 });
    expect(await axeViolations(page)).toEqual([]);

    // Keyboard only: arrows choose within a radio group, Tab moves on, Space checks, Enter sends.
    await answerByKeyboard(page);
    await page.getByRole('status').filter({ hasText: 'Thank you for your feedback.' }).waitFor();
    await expect(form.count()).resolves.toBe(0);
    expect(feedbackPosts).toHaveLength(1);
    const body = JSON.parse(feedbackPosts[0]!.postData() ?? '{}') as Record<string, unknown>;
    expect({ ...body, ticket: typeof body['ticket'] }).toEqual({ ticket: 'string', helpfulness: 4, felt_safe: true, themes: ['listened-to'] });
    // Sent without the student's session token: the ticket is the only credential.
    expect(await feedbackPosts[0]!.headerValue('authorization')).toBeNull();

    // The supporter's desk: one answer is not shown at all.
    const desk = await stack.signIn(supporter);
    await openSection(desk, 'Supporter desk', { timeout: 30_000 });
    const summary = desk.locator('peerline-feedback-summary');
    await summary.getByText('Fewer than 5 answers so far. Your totals appear once there are at least 5.').waitFor({ timeout: 15_000 });

    // Four more students answer with their own sessions' tickets: 5 in all, so the totals are released.
    for (const [i, [h, safe]] of ([[5, true], [3, true], [4, false], [5, true]] as const).entries()) await seedAnswer(`student-fb-${i}`, h, safe);
    expect(feedbackPosts).toHaveLength(1);
    await desk.reload();
    await openSection(desk, 'Supporter desk', { timeout: 30_000 });
    await summary.getByText('5 answers — average helpfulness 4.2 of 5').waitFor({ timeout: 15_000 });
    await summary.getByText('Felt safe: 4 yes, 1 no').waitFor();
    expect(await axeViolations(desk)).toEqual([]);
  }, 60_000);
});

/** Helpfulness 4 (from 1, three steps right), felt safe: yes, theme: the first one; then Enter on "Send anonymously". */
async function answerByKeyboard(page: Page): Promise<void> {
  const form = page.getByRole('region', { name: 'How was this conversation?' });
  await form.getByRole('radio', { name: /^1 –/ }).focus();
  await page.keyboard.press('Space');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await expect(form.getByRole('radio', { name: /^4 –/ }).isChecked()).resolves.toBe(true);
  await page.keyboard.press('Tab');
  await expect(isFocused(form.getByRole('radio', { name: 'Yes' }))).resolves.toBe(true);
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  await expect(form.getByRole('checkbox').first().isChecked()).resolves.toBe(true);
  // On to the send button (past the other themes), then Enter.
  const send = form.getByRole('button', { name: 'Send anonymously' });
  for (let i = 0; i < 10 && !(await isFocused(send)); i++) await page.keyboard.press('Tab');
  await expect(isFocused(send)).resolves.toBe(true);
  await page.keyboard.press('Enter');
}

/** Whether the element has the focus within its (shadow) root. */
function isFocused(l: Locator): Promise<boolean> {
  return l.evaluate((el) => (el.getRootNode() as unknown as { activeElement: unknown }).activeElement === el);
}
