// The stage of the browser escalation tests: one institution (startWebStack) with a student who
// signs in in the browser, a supporter and a counsellor on the roster with matrix-js-sdk clients in
// Node, and the steps those tests share — matching the student with the supporter, the supporter's
// encrypted suggestion, the student saying yes to a written summary, and the counsellor claiming the
// escalation through the bridge API and joining its room.
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import type { RegisteredUser } from './homeserver.ts';
import { signInToBridge } from './bridge.ts';
import { collectMessages, newClient, waitFor, type Client } from './client.ts';
import { acceptNextOffer, askForSupportInBrowser, putCounsellor, putSupporter, startWebStack, type WebStack } from './web-stack.ts';

const enc = encodeURIComponent;
const SUGGESTION = 'org.peerline.escalation.suggestion';

export interface QueueItem { escalation_id: string; room_id: string | null; receipt: { signed: { receipt: { scope: { share: string; summary_sha256?: string } } } } }

export interface EscalationStage {
  stack: WebStack;
  student: RegisteredUser;
  supporter: RegisteredUser;
  counsellor: RegisteredUser;
  supporterToken: string;
  counsellorToken: string;
  studentToken: string;
  /** The supporter's and the counsellor's own devices. */
  supporterClient: Client;
  counsellorClient: Client;
  /** The peer room, once matchInBrowser() has made it. */
  peerRoom: string;
  /** Signs the student in, asks, lets the supporter accept and join, and checks the first message arrives decrypted. */
  matchInBrowser(firstMessage: string): Promise<Page>;
  /** The counsellors' queue at the bridge. */
  queue(): Promise<QueueItem[]>;
  /** The supporter sends an encrypted escalation suggestion into the peer room. */
  suggest(text: string): Promise<void>;
  /** On a new suggestion the student agrees to share `summary`, written in the consent dialog. */
  sayYesToSummary(page: Page, summary: string): Promise<void>;
  /** The counsellor claims the one waiting escalation (scope: summary), joins its room once invited; the student sees it. */
  claimAsCounsellor(page: Page): Promise<{ escalationRoom: string; atCounsellor: ReturnType<typeof collectMessages> }>;
  stop(): Promise<void>;
}

export async function startEscalationStage(): Promise<EscalationStage> {
  const stack = await startWebStack();
  const { hs, bridge } = stack;
  const clients: Client[] = [];
  const stop = async (): Promise<void> => {
    for (const c of clients) c.stopClient();
    await stack.stop();
  };
  try {
    const [student, supporter, counsellor] = await Promise.all([hs.registerUser('student-esc'), hs.registerUser('supporter-esc'), hs.registerUser('counsellor-esc')]);
    await putSupporter(bridge, stack.adminToken, supporter.userId);
    await putCounsellor(bridge, stack.adminToken, counsellor.userId);
    const [supporterToken, counsellorToken, studentToken] = await Promise.all([supporter, counsellor, student].map(async (u) => (await signInToBridge(bridge, hs, u)).session_token)) as [string, string, string];
    const [supporterClient, counsellorClient] = await Promise.all([newClient(hs.baseUrl, supporter), newClient(hs.baseUrl, counsellor)]);
    clients.push(supporterClient, counsellorClient);

    const stage: EscalationStage = {
      stack, student, supporter, counsellor, supporterToken, counsellorToken, studentToken, supporterClient, counsellorClient, peerRoom: '', stop,

      async matchInBrowser(firstMessage) {
        const page = await stack.signIn(student, { viewport: { width: 1000, height: 760 } });
        await askForSupportInBrowser(page);
        const accepted = await acceptNextOffer(bridge, supporterToken);
        const peerRoom = accepted.room_id;
        stage.peerRoom = peerRoom;
        const s = supporterClient;
        await waitFor("the supporter's invite", () => s.getRoom(peerRoom)?.getMyMembership() === 'invite', 30_000);
        await s.joinRoom(peerRoom);
        const atSupporter = collectMessages(s, peerRoom);
        await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
        await waitFor('the student to see the supporter joined', () => s.getRoom(peerRoom)?.getMember(student.userId)?.membership === 'join', 30_000);
        await page.getByLabel('Message', { exact: true }).fill(firstMessage);
        await page.getByLabel('Message', { exact: true }).press('Enter');
        await waitFor('the supporter to decrypt the student', () => atSupporter.bodies.includes(firstMessage), 60_000);
        return page;
      },

      async queue() {
        const r = await bridge.api<{ items: QueueItem[] }>('GET', '/v1/escalations/queue', { token: counsellorToken });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        return r.body.items;
      },

      async suggest(text) {
        await supporterClient.sendEvent(stage.peerRoom, SUGGESTION as never, { reason: 'beyond_peer_support', suggested_severity: 'medium', text } as never);
      },

      async sayYesToSummary(page, summary) {
        await stage.suggest('Would you like to talk to a counsellor?');
        const dialog = page.getByRole('dialog', { name: 'Would you like a counsellor to help?' });
        await dialog.waitFor({ timeout: 30_000 });
        await dialog.getByRole('radio', { name: 'A short summary I write' }).check();
        await dialog.getByLabel('Your summary').fill(summary);
        await dialog.getByRole('button', { name: 'Yes, contact a counsellor' }).click();
        await page.getByText('A counsellor from your school has been asked to join').waitFor({ timeout: 30_000 });
      },

      async claimAsCounsellor(page) {
        const [item] = await stage.queue();
        expect(item?.receipt.signed.receipt.scope.share).toBe('summary');
        const escalationRoom = item!.room_id!;
        const claim = await bridge.api('POST', `/v1/escalations/${enc(item!.escalation_id)}/claim`, { token: counsellorToken });
        expect(claim.status, JSON.stringify(claim.body)).toBe(200);
        const c = counsellorClient;
        await waitFor("the counsellor's invite", () => c.getRoom(escalationRoom)?.getMyMembership() === 'invite', 30_000);
        const atCounsellor = collectMessages(c, escalationRoom);
        await c.joinRoom(escalationRoom);
        await page.getByText('A counsellor has joined, and what you chose was shared with them.').waitFor({ timeout: 30_000 });
        return { escalationRoom, atCounsellor };
      },
    };
    return stage;
  } catch (err) {
    await stop();
    throw err;
  }
}
