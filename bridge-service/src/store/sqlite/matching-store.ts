// Requests and matching in SQLite. Each transition is one `write()`: it checks the row's current
// status in its UPDATE (compare-and-set), applies the related rows (offer, request, session, room,
// exclusions, pauses) and its effects (coordination outbox, audit facts) in the same transaction.
// Rooms, groups, partner links and the outbox are in the base class (matching-store-base.ts).
import type { OfferDraft,
  AcceptResult, AvailabilityRow, EndSession, MatchingStore, OfferRow, QueueEntry, RequestRow, ResolveOffer, RoomRow, SessionRow, SessionStatus, SupporterLoad, Effects,
} from '../matching-store.ts';
import { SqliteMatchingBase } from './matching-store-base.ts';
import {
  availabilityFrom, requestFrom, sessionFrom, type AvailabilityDbRow, type OfferDbRow, type RequestDbRow, type SessionDbRow,
} from './matching-schema.ts';

const OPEN = "('waiting', 'offered')";

export class SqliteMatchingStore extends SqliteMatchingBase implements MatchingStore {
  private requestRow(id: string): RequestRow | undefined {
    const r = this.db.get<RequestDbRow>('SELECT * FROM matching_requests WHERE id = ?', id);
    return r ? requestFrom(r) : undefined;
  }

  private sessionRow(id: string): SessionRow | undefined {
    const r = this.db.get<SessionDbRow>('SELECT * FROM matching_sessions WHERE id = ?', id);
    return r ? sessionFrom(r) : undefined;
  }

  private exclude(requestId: string, candidate: string, reason: string, now: number): void {
    this.db.run('INSERT OR IGNORE INTO matching_exclusions (request_id, candidate, reason, ts) VALUES (?, ?, ?, ?)', requestId, candidate, reason, now);
  }

  private requeue(requestId: string, now: number): void {
    this.db.run(`UPDATE matching_requests SET status = 'waiting', session_id = NULL, matched_ts = NULL, updated_ts = ?
      WHERE id = ? AND status IN ('offered', 'matched')`, now, requestId);
  }

  // ── requests ──

