import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { hashToken } from '../core/tokens.ts';
import { storeBackends, type StoreBackend, type TestStore } from '../store/test-fixture.ts';
import type { BridgeError } from '../errors.ts';
import { SessionService } from './sessions.ts';

const MIN = 60_000;

async function setup(backend: StoreBackend): Promise<{ sessions: SessionService; clock: ManualClock; db: TestStore }> {
  const clock = new ManualClock();
  const db = await backend.open();
  return { sessions: new SessionService({ store: db.store.sessions, clock, ttlMs: 15 * MIN, maxLifetimeMs: 60 * MIN }), clock, db };
}

async function rejected(p: Promise<unknown>): Promise<BridgeError> {
  try {
    await p;
  } catch (e) {
    return e as BridgeError;
  }
  throw new Error('expected a rejection');
}

describe.each(storeBackends())('bridge sessions ($name)', (backend) => {
  it('issues a random 256-bit token that is stored only as its hash', async () => {
    const { sessions, db } = await setup(backend);
    const s = await sessions.issue('@s1:a.example');
    expect(s.token).toMatch(/^pls_[A-Za-z0-9_-]{43}$/);
    const rows = await db.sql<{ token_hash: string }>('SELECT token_hash FROM sessions');
    expect(rows).toEqual([{ token_hash: hashToken(s.token) }]);
    expect(JSON.stringify(await db.sql('SELECT * FROM sessions'))).not.toContain(s.token);
  });

  it('authenticates a token until it expires after 15 minutes', async () => {
    const { sessions, clock } = await setup(backend);
    const s = await sessions.issue('@s1:a.example');
    expect((await sessions.authenticate(s.token)).user_id).toBe('@s1:a.example');
    clock.advance(15 * MIN);
    expect((await rejected(sessions.authenticate(s.token))).errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('rotates on refresh: the new token works and the old one stops at once', async () => {
    const { sessions, clock } = await setup(backend);
    const s = await sessions.issue('@s1:a.example');
    clock.advance(10 * MIN);
    const next = await sessions.refresh(s.token);
    expect(next.token).not.toBe(s.token);
    expect(next.session_id).toBe(s.session_id);
    expect(next.expires_ts).toBe(clock.now() + 15 * MIN);
    expect((await rejected(sessions.authenticate(s.token))).status).toBe(401);
    expect((await sessions.authenticate(next.token)).user_id).toBe('@s1:a.example');
  });

  it('ends the whole session when an already-exchanged token is used to refresh again', async () => {
    const { sessions } = await setup(backend);
    const s = await sessions.issue('@s1:a.example');
    const next = await sessions.refresh(s.token);
    const err = await rejected(sessions.refresh(s.token));
    expect(err.errcode).toBe('M_UNKNOWN_TOKEN');
    expect(err.message).toMatch(/already exchanged/);
    expect((await rejected(sessions.authenticate(next.token))).status).toBe(401);
  });

  it('gives one successor to two concurrent refreshes of the same token', async () => {
    const { sessions } = await setup(backend);
    const s = await sessions.issue('@s1:a.example');
    const results = await Promise.allSettled([sessions.refresh(s.token), sessions.refresh(s.token)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('never extends a session past its maximum lifetime', async () => {
    const { sessions, clock } = await setup(backend);
    let token = (await sessions.issue('@s1:a.example')).token;
    for (let i = 0; i < 4; i++) {
      clock.advance(14 * MIN);
      token = (await sessions.refresh(token)).token;
    }
    // 56 minutes in: the last token ends with the session at 60 minutes.
    clock.advance(4 * MIN);
    expect((await rejected(sessions.authenticate(token))).status).toBe(401);
  });

  it('revokes one session, or every session of a user', async () => {
    const { sessions } = await setup(backend);
    const a = await sessions.issue('@s1:a.example');
    const b = await sessions.issue('@s1:a.example');
    const other = await sessions.issue('@s2:a.example');
    expect(await sessions.revoke(a.session_id)).toBe(1);
    expect((await rejected(sessions.authenticate(a.token))).status).toBe(401);
    expect((await sessions.authenticate(b.token)).user_id).toBe('@s1:a.example');
    expect(await sessions.revokeUser('@s1:a.example')).toBe(1);
    expect((await rejected(sessions.authenticate(b.token))).status).toBe(401);
    expect((await sessions.authenticate(other.token)).user_id).toBe('@s2:a.example');
  });

  it('refuses a revoked token for refresh', async () => {
    const { sessions } = await setup(backend);
    const s = await sessions.issue('@s1:a.example');
    await sessions.revoke(s.session_id);
    expect((await rejected(sessions.refresh(s.token))).errcode).toBe('M_UNKNOWN_TOKEN');
  });
});
