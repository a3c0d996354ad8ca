// Cross-signing (spec: "Cross-signing"): uploading a user's master, self-signing and user-signing
// keys, and uploading signatures made with them (or with devices) on keys. Every signature is
// verified before it is stored, so clients can rely on what /keys/query returns being well-formed.
import type { Database } from '../../storage/database.ts';
import type { CrossSigningKeyType, E2eeStore } from '../../storage/e2ee-store.ts';
import type { JsonObject } from '../../core/pdu.ts';
import { verifyJsonSignature } from '../../core/signing.ts';
import { MatrixError, badJson, forbidden, invalidParam, notFound } from '../../api/errors.ts';
import { isObject } from '../../api/validate.ts';
import type { DeviceListService } from './device-lists.ts';
import type { DeviceDirectory } from './device-keys.ts';
import { type CrossSigningKey, readSignatures, requireCanonical, sameSignedContent, splitKeyId, validateCrossSigningKey } from './key-formats.ts';

export interface CrossSigningUpload {
  master?: CrossSigningKey;
  self_signing?: CrossSigningKey;
  user_signing?: CrossSigningKey;
}

export interface CrossSigningDeps {
  db: Database;
  store: E2eeStore;
  deviceLists: DeviceListService;
  devices: DeviceDirectory;
  isLocalUser(userId: string): boolean;
}

const invalidSignature = (msg: string): MatrixError => new MatrixError(400, 'M_INVALID_SIGNATURE', msg);

interface PendingSignature {
  targetUser: string;
  targetKey: string;
  signerKey: string;
  signature: string;
}

export class CrossSigningService {
  private readonly d: CrossSigningDeps;

  constructor(deps: CrossSigningDeps) {
    this.d = deps;
  }

  hasMasterKey(userId: string): boolean {
    return this.d.store.crossSigningKey(userId, 'master') !== undefined;
  }

  /**
   * Validates a /keys/device_signing/upload body: shapes, the subkeys' signatures by the (new or
   * stored) master key, and that no public key collides with a device id.
   */
  parseUpload(userId: string, body: JsonObject): CrossSigningUpload {
    const out: CrossSigningUpload = {};
    const fields: [keyof CrossSigningUpload, string][] = [['master', 'master_key'], ['self_signing', 'self_signing_key'], ['user_signing', 'user_signing_key']];
    for (const [type, field] of fields) {
      const v = body[field];
      if (v !== undefined && v !== null) out[type] = validateCrossSigningKey(v, field, userId, type);
    }
    const masterKey = out.master?.publicKey ?? this.d.store.crossSigningKey(userId, 'master')?.public_key;
    for (const type of ['self_signing', 'user_signing'] as const) {
      const key = out[type];
      if (!key) continue;
      if (!masterKey) throw new MatrixError(400, 'M_MISSING_PARAM', `no master key is available to verify the ${type} key; upload master_key first or with it`);
      if (!verifyJsonSignature(key.json, userId, `ed25519:${masterKey}`, masterKey)) {
        throw invalidSignature(`the ${type} key is not signed by the master key ed25519:${masterKey}`);
      }
    }
    const deviceIds = new Set(this.d.devices.listDevices(userId).map((x) => x.device_id));
    for (const key of Object.values(out) as CrossSigningKey[]) {
      // Signatures name cross-signing keys and devices the same way, so the ids must not collide.
      if (deviceIds.has(key.publicKey)) throw forbidden('Key ID in use: a cross-signing public key equals one of your device ids');
    }
    return out;
  }

  /** True when every key in the upload is the one already stored (a retried request). */
  isUnchanged(userId: string, upload: CrossSigningUpload): boolean {
    const entries = Object.entries(upload) as [CrossSigningKeyType, CrossSigningKey][];
    return entries.every(([type, key]) => {
      const stored = this.d.store.crossSigningKey(userId, type);
      return stored !== undefined && stored.public_key === key.publicKey && sameSignedContent(JSON.parse(stored.key_json) as JsonObject, key.json);
    });
  }

  async storeKeys(userId: string, upload: CrossSigningUpload): Promise<void> {
    const entries = Object.entries(upload) as [CrossSigningKeyType, CrossSigningKey][];
    if (entries.length === 0) return;
    await this.d.db.write((tx) => {
      for (const [type, key] of entries) this.d.store.setCrossSigningKey(userId, type, key.publicKey, JSON.stringify(key.json));
      this.d.deviceLists.markChanged(tx, [userId]);
    });
  }