  insertRequest(r: RequestRow, fx?: Effects): Promise<'inserted' | 'exists'> {
    return this.db.write(() => {
      if (r.remote_id !== null && this.db.get('SELECT 1 FROM matching_requests WHERE institution = ? AND remote_id = ?', r.institution, r.remote_id)) return 'exists';
      this.db.run(
        `INSERT INTO matching_requests (id, origin, student, institution, remote_id, topic, language, region, minor, status,
          created_ts, queued_ts, updated_ts, expires_ts, matched_ts, closed_ts, close_reason, session_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.id, r.origin, r.student, r.institution, r.remote_id, r.topic, r.language, r.region, r.minor ? 1 : 0, r.status,
        r.created_ts, r.queued_ts, r.updated_ts, r.expires_ts, r.matched_ts, r.closed_ts, r.close_reason, r.session_id,
      );
      this.effects(fx, r.created_ts);
      return 'inserted';
    });
  }

  async request(id: string): Promise<RequestRow | undefined> {
    return this.requestRow(id);
  }

  async requestByRemote(institution: string, remoteId: string): Promise<RequestRow | undefined> {
    const r = this.db.get<RequestDbRow>('SELECT * FROM matching_requests WHERE institution = ? AND remote_id = ?', institution, remoteId);
    return r ? requestFrom(r) : undefined;
  }

  async requestsOfStudent(student: string, limit: number): Promise<RequestRow[]> {
    return this.db.all<RequestDbRow>('SELECT * FROM matching_requests WHERE student = ? ORDER BY created_ts DESC, id LIMIT ?', student, limit).map(requestFrom);
  }

  async requestTimesOfStudent(student: string, sinceTs: number): Promise<number[]> {
    return this.db.all<{ created_ts: number }>('SELECT created_ts FROM matching_requests WHERE student = ? AND created_ts >= ? ORDER BY created_ts', student, sinceTs)
      .map((r) => r.created_ts);
  }

  reopenRequest(id: string, expiresTs: number, now: number): Promise<boolean> {
    return this.db.write(() => this.db.run(
      `UPDATE matching_requests SET status = 'waiting', closed_ts = NULL, close_reason = NULL, expires_ts = ?, updated_ts = ?
       WHERE id = ? AND status IN ('declined', 'expired') AND origin = 'partner'`, expiresTs, now, id,
    ).changes > 0);
  }

  async openRequests(): Promise<RequestRow[]> {
    return this.db.all<RequestDbRow>(`SELECT * FROM matching_requests WHERE status IN ${OPEN} ORDER BY queued_ts, id`).map(requestFrom);
  }

  async queue(): Promise<QueueEntry[]> {
    const rows = this.db.all<RequestDbRow>("SELECT * FROM matching_requests WHERE status = 'waiting' ORDER BY queued_ts, id").map(requestFrom);
    const excluded = new Map<string, string[]>();
    for (const e of this.db.all<{ request_id: string; candidate: string }>(
      `SELECT e.request_id, e.candidate FROM matching_exclusions e JOIN matching_requests r ON r.id = e.request_id WHERE r.status = 'waiting'`,
    )) {
      let list = excluded.get(e.request_id);
      if (!list) excluded.set(e.request_id, list = []);
      list.push(e.candidate);
    }
    return rows.map((r) => ({ ...r, excluded: excluded.get(r.id) ?? [] }));
  }

  async queuePosition(r: RequestRow): Promise<number> {
    const row = this.db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM matching_requests WHERE status IN ${OPEN} AND topic = ? AND (queued_ts < ? OR (queued_ts = ? AND id < ?))`,
      r.topic, r.queued_ts, r.queued_ts, r.id,
    );
    return (row?.n ?? 0) + 1;
  }

  async recentWaits(topic: string | null, sinceTs: number, limit: number): Promise<number[]> {
    const sql = `SELECT matched_ts - created_ts AS wait FROM matching_requests
      WHERE origin = 'local' AND matched_ts IS NOT NULL AND matched_ts >= ? ${topic === null ? '' : 'AND topic = ?'}
      ORDER BY matched_ts DESC LIMIT ?`;
    const rows = topic === null ? this.db.all<{ wait: number }>(sql, sinceTs, limit) : this.db.all<{ wait: number }>(sql, sinceTs, topic, limit);
    return rows.map((r) => r.wait);
  }

  closeRequest(id: string, status: 'cancelled' | 'expired' | 'declined', reason: string, now: number, fx?: Effects): Promise<{ request: RequestRow; withdrawn: OfferRow | null } | undefined> {
    return this.db.write(() => {
      const { changes } = this.db.run(`UPDATE matching_requests SET status = ?, closed_ts = ?, close_reason = ?, updated_ts = ? WHERE id = ? AND status IN ${OPEN}`,
        status, now, reason, now, id);
      if (changes === 0) return undefined;
      const offer = this.db.get<OfferDbRow>("SELECT * FROM matching_offers WHERE request_id = ? AND status = 'pending'", id) ?? null;
      if (offer) this.db.run("UPDATE matching_offers SET status = 'withdrawn', resolved_ts = ?, reason = ? WHERE id = ?", now, reason, offer.id);
      this.effects(fx, now);
      return { request: this.requestRow(id)!, withdrawn: offer ? { ...offer, status: 'withdrawn' as const, resolved_ts: now, reason } : null };
    });
  }

  // ── offers ──

  createOffers(offers: OfferDraft[], now: number): Promise<OfferRow[]> {
    return this.db.write(() => {
      const created: OfferRow[] = [];
      for (const { offer, fx, capacity } of offers) {
        if (offer.target_kind === 'supporter') {
          // Sessions plus pending offers stay within the capacity the matcher computed (else the roster's).
          const row = this.db.get<{ capacity: number | null; busy: number }>(
            `SELECT (SELECT capacity FROM roster_supporters WHERE user_id = ?1) AS capacity,
               (SELECT COUNT(*) FROM matching_sessions WHERE supporter = ?1 AND status IN ('creating', 'active'))
               + (SELECT COUNT(*) FROM matching_offers WHERE target = ?1 AND target_kind = 'supporter' AND status = 'pending') AS busy`, offer.target,
          )!;
          const cap = capacity ?? row.capacity;
          if (cap !== null && row.busy >= cap) continue;
        }
        const { changes } = this.db.run("UPDATE matching_requests SET status = 'offered', updated_ts = ? WHERE id = ? AND status = 'waiting'", now, offer.request_id);
        if (changes === 0) continue;
        this.db.run(
          'INSERT INTO matching_offers (id, request_id, target_kind, target, status, created_ts, expires_ts, resolved_ts, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          offer.id, offer.request_id, offer.target_kind, offer.target, offer.status, offer.created_ts, offer.expires_ts, offer.resolved_ts, offer.reason,
        );
        if (offer.target_kind === 'supporter') this.db.run('UPDATE matching_availability SET last_offer_ts = ? WHERE user_id = ?', now, offer.target);
        this.effects(fx, now);
        created.push(offer);
      }
      return created;
    });
  }

  async offer(id: string): Promise<OfferRow | undefined> {
    return this.db.get<OfferDbRow>('SELECT * FROM matching_offers WHERE id = ?', id);
  }

  async pendingOffers(): Promise<OfferRow[]> {
    return this.db.all<OfferDbRow>("SELECT * FROM matching_offers WHERE status = 'pending' ORDER BY expires_ts, id");
  }

  async pendingOffersOf(userId: string): Promise<OfferRow[]> {
    return this.db.all<OfferDbRow>("SELECT * FROM matching_offers WHERE target = ? AND target_kind = 'supporter' AND status = 'pending' ORDER BY created_ts, id", userId);
  }

  async pendingOfferOfRequest(requestId: string): Promise<OfferRow | undefined> {
    return this.db.get<OfferDbRow>("SELECT * FROM matching_offers WHERE request_id = ? AND status = 'pending'", requestId);
  }

  resolveOffer(id: string, r: ResolveOffer, now: number): Promise<OfferRow | undefined> {
    return this.db.write(() => {
      const offer = this.db.get<OfferDbRow>("SELECT * FROM matching_offers WHERE id = ? AND status = 'pending'", id);
      if (!offer) return undefined;
      this.db.run('UPDATE matching_offers SET status = ?, resolved_ts = ?, reason = ? WHERE id = ?', r.status, now, r.reason, id);
      if (r.exclude !== null) this.exclude(offer.request_id, r.exclude, r.status, now);
      if (r.requeue) this.db.run("UPDATE matching_requests SET status = 'waiting', updated_ts = ? WHERE id = ? AND status = 'offered'", now, offer.request_id);
      if (r.pause) this.db.run('UPDATE matching_availability SET available = 0, paused_reason = ?, updated_ts = ? WHERE user_id = ?', r.pause.reason, now, r.pause.user_id);
      this.effects(r, now);
      return { ...offer, status: r.status, resolved_ts: now, reason: r.reason };
    });
  }

  acceptOffer(id: string, by: string, session: SessionRow, now: number, fx?: Effects): Promise<AcceptResult> {
    return this.db.write((): AcceptResult => {
      const offer = this.db.get<OfferDbRow>('SELECT * FROM matching_offers WHERE id = ?', id);
      if (!offer || offer.status !== 'pending') return { ok: false, reason: 'not_pending' };
      if (offer.target !== by) return { ok: false, reason: 'not_yours' };
      if (now >= offer.expires_ts) return { ok: false, reason: 'expired' };
      this.db.run("UPDATE matching_offers SET status = 'accepted', resolved_ts = ? WHERE id = ?", now, id);
      const { changes } = this.db.run("UPDATE matching_requests SET status = 'matched', matched_ts = ?, session_id = ?, updated_ts = ? WHERE id = ? AND status = 'offered'",
        now, session.id, now, offer.request_id);
      // An offered request always has its pending offer; anything else is a bug: roll back.
      if (changes === 0) throw new Error(`request ${offer.request_id} of pending offer ${id} is not offered`);
      this.insertSession(session);
      this.effects(fx, now);
      return { ok: true, session };
    });
  }

  private insertSession(s: SessionRow): void {
    this.db.run(
      `INSERT INTO matching_sessions (id, request_id, role, room_id, student, supporter, student_server, supporter_server, topic, status, created_ts,
        student_joined_ts, supporter_joined_ts, ended_ts, ended_by, outcome, checkin_proposed_ts, checkin_status, checkin_answered_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.id, s.request_id, s.role, s.room_id, s.student, s.supporter, s.student_server, s.supporter_server, s.topic, s.status, s.created_ts,
      s.student_joined_ts, s.supporter_joined_ts, s.ended_ts, s.ended_by, s.outcome,
      s.check_in?.proposed_ts ?? null, s.check_in?.status ?? null, s.check_in?.answered_ts ?? null,
    );
  }

  // ── availability ──

  async availability(userId: string): Promise<AvailabilityRow | undefined> {
    const r = this.db.get<AvailabilityDbRow>('SELECT * FROM matching_availability WHERE user_id = ?', userId);
    return r ? availabilityFrom(r) : undefined;
  }

  async allAvailability(): Promise<AvailabilityRow[]> {
    return this.db.all<AvailabilityDbRow>('SELECT * FROM matching_availability ORDER BY user_id').map(availabilityFrom);
  }

  setAvailability(a: AvailabilityRow, fx?: Effects): Promise<void> {
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO matching_availability (user_id, available, topics, languages, updated_ts, paused_reason) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET available = excluded.available, topics = excluded.topics, languages = excluded.languages,
           updated_ts = excluded.updated_ts, paused_reason = excluded.paused_reason`,
        a.user_id, a.available ? 1 : 0, a.topics === null ? null : JSON.stringify(a.topics), JSON.stringify(a.languages), a.updated_ts, a.paused_reason,
      );
      this.effects(fx, a.updated_ts);
    });
  }

