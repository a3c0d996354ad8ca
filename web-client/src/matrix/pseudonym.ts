// Per-room pseudonyms ("Quiet Heron"): made on the device from two word lists, one fresh pick per
// room, kept nowhere but the room's own m.room.member event. Pure, so the randomness is injected.

/** Calm, kind adjectives: none judges, mocks or hints at a person's looks, age, gender or mood. */
export const ADJECTIVES = [
  'Amber', 'Bright', 'Brave', 'Calm', 'Clever', 'Cosy', 'Curious', 'Dapper', 'Eager', 'Gentle',
  'Golden', 'Graceful', 'Happy', 'Hazel', 'Honest', 'Hopeful', 'Jolly', 'Kind', 'Lively', 'Lucky',
  'Mellow', 'Merry', 'Misty', 'Nimble', 'Patient', 'Peaceful', 'Plucky', 'Polite', 'Quick', 'Quiet',
  'Rosy', 'Sandy', 'Silver', 'Sincere', 'Sleepy', 'Snowy', 'Sparkly', 'Steady', 'Sunny', 'Swift',
  'Thoughtful', 'Tidy', 'Velvet', 'Warm', 'Wise', 'Witty', 'Breezy', 'Cheerful',
] as const;

/** Friendly animals. */
export const ANIMALS = [
  'Badger', 'Beaver', 'Bison', 'Crane', 'Deer', 'Dolphin', 'Dove', 'Duck', 'Falcon', 'Ferret',
  'Finch', 'Fox', 'Gecko', 'Hare', 'Hedgehog', 'Heron', 'Ibis', 'Koala', 'Lark', 'Lemur',
  'Lynx', 'Marten', 'Moose', 'Newt', 'Otter', 'Owl', 'Panda', 'Pelican', 'Penguin', 'Puffin',
  'Quail', 'Rabbit', 'Raven', 'Robin', 'Salmon', 'Seal', 'Sparrow', 'Squirrel', 'Stork', 'Swan',
  'Tortoise', 'Wagtail', 'Walrus', 'Whale', 'Wombat', 'Wren', 'Yak', 'Zebra',
] as const;

/** A uniform integer in [0, n) from a source of random 32-bit unsigned integers (rejection sampling, no modulo bias). */
export function uniformIndex(n: number, nextUint32: () => number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new RangeError(`cannot pick from ${n} items`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = nextUint32();
    if (x < limit) return x % n;
  }
}

/** The browser's (and Node's) CSPRNG as a source of 32-bit integers. */
export function cryptoUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** A new pseudonym, adjective then animal; `avoid` names that are taken in the room already. */
export function generatePseudonym(nextUint32: () => number = cryptoUint32, avoid: ReadonlySet<string> = new Set()): string {
  for (let attempt = 0; attempt < 32; attempt++) {
    const name = `${ADJECTIVES[uniformIndex(ADJECTIVES.length, nextUint32)]} ${ANIMALS[uniformIndex(ANIMALS.length, nextUint32)]}`;
    if (!avoid.has(name)) return name;
  }
  // A room with hundreds of members could exhaust lucky draws: a short number keeps the name unique.
  const base = `${ADJECTIVES[uniformIndex(ADJECTIVES.length, nextUint32)]} ${ANIMALS[uniformIndex(ANIMALS.length, nextUint32)]}`;
  for (let n = 2; ; n++) if (!avoid.has(`${base} ${n}`)) return `${base} ${n}`;
}

/** Whether `name` is one this generator makes (so it says nothing about the person). */
export function isPseudonym(name: string): boolean {
  const m = /^(\S+) (\S+)(?: \d+)?$/.exec(name);
  return m !== null && (ADJECTIVES as readonly string[]).includes(m[1]!) && (ANIMALS as readonly string[]).includes(m[2]!);
}
