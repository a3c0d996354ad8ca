// What the load run needs of a person's Matrix device, over two implementations: the light Olm/Megolm
// client (tests/helpers/olm-client.ts, libolm, one per simulated person) and matrix-js-sdk with Rust
// crypto (a few people, to keep the real client in the loop). Both report each decrypted text
// message and each failure to decrypt to the run's ledger.
import { sdk, newClient, type Client } from '../helpers/client.ts';
import { OlmTestClient } from '../helpers/olm-client.ts';
import type { Ledger } from './ledger.ts';

export interface ChatClient {
  readonly userId: string;
  readonly kind: 'olm' | 'matrix-js-sdk';
  /** Waits for the invite to `roomId`, joins it, and waits until messages can be encrypted there. */
  join(roomId: string, timeoutMs: number): Promise<void>;
  /** Sends an encrypted text message; resolves with its event id. */
  sendText(roomId: string, body: string): Promise<string>;
  /** Whether the client sees `userId` joined in `roomId` (so it will share its room key with them). */
  seesJoined(roomId: string, userId: string): boolean;
  stop(): Promise<void>;
}

export interface Account { userId: string; accessToken: string; deviceId: string }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A matrix-js-sdk client with Rust crypto, its decryptions booked in the ledger. */
export async function jsSdkChatClient(baseUrl: string, account: Account, ledger: Ledger): Promise<ChatClient> {
  const client: Client = await newClient(baseUrl, account);
  const decrypted = new Set<string>();
  // A room event can arrive before its room key (to-device, maybe over federation): the SDK then
  // decrypts it again when the key comes. Only what is still undecryptable at the end is a failure.
  const failing = new Map<string, string>();
  client.on(sdk.MatrixEventEvent.Decrypted, (event) => {
    const id = event.getId() ?? '';
    const roomId = event.getRoomId() ?? '';
    if (event.isDecryptionFailure()) {
      if (!decrypted.has(id)) failing.set(id, roomId);
      return;
    }
    failing.delete(id);
    if (event.getType() !== 'm.room.message' || event.getSender() === account.userId) return;
    // The SDK may emit an event twice (e.g. a re-decryption); the server delivering it twice is what counts.
    if (decrypted.has(id)) return;
    decrypted.add(id);
    ledger.decrypted(account.userId, roomId, String(event.getContent()['body']), id);
  });
  return {
    userId: account.userId,
    kind: 'matrix-js-sdk',
    async join(roomId, timeoutMs) {
      await until(`invite to ${roomId}`, () => client.getRoom(roomId)?.getMyMembership() === 'invite' || client.getRoom(roomId)?.getMyMembership() === 'join', timeoutMs);
      if (client.getRoom(roomId)?.getMyMembership() !== 'join') await client.joinRoom(roomId);
      const end = Date.now() + timeoutMs;
      while (!(await client.getCrypto()!.isEncryptionEnabledInRoom(roomId))) {
        if (Date.now() > end) throw new Error(`timed out waiting for the encryption of ${roomId}`);
        await sleep(25);
      }
    },
    async sendText(roomId, body) {
      return (await client.sendTextMessage(roomId, body)).event_id;
    },
    seesJoined(roomId, userId) {
      return client.getRoom(roomId)?.getMember(userId)?.membership === 'join';
    },
    async stop() {
      client.stopClient();
      for (const [, roomId] of failing) {
        ledger.decryptionFailures++;
        ledger.error('decryption (matrix-js-sdk)', `an event in ${roomId.slice(0, 8)}… stayed undecryptable`);
      }
    },
  };
}

/** Light clients whose decryptions are booked, with how far each room's list has been read. */
const booked = new Map<OlmTestClient, { ledger: Ledger; rooms: Map<string, { messages: number; failures: number }> }>();
let reader: NodeJS.Timeout | undefined;

/** Books what the light clients decrypted (or failed to) since the last look. */
function readReceived(): void {
  for (const [client, b] of booked) {
    for (const [roomId, cursor] of b.rooms) {
      // The live lists (not copies): cheap to look at every few milliseconds for ~1,000 clients.
      const r = client.received(roomId);
      for (; cursor.messages < r.messages.length; cursor.messages++) {
        const m = r.messages[cursor.messages]!;
        if (m.sender !== client.userId) b.ledger.decrypted(client.userId, roomId, m.body, m.eventId);
      }
      for (; cursor.failures < r.failures.length; cursor.failures++) {
        b.ledger.decryptionFailures++;
        b.ledger.error('decryption (olm)', r.failures[cursor.failures]!.reason);
      }
    }
  }
}

/** The light client (libolm), one per simulated person. */
export async function olmChatClient(baseUrl: string, account: Account, ledger: Ledger): Promise<ChatClient> {
  const client = await OlmTestClient.start(baseUrl, account, { syncTimeoutMs: 20_000 });
  const state = { ledger, rooms: new Map<string, { messages: number; failures: number }>() };
  booked.set(client, state);
  reader ??= setInterval(readReceived, 20);
  const watch = (roomId: string): void => {
    if (!state.rooms.has(roomId)) state.rooms.set(roomId, { messages: 0, failures: 0 });
  };
  return {
    userId: account.userId,
    kind: 'olm',
    async join(roomId, timeoutMs) {
      watch(roomId);
      await until(`invite to ${roomId}`, () => client.invites.has(roomId) || client.membership(roomId, account.userId) === 'join', timeoutMs);
      if (client.membership(roomId, account.userId) === 'join') return;
      const end = Date.now() + timeoutMs;
      try {
        await client.joinRoom(roomId);
      } catch (err) {
        // joinRoom waits 20 s for its sync to show the join; under load a person waits longer.
        if (!/timed out/.test((err as Error).message)) throw err;
        await client.waitUntil(() => client.membership(roomId, account.userId) === 'join', Math.max(1_000, end - Date.now()), `the join of ${roomId}`);
      }
    },
    async sendText(roomId, body) {
      watch(roomId);
      return client.sendText(roomId, body);
    },
    seesJoined(roomId, userId) {
      return client.membership(roomId, userId) === 'join';
    },
    async stop() {
      readReceived();
      booked.delete(client);
      if (booked.size === 0 && reader) {
        clearInterval(reader);
        reader = undefined;
      }
      await client.stop();
    },
  };
}

/** Messages a light client still waits to decrypt (no room key yet), for the report. */
export function pendingOf(): number {
  let n = 0;
  for (const [client, b] of booked) for (const roomId of b.rooms.keys()) n += client.received(roomId).pending.length;
  return n;
}
