import { describe, expect, it } from 'vitest';
import { ADJECTIVES, ANIMALS, generatePseudonym, isPseudonym, uniformIndex } from './pseudonym.ts';

/** A scripted source of 32-bit integers. */
const scripted = (...values: number[]): (() => number) => {
  let i = 0;
  return () => { if (i >= values.length) throw new Error('script ran out'); return values[i++]!; };
};

describe('pseudonyms', () => {
  it('makes an adjective followed by an animal from the word lists', () => {
    expect(generatePseudonym(scripted(0, 0))).toBe(`${ADJECTIVES[0]} ${ANIMALS[0]}`);
    expect(generatePseudonym(scripted(ADJECTIVES.length - 1, ANIMALS.length - 1))).toBe(`${ADJECTIVES.at(-1)} ${ANIMALS.at(-1)}`);
  });

  it('recognises its own names and nothing else', () => {
    for (let i = 0; i < 200; i++) expect(isPseudonym(generatePseudonym())).toBe(true);
    expect(isPseudonym('Quiet Heron')).toBe(true);
    expect(isPseudonym('Quiet Heron 3')).toBe(true);
    expect(isPseudonym('Anna Müller')).toBe(false);
    expect(isPseudonym('@s-7kq2m9:a.example')).toBe(false);
    expect(isPseudonym('Heron Quiet')).toBe(false);
  });

  it('has word lists without duplicates, one word each', () => {
    for (const list of [ADJECTIVES, ANIMALS]) {
      expect(new Set(list).size).toBe(list.length);
      for (const w of list) expect(w).toMatch(/^[A-Z][a-z]+$/);
    }
    expect(ADJECTIVES.length * ANIMALS.length).toBeGreaterThanOrEqual(2000);
  });

  it('draws each word without modulo bias by rejecting the top of the range', () => {
    const n = 48;
    const limit = 2 ** 32 - (2 ** 32 % n);
    // The first draw lies in the biased tail and is rejected; the second is used.
    expect(uniformIndex(n, scripted(limit + 1, 5))).toBe(5);
    expect(() => uniformIndex(0, scripted())).toThrow(RangeError);
  });

  it('avoids names already taken in the room', () => {
    expect(generatePseudonym(scripted(0, 0, 0, 1), new Set([`${ADJECTIVES[0]} ${ANIMALS[0]}`]))).toBe(`${ADJECTIVES[0]} ${ANIMALS[1]}`);
    const all = new Set([`${ADJECTIVES[0]} ${ANIMALS[0]}`]);
    const zeros = (): number => 0;
    expect(generatePseudonym(zeros, all)).toBe(`${ADJECTIVES[0]} ${ANIMALS[0]} 2`);
  });

  it('spreads picks over the lists (different rooms get different names)', () => {
    const names = new Set(Array.from({ length: 100 }, () => generatePseudonym()));
    expect(names.size).toBeGreaterThan(80);
  });
});
