// The matching engine: runs the pure matcher over the queue and turns its assignments into offers
// (to our supporters, or to a partner bridge through the coordination outbox); expires offers and
// requests on time; and carries out supporters' answers and partners' answers. Every transition is
// one atomic store call, so the engine itself holds nothing a restart could lose: timers and the
// "run again" flag are rebuilt from the store.
import { BridgeError, notFound } from '../errors.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { CoordinationMessage } from '../../../protocol/src/coordination.ts';
import type { AuditDraft } from '../core/audit-chain.ts';
import type { OfferRow, OutboxDraft, QueueEntry, RequestRow, SessionRow } from '../store/matching-store.ts';
import { candidateKey, matchQueue, serverOf, type Candidate, type PartnerCandidate, type QueuedRequest } from './matcher.ts';
import { newId } from './ids.ts';
import { capDayStart, dailySessionCap, supporterBlocks, type SupporterBlock } from './eligibility.ts';
import { effectiveCapacity } from '../services/roster-rules.ts';
import type { MatchingContext } from './context.ts';

/** A partner's offer window is ours plus this, so its late answer still finds the request. */
export const PARTNER_GRACE_MS = 15_000;

export interface RoomOpener {
  /** Creates the room of a `creating` host session and activates it; throws (after re-queueing) on failure. */
  openHostRoom(session: SessionRow): Promise<SessionRow>;
}

const fact = (action: string, subject: string | null, details: AuditDraft['details']): AuditDraft => ({ actor: 'system', action, subject, details });

export function toQueued(r: QueueEntry): QueuedRequest {
  return { id: r.id, topic: r.topic, institution: r.institution, minor: r.minor, language: r.language, queued_ts: r.queued_ts, excluded: new Set(r.excluded) };
}

export class MatchingEngine {
  private readonly c: MatchingContext;
  private readonly rooms: RoomOpener;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private expiryTimer: NodeJS.Timeout | null = null;
  private expiryAt = Infinity;
  /** partner|topic → the announcement (its updated_ts) it had when it said "no capacity", and until when to wait. */
  private readonly cooldowns = new Map<string, { availabilityTs: number | null; until: number }>();

  constructor(c: MatchingContext, rooms: RoomOpener) {
    this.c = c;
    this.rooms = rooms;
  }

  /** Runs the matcher soon; calls while it runs coalesce into one more run. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = new Promise<void>((r) => setImmediate(r))
      .then(() => this.runOnce())
      .then(() => undefined, (e: unknown) => this.c.logger.error('matching pass failed', { error: (e as Error).message }))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no pass is running or pending (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
  }

  // ── one pass ──

  /** Our supporters who are available, and partners as they announced themselves. */
  async candidates(policy: InstitutionPolicy, now: number): Promise<Candidate[]> {
    const [records, availability, loads, links, pending] = await Promise.all([
      this.c.roster.supporters(), this.c.store.allAvailability(), this.c.store.loads(), this.c.store.links(), this.c.store.pendingOffers(),
    ]);
    const available = new Map(availability.filter((a) => a.available).map((a) => [a.user_id, a]));
    const blocks = this.c.supervision ? await supporterBlocks(this.c.supervision, policy, now) : new Map<string, SupporterBlock>();
    // The daily cap counts offers still pending too: each may become a session today.
    const cap = dailySessionCap(policy);
    const today = cap !== null && this.c.supervision ? await this.c.supervision.sessionsStartedSince(capDayStart(policy, now)) : null;
    const out: Candidate[] = [];
    for (const record of records) {
      const a = available.get(record.user_id);
      if (!record.active || !a) continue;
      const load = loads.get(record.user_id);
      out.push({
        kind: 'supporter', record, topics: a.topics, languages: a.languages,
        active_sessions: load?.active_sessions ?? 0, pending_offers: load?.pending_offers ?? 0, last_offer_ts: load?.last_offer_ts ?? 0,
        blocked: blocks.get(record.user_id) ?? null,
        ...(cap !== null && today ? { remaining_today: cap - (today.get(record.user_id) ?? 0) - (load?.pending_offers ?? 0) } : {}),
      });
    }
    // What we already asked of each partner and have no answer to yet uses up its announced slots.
    const inFlight = new Map<string, number>();
    for (const o of pending) {
      if (o.target_kind !== 'partner') continue;
      const r = await this.c.store.request(o.request_id);
      if (r) inFlight.set(`${o.target}|${r.topic}`, (inFlight.get(`${o.target}|${r.topic}`) ?? 0) + 1);
    }
    for (const link of links) {
      const av = link.availability;
      if (link.status !== 'ready' || !av) continue;
      const spare: Record<string, number> = {};
      for (const [topic, n] of Object.entries(av.topics)) {
        const key = `${link.partner}|${topic}`;
        const cool = this.cooldowns.get(key);
        const cooling = cool !== undefined && cool.until > now && cool.availabilityTs === av.updated_ts;
        spare[topic] = cooling ? 0 : Math.max(0, n - (inFlight.get(key) ?? 0));
      }
      const p: PartnerCandidate = { kind: 'partner', server_name: link.partner, cross_institution: av.cross_institution, partners: av.partners, spare };
      out.push(p);
    }
    return out;
  }

