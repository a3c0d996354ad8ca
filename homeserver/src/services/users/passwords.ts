// Password hashing with scrypt (node:crypto), in a self-describing format so parameters can change.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// OWASP's scrypt setting N=2^13, r=8, p=10: the same strength as N=2^17, p=1 with 8 MiB of memory
// per hash instead of 128 MiB (a pilot server hashes on four threads at once).
const N = 8192;
const R = 8;
const P = 10;
const KEYLEN = 32;

// scrypt runs on libuv's thread pool, where response compression (every /sync answer) and file work
// queue too, first come first served. A burst of logins (a school's morning, or someone trying
// passwords) would fill every thread and hold those behind each queued hash: the whole server would
// stall. So hashes take at most all but two of the threads and wait their turn here instead.
const POOL_THREADS = Number(process.env['UV_THREADPOOL_SIZE']) || 4;
const HASH_SLOTS = Math.max(1, POOL_THREADS - 2);
let hashing = 0;
const waiting: (() => void)[] = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (hashing >= HASH_SLOTS) await new Promise<void>((r) => waiting.push(r));
  else hashing++;
  try {
    return await work();
  } finally {
    // The slot passes straight to the next in line (the count stays), or is given back.
    const next = waiting.shift();
    if (next) next();
    else hashing--;
  }
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return withHashSlot(() => new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEYLEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  ));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored) {
    // Same work as a real check, so timing does not tell whether the account exists.
    await derive(password, randomBytes(16), N, R, P);
    return false;
  }
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}