  async loads(): Promise<Map<string, SupporterLoad>> {
    const out = new Map<string, SupporterLoad>();
    const get = (u: string): SupporterLoad => {
      let l = out.get(u);
      if (!l) out.set(u, l = { active_sessions: 0, pending_offers: 0, last_offer_ts: 0 });
      return l;
    };
    for (const r of this.db.all<{ u: string; n: number }>("SELECT supporter AS u, COUNT(*) AS n FROM matching_sessions WHERE status IN ('creating', 'active') GROUP BY supporter")) get(r.u).active_sessions = r.n;
    for (const r of this.db.all<{ u: string; n: number }>("SELECT target AS u, COUNT(*) AS n FROM matching_offers WHERE status = 'pending' AND target_kind = 'supporter' GROUP BY target")) get(r.u).pending_offers = r.n;
    for (const r of this.db.all<{ u: string; t: number }>('SELECT user_id AS u, last_offer_ts AS t FROM matching_availability WHERE last_offer_ts > 0')) get(r.u).last_offer_ts = r.t;
    return out;
  }

  // ── sessions ──

  async session(id: string): Promise<SessionRow | undefined> {
    return this.sessionRow(id);
  }

  async sessionByRoom(roomId: string): Promise<SessionRow | undefined> {
    const r = this.db.get<SessionDbRow>('SELECT * FROM matching_sessions WHERE room_id = ? ORDER BY created_ts DESC LIMIT 1', roomId);
    return r ? sessionFrom(r) : undefined;
  }