  /** One pass: match the queue, write the offers, hand back partners' requests we cannot place. */
  async runOnce(): Promise<number> {
    const started = performance.now();
    const policy = this.c.policy();
    const now = this.c.clock.now();
    const queue = await this.c.store.queue();
    if (queue.length === 0) return 0;
    const candidates = await this.candidates(policy, now);
    const assignments = matchQueue(queue.map(toQueued), candidates, policy, now);
    const capacities = new Map(candidates.flatMap((c) => (c.kind === 'supporter' ? [[c.record.user_id, effectiveCapacity(c.record, policy)] as const] : [])));
    const byId = new Map(queue.map((r) => [r.id, r]));
    const timeoutMs = policy.matching.offer_timeout_seconds * 1000;
    const offers = assignments.map(({ request_id, target }) => {
      const r = byId.get(request_id)!;
      if (target.kind === 'supporter') {
        // A partner's request must be answered before the partner's own deadline.
        const expires = r.origin === 'partner' ? Math.min(now + timeoutMs, r.expires_ts - PARTNER_GRACE_MS) : now + timeoutMs;
        return { offer: this.offerRow(r.id, 'supporter', target.user_id, now, Math.max(expires, now + 10_000)), capacity: capacities.get(target.user_id) };
      }
      const expires = now + timeoutMs + PARTNER_GRACE_MS;
      const message: CoordinationMessage = {
        op: 'offer', request_id: r.id, institution: r.institution, topic: r.topic, waiting_since: r.queued_ts, expires_ts: expires,
        ...(r.language !== null ? { language: r.language } : {}),
      };
      return { offer: this.offerRow(r.id, 'partner', target.server_name, now, expires), fx: { outbox: [{ partner: target.server_name, message }] } };
    });
    const created = offers.length > 0 ? await this.c.store.createOffers(offers, now) : [];
    for (const o of created) {
      this.c.metrics.offers.inc({ target: o.target_kind, result: 'made' });
      if (o.target_kind === 'supporter') this.c.wakeups.wake(o.target);
      this.c.wakeups.wake(o.request_id);
      this.scheduleExpiry(o.expires_ts);
    }
    // A partner's request we cannot place now goes straight back, so the partner can try elsewhere:
    // as "declined" once one of ours turned it down (the partner will not ask us again for it),
    // else as "no capacity" (it may ask again when we announce room).
    const placed = new Set(created.map((o) => o.request_id));
    for (const r of queue) {
      if (r.origin !== 'partner' || placed.has(r.id) || r.remote_id === null) continue;
      const reason = r.excluded.length > 0 ? 'declined' : 'no_capacity';
      const back: OutboxDraft = { partner: r.institution, message: { op: 'decline', request_id: r.remote_id, institution: r.institution, reason } };
      await this.c.store.closeRequest(r.id, 'declined', reason, now, { outbox: [back] });
      this.c.metrics.coordination.inc({ direction: 'out', op: 'decline' });
    }
    if (created.some((o) => o.target_kind === 'partner') || queue.some((r) => r.origin === 'partner')) this.c.signals.flushOutbox();
    if (created.length > 0) this.c.signals.availabilityChanged();
    this.c.metrics.matcherSeconds.observe({}, (performance.now() - started) / 1000);
    return created.length;
  }

  private offerRow(requestId: string, kind: 'supporter' | 'partner', target: string, now: number, expires: number): OfferRow {
    return { id: newId('of'), request_id: requestId, target_kind: kind, target, status: 'pending', created_ts: now, expires_ts: expires, resolved_ts: null, reason: null };
  }

  /** Wakes the job at the next offer expiry, so a missed offer goes to someone else on time. */
  private scheduleExpiry(ts: number): void {
    if (this.stopped || ts >= this.expiryAt) return;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryAt = ts;
    this.expiryTimer = setTimeout(() => {
      this.expiryAt = Infinity;
      this.expiryTimer = null;
      this.expire().catch((e: unknown) => this.c.logger.error('offer expiry failed', { error: (e as Error).message }));
    }, Math.max(0, ts - this.c.clock.now()) + 5);
    this.expiryTimer.unref();
  }

