// The pending-share store's claim rule (one page sends an item; a dead page's claim lapses) and the
// in-memory store; the IndexedDB store runs in a real browser in the escalation host's component test.
import { describe, expect, it } from 'vitest';
import { CLAIM_LEASE_MS, claimItem, memoryPendingShareStore, type PendingShareRecord } from './pending-shares.ts';

const record = (): PendingShareRecord => ({
  escalationId: 'esc_1', receiptId: 'r1', roomId: '!esc:a.example', userId: '@s:a.example', share: 'messages', createdTs: 1, withdrawing: false,
  items: [
    { body: '> one', quotes: { event_id: '$1', from: 'student' }, posted: false, claim: null },
    { body: '> two', quotes: { event_id: '$2', from: 'peer' }, posted: true, claim: null },
  ],
});

describe('claiming an item to send', () => {
  it('lets one page claim an unposted item and keeps other pages off it during the lease', () => {
    const r = record();
    expect(claimItem(r, 0, 'a', 100)).toBe('claimed');
    expect(r.items[0]!.claim).toEqual({ by: 'a', at: 100 });
    expect(claimItem(r, 0, 'b', 100 + CLAIM_LEASE_MS - 1)).toBe('busy');
    expect(r.items[0]!.claim).toEqual({ by: 'a', at: 100 });
  });

  it('lets another page take over a lapsed claim, and the same page retake its own, as a retake to check first', () => {
    const r = record();
    claimItem(r, 0, 'a', 100);
    expect(claimItem(r, 0, 'b', 100 + CLAIM_LEASE_MS)).toBe('retake');
    expect(r.items[0]!.claim).toEqual({ by: 'b', at: 100 + CLAIM_LEASE_MS });
    expect(claimItem(r, 0, 'b', 100 + CLAIM_LEASE_MS + 1)).toBe('retake');
  });

  it('answers posted for a posted item, and gone for a missing record or item or one being withdrawn', () => {
    const r = record();
    expect(claimItem(r, 1, 'a', 1)).toBe('posted');
    expect(claimItem(null, 0, 'a', 1)).toBe('gone');
    expect(claimItem(r, 2, 'a', 1)).toBe('gone');
    expect(claimItem({ ...record(), withdrawing: true }, 0, 'a', 1)).toBe('gone');
  });
});

describe('the in-memory pending-share store', () => {
  it('stores copies, changes a record in one step, and deletes it', async () => {
    const store = memoryPendingShareStore();
    const r = record();
    await store.put(r);
    r.items[0]!.posted = true; // the caller's object is not the stored one
    expect((await store.get('esc_1'))!.items[0]!.posted).toBe(false);
    expect(await store.update('esc_1', (x) => claimItem(x, 0, 'a', 5))).toBe('claimed');
    expect((await store.get('esc_1'))!.items[0]!.claim).toEqual({ by: 'a', at: 5 });
    expect(await store.update('nope', (x) => claimItem(x, 0, 'a', 5))).toBe('gone');
    expect(await store.get('nope')).toBeNull();
    await store.delete('esc_1');
    expect(await store.all()).toEqual([]);
  });
});
