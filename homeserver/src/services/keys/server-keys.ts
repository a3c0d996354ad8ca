// The server's ed25519 signing key: kept in DATA_DIR/signing.key in Synapse's format
// (`ed25519 <key version> <unpadded base64 seed>`), generated on first start.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBase64, encodeBase64 } from '../../core/base64.ts';
import { generateSigningKey, signingKeyFromSeed, type SigningKey } from '../../core/signing.ts';

export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const path = join(dataDir, 'signing.key');
  if (existsSync(path)) {
    const line = readFileSync(path, 'utf8').trim().split('\n')[0] ?? '';
    const [alg, version, seed] = line.split(/\s+/);
    const raw = seed ? decodeBase64(seed) : null;
    if (alg !== 'ed25519' || !version || !raw || raw.length !== 32) {
      throw new Error(`signing key file ${path} is not in the form 'ed25519 <version> <base64 seed>'`);
    }
    return signingKeyFromSeed(`ed25519:${version}`, raw);
  }
  const key = generateSigningKey();
  writeFileSync(path, `ed25519 ${key.keyId.slice('ed25519:'.length)} ${encodeBase64(key.seed)}\n`, { mode: 0o600 });
  return key;
}