  // ── time ──

  /** Expires due offers and requests, then matches again. Safe to call at any time. */
  async expire(): Promise<void> {
    const now = this.c.clock.now();
    let changed = false;
    for (const o of await this.c.store.pendingOffers()) {
      if (o.expires_ts > now) {
        this.scheduleExpiry(o.expires_ts);
        continue;
      }
      changed = true;
      if (o.target_kind === 'supporter') {
        // Whoever lets an offer lapse is probably away: pause them until they say otherwise.
        await this.c.store.resolveOffer(o.id, {
          status: 'expired', reason: 'timeout', requeue: true, exclude: o.target, pause: { user_id: o.target, reason: 'missed_offer' },
        }, now);
        this.c.wakeups.wake(o.target);
      } else {
        await this.c.store.resolveOffer(o.id, {
          status: 'expired', reason: 'timeout', requeue: true, exclude: candidateKey({ kind: 'partner', server_name: o.target }), pause: null,
          outbox: [{ partner: o.target, message: await this.withdrawal(o.request_id, 'expired') }],
        }, now);
      }
      this.c.metrics.offers.inc({ target: o.target_kind, result: 'expired' });
    }
    for (const r of await this.c.store.openRequests()) {
      if (r.expires_ts > now) continue;
      changed = true;
      if (r.origin === 'local') {
        await this.closeLocal(r, 'expired', 'max_wait', now);
        this.c.metrics.requests.inc({ outcome: 'expired' });
      } else if (r.remote_id !== null) {
        const back: OutboxDraft = { partner: r.institution, message: { op: 'decline', request_id: r.remote_id, institution: r.institution, reason: 'timeout' } };
        const res = await this.c.store.closeRequest(r.id, 'expired', 'partner_deadline', now, { outbox: [back] });
        if (res?.withdrawn) this.c.wakeups.wake(res.withdrawn.target);
      }
    }
    if (changed) {
      this.c.signals.flushOutbox();
      this.c.signals.availabilityChanged();
    }
    this.kick();
  }

  private async withdrawal(requestId: string, reason: 'cancelled' | 'expired' | 'not_waiting'): Promise<CoordinationMessage> {
    const r = await this.c.store.request(requestId);
    return { op: 'withdraw', request_id: requestId, institution: r?.institution ?? this.c.serverName, reason };
  }

  /** Closes one of our requests, withdrawing a pending offer (telling the partner if it had it). */
  private async closeLocal(r: RequestRow, status: 'cancelled' | 'expired', reason: string, now: number): Promise<RequestRow | undefined> {
    const pending = await this.c.store.pendingOfferOfRequest(r.id);
    const outbox: OutboxDraft[] = pending?.target_kind === 'partner'
      ? [{ partner: pending.target, message: { op: 'withdraw', request_id: r.id, institution: r.institution, reason: status === 'cancelled' ? 'cancelled' : 'expired' } }]
      : [];
    const res = await this.c.store.closeRequest(r.id, status, reason, now, {
      outbox, facts: [fact(`request.${status}`, r.id, { request_id: r.id, topic: r.topic, waited_ms: now - r.created_ts })],
    });
    this.c.audit.noteAppended();
    if (res?.withdrawn?.target_kind === 'supporter') this.c.wakeups.wake(res.withdrawn.target);
    this.c.wakeups.wake(r.id);
    if (outbox.length > 0) this.c.signals.flushOutbox();
    this.c.signals.availabilityChanged();
    this.kick();
    return res?.request;
  }

  // ── students ──

  async cancel(requestId: string, student: string): Promise<RequestRow> {
    const r = await this.c.store.request(requestId);
    if (!r || r.student !== student) throw notFound(`No request ${requestId} of yours`);
    if (r.status === 'matched') throw new BridgeError(409, 'ORG.PEERLINE.REQUEST_MATCHED', 'This request is already matched; end the session instead (POST /v1/sessions/{id}/end)');
    if (r.status !== 'waiting' && r.status !== 'offered') return r;
    const closed = await this.closeLocal(r, 'cancelled', 'student', this.c.clock.now());
    this.c.metrics.requests.inc({ outcome: 'cancelled' });
    return closed ?? (await this.c.store.request(requestId))!;
  }

  // ── supporters ──

