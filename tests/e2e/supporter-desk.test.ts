// The supporter desk in the built web client against a real homeserver and the real bridge: an admin
// puts the supporter on the roster, the supporter signs in, switches availability on, a student
// (bridge API + a matrix-js-sdk client in Node) asks, the offer appears live, the supporter accepts,
// the room opens and the student decrypts the supporter's message; then the supporter suggests a
// counsellor (the student decrypts an org.peerline.escalation.suggestion event) and ends the session
// with a wrap-up, and opens a support group.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { RegisteredUser } from '../helpers/homeserver.ts';
import { signInToBridge } from '../helpers/bridge.ts';
import { axeViolations } from '../helpers/browser.ts';
import { collectMessages, joinEncryptedRoom, newClient, sdk, waitFor, type Client } from '../helpers/client.ts';
import { openSection, putSupporter, SHOTS, startWebStack, trainingRecords, type WebStack } from '../helpers/web-stack.ts';
import { ESCALATION_SUGGESTION_EVENT_TYPE } from '../../protocol/src/event-types.ts';

const enc = encodeURIComponent;

let stack: WebStack;
let student: RegisteredUser;
let supporter: RegisteredUser;
let studentClient: Client | null = null;

/** Decrypted events of `type` a client sees in a room (content only). */
function collectEvents(client: Client, roomId: string, type: string): Record<string, unknown>[] {
  const seen: Record<string, unknown>[] = [];
  client.on(sdk.RoomEvent.Timeline, (event, room, toStart) => {
    if (room?.roomId !== roomId || toStart) return;
    const handle = (): void => { if (event.getType() === type && !event.isDecryptionFailure()) seen.push(event.getContent()); };
    if (event.isBeingDecrypted() || event.shouldAttemptDecryption()) event.once(sdk.MatrixEventEvent.Decrypted, handle);
    else handle();
  });
  return seen;
}

