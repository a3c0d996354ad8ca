// Key backup without jargon: on a person's first device it sets up cross-signing, secret storage and
// a server-side key backup in one go and hands back the recovery key to show once; on a new device it
// turns that recovery key into the backup key and restores older room keys. Loaded with import()
// together with chat-client.ts (it speaks matrix-js-sdk), never on the first screen.
import type { MatrixClient } from 'matrix-js-sdk';
import type { CryptoCallbacks } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { decodeRecoveryKey } from 'matrix-js-sdk/lib/crypto-api/recovery-key.js';
import type { AuthDict } from 'matrix-js-sdk/lib/interactive-auth.js';

export type KeyBackupStatus = 'none' | 'needs-recovery-key' | 'ready';

export class RecoveryKeyError extends Error {}

// Secret storage keys live here only while a setup or restore runs, then are dropped.
const secretStorageKeys = new Map<string, Uint8Array<ArrayBuffer>>();

/** Passed to createClient: answers secret-storage requests from the short-lived cache above. */
export const secretStorageCallbacks: CryptoCallbacks = {
  getSecretStorageKey: async ({ keys }) => {
    for (const keyId of Object.keys(keys)) {
      const key = secretStorageKeys.get(keyId);
      if (key) return [keyId, key];
    }
    return null;
  },
  cacheSecretStorageKey: (keyId, _info, key) => { secretStorageKeys.set(keyId, key); },
};

function cryptoOf(client: MatrixClient) {
  const crypto = client.getCrypto();
  if (!crypto) throw new Error('end-to-end encryption is not running');
  return crypto;
}

/** Whether the account has a key backup, and whether this device already holds its key. */
export async function keyBackupStatus(client: MatrixClient): Promise<KeyBackupStatus> {
  const crypto = cryptoOf(client);
  const info = await crypto.getKeyBackupInfo();
  if (!info) return 'none';
  return (await crypto.getSessionBackupPrivateKey()) ? 'ready' : 'needs-recovery-key';
}

/**
 * Sets up cross-signing (authorised with the password the person just typed), secret storage and a
 * new key backup; returns the recovery key, which exists nowhere else in readable form. Without a
 * password (single sign-on) it works where the homeserver asks no authentication for the first
 * cross-signing upload (spec 1.11) and otherwise throws, leaving chat without a key backup.
 */
export async function setUpKeyBackup(client: MatrixClient, password: string | null): Promise<string> {
  const crypto = cryptoOf(client);
  const userId = client.getSafeUserId();
  const passwordAuth = (pw: string, session?: string): AuthDict => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password: pw, ...(session ? { session } : {}) });
  let recoveryKey: string | undefined;
  try {
    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: async (makeRequest) => {
        // Open a UIA session first (Synapse ties the password stage to it), then complete it.
        try {
          await makeRequest(null);
        } catch (e) {
          const data = (e as { data?: { session?: unknown; flows?: unknown } }).data;
          if (!data?.flows || password === null) throw e;
          await makeRequest(passwordAuth(password, typeof data.session === 'string' ? data.session : undefined));
        }
      },
    });
    await crypto.bootstrapSecretStorage({
      createSecretStorageKey: async () => {
        const generated = await crypto.createRecoveryKeyFromPassphrase();
        recoveryKey = generated.encodedPrivateKey;
        return generated;
      },
      setupNewSecretStorage: true,
      setupNewKeyBackup: true,
    });
  } finally {
    secretStorageKeys.clear();
  }
  if (!recoveryKey) throw new Error('no recovery key was created');
  return recoveryKey;
}

/**
 * Unlocks secret storage with the recovery key, takes the backup key from it and restores the
 * backed-up room keys, so older messages decrypt. Returns how many keys were imported.
 */
export async function restoreWithRecoveryKey(client: MatrixClient, recoveryKey: string): Promise<number> {
  const crypto = cryptoOf(client);
  let key: Uint8Array<ArrayBuffer>;
  try {
    key = decodeRecoveryKey(recoveryKey.trim());
  } catch {
    throw new RecoveryKeyError('not a recovery key');
  }
  const keyId = await client.secretStorage.getDefaultKeyId();
  const stored = keyId ? await client.secretStorage.getKey(keyId) : null;
  if (!keyId || !stored || !(await client.secretStorage.checkKey(key, stored[1] as Parameters<typeof client.secretStorage.checkKey>[1]))) {
    throw new RecoveryKeyError('the recovery key does not match');
  }
  secretStorageKeys.set(keyId, key);
  try {
    await crypto.loadSessionBackupPrivateKeyFromSecretStorage();
    await crypto.checkKeyBackupAndEnable();
    const result = await crypto.restoreKeyBackup();
    // Take the cross-signing keys too, so this device is trusted without any verification prompt.
    await crypto.bootstrapCrossSigning({}).catch(() => undefined);
    return result.imported;
  } finally {
    secretStorageKeys.clear();
  }
}
