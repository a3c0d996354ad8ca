import { describe, expect, it } from 'vitest';
import { auditEntryHash, findChainBreak, GENESIS_HASH, sealAuditEntry, type AuditEntry } from './audit-chain.ts';

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push(sealAuditEntry({ actor: '@admin:a.example', action: 'roster.supporter.add', subject: `@s${i}:a.example`, details: { topics: ['exam-stress'], capacity: i } }, 1_000 + i, out[i - 1] ?? null));
  }
  return out;
}

describe('audit hash chain', () => {
  it('links the first entry to the genesis hash and each next one to its predecessor', () => {
    const c = chain(3);
    expect(c[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(c[1]!.prev_hash).toBe(c[0]!.hash);
    expect(c[2]!.seq).toBe(3);
    expect(findChainBreak(c, null)).toBeNull();
  });

  it('detects a changed field in an entry', () => {
    const c = chain(4);
    c[2] = { ...c[2]!, details: { topics: ['low-mood'], capacity: 2 } };
    expect(findChainBreak(c, null)).toEqual({ seq: 3, reason: expect.stringMatching(/altered/) });
  });

  it('detects an entry re-hashed after being changed, at the next link', () => {
    const c = chain(4);
    const forged = { ...c[1]!, actor: '@mallory:a.example' };
    c[1] = { ...forged, hash: auditEntryHash(forged) };
    expect(findChainBreak(c, null)).toEqual({ seq: 3, reason: expect.stringMatching(/prev_hash/) });
  });

  it('detects a deleted entry', () => {
    const c = chain(4);
    c.splice(1, 1);
    expect(findChainBreak(c, null)).toEqual({ seq: 2, reason: expect.stringMatching(/missing/) });
  });

  it('does not depend on the key order of details', () => {
    const a = sealAuditEntry({ actor: 'x', action: 'y', subject: null, details: { a: 1, b: 2 } }, 5, null);
    const b = sealAuditEntry({ actor: 'x', action: 'y', subject: null, details: { b: 2, a: 1 } }, 5, null);
    expect(a.hash).toBe(b.hash);
  });
});
