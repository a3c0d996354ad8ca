// Requests and matching in PostgreSQL, shared by several bridge replicas. Each transition is one
// transaction whose UPDATE checks the row's current status (compare-and-set; a concurrent writer
// waits on the row lock and then finds the condition false). Offers take the request with
// FOR UPDATE SKIP LOCKED — a request another replica is offering right now is skipped, not waited
// for — and lock the supporter's availability row, so two matchers never overfill one supporter.
import type { OfferDraft,
  AcceptResult, AvailabilityRow, EndSession, MatchingStore, OfferRow, QueueEntry, RequestRow, ResolveOffer, RoomRow, SessionRow, SessionStatus, SupporterLoad, Effects,
} from '../matching-store.ts';
import type { PgQueryable } from './database.ts';
import { PgMatchingBase } from './matching-store-base.ts';
import { availabilityFrom, sessionFrom, type AvailabilityDbRow, type SessionDbRow } from './matching-schema.ts';

const OPEN = "('waiting', 'offered')";

export class PgMatchingStore extends PgMatchingBase implements MatchingStore {
  private async requestRow(q: PgQueryable, id: string): Promise<RequestRow | undefined> {
    return (await q.query<RequestRow>('SELECT * FROM matching_requests WHERE id = $1', [id]))[0];
  }

  private async sessionRow(q: PgQueryable, id: string): Promise<SessionRow | undefined> {
    const r = (await q.query<SessionDbRow>('SELECT * FROM matching_sessions WHERE id = $1', [id]))[0];
    return r ? sessionFrom(r) : undefined;
  }