  /** POST /keys/signatures/upload: verifies and stores each signature; reports the ones that failed. */
  async uploadSignatures(requester: string, body: JsonObject): Promise<{ failures: Record<string, Record<string, JsonObject>> }> {
    const failures: Record<string, Record<string, JsonObject>> = {};
    const pending: PendingSignature[] = [];
    for (const [targetUser, keys] of Object.entries(body)) {
      if (!isObject(keys)) throw badJson(`'${targetUser}' must map key ids to signed objects`);
      for (const [keyId, signed] of Object.entries(keys)) {
        try {
          if (!isObject(signed)) throw badJson(`the object for ${keyId} must be a JSON object`);
          requireCanonical(signed, `${targetUser}.${keyId}`);
          const sigs = readSignatures(signed['signatures'], keyId)[requester] ?? {};
          if (Object.keys(sigs).length === 0) throw invalidParam(`the object for ${keyId} carries no signature by ${requester}`);
          const found = targetUser === requester
            ? this.checkOwnSignatures(requester, keyId, signed, sigs)
            : this.checkOtherUserSignature(requester, targetUser, keyId, signed, sigs);
          pending.push(...found);
        } catch (e) {
          if (!(e instanceof MatrixError)) throw e;
          (failures[targetUser] ??= {})[keyId] = { errcode: e.errcode, error: e.message };
        }
      }
    }
    if (pending.length > 0) {
      await this.d.db.write((tx) => {
        for (const p of pending) this.d.store.setSignature(p.targetUser, p.targetKey, requester, p.signerKey, p.signature);
        if (pending.some((p) => p.targetUser === requester)) this.d.deviceLists.markChanged(tx, [requester]);
        // Signatures on other users' master keys are private to the signer: only they are told.
        const others = new Set(pending.filter((p) => p.targetUser !== requester).map((p) => p.targetUser));
        if (others.size > 0) this.d.deviceLists.markChangedFor(tx, requester, others);
      });
    }
    return { failures };
  }

  /** The user's own master key signed by their devices, or their device signed by their self-signing key. */
  private checkOwnSignatures(userId: string, keyId: string, signed: JsonObject, sigs: Record<string, string>): PendingSignature[] {
    const master = this.d.store.crossSigningKey(userId, 'master');
    if (master && master.public_key === keyId) {
      const stored = JSON.parse(master.key_json) as JsonObject;
      if (!sameSignedContent(stored, signed)) throw invalidParam('the signed object does not match your master key');
      const already = readSignatures(stored['signatures'], 'master_key')[userId] ?? {};
      const out: PendingSignature[] = [];
      for (const [signerKey, signature] of Object.entries(sigs)) {
        if (already[signerKey] === signature) continue;
        if (signerKey === `ed25519:${keyId}`) {
          if (!verifyJsonSignature(signed, userId, signerKey, keyId)) throw invalidSignature('the master key\'s self-signature does not verify');
          out.push({ targetUser: userId, targetKey: keyId, signerKey, signature });
          continue;
        }
        const device = splitKeyId(signerKey);
        if (!device || device[0] !== 'ed25519') throw invalidSignature(`${signerKey} is not an ed25519 key of one of your devices`);
        const deviceKeys = this.d.store.deviceKeys(userId, device[1]);
        const publicKey = deviceKeys ? ((JSON.parse(deviceKeys) as { keys?: Record<string, string> }).keys?.[signerKey]) : undefined;
        if (!publicKey) throw notFound(`no device keys for the signing device ${device[1]}`);
        if (!verifyJsonSignature(signed, userId, signerKey, publicKey)) throw invalidSignature(`the signature by ${signerKey} does not verify`);
        out.push({ targetUser: userId, targetKey: keyId, signerKey, signature });
      }
      return out;
    }
    const deviceKeys = this.d.store.deviceKeys(userId, keyId);
    if (!deviceKeys) throw notFound(`unknown device or key ${keyId}`);
    if (!sameSignedContent(JSON.parse(deviceKeys) as JsonObject, signed)) throw invalidParam(`the signed object does not match the keys of device ${keyId}`);
    const selfSigning = this.d.store.crossSigningKey(userId, 'self_signing');
    if (!selfSigning) throw new MatrixError(400, 'M_MISSING_PARAM', 'you have no self-signing key to sign devices with');
    const signerKey = `ed25519:${selfSigning.public_key}`;
    const signature = sigs[signerKey];
    if (signature === undefined) throw invalidSignature(`devices must be signed with your self-signing key ${signerKey}`);
    if (!verifyJsonSignature(signed, userId, signerKey, selfSigning.public_key)) throw invalidSignature(`the signature by ${signerKey} does not verify`);
    return [{ targetUser: userId, targetKey: keyId, signerKey, signature }];
  }

  /** Another user's master key, signed with the requester's user-signing key. */
  private checkOtherUserSignature(requester: string, targetUser: string, keyId: string, signed: JsonObject, sigs: Record<string, string>): PendingSignature[] {
    // TODO(federation): fetch remote users' master keys over federation so they can be signed too.
    const master = this.d.store.crossSigningKey(targetUser, 'master');
    if (!master) throw notFound(`no master key is known for ${targetUser}`);
    if (master.public_key !== keyId) throw invalidParam(`only the master key of another user can be signed; ${keyId} is not ${targetUser}'s master key`);
    if (!sameSignedContent(JSON.parse(master.key_json) as JsonObject, signed)) throw invalidParam(`the signed object does not match ${targetUser}'s master key`);
    const userSigning = this.d.store.crossSigningKey(requester, 'user_signing');
    if (!userSigning) throw new MatrixError(400, 'M_MISSING_PARAM', 'you have no user-signing key to sign other users with');
    const signerKey = `ed25519:${userSigning.public_key}`;
    const signature = sigs[signerKey];
    if (signature === undefined) throw invalidSignature(`other users' keys must be signed with your user-signing key ${signerKey}`);
    if (!verifyJsonSignature(signed, requester, signerKey, userSigning.public_key)) throw invalidSignature(`the signature by ${signerKey} does not verify`);
    return [{ targetUser, targetKey: keyId, signerKey, signature }];
  }
}
