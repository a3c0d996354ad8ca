// The low-bandwidth stage shared by tests/e2e/low-bandwidth.test.ts and bench/program-web.bench.ts:
// person A in the built web client (Chromium), person B a matrix-js-sdk client with Rust crypto in
// Node that answers every "ping N" of A's with "pong N", both in one encrypted room. A round trip is
// A typing and sending a message until A shows B's decrypted answer and its network is quiet again.
// No vitest import: the bench runs this under plain Node.
import type { Page } from 'playwright-core';
import { api, type RegisteredUser, type TestHomeserver } from './homeserver.ts';
import { ENCRYPTION_STATE, newClient, sdk, waitFor, type Client } from './client.ts';
import { wireTotal, type WireMeter, type WireRequest } from './wire-meter.ts';

export const ROOM_NAME = 'Low bandwidth chat';

export interface ChatPair {
  a: RegisteredUser;
  b: RegisteredUser;
  roomId: string;
  /** B's client, answering A. */
  replier: Client;
  stop(): void;
}

/** Registers A and B, puts them in one encrypted room and starts B's answering client. */
export async function startChatPair(hs: TestHomeserver, prefix: string): Promise<ChatPair> {
  const [a, b] = await Promise.all([hs.registerUser(`${prefix}-a`), hs.registerUser(`${prefix}-b`)]);
  const created = await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', {
    token: b.accessToken, body: { name: ROOM_NAME, preset: 'private_chat', invite: [a.userId], initial_state: [ENCRYPTION_STATE] },
  });
  if (created.status !== 200) throw new Error(`createRoom: ${created.status}`);
  const roomId = created.body.room_id;
  const joined = await api(hs, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, { token: a.accessToken, body: {} });
  if (joined.status !== 200) throw new Error(`join: ${joined.status}`);
  const replier = await newClient(hs.baseUrl, b);
  await waitFor('B sees A joined', () => replier.getRoom(roomId)?.getMember(a.userId)?.membership === 'join', 30_000);
  const answered = new Set<string>();
  const answer = (event: sdk.MatrixEvent): void => {
    if (event.getRoomId() !== roomId || event.getSender() !== a.userId || event.isDecryptionFailure()) return;
    const body = event.getContent()['body'];
    const id = event.getId();
    if (typeof body !== 'string' || !body.startsWith('ping ') || !id || answered.has(id)) return;
    answered.add(id);
    void replier.sendTextMessage(roomId, `pong ${body.slice(5)}`);
  };
  replier.on(sdk.MatrixEventEvent.Decrypted, answer);
  return { a, b, roomId, replier, stop: () => replier.stopClient() };
}

/** A's open conversation: the room's button in the list, then its heading. */
export async function openChat(page: Page): Promise<void> {
  await page.getByRole('button', { name: new RegExp(ROOM_NAME) }).click();
  await page.getByRole('heading', { name: ROOM_NAME, level: 2 }).waitFor();
}

export const messageItem = (page: Page, text: string) => page.locator('peerline-message-timeline li', { hasText: text });

/** Resolves once no request but the sync long poll has been in flight for `quietMs`. */
export async function networkQuiet(meter: WireMeter, quietMs = 1000, timeoutMs = 30_000): Promise<void> {
  let quietSince = performance.now();
  await waitFor('the page network to go quiet', () => {
    if (meter.busy() > 0) quietSince = performance.now();
    return performance.now() - quietSince >= quietMs;
  }, timeoutMs);
}

export interface RoundTrip { bytes: number; ms: number; requests: WireRequest[] }

/**
 * A types "ping <n>" and presses Enter; B answers; counted until A shows "pong <n>" (decrypted) and
 * its network is quiet (the read receipt for the answer, if any, is sent by then).
 */
export async function roundTrip(page: Page, meter: WireMeter, n: string): Promise<RoundTrip> {
  await networkQuiet(meter);
  meter.start();
  const t0 = performance.now();
  const composer = page.getByLabel('Message', { exact: true });
  await composer.fill(`ping ${n}`);
  await composer.press('Enter');
  await messageItem(page, `pong ${n}`).waitFor({ timeout: 60_000 });
  const ms = performance.now() - t0;
  await networkQuiet(meter);
  const requests = meter.stop();
  return { bytes: wireTotal(requests), ms, requests };
}

/**
 * A conversation: A sends "ping <label>1".."ping <label><rounds>", each after B's previous answer is on screen,
 * counted in one window that also waits for A's read receipt (text-only mode holds it back and sends
 * it once the conversation pauses). Bytes per round trip: the total over `rounds`.
 */
export async function conversationRoundTrips(page: Page, meter: WireMeter, rounds: number, label = '', receiptTimeoutMs = 30_000): Promise<{ rounds: number; requests: WireRequest[]; ms: number[] }> {
  await networkQuiet(meter);
  meter.start();
  const ms: number[] = [];
  const composer = page.getByLabel('Message', { exact: true });
  for (let i = 1; i <= rounds; i++) {
    const t0 = performance.now();
    await composer.fill(`ping ${label}${i}`);
    await composer.press('Enter');
    await messageItem(page, `pong ${label}${i}`).waitFor({ timeout: 60_000 });
    ms.push(performance.now() - t0);
  }
  await waitFor("A's read receipt", () => meter.finished().some((r) => r.url.includes('/receipt/') && r.method !== 'OPTIONS'), receiptTimeoutMs);
  await networkQuiet(meter);
  return { rounds, requests: meter.stop(), ms };
}

/**
 * After the first message of a conversation: the client backs its new room key up to the server
 * a few seconds later (matrix-js-sdk waits up to 10 s). Counted here, with the first message's cost
 * (`first`, which may hold the upload already), so it does not land in a later window.
 */
export async function keyBackupUpload(meter: WireMeter, first: readonly WireRequest[], timeoutMs = 30_000): Promise<WireRequest[]> {
  const isUpload = (r: WireRequest): boolean => r.url.includes('/room_keys/keys') && r.method === 'PUT';
  if (first.some(isUpload)) return [];
  meter.start();
  await waitFor('the room key backup upload', () => meter.finished().some(isUpload), timeoutMs);
  await networkQuiet(meter);
  return meter.stop();
}