  private async exclude(q: PgQueryable, requestId: string, candidate: string, reason: string, now: number): Promise<void> {
    await q.execute('INSERT INTO matching_exclusions (request_id, candidate, reason, ts) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [requestId, candidate, reason, now]);
  }

  private async requeue(q: PgQueryable, requestId: string, now: number): Promise<void> {
    await q.execute(`UPDATE matching_requests SET status = 'waiting', session_id = NULL, matched_ts = NULL, updated_ts = $1
      WHERE id = $2 AND status IN ('offered', 'matched')`, [now, requestId]);
  }

  // ── requests ──

  insertRequest(r: RequestRow, fx?: Effects): Promise<'inserted' | 'exists'> {
    return this.db.tx(async (q) => {
      // The partial unique index settles two replicas inserting the same partner request at once.
      const changes = await q.execute(
        `INSERT INTO matching_requests (id, origin, student, institution, remote_id, topic, language, region, minor, status,
          created_ts, queued_ts, updated_ts, expires_ts, matched_ts, closed_ts, close_reason, session_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (institution, remote_id) WHERE remote_id IS NOT NULL DO NOTHING`,
        [r.id, r.origin, r.student, r.institution, r.remote_id, r.topic, r.language, r.region, r.minor, r.status,
          r.created_ts, r.queued_ts, r.updated_ts, r.expires_ts, r.matched_ts, r.closed_ts, r.close_reason, r.session_id],
      );
      if (changes === 0) return 'exists';
      await this.effects(q, fx, r.created_ts);
      return 'inserted';
    });
  }

  request(id: string): Promise<RequestRow | undefined> {
    return this.requestRow(this.db, id);
  }

  async requestByRemote(institution: string, remoteId: string): Promise<RequestRow | undefined> {
    return (await this.db.query<RequestRow>('SELECT * FROM matching_requests WHERE institution = $1 AND remote_id = $2', [institution, remoteId]))[0];
  }

  requestsOfStudent(student: string, limit: number): Promise<RequestRow[]> {
    return this.db.query<RequestRow>('SELECT * FROM matching_requests WHERE student = $1 ORDER BY created_ts DESC, id LIMIT $2', [student, limit]);
  }

  async requestTimesOfStudent(student: string, sinceTs: number): Promise<number[]> {
    return (await this.db.query<{ created_ts: number }>('SELECT created_ts FROM matching_requests WHERE student = $1 AND created_ts >= $2 ORDER BY created_ts', [student, sinceTs]))
      .map((r) => r.created_ts);
  }

  async reopenRequest(id: string, expiresTs: number, now: number): Promise<boolean> {
    return (await this.db.execute(
      `UPDATE matching_requests SET status = 'waiting', closed_ts = NULL, close_reason = NULL, expires_ts = $1, updated_ts = $2
       WHERE id = $3 AND status IN ('declined', 'expired') AND origin = 'partner'`, [expiresTs, now, id],
    )) > 0;
  }

  openRequests(): Promise<RequestRow[]> {
    return this.db.query<RequestRow>(`SELECT * FROM matching_requests WHERE status IN ${OPEN} ORDER BY queued_ts, id`);
  }

  async queue(): Promise<QueueEntry[]> {
    // One statement, one snapshot: the exclusions belong to the rows returned.
    return this.db.query<QueueEntry>(
      `SELECT r.*, COALESCE((SELECT array_agg(e.candidate ORDER BY e.ts, e.candidate) FROM matching_exclusions e WHERE e.request_id = r.id), '{}') AS excluded
       FROM matching_requests r WHERE r.status = 'waiting' ORDER BY r.queued_ts, r.id`,
    );
  }

  async queuePosition(r: RequestRow): Promise<number> {
    const row = (await this.db.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM matching_requests WHERE status IN ${OPEN} AND topic = $1 AND (queued_ts < $2 OR (queued_ts = $2 AND id < $3))`,
      [r.topic, r.queued_ts, r.id],
    ))[0];
    return (row?.n ?? 0) + 1;
  }

  async recentWaits(topic: string | null, sinceTs: number, limit: number): Promise<number[]> {
    const rows = await this.db.query<{ wait: number }>(
      `SELECT matched_ts - created_ts AS wait FROM matching_requests
       WHERE origin = 'local' AND matched_ts IS NOT NULL AND matched_ts >= $1 AND ($2::text IS NULL OR topic = $2)
       ORDER BY matched_ts DESC LIMIT $3`, [sinceTs, topic, limit],
    );
    return rows.map((r) => r.wait);
  }

  closeRequest(id: string, status: 'cancelled' | 'expired' | 'declined', reason: string, now: number, fx?: Effects): Promise<{ request: RequestRow; withdrawn: OfferRow | null } | undefined> {
    return this.db.tx(async (q) => {
      const request = (await q.query<RequestRow>(
        `UPDATE matching_requests SET status = $1, closed_ts = $2, close_reason = $3, updated_ts = $2 WHERE id = $4 AND status IN ${OPEN} RETURNING *`,
        [status, now, reason, id],
      ))[0];
      if (!request) return undefined;
      const withdrawn = (await q.query<OfferRow>(
        "UPDATE matching_offers SET status = 'withdrawn', resolved_ts = $1, reason = $2 WHERE request_id = $3 AND status = 'pending' RETURNING *", [now, reason, id],
      ))[0] ?? null;
      await this.effects(q, fx, now);
      return { request, withdrawn };
    });
  }

  // ── offers ──

  createOffers(offers: OfferDraft[], now: number): Promise<OfferRow[]> {
    return this.db.tx(async (q) => {
      // Supporters' rows first, in one order (no deadlock between replicas): while we hold them, no
      // other replica offers to these supporters, and what we count below stays true until commit.
      const supporters = [...new Set(offers.filter((o) => o.offer.target_kind === 'supporter').map((o) => o.offer.target))].sort();
      const live = new Set((await q.query<{ user_id: string }>(
        'SELECT user_id FROM matching_availability WHERE user_id = ANY($1::text[]) AND available ORDER BY user_id FOR UPDATE', [supporters],
      )).map((r) => r.user_id));
      // Capacity bounds the supporter's sessions and pending offers together: the matcher's figure
      // (roster capacity, else the policy default), else the roster's when the caller gave none.
      const capacity = new Map<string, number>();
      for (const o of offers) if (o.offer.target_kind === 'supporter' && o.capacity !== undefined) capacity.set(o.offer.target, o.capacity);
      const spare = new Map<string, number>();
      if (supporters.length > 0) {
        for (const r of await q.query<{ user_id: string; capacity: number | null; busy: number }>(
          `SELECT u.user_id, s.capacity,
             (SELECT COUNT(*) FROM matching_sessions m WHERE m.supporter = u.user_id AND m.status IN ('creating', 'active'))
             + (SELECT COUNT(*) FROM matching_offers o WHERE o.target = u.user_id AND o.target_kind = 'supporter' AND o.status = 'pending') AS busy
           FROM unnest($1::text[]) AS u(user_id) LEFT JOIN roster_supporters s ON s.user_id = u.user_id`, [supporters],
        )) {
          const cap = capacity.get(r.user_id) ?? r.capacity;
          if (cap !== null) spare.set(r.user_id, cap - r.busy);
        }
      }
      const created: OfferRow[] = [];
      for (const { offer, fx } of offers) {
        if (offer.target_kind === 'supporter') {
          if (!live.has(offer.target)) continue;
          const left = spare.get(offer.target);
          if (left !== undefined && left <= 0) continue;
        }
        // A request another replica is offering at this moment is locked: skip it rather than wait.
        const claimed = await q.execute(
          `UPDATE matching_requests SET status = 'offered', updated_ts = $1
           WHERE id = (SELECT id FROM matching_requests WHERE id = $2 AND status = 'waiting' FOR UPDATE SKIP LOCKED)`, [now, offer.request_id],
        );
        if (claimed === 0) continue;
        await q.execute(
          'INSERT INTO matching_offers (id, request_id, target_kind, target, status, created_ts, expires_ts, resolved_ts, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
          [offer.id, offer.request_id, offer.target_kind, offer.target, offer.status, offer.created_ts, offer.expires_ts, offer.resolved_ts, offer.reason],
        );
        if (offer.target_kind === 'supporter') {
          await q.execute('UPDATE matching_availability SET last_offer_ts = $1 WHERE user_id = $2', [now, offer.target]);
          const left = spare.get(offer.target);
          if (left !== undefined) spare.set(offer.target, left - 1);
        }
        await this.effects(q, fx, now);
        created.push(offer);
      }
      return created;
    });
  }

  async offer(id: string): Promise<OfferRow | undefined> {
    return (await this.db.query<OfferRow>('SELECT * FROM matching_offers WHERE id = $1', [id]))[0];
  }

  pendingOffers(): Promise<OfferRow[]> {
    return this.db.query<OfferRow>("SELECT * FROM matching_offers WHERE status = 'pending' ORDER BY expires_ts, id");
  }

  pendingOffersOf(userId: string): Promise<OfferRow[]> {
    return this.db.query<OfferRow>("SELECT * FROM matching_offers WHERE target = $1 AND target_kind = 'supporter' AND status = 'pending' ORDER BY created_ts, id", [userId]);
  }

  async pendingOfferOfRequest(requestId: string): Promise<OfferRow | undefined> {
    return (await this.db.query<OfferRow>("SELECT * FROM matching_offers WHERE request_id = $1 AND status = 'pending'", [requestId]))[0];
  }

  resolveOffer(id: string, r: ResolveOffer, now: number): Promise<OfferRow | undefined> {
    return this.db.tx(async (q) => {
      const offer = (await q.query<OfferRow>(
        "UPDATE matching_offers SET status = $1, resolved_ts = $2, reason = $3 WHERE id = $4 AND status = 'pending' RETURNING *", [r.status, now, r.reason, id],
      ))[0];
      if (!offer) return undefined;
      if (r.exclude !== null) await this.exclude(q, offer.request_id, r.exclude, r.status, now);
      if (r.requeue) await q.execute("UPDATE matching_requests SET status = 'waiting', updated_ts = $1 WHERE id = $2 AND status = 'offered'", [now, offer.request_id]);
      if (r.pause) await q.execute('UPDATE matching_availability SET available = FALSE, paused_reason = $1, updated_ts = $2 WHERE user_id = $3', [r.pause.reason, now, r.pause.user_id]);
      await this.effects(q, r, now);
      return offer;
    });
  }

  acceptOffer(id: string, by: string, session: SessionRow, now: number, fx?: Effects): Promise<AcceptResult> {
    return this.db.tx(async (q): Promise<AcceptResult> => {
      // The row lock makes a second acceptance (another replica, a double click) wait, then read
      // the committed 'accepted' and give up.
      const offer = (await q.query<OfferRow>('SELECT * FROM matching_offers WHERE id = $1 FOR UPDATE', [id]))[0];
      if (!offer || offer.status !== 'pending') return { ok: false, reason: 'not_pending' };
      if (offer.target !== by) return { ok: false, reason: 'not_yours' };
      if (now >= offer.expires_ts) return { ok: false, reason: 'expired' };
      await q.execute("UPDATE matching_offers SET status = 'accepted', resolved_ts = $1 WHERE id = $2", [now, id]);
      const changes = await q.execute("UPDATE matching_requests SET status = 'matched', matched_ts = $1, session_id = $2, updated_ts = $1 WHERE id = $3 AND status = 'offered'",
        [now, session.id, offer.request_id]);
      // An offered request always has its pending offer; anything else is a bug: roll back.
      if (changes === 0) throw new Error(`request ${offer.request_id} of pending offer ${id} is not offered`);
      await this.insertSession(q, session);
      await this.effects(q, fx, now);
      return { ok: true, session };
    });
  }

  private async insertSession(q: PgQueryable, s: SessionRow): Promise<void> {
    await q.execute(
      `INSERT INTO matching_sessions (id, request_id, role, room_id, student, supporter, student_server, supporter_server, topic, status, created_ts,
        student_joined_ts, supporter_joined_ts, ended_ts, ended_by, outcome, checkin_proposed_ts, checkin_status, checkin_answered_ts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
      [s.id, s.request_id, s.role, s.room_id, s.student, s.supporter, s.student_server, s.supporter_server, s.topic, s.status, s.created_ts,
        s.student_joined_ts, s.supporter_joined_ts, s.ended_ts, s.ended_by, s.outcome,
        s.check_in?.proposed_ts ?? null, s.check_in?.status ?? null, s.check_in?.answered_ts ?? null],
    );
  }

  // ── availability ──

  async availability(userId: string): Promise<AvailabilityRow | undefined> {
    const r = (await this.db.query<AvailabilityDbRow>('SELECT * FROM matching_availability WHERE user_id = $1', [userId]))[0];
    return r ? availabilityFrom(r) : undefined;
  }

  async allAvailability(): Promise<AvailabilityRow[]> {
    return (await this.db.query<AvailabilityDbRow>('SELECT * FROM matching_availability ORDER BY user_id')).map(availabilityFrom);
  }

  setAvailability(a: AvailabilityRow, fx?: Effects): Promise<void> {
    return this.db.tx(async (q) => {
      await q.execute(
        `INSERT INTO matching_availability (user_id, available, topics, languages, updated_ts, paused_reason) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET available = excluded.available, topics = excluded.topics, languages = excluded.languages,
           updated_ts = excluded.updated_ts, paused_reason = excluded.paused_reason`,
        [a.user_id, a.available, a.topics === null ? null : JSON.stringify(a.topics), JSON.stringify(a.languages), a.updated_ts, a.paused_reason],
      );
      await this.effects(q, fx, a.updated_ts);
    });
  }

  async loads(): Promise<Map<string, SupporterLoad>> {
    const rows = await this.db.query<{ u: string; sessions: number; offers: number; last: number }>(
      `SELECT u, SUM(sessions) AS sessions, SUM(offers) AS offers, MAX(last) AS last FROM (
         SELECT supporter AS u, COUNT(*) AS sessions, 0 AS offers, 0 AS last FROM matching_sessions WHERE status IN ('creating', 'active') GROUP BY supporter
         UNION ALL SELECT target, 0, COUNT(*), 0 FROM matching_offers WHERE status = 'pending' AND target_kind = 'supporter' GROUP BY target
         UNION ALL SELECT user_id, 0, 0, last_offer_ts FROM matching_availability WHERE last_offer_ts > 0
       ) t GROUP BY u`,
    );
    return new Map(rows.map((r) => [r.u, { active_sessions: r.sessions, pending_offers: r.offers, last_offer_ts: r.last }]));
  }

  // ── sessions ──

  session(id: string): Promise<SessionRow | undefined> {
    return this.sessionRow(this.db, id);
  }

  async sessionByRoom(roomId: string): Promise<SessionRow | undefined> {
    const r = (await this.db.query<SessionDbRow>('SELECT * FROM matching_sessions WHERE room_id = $1 ORDER BY created_ts DESC LIMIT 1', [roomId]))[0];
    return r ? sessionFrom(r) : undefined;
  }

  async sessionByRequest(requestId: string): Promise<SessionRow | undefined> {
    const r = (await this.db.query<SessionDbRow>('SELECT * FROM matching_sessions WHERE request_id = $1 ORDER BY created_ts DESC LIMIT 1', [requestId]))[0];
    return r ? sessionFrom(r) : undefined;
  }

  async sessionsOf(userId: string, limit: number): Promise<SessionRow[]> {
    return (await this.db.query<SessionDbRow>('SELECT * FROM matching_sessions WHERE student = $1 OR supporter = $1 ORDER BY created_ts DESC, id LIMIT $2', [userId, limit])).map(sessionFrom);
  }

  async sessionsWithStatus(status: SessionStatus): Promise<SessionRow[]> {
    return (await this.db.query<SessionDbRow>('SELECT * FROM matching_sessions WHERE status = $1 ORDER BY created_ts, id', [status])).map(sessionFrom);
  }

  activateSession(id: string, roomId: string, room: RoomRow | null, now: number, fx?: Effects): Promise<SessionRow | undefined> {
    return this.db.tx(async (q) => {
      const r = (await q.query<SessionDbRow>("UPDATE matching_sessions SET status = 'active', room_id = $1 WHERE id = $2 AND status = 'creating' RETURNING *", [roomId, id]))[0];
      if (!r) return undefined;
      if (room) await this.insertRoom(q, room);
      await this.effects(q, fx, now);
      return sessionFrom(r);
    });
  }

  failSession(id: string, reason: string, requeue: boolean, now: number, fx?: Effects): Promise<SessionRow | undefined> {
    return this.db.tx(async (q) => {
      const r = (await q.query<SessionDbRow>(
        "UPDATE matching_sessions SET status = 'failed', ended_ts = $1, ended_by = 'system', outcome = $2 WHERE id = $3 AND status = 'creating' RETURNING *", [now, reason, id],
      ))[0];
      if (!r) return undefined;
      if (requeue) await this.requeue(q, r.request_id, now);
      else await q.execute("UPDATE matching_requests SET status = 'declined', closed_ts = $1, close_reason = $2, updated_ts = $1 WHERE id = $3 AND status = 'matched'", [now, reason, r.request_id]);
      await this.effects(q, fx, now);
      return sessionFrom(r);
    });
  }

  async noteJoined(id: string, who: 'student' | 'supporter', ts: number): Promise<void> {
    const column = who === 'student' ? 'student_joined_ts' : 'supporter_joined_ts';
    await this.db.execute(`UPDATE matching_sessions SET ${column} = $1 WHERE id = $2 AND ${column} IS NULL`, [ts, id]);
  }

  endSession(id: string, e: EndSession, now: number): Promise<SessionRow | undefined> {
    return this.db.tx(async (q) => {
      const r = (await q.query<SessionDbRow>(
        `UPDATE matching_sessions SET status = 'ended', ended_ts = $1, ended_by = $2, outcome = $3, checkin_proposed_ts = $4, checkin_status = $5, checkin_answered_ts = NULL
         WHERE id = $6 AND status = 'active' RETURNING *`,
        [now, e.ended_by, e.outcome, e.check_in?.proposed_ts ?? null, e.check_in?.status ?? null, id],
      ))[0];
      if (!r) return undefined;
      if (e.purge_after_ts !== null && r.room_id !== null) {
        await q.execute('UPDATE matching_rooms SET purge_after_ts = GREATEST(purge_after_ts, $1) WHERE room_id = $2 AND purged_ts IS NULL', [e.purge_after_ts, r.room_id]);
      }
      if (e.requeue_without !== null) {
        await this.requeue(q, r.request_id, now);
        await this.exclude(q, r.request_id, e.requeue_without, e.outcome, now);
      }
      await this.effects(q, e, now);
      return sessionFrom(r);
    });
  }

  async answerCheckIn(id: string, accept: boolean, now: number): Promise<SessionRow | undefined> {
    const r = (await this.db.query<SessionDbRow>(
      "UPDATE matching_sessions SET checkin_status = $1, checkin_answered_ts = $2 WHERE id = $3 AND status = 'ended' AND checkin_status = 'offered' RETURNING *",
      [accept ? 'accepted' : 'declined', now, id],
    ))[0];
    return r ? sessionFrom(r) : undefined;
  }

  reopenSession(id: string, checkIn: boolean, now: number, fx?: Effects): Promise<SessionRow | undefined> {
    return this.db.tx(async (q) => {
      const r = (await (checkIn
        ? q.query<SessionDbRow>(
          `UPDATE matching_sessions SET status = 'active', checkin_status = 'started', ended_ts = NULL, ended_by = NULL, outcome = NULL, supporter_joined_ts = NULL
           WHERE id = $1 AND status = 'ended' AND checkin_status = 'accepted' AND checkin_proposed_ts <= $2 RETURNING *`, [id, now])
        : q.query<SessionDbRow>("UPDATE matching_sessions SET status = 'active', ended_ts = NULL, ended_by = NULL, outcome = NULL WHERE id = $1 AND status = 'ended' RETURNING *", [id])))[0];
      if (!r) return undefined;
      await this.effects(q, fx, now);
      return sessionFrom(r);
    });
  }

  async dueCheckIns(now: number): Promise<SessionRow[]> {
    return (await this.db.query<SessionDbRow>(
      "SELECT * FROM matching_sessions WHERE status = 'ended' AND checkin_status = 'accepted' AND checkin_proposed_ts <= $1 ORDER BY checkin_proposed_ts", [now],
    )).map(sessionFrom);
  }
}
