// Real matrix-js-sdk clients with Rust crypto (in memory, as Node has no IndexedDB) for tests and
// benchmarks, plus small waits for the things tests look for.
import * as sdk from 'matrix-js-sdk';
import { logger as sdkLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';
import type { RegisteredUser } from './homeserver.ts';

// The SDK logs every request at debug level; tests want only warnings and errors.
(sdkLogger as unknown as { setLevel(level: string): void }).setLevel('warn');
const quietLogger: Logger = {
  trace: () => {}, debug: () => {}, info: () => {},
  warn: (...m: unknown[]) => console.warn(...m), error: (...m: unknown[]) => console.error(...m),
  getChild: () => quietLogger,
};

export type Client = sdk.MatrixClient;

export interface ClientOptions {
  /** Starts syncing and waits for the first sync (default true). */
  start?: boolean;
  /** Crypto callbacks (secret storage keys) for cross-signing tests. */
  cryptoCallbacks?: sdk.ICreateClientOpts['cryptoCallbacks'];
}

export async function newClient(baseUrl: string, user: Pick<RegisteredUser, 'userId' | 'accessToken' | 'deviceId'>, opts: ClientOptions = {}): Promise<Client> {
  const client = sdk.createClient({
    baseUrl, userId: user.userId, deviceId: user.deviceId, accessToken: user.accessToken, logger: quietLogger,
    ...(opts.cryptoCallbacks ? { cryptoCallbacks: opts.cryptoCallbacks } : {}),
  });
  await client.initRustCrypto({ useIndexedDB: false });
  if (opts.start !== false) {
    const ready = new Promise<void>((resolve, reject) => {
      const onSync = (state: sdk.SyncState, _prev: sdk.SyncState | null, data?: sdk.SyncStateData): void => {
        if (state === sdk.SyncState.Prepared || state === sdk.SyncState.Syncing) {
          client.off(sdk.ClientEvent.Sync, onSync);
          resolve();
        } else if (state === sdk.SyncState.Error) {
          client.off(sdk.ClientEvent.Sync, onSync);
          reject(new Error(`initial sync failed: ${data?.error?.message ?? 'unknown'}`));
        }
      };
      client.on(sdk.ClientEvent.Sync, onSync);
    });
    await client.startClient({ initialSyncLimit: 20 });
    await ready;
  }
  return client;
}

/** Waits until `predicate` holds, polling; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Joins an encrypted room and waits until the client's crypto knows the room's encryption settings:
 * `joinRoom` can return before the sync that carries the room's state, and a message sent in between
 * fails with "Cannot encrypt event in unconfigured room" (as a real client would; ours sends only
 * from a rendered room).
 */
export async function joinEncryptedRoom(client: Client, roomId: string, timeoutMs = 30_000): Promise<void> {
  await client.joinRoom(roomId);
  await waitFor(`encryption settings of ${roomId}`, () => client.getCrypto()!.isEncryptionEnabledInRoom(roomId), timeoutMs);
}

/**
 * Collects the message bodies a client sees in a room, in timeline order (not in the order their
 * decryption finishes), and the ids of events that failed to decrypt.
 */
export function collectMessages(client: Client, roomId: string): { readonly bodies: string[]; readonly failures: string[] } {
  const slots: { body?: string; failed?: string }[] = [];
  client.on(sdk.RoomEvent.Timeline, (event, room, toStartOfTimeline) => {
    if (room?.roomId !== roomId || toStartOfTimeline) return;
    const slot: { body?: string; failed?: string } = {};
    slots.push(slot);
    const handle = (): void => {
      if (event.isDecryptionFailure()) slot.failed = event.getId() ?? '?';
      else if (event.getType() === 'm.room.message') slot.body = String(event.getContent()['body']);
    };
    if (event.isBeingDecrypted() || event.shouldAttemptDecryption()) event.once(sdk.MatrixEventEvent.Decrypted, handle);
    else handle();
  });
  return {
    get bodies() {
      return slots.filter((x) => x.body !== undefined).map((x) => x.body!);
    },
    get failures() {
      return slots.filter((x) => x.failed !== undefined).map((x) => x.failed!);
    },
  };
}

export const ENCRYPTION_STATE = { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } };

export { sdk };
