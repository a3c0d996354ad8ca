// The counsellor desk in the built web client against a real homeserver and the real bridge: a
// student (matrix-js-sdk with Rust crypto in Node) consents with a receipt signed on their "device",
// the bridge opens the escalation; the counsellor signs in in the browser, sees it in the queue with
// its receipt and response target, claims it — the room opens and the student's message shows
// decrypted — then resolves it with an outcome and it leaves the queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { RegisteredUser } from '../helpers/homeserver.ts';
import { signInToBridge } from '../helpers/bridge.ts';
import { axeViolations } from '../helpers/browser.ts';
import { newClient, waitFor, type Client } from '../helpers/client.ts';
import { openSection, putCounsellor, SHOTS, startWebStack, type WebStack } from '../helpers/web-stack.ts';
import { HomeserverClient } from '../../bridge-service/src/services/homeserver-client.ts';
import { encodeConsentPublicKey, generateConsentKeyPair, newConsentReceipt, sha256Base64, signConsentReceipt } from '../../protocol/src/consent.ts';
import { SESSION_EVENT_TYPE } from '../../protocol/src/event-types.ts';

let stack: WebStack;
let student: RegisteredUser;
let counsellor: RegisteredUser;
let studentClient: Client | null = null;
let escalationRoom: string;

describe('the counsellor desk in the browser', () => {
  beforeAll(async () => {
    stack = await startWebStack();
    const { hs, bridge } = stack;
    [student, counsellor] = await Promise.all([hs.registerUser('student-esc'), hs.registerUser('counsellor-web')]);
    const colleague = await hs.registerUser('counsellor-two');
    for (const c of [counsellor, colleague]) await putCounsellor(bridge, stack.adminToken, c.userId);

    // The peer room the escalation comes from, as the matching module's bot makes it.
    const bot = new HomeserverClient({ baseUrl: hs.baseUrl, asToken: bridge.asToken, botUserId: `@${bridge.senderLocalpart}:${hs.serverName}` });
    const { room_id: peerRoom } = await bot.createRoom({
      preset: 'private_chat',
      initial_state: [
        { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
        { type: SESSION_EVENT_TYPE, state_key: '', content: { request_id: 'req-counsellor-desk', topic: 'exam-stress', institutions: [hs.serverName], created_ts: Date.now(), kind: 'peer' } },
      ],
    });
    await bot.invite(peerRoom, student.userId);
    const sc = await newClient(hs.baseUrl, student);
    studentClient = sc;
    await sc.joinRoom(peerRoom);

    // The student consents on their device: a receipt signed with their registered key.
    const studentToken = (await signInToBridge(bridge, hs, student)).session_token;
    const keys = await generateConsentKeyPair();
    expect((await bridge.api('POST', '/v1/consent/keys', { token: studentToken, body: { public_key: encodeConsentPublicKey(keys.publicKey) } })).status).toBe(200);
    const receipt = await newConsentReceipt({
      student_user_id: student.userId, room_id: peerRoom, scope: { share: 'summary', summary_sha256: await sha256Base64('what I chose to share') },
      counsellor_institution: hs.serverName, severity: 'high',
    }, { now: Date.now(), ttlMs: 10 * 60_000 });
    const signed = await signConsentReceipt(receipt, keys.secretKey);
    const escalated = await bridge.api<{ room_id: string; status: string }>('POST', '/v1/escalations', { token: studentToken, body: { receipt: signed, room_id: peerRoom, scope: receipt.scope } });
    expect(escalated.status, JSON.stringify(escalated.body)).toBe(200);
    escalationRoom = escalated.body.room_id;
    await waitFor('the student\'s invite to the escalation room', () => sc.getRoom(escalationRoom)?.getMyMembership() === 'invite', 30_000);
    await sc.joinRoom(escalationRoom);
  }, 120_000);

  afterAll(async () => {
    studentClient?.stopClient();
    await stack?.stop();
  });

  it('shows the escalation with its receipt and target, claims it into the room, and resolves it out of the queue', async () => {
    const { hs, bridge } = stack;
    const page = await stack.signIn(counsellor, { viewport: { width: 1000, height: 900 } });

    await openSection(page, 'Counsellor desk');
    await page.getByRole('heading', { name: 'Counsellor desk', level: 1 }).waitFor();
    const card = page.getByRole('article', { name: /High severity/ });
    await card.waitFor({ timeout: 30_000 });
    await expect(card.textContent()).resolves.toMatch(/of a 30 min target/);
    await expect(card.textContent()).resolves.toContain(student.userId);
    const receipt = card.getByRole('group', { name: 'Consent receipt' });
    await expect(receipt.textContent()).resolves.toContain('A summary the student approved');
    await expect(receipt.textContent()).resolves.toContain('Verified with the student\'s key');
    await page.screenshot({ path: resolve(SHOTS, 'counsellor-desk.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // Claiming: the bot invites the counsellor, the shell joins and shows the room.
    await card.getByRole('button', { name: 'Claim and open the room' }).click();
    await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
    const sc = studentClient!;
    await waitFor('the student to see the counsellor join', () => sc.getRoom(escalationRoom)?.getMember(counsellor.userId)?.membership === 'join', 30_000);
    const shared = 'Thank you for coming in. Exams have been too much lately.';
    await sc.sendTextMessage(escalationRoom, shared);
    await page.locator('peerline-message-timeline li', { hasText: shared }).waitFor({ timeout: 60_000 });
    await expect(page.getByText('cannot be decrypted').count()).resolves.toBe(0);
    expect(await axeViolations(page)).toEqual([]);

    // Back at the desk, the escalation is the counsellor's; resolving takes it out of the queue.
    await openSection(page, 'Counsellor desk');
    const mine = page.getByRole('article', { name: /High severity/ });
    await expect(mine.textContent()).resolves.toMatch(/Claimed by\s*You/);
    await mine.getByRole('button', { name: 'Resolve', expanded: false }).click();
    await mine.getByRole('radio', { name: 'Follow-up appointment booked' }).check();
    expect(await axeViolations(page)).toEqual([]);
    await mine.locator('peerline-counsellor-resolve-form').getByRole('button', { name: 'Resolve' }).click();
    await page.getByText('No escalations are waiting. New ones appear here by themselves.').waitFor({ timeout: 30_000 });
    await expect(page.getByRole('status').filter({ hasText: 'Resolved (Follow-up appointment booked)' }).count()).resolves.toBe(1);
    expect(await axeViolations(page)).toEqual([]);

    const queue = await bridge.api<{ items: unknown[] }>('GET', '/v1/escalations/queue', { token: (await signInToBridge(bridge, hs, counsellor)).session_token });
    expect(queue.body.items).toEqual([]);
  }, 180_000);
});
