import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.ts';

const gz = promisify(gzip);

describe('password hashing', () => {
  it('verifies the password it hashed, and refuses another', async () => {
    const stored = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('wrong horse', stored)).toBe(false);
    expect(await verifyPassword('anything', null)).toBe(false);
  });

  // A burst of logins (1,000 students at 9 am, or someone trying passwords) must not take all of
  // libuv's threads: response compression (every /sync answer) and file work queue there too, and
  // would wait behind every hash already queued.
  it('leaves libuv threads free for other work while many hashes are queued', async () => {
    let hashed = 0;
    const hashes = Array.from({ length: 8 }, () => verifyPassword('guess', null).then(() => { hashed++; }));
    // Submitted after the eight hashes: with them all on the thread pool, it would wait for most of them.
    await gz(Buffer.alloc(4096, 'a'));
    const hashedWhenCompressed = hashed;
    await Promise.all(hashes);
    expect(hashedWhenCompressed).toBeLessThan(4);
  });
});