  async sessionByRequest(requestId: string): Promise<SessionRow | undefined> {
    const r = this.db.get<SessionDbRow>('SELECT * FROM matching_sessions WHERE request_id = ? ORDER BY created_ts DESC LIMIT 1', requestId);
    return r ? sessionFrom(r) : undefined;
  }

  async sessionsOf(userId: string, limit: number): Promise<SessionRow[]> {
    return this.db.all<SessionDbRow>('SELECT * FROM matching_sessions WHERE student = ? OR supporter = ? ORDER BY created_ts DESC, id LIMIT ?', userId, userId, limit).map(sessionFrom);
  }

  async sessionsWithStatus(status: SessionStatus): Promise<SessionRow[]> {
    return this.db.all<SessionDbRow>('SELECT * FROM matching_sessions WHERE status = ? ORDER BY created_ts, id', status).map(sessionFrom);
  }

  activateSession(id: string, roomId: string, room: RoomRow | null, now: number, fx?: Effects): Promise<SessionRow | undefined> {
    return this.db.write(() => {
      const { changes } = this.db.run("UPDATE matching_sessions SET status = 'active', room_id = ? WHERE id = ? AND status = 'creating'", roomId, id);
      if (changes === 0) return undefined;
      if (room) this.insertRoom(room);
      this.effects(fx, now);
      return this.sessionRow(id);
    });
  }