describe('the supporter desk in the browser', () => {
  beforeAll(async () => {
    stack = await startWebStack();
    [student, supporter] = await Promise.all([stack.hs.registerUser('student-desk'), stack.hs.registerUser('supporter-desk')]);
    // Friendships needs the group moderation module, which this supporter has not done.
    const training = trainingRecords().filter((t) => t.module !== 'group-moderation');
    await putSupporter(stack.bridge, stack.adminToken, supporter.userId, ['exam-stress', 'friendships'], training);
  }, 120_000);

  afterAll(async () => {
    studentClient?.stopClient();
    await stack?.stop();
  });

  it('takes a request from the live queue, chats encrypted, suggests a counsellor, ends with a wrap-up and opens a group', async () => {
    const { hs, bridge } = stack;
    const page = await stack.signIn(supporter, { viewport: { width: 1000, height: 900 } });

    // The desk: availability off, trained topics only; friendships is blocked, said with why and a way to the module.
    await openSection(page, 'Supporter desk', { timeout: 30_000 });
    await page.getByRole('heading', { name: 'Supporter desk', level: 1 }).waitFor();
    const main = page.getByRole('main');
    await main.getByRole('switch', { name: 'Take requests now' }).waitFor();
    await expect(main.getByRole('checkbox', { name: 'Exam stress' }).isChecked()).resolves.toBe(true);
    await expect(main.getByRole('checkbox', { name: 'Friendships' }).count()).resolves.toBe(0);
    await main.getByText('Friendships and relationships: Group moderation and cyberbullying is missing.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await main.getByRole('button', { name: 'Go to the training: Group moderation and cyberbullying' }).click();
    await main.getByRole('heading', { name: 'Group moderation and cyberbullying', level: 2 }).waitFor();
    await main.getByText('Part 1 of 6').waitFor();
    await main.getByRole('heading', { name: 'Your role as a moderator', level: 3 }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await main.getByRole('button', { name: 'Leave the module' }).click();
    await main.getByRole('button', { name: 'Start: Group moderation and cyberbullying' }).waitFor();

    await main.getByRole('switch', { name: 'Take requests now' }).check();
    await main.getByRole('status').filter({ hasText: 'You are available.' }).waitFor();
    await main.getByText('No requests right now.', { exact: false }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    // The student asks through the bridge; the offer reaches the open desk by itself.
    studentClient = await newClient(hs.baseUrl, student);
    const studentToken = (await signInToBridge(bridge, hs, student)).session_token;
    const asked = await bridge.api<{ request_id: string }>('POST', '/v1/requests', { token: studentToken, body: { topic: 'exam-stress', language: 'en' } });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    const accept = main.getByRole('button', { name: 'Accept: Exam stress' });
    await accept.waitFor({ timeout: 30_000 });
    await main.getByRole('status').filter({ hasText: 'New request: Exam stress' }).waitFor();
    await expect(main.getByText(student.userId).count()).resolves.toBe(0);
    await page.screenshot({ path: resolve(SHOTS, 'supporter-desk.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // Accepting opens the room in the conversations view; the student joins and writes first.
    await accept.click();
    const composer = page.getByLabel('Message', { exact: true });
    await composer.waitFor({ timeout: 30_000 });
    const sc = studentClient;
    const req = await bridge.api<{ session: { room_id: string | null } | null }>('GET', `/v1/requests/${enc(asked.body.request_id)}`, { token: studentToken });
    const roomId = req.body.session?.room_id ?? '';
    expect(roomId).not.toBe('');
    await waitFor('the student\'s invite', () => sc.getRoom(roomId)?.getMyMembership() === 'invite', 30_000);
    await joinEncryptedRoom(sc, roomId);
    const atStudent = collectMessages(sc, roomId);
    const suggestions = collectEvents(sc, roomId, ESCALATION_SUGGESTION_EVENT_TYPE);
    await sc.sendTextMessage(roomId, 'Hello, thanks for taking this.');
    await page.getByText('Hello, thanks for taking this.', { exact: true }).waitFor({ timeout: 60_000 });
    await composer.fill('Hi, I am here. What is on your mind?');
    await composer.press('Enter');
    await waitFor('the student to decrypt the supporter', () => atStudent.bodies.includes('Hi, I am here. What is on your mind?'), 60_000);
    expect(atStudent.failures).toEqual([]);

    // Back at the desk: the caseload holds the session; suggesting a counsellor is confirmed first.
    await openSection(page, 'Supporter desk');
    const caseload = main.getByRole('group', { name: 'Exam stress' });
    await caseload.getByRole('button', { name: 'Suggest a counsellor' }).click({ timeout: 30_000 });
    const dialog = page.getByRole('dialog', { name: 'Suggest a counsellor' });
    await dialog.getByText('This only suggests it.', { exact: false }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByLabel('Why').selectOption('beyond_peer_support');
    await dialog.getByRole('radio', { name: 'Medium' }).check();
    await dialog.getByRole('button', { name: 'Send the suggestion' }).click();
    await main.getByRole('status').filter({ hasText: 'Suggestion sent.' }).waitFor({ timeout: 30_000 });
    await waitFor('the student to decrypt the suggestion', () => suggestions.length > 0, 60_000);
    expect(suggestions[0]).toEqual({ reason: 'beyond_peer_support', suggested_severity: 'medium' });
    expect(atStudent.failures).toEqual([]);

    // The wrap-up ends the session at the bridge.
    await caseload.getByRole('button', { name: 'End with wrap-up' }).click();
    const wrapUp = page.getByRole('dialog', { name: 'End with wrap-up' });
    await wrapUp.getByRole('radio', { name: /Completed/ }).check();
    expect(await axeViolations(page)).toEqual([]);
    await wrapUp.getByRole('button', { name: 'End the session' }).click();
    await main.getByRole('status').filter({ hasText: 'Session ended.' }).waitFor({ timeout: 30_000 });
    await main.getByText('No active conversations.').waitFor();
    const sessions = await bridge.api<{ sessions: { status: string; outcome: string | null }[] }>('GET', '/v1/sessions', { token: studentToken });
    expect(sessions.body.sessions[0]).toMatchObject({ status: 'ended', outcome: 'completed' });
    expect(await axeViolations(page)).toEqual([]);

    // A group on a trained topic: opened at the bridge and listed with its room.
    await main.getByLabel('Name shown in the group list').fill('Exam week circle');
    await main.getByRole('button', { name: 'Open a group' }).click();
    await main.getByRole('status').filter({ hasText: 'Group opened: Exam week circle.' }).waitFor({ timeout: 30_000 });
    await main.getByRole('group', { name: 'Exam week circle' }).getByRole('button', { name: 'Open group' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
  }, 180_000);
});