  private async ownOffer(offerId: string, userId: string): Promise<OfferRow> {
    const o = await this.c.store.offer(offerId);
    if (!o || o.target_kind !== 'supporter' || o.target !== userId) throw notFound(`No offer ${offerId} for you`);
    if (o.status !== 'pending') throw new BridgeError(409, 'ORG.PEERLINE.OFFER_NOT_PENDING', `This offer is ${o.status === 'withdrawn' ? 'withdrawn (the student cancelled or was matched elsewhere)' : o.status}`, { status: o.status });
    return o;
  }

  /** A supporter takes an offer: the session starts and, for our own student, the room is made. */
  async accept(offerId: string, userId: string): Promise<SessionRow> {
    const o = await this.ownOffer(offerId, userId);
    const r = (await this.c.store.request(o.request_id))!;
    const now = this.c.clock.now();
    const session: SessionRow = {
      id: newId('ps'), request_id: r.id, role: r.origin === 'local' ? 'host' : 'partner', room_id: null, student: r.student,
      supporter: userId, student_server: r.institution, supporter_server: serverOf(userId), topic: r.topic, status: 'creating', created_ts: now,
      student_joined_ts: null, supporter_joined_ts: null, ended_ts: null, ended_by: null, outcome: null, check_in: null,
    };
    const outbox: OutboxDraft[] = r.origin === 'partner' && r.remote_id !== null
      ? [{ partner: r.institution, message: { op: 'accept', request_id: r.remote_id, institution: r.institution, supporter: userId } }]
      : [];
    const res = await this.c.store.acceptOffer(o.id, userId, session, now, {
      // A partner's request counts in the partner's figures, not ours: it gets an action of its own.
      outbox, facts: [r.origin === 'local'
        ? fact('request.matched', r.id, { request_id: r.id, topic: r.topic, wait_ms: now - r.created_ts, scope: 'institution' })
        : fact('partner_request.matched', r.id, { request_id: r.id, topic: r.topic, partner: r.institution })],
    });
    this.c.audit.noteAppended();
    if (!res.ok) {
      if (res.reason === 'expired') throw new BridgeError(409, 'ORG.PEERLINE.OFFER_NOT_PENDING', 'This offer has expired', { status: 'expired' });
      throw new BridgeError(409, 'ORG.PEERLINE.OFFER_NOT_PENDING', 'This offer is no longer open', { status: 'gone' });
    }
    this.c.metrics.offers.inc({ target: 'supporter', result: 'accepted' });
    this.c.metrics.matches.inc({ scope: r.origin === 'local' ? 'institution' : 'for_partner' });
    if (r.origin === 'local') this.c.metrics.waitSeconds.observe({}, (now - r.created_ts) / 1000);
    this.c.signals.availabilityChanged();
    if (outbox.length > 0) {
      this.c.signals.flushOutbox();
      return res.session;
    }
    return this.rooms.openHostRoom(res.session);
  }

  async decline(offerId: string, userId: string, reason: string): Promise<void> {
    const o = await this.ownOffer(offerId, userId);
    await this.c.store.resolveOffer(o.id, { status: 'declined', reason, requeue: true, exclude: userId, pause: null }, this.c.clock.now());
    this.c.metrics.offers.inc({ target: 'supporter', result: 'declined' });
    this.c.signals.availabilityChanged();
    this.kick();
  }

  // ── partners' answers (from the coordination room) ──

  /** A partner bridge hands us one of its requests. */
  async partnerOffer(partner: string, m: Extract<CoordinationMessage, { op: 'offer' }>): Promise<void> {
    const policy = this.c.policy();
    const now = this.c.clock.now();
    const refuse = async (reason: 'policy'): Promise<void> => {
      await this.c.store.enqueue([{ partner, message: { op: 'decline', request_id: m.request_id, institution: m.institution, reason } }], now);
      this.c.signals.flushOutbox();
    };
    if (m.institution !== partner) return;
    const allowed = policy.matching.cross_institution && policy.partners.some((p) => p.server_name === partner) && policy.topics.some((t) => t.id === m.topic);
    if (!allowed) return refuse('policy');
    const known = await this.c.store.requestByRemote(partner, m.request_id);
    if (known) {
      // Offered again after we declined it: take it back into the queue.
      if (known.status === 'declined' || known.status === 'expired') await this.c.store.reopenRequest(known.id, m.expires_ts, now);
    } else {
      await this.c.store.insertRequest({
        id: newId('rq'), origin: 'partner', student: null, institution: partner, remote_id: m.request_id, topic: m.topic, language: m.language ?? null,
        region: null, minor: false, status: 'waiting', created_ts: now, queued_ts: Math.min(m.waiting_since, now), updated_ts: now, expires_ts: m.expires_ts,
        matched_ts: null, closed_ts: null, close_reason: null, session_id: null,
      });
    }
    this.kick();
  }