  failSession(id: string, reason: string, requeue: boolean, now: number, fx?: Effects): Promise<SessionRow | undefined> {
    return this.db.write(() => {
      const { changes } = this.db.run("UPDATE matching_sessions SET status = 'failed', ended_ts = ?, ended_by = 'system', outcome = ? WHERE id = ? AND status = 'creating'", now, reason, id);
      if (changes === 0) return undefined;
      const s = this.sessionRow(id)!;
      if (requeue) this.requeue(s.request_id, now);
      else this.db.run("UPDATE matching_requests SET status = 'declined', closed_ts = ?, close_reason = ?, updated_ts = ? WHERE id = ? AND status = 'matched'", now, reason, now, s.request_id);
      this.effects(fx, now);
      return s;
    });
  }

  noteJoined(id: string, who: 'student' | 'supporter', ts: number): Promise<void> {
    const column = who === 'student' ? 'student_joined_ts' : 'supporter_joined_ts';
    return this.db.write(() => {
      this.db.run(`UPDATE matching_sessions SET ${column} = ? WHERE id = ? AND ${column} IS NULL`, ts, id);
    });
  }

  endSession(id: string, e: EndSession, now: number): Promise<SessionRow | undefined> {
    return this.db.write(() => {
      const { changes } = this.db.run(
        `UPDATE matching_sessions SET status = 'ended', ended_ts = ?, ended_by = ?, outcome = ?, checkin_proposed_ts = ?, checkin_status = ?, checkin_answered_ts = NULL
         WHERE id = ? AND status = 'active'`,
        now, e.ended_by, e.outcome, e.check_in?.proposed_ts ?? null, e.check_in?.status ?? null, id,
      );
      if (changes === 0) return undefined;
      const s = this.sessionRow(id)!;
      if (e.purge_after_ts !== null && s.room_id !== null) {
        this.db.run('UPDATE matching_rooms SET purge_after_ts = MAX(purge_after_ts, ?) WHERE room_id = ? AND purged_ts IS NULL', e.purge_after_ts, s.room_id);
      }
      if (e.requeue_without !== null) {
        this.requeue(s.request_id, now);
        this.exclude(s.request_id, e.requeue_without, e.outcome, now);
      }
      this.effects(e, now);
      return s;
    });
  }

  answerCheckIn(id: string, accept: boolean, now: number): Promise<SessionRow | undefined> {
    return this.db.write(() => {
      const { changes } = this.db.run("UPDATE matching_sessions SET checkin_status = ?, checkin_answered_ts = ? WHERE id = ? AND status = 'ended' AND checkin_status = 'offered'",
        accept ? 'accepted' : 'declined', now, id);
      return changes === 0 ? undefined : this.sessionRow(id);
    });
  }

  reopenSession(id: string, checkIn: boolean, now: number, fx?: Effects): Promise<SessionRow | undefined> {
    return this.db.write(() => {
      const { changes } = checkIn
        ? this.db.run(
          `UPDATE matching_sessions SET status = 'active', checkin_status = 'started', ended_ts = NULL, ended_by = NULL, outcome = NULL, supporter_joined_ts = NULL
           WHERE id = ? AND status = 'ended' AND checkin_status = 'accepted' AND checkin_proposed_ts <= ?`, id, now)
        : this.db.run("UPDATE matching_sessions SET status = 'active', ended_ts = NULL, ended_by = NULL, outcome = NULL WHERE id = ? AND status = 'ended'", id);
      if (changes === 0) return undefined;
      this.effects(fx, now);
      return this.sessionRow(id);
    });
  }

  async dueCheckIns(now: number): Promise<SessionRow[]> {
    return this.db.all<SessionDbRow>("SELECT * FROM matching_sessions WHERE status = 'ended' AND checkin_status = 'accepted' AND checkin_proposed_ts <= ? ORDER BY checkin_proposed_ts", now)
      .map(sessionFrom);
  }
}
