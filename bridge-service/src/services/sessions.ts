// Bridge sessions: after an OpenID check the client gets a short-lived bearer token (random 256-bit,
// stored hashed). It rotates — a refresh returns a new token and ends the old one — and is
// revocable. Presenting an already-rotated token to refresh again means a copy of it exists
// elsewhere, so the whole sign-in is revoked (refresh-token reuse detection).
import { randomBytes } from 'node:crypto';
import type { SessionRow, SessionStore } from '../store/store.ts';
import { hashToken, newToken } from '../core/tokens.ts';
import type { Clock } from '../core/clock.ts';
import { unknownToken } from '../errors.ts';

export interface IssuedSession {
  token: string;
  session_id: string;
  user_id: string;
  expires_ts: number;
}

export interface SessionPrincipal {
  session_id: string;
  user_id: string;
  expires_ts: number;
  token_hash: string;
}

const TOKEN_PREFIX = 'pls';

export class SessionService {
  private readonly store: SessionStore;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly maxLifetimeMs: number;
  private readonly random: (n: number) => Buffer;

  constructor(opts: { store: SessionStore; clock: Clock; ttlMs: number; maxLifetimeMs: number; random?: (n: number) => Buffer }) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.ttlMs = opts.ttlMs;
    this.maxLifetimeMs = opts.maxLifetimeMs;
    this.random = opts.random ?? randomBytes;
  }

  private row(token: string, sessionId: string, userId: string, familyEnd: number): SessionRow {
    const now = this.clock.now();
    return {
      token_hash: hashToken(token), session_id: sessionId, user_id: userId, created_ts: now,
      expires_ts: Math.min(now + this.ttlMs, familyEnd), family_expires_ts: familyEnd, replaced_ts: null, revoked_ts: null,
    };
  }

  /** A new sign-in for a user whose identity was just proven. */
  async issue(userId: string): Promise<IssuedSession> {
    const token = newToken(TOKEN_PREFIX, this.random);
    const sessionId = this.random(12).toString('base64url');
    const row = this.row(token, sessionId, userId, this.clock.now() + this.maxLifetimeMs);
    await this.store.insert(row);
    return { token, session_id: sessionId, user_id: userId, expires_ts: row.expires_ts };
  }

  private live(row: SessionRow | undefined): row is SessionRow {
    return row !== undefined && row.revoked_ts === null && row.replaced_ts === null && row.expires_ts > this.clock.now();
  }

  /** The session a bearer token belongs to; throws 401 M_UNKNOWN_TOKEN otherwise. */
  async authenticate(token: string): Promise<SessionPrincipal> {
    const row = await this.store.byTokenHash(hashToken(token));
    if (!this.live(row)) throw unknownToken();
    return { session_id: row.session_id, user_id: row.user_id, expires_ts: row.expires_ts, token_hash: row.token_hash };
  }

  /** Exchanges a live token for a new one; the old one stops working at once. */
  async refresh(token: string): Promise<IssuedSession> {
    const oldHash = hashToken(token);
    const row = await this.store.byTokenHash(oldHash);
    if (row && row.replaced_ts !== null && row.revoked_ts === null) {
      await this.store.revokeSession(row.session_id, this.clock.now());
      throw unknownToken('This session token was already exchanged; the session has been ended. Sign in again.');
    }
    if (!this.live(row)) throw unknownToken();
    if (row.family_expires_ts <= this.clock.now() + 1000) throw unknownToken('The session reached its maximum lifetime. Sign in again.');
    const next = newToken(TOKEN_PREFIX, this.random);
    const nextRow = this.row(next, row.session_id, row.user_id, row.family_expires_ts);
    // Lost race with a concurrent refresh of the same token: that one won, this one is a reuse.
    if (!await this.store.rotate(oldHash, nextRow, this.clock.now())) throw unknownToken();
    return { token: next, session_id: row.session_id, user_id: row.user_id, expires_ts: nextRow.expires_ts };
  }

  /** Ends one sign-in (every token of it). */
  revoke(sessionId: string): Promise<number> {
    return this.store.revokeSession(sessionId, this.clock.now());
  }

  /** Ends every sign-in of a user (sign out everywhere; roster removal). */
  revokeUser(userId: string): Promise<number> {
    return this.store.revokeUser(userId, this.clock.now());
  }

  purgeExpired(): Promise<number> {
    return this.store.purgeExpired(this.clock.now());
  }
}