  /** The partner's supporter took our request: start the session and make the room. */
  async partnerAccepted(partner: string, m: Extract<CoordinationMessage, { op: 'accept' }>): Promise<void> {
    const now = this.c.clock.now();
    const r = await this.c.store.request(m.request_id);
    const offer = r ? await this.c.store.pendingOfferOfRequest(r.id) : undefined;
    const back = async (reason: 'not_waiting' | 'expired'): Promise<void> => {
      await this.c.store.enqueue([{ partner, message: { op: 'withdraw', request_id: m.request_id, institution: m.institution, reason } }], now);
      this.c.signals.flushOutbox();
    };
    if (r?.status === 'matched' && r.session_id !== null) {
      // The same accept delivered again (a replayed transaction): it already did its work.
      const s = await this.c.store.session(r.session_id);
      if (s?.supporter === m.supporter) return;
    }
    if (!r || r.institution !== this.c.serverName || r.origin !== 'local' || serverOf(m.supporter) !== partner
      || !offer || offer.target_kind !== 'partner' || offer.target !== partner) return back('not_waiting');
    const session: SessionRow = {
      id: newId('ps'), request_id: r.id, role: 'host', room_id: null, student: r.student, supporter: m.supporter, student_server: r.institution,
      supporter_server: partner, topic: r.topic, status: 'creating', created_ts: now,
      student_joined_ts: null, supporter_joined_ts: null, ended_ts: null, ended_by: null, outcome: null, check_in: null,
    };
    const res = await this.c.store.acceptOffer(offer.id, partner, session, now, {
      facts: [fact('request.matched', r.id, { request_id: r.id, topic: r.topic, wait_ms: now - r.created_ts, scope: 'partner', partner })],
    });
    this.c.audit.noteAppended();
    if (!res.ok) return back(res.reason === 'expired' ? 'expired' : 'not_waiting');
    this.c.metrics.offers.inc({ target: 'partner', result: 'accepted' });
    this.c.metrics.matches.inc({ scope: 'partner' });
    this.c.metrics.waitSeconds.observe({}, (now - r.created_ts) / 1000);
    // Not awaited: this runs inside an appservice transaction, which must not wait on room creation.
    this.rooms.openHostRoom(res.session).catch((e: unknown) => this.c.logger.warn('room for a partner match failed', { request_id: r.id, error: (e as Error).message }));
  }

  /** The partner could not place our request. */
  async partnerDeclined(partner: string, m: Extract<CoordinationMessage, { op: 'decline' }>): Promise<void> {
    const now = this.c.clock.now();
    const offer = await this.c.store.pendingOfferOfRequest(m.request_id);
    if (!offer || offer.target_kind !== 'partner' || offer.target !== partner) return;
    // "No capacity" is temporary: try the partner again once it announces something new.
    const transient = m.reason === 'no_capacity';
    await this.c.store.resolveOffer(offer.id, {
      status: 'declined', reason: m.reason, requeue: true, exclude: transient ? null : candidateKey({ kind: 'partner', server_name: partner }), pause: null,
    }, now);
    if (transient) {
      const r = await this.c.store.request(m.request_id);
      const link = await this.c.store.link(partner);
      if (r) this.cooldowns.set(`${partner}|${r.topic}`, { availabilityTs: link?.availability?.updated_ts ?? null, until: now + this.c.timings.partnerCooldownMs });
    }
    this.c.metrics.offers.inc({ target: 'partner', result: 'declined' });
    this.kick();
  }

  /** The partner takes its request back (cancelled, expired, matched elsewhere). */
  async partnerWithdrew(partner: string, m: Extract<CoordinationMessage, { op: 'withdraw' }>): Promise<SessionRow | undefined> {
    const r = await this.c.store.requestByRemote(partner, m.request_id);
    if (!r) return undefined;
    const now = this.c.clock.now();
    const res = await this.c.store.closeRequest(r.id, 'declined', `withdrawn_${m.reason}`, now);
    if (res?.withdrawn) {
      this.c.wakeups.wake(res.withdrawn.target);
      this.c.metrics.offers.inc({ target: 'supporter', result: 'withdrawn' });
    }
    let failed: SessionRow | undefined;
    if (r.status === 'matched' && r.session_id !== null) failed = await this.c.store.failSession(r.session_id, `withdrawn_${m.reason}`, false, now);
    this.c.signals.availabilityChanged();
    this.kick();
    return failed;
  }
}
