// The privacy scanner finds what it looks for, wherever in a file it is, and nothing else.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from './ledger.ts';
import { markerOf, scanForSecrets } from './privacy-scan.ts';

const dir = mkdtempSync(join(tmpdir(), 'peerline-scan-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const body = Ledger.body('chat');
const token = 'syt_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V';
const session = 'sess_' + 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp';
const password = 'pw-0123456789abcdef01234567';
const input = (files: string[]): Parameters<typeof scanForSecrets>[0] => ({ bodies: [body], accessTokens: [token, 'syt_other-token-never-written'], sessionTokens: [session], passwords: [password], files });

describe('privacy scan', () => {
  it('finds a body, its marker alone (e.g. JSON-escaped), a token, a session token and a password, each by kind and file', () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.db-wal');
    writeFileSync(a, `{"msg":"x","body":${JSON.stringify(body)}}\nAuthorization: Bearer ${token}\n`);
    writeFileSync(b, Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(`…${JSON.stringify(body).replace('—', '\\u2014')}…${session}${password}`), Buffer.from([255])]));
    const r = scanForSecrets(input([a, b]));
    const found = r.findings.map((f) => `${f.kind}@${f.file.endsWith('a.log') ? 'a' : 'b'}x${f.count}`).sort();
    // In a.log the body is found whole and by its marker (2 hits); in b only the marker survives the escaping.
    expect(found).toEqual(['access token@ax1', 'bridge session token@bx1', 'message plaintext@ax2', 'message plaintext@bx1', 'password@bx1']);
  });

  it('finds nothing in files without them (ciphertext, hashes, other text)', () => {
    const c = join(dir, 'c.sqlite');
    writeFileSync(c, `chat message ${markerOf(Ledger.body('chat'))} syt_ pw- sess_ ${body.slice(0, 20)}`);
    expect(scanForSecrets(input([c])).findings).toEqual([]);
  });
});
