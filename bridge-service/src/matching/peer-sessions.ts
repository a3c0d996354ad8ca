// Peer sessions after the match: the bot makes the room on the student's homeserver and invites
// both; memberships tell us who came (no-shows are ended, and a supporter who never came sends the
// student back to the front of the queue); ending a session makes the room read-only, removes the
// supporter and may carry a check-in offer that, once the student accepts it, brings the supporter
// back at the agreed time. The student keeps the room (and their own copy of the conversation)
// until the retention sweep empties it.
import { BridgeError, forbidden, notFound } from '../errors.ts';
import type { AuditDraft } from '../core/audit-chain.ts';
import { SESSION_EVENT_TYPE, type SessionContent } from '../../../protocol/src/event-types.ts';
import type { CoordinationMessage } from '../../../protocol/src/coordination.ts';
import type { RoomEvent } from '../appservice/handlers.ts';
import type { CheckIn, OutboxDraft, RoomRow, SessionRow } from '../store/matching-store.ts';
import { HomeserverError } from '../services/homeserver-client.ts';
import { powerLevels, supportRoomRequest } from './room-content.ts';
import type { RoomOpener } from './engine.ts';
import { DAY_MS, type MatchingContext } from './context.ts';

const fact = (action: string, subject: string | null, details: AuditDraft['details']): AuditDraft => ({ actor: 'system', action, subject, details });

/** Outcomes a participant may give when ending a session. */
export const END_OUTCOMES = ['completed', 'referred', 'other'] as const;
export const CHECK_IN_MAX_AHEAD_MS = 30 * DAY_MS;

interface Finish {
  by: string;
  outcome: string;
  checkIn?: CheckIn | null;
  /** Tell the partner institution involved (false when it told us). */
  notify: boolean;
  /** The supporter never came: re-queue the request without them. */
  requeueWithout?: string | null;
  /** Remove the student from the room too (no-shows: the room is of no more use). */
  removeStudent?: boolean;
}

export class PeerSessions implements RoomOpener {
  private readonly c: MatchingContext;

  constructor(c: MatchingContext) {
    this.c = c;
  }

  private get bot(): string {
    return this.c.homeserver.botUserId;
  }

  sessionContent(s: SessionRow): SessionContent {
    return { request_id: s.request_id, topic: s.topic, institutions: [...new Set([s.student_server, s.supporter_server])], created_ts: s.created_ts, kind: 'peer' };
  }

  /** The partner a session involves (the supporter's institution when we host, else the host). */
  private partnerOf(s: SessionRow): string | null {
    if (s.role === 'partner') return s.student_server;
    return s.supporter_server !== this.c.serverName ? s.supporter_server : null;
  }

  /** The message to a partner about a session, with the request id as the host knows it. */
  private async toPartner(s: SessionRow, make: (requestId: string, institution: string) => CoordinationMessage): Promise<OutboxDraft[]> {
    const partner = this.partnerOf(s);
    if (partner === null) return [];
    const requestId = s.role === 'host' ? s.request_id : (await this.c.store.request(s.request_id))?.remote_id;
    return requestId ? [{ partner, message: make(requestId, s.student_server) }] : [];
  }

  // ── the room ──

  async openHostRoom(s: SessionRow): Promise<SessionRow> {
    const started = performance.now();
    const policy = this.c.policy();
    const remoteSupporter = s.supporter_server !== this.c.serverName;
    let roomId: string | null = null;
    try {
      // Our own users are invited in the same request; a partner's supporter through their server.
      roomId = (await this.c.homeserver.createRoom(supportRoomRequest({
        botUserId: this.bot, session: this.sessionContent(s), invite: remoteSupporter ? [s.student!] : [s.student!, s.supporter],
        retentionDays: this.c.policy().retention_days.peer,
      }))).room_id;
      if (remoteSupporter) await this.c.homeserver.invite(roomId, s.supporter);
    } catch (e) {
      const now = this.c.clock.now();
      if (roomId !== null) await this.abandon(roomId, [s.student!]);
      await this.c.store.failSession(s.id, 'room_failed', true, now, {
        outbox: await this.toPartner(s, (id, inst) => ({ op: 'withdraw', request_id: id, institution: inst, reason: 'room_failed' })),
      });
      this.c.logger.warn('peer room could not be made; request back in the queue', { session_id: s.id, error: (e as Error).message });
      this.after(s, true);
      throw new BridgeError(502, 'M_UNKNOWN', `The room could not be created (${(e as Error).message}); the request is back in the queue`);
    }
    const now = this.c.clock.now();
    const room: RoomRow = {
      room_id: roomId, kind: 'peer', ref_id: s.request_id, institutions: this.sessionContent(s).institutions, created_ts: now,
      purge_after_ts: now + policy.retention_days.peer * DAY_MS, purged_ts: null,
    };
    const active = await this.c.store.activateSession(s.id, roomId, room, now, {
      outbox: await this.toPartner(s, (id, inst) => ({ op: 'room', request_id: id, institution: inst, room_id: roomId })),
      facts: [fact('session.started', s.id, { topic: s.topic, kind: 'peer', scope: remoteSupporter ? 'partner' : 'institution', room_id: roomId })],
    });
    this.c.audit.noteAppended();
    this.c.metrics.roomSeconds.observe({ kind: 'peer' }, (performance.now() - started) / 1000);
    this.after(s, false);
    return active ?? { ...s, room_id: roomId };
  }

  /** Best effort: takes back invites of a room we give up on and leaves it. */
  private async abandon(roomId: string, users: string[]): Promise<void> {
    for (const u of users) await this.c.homeserver.kick(roomId, u, { reason: 'This support room could not be set up' }).catch(() => undefined);
    await this.c.homeserver.leaveRoom(roomId).catch(() => undefined);
  }

  private after(s: SessionRow, requeued: boolean): void {
    this.c.wakeups.wake(s.request_id);
    this.c.wakeups.wake(s.supporter);
    if (this.partnerOf(s) !== null) this.c.signals.flushOutbox();
    this.c.signals.availabilityChanged();
    if (requeued) this.c.signals.kick();
  }

  /**
   * Host sessions left `creating` by a crash (at start), or by a homeserver that failed us twice
   * (later, by the job). A room the bot already made for the request (found by its session state)
   * is adopted; otherwise the room is made now.
   */
  async resumeCreating(olderThanMs = 0): Promise<void> {
    const cutoff = this.c.clock.now() - olderThanMs;
    const creating = (await this.c.store.sessionsWithStatus('creating')).filter((s) => s.role === 'host' && s.created_ts <= cutoff);
    if (creating.length === 0) return;
    const { joined_rooms: rooms } = await this.c.homeserver.request<{ joined_rooms: string[] }>('GET', '/_matrix/client/v3/joined_rooms');
    const byRequest = new Map<string, string>();
    for (const roomId of rooms) {
      if (await this.c.store.room(roomId) || await this.c.store.linkByRoom(roomId)) continue;
      // Other modules' rooms (escalations) carry session state too, naming the same request: peer rooms only.
      const state = await this.c.homeserver.getStateEvent<{ request_id?: unknown; kind?: unknown }>(roomId, SESSION_EVENT_TYPE).catch(() => null);
      if (typeof state?.request_id === 'string' && state.kind === 'peer') byRequest.set(state.request_id, roomId);
    }
    for (const s of creating) {
      const roomId = byRequest.get(s.request_id);
      try {
        if (roomId === undefined) {
          await this.openHostRoom(s);
          continue;
        }
        for (const u of [s.student!, s.supporter]) await this.c.homeserver.invite(roomId, u).catch(() => undefined);
        const now = this.c.clock.now();
        await this.c.store.activateSession(s.id, roomId, {
          room_id: roomId, kind: 'peer', ref_id: s.request_id, institutions: this.sessionContent(s).institutions, created_ts: now,
          purge_after_ts: now + this.c.policy().retention_days.peer * DAY_MS, purged_ts: null,
        }, now, { outbox: await this.toPartner(s, (id, inst) => ({ op: 'room', request_id: id, institution: inst, room_id: roomId })) });
        this.after(s, false);
      } catch (e) {
        this.c.logger.warn('resuming a session left creating failed', { session_id: s.id, error: (e as Error).message });
      }
    }
  }

  // ── ending ──

  /** A participant ends a session (the supporter may offer a check-in). */
  async end(id: string, actor: string, input: { outcome?: string; check_in?: { proposed_ts: number } }): Promise<SessionRow> {
    const s = await this.c.store.session(id);
    if (!s || (actor !== s.student && actor !== s.supporter)) throw notFound(`No session ${id} of yours`);
    if (s.status !== 'active') throw new BridgeError(409, 'ORG.PEERLINE.SESSION_NOT_ACTIVE', `This session is ${s.status}`, { status: s.status });
    let checkIn: CheckIn | null = null;
    if (input.check_in) {
      if (actor !== s.supporter) throw forbidden('Only the supporter offers a check-in; the student accepts or declines it');
      // The student answers at their own bridge, which hosts the room; the protocol does not carry the offer there yet.
      if (s.role !== 'host') throw new BridgeError(400, 'M_INVALID_PARAM', "A check-in cannot be offered to a partner institution's student yet");
      const now = this.c.clock.now();
      if (input.check_in.proposed_ts <= now || input.check_in.proposed_ts > now + CHECK_IN_MAX_AHEAD_MS) {
        throw new BridgeError(400, 'M_INVALID_PARAM', 'check_in.proposed_ts must be in the future and at most 30 days ahead');
      }
      checkIn = { proposed_ts: input.check_in.proposed_ts, status: 'offered', answered_ts: null };
    }
    return (await this.finish(s, { by: actor, outcome: input.outcome ?? 'completed', checkIn, notify: true })) ?? s;
  }

  private async finish(s: SessionRow, f: Finish): Promise<SessionRow | undefined> {
    const now = this.c.clock.now();
    const ended = await this.c.store.endSession(s.id, {
      ended_by: f.by, outcome: f.outcome, check_in: f.checkIn ?? null,
      purge_after_ts: s.role === 'host' ? now + this.c.policy().retention_days.peer * DAY_MS : null,
      requeue_without: f.requeueWithout ?? null,
      outbox: f.notify ? await this.toPartner(s, (id, inst) => ({ op: 'ended', request_id: id, institution: inst, outcome: f.outcome })) : [],
      // Sessions count in the figures of the institution whose student it was.
      facts: [fact(s.role === 'host' ? 'session.ended' : 'partner_session.ended', s.id, {
        request_id: s.request_id, topic: s.topic, outcome: f.outcome, duration_ms: now - s.created_ts, check_in_offered: f.checkIn != null,
      })],
    }, now);
    if (!ended) return undefined;
    this.c.audit.noteAppended();
    this.c.metrics.sessionsEnded.inc({ outcome: f.outcome });
    if (s.role === 'host' && s.room_id !== null) await this.closeRoom(s.room_id, s, f.removeStudent === true);
    this.after(s, f.requeueWithout != null);
    return ended;
  }

  /** The room of an ended session: read-only, the supporter out (and the student, for no-shows). */
  private async closeRoom(roomId: string, s: SessionRow, removeStudent: boolean): Promise<void> {
    const hs = this.c.homeserver;
    const steps: [string, () => Promise<unknown>][] = [
      ['read-only', () => hs.sendStateEvent(roomId, 'm.room.power_levels', '', powerLevels([this.bot], { readOnly: true }))],
      ['remove supporter', () => hs.kick(roomId, s.supporter, { reason: 'The session has ended' })],
      ...(removeStudent ? [['remove student', () => hs.kick(roomId, s.student!, { reason: 'This session could not go ahead; you keep your place in the queue' })] as [string, () => Promise<unknown>]] : []),
    ];
    for (const [what, step] of steps) {
      // Not fatal: the session is over in the store; the retention sweep removes whoever is left.
      await step().catch((e: unknown) => this.c.logger.warn(`closing room: ${what} failed`, { session_id: s.id, error: (e as Error).message }));
    }
  }

  async answerCheckIn(id: string, student: string, accept: boolean): Promise<SessionRow> {
    const s = await this.c.store.session(id);
    if (!s || s.student !== student) throw notFound(`No session ${id} of yours`);
    const answered = await this.c.store.answerCheckIn(id, accept, this.c.clock.now());
    if (!answered) throw new BridgeError(409, 'ORG.PEERLINE.NO_CHECK_IN_OFFERED', 'There is no open check-in offer on this session');
    this.c.wakeups.wake(s.supporter);
    return answered;
  }

  private async startCheckIn(s: SessionRow): Promise<void> {
    const now = this.c.clock.now();
    const reopened = await this.c.store.reopenSession(s.id, true, now, {
      outbox: await this.toPartner(s, (id, inst) => ({ op: 'reopened', request_id: id, institution: inst })),
      facts: [fact('session.check_in_started', s.id, { topic: s.topic })],
    });
    if (!reopened || s.room_id === null) return;
    this.c.audit.noteAppended();
    const hs = this.c.homeserver;
    await hs.sendStateEvent(s.room_id, 'm.room.power_levels', '', powerLevels([this.bot])).catch((e: unknown) => this.c.logger.warn('check-in: reopening the room failed', { error: (e as Error).message }));
    await hs.invite(s.room_id, s.supporter).catch((e: unknown) => this.c.logger.warn('check-in: inviting the supporter failed', { error: (e as Error).message }));
    this.after(s, false);
  }

  // ── what the homeserver tells us ──

  async onMembership(ev: RoomEvent): Promise<void> {
    if (ev.type !== 'm.room.member' || ev.state_key === undefined) return;
    const s = await this.c.store.sessionByRoom(ev.room_id);
    if (!s || s.role !== 'host' || s.status !== 'active') return;
    const who = ev.state_key === s.student ? 'student' : ev.state_key === s.supporter ? 'supporter' : null;
    if (who === null) return;
    const membership = ev.content['membership'];
    if (membership === 'join') {
      await this.c.store.noteJoined(s.id, who, ev.origin_server_ts ?? this.c.clock.now());
      return;
    }
    // Leaving by oneself (the bot's own kicks are its doing, already recorded) ends the session.
    if (membership !== 'leave' || ev.sender !== ev.state_key) return;
    if (who === 'student') {
      await this.finish(s, { by: s.student!, outcome: 'student_left', notify: true });
    } else if (s.supporter_joined_ts === null && s.check_in?.status !== 'started') {
      // The supporter turned the room down: the student goes back to the front of the queue.
      await this.finish(s, { by: s.supporter, outcome: 'supporter_declined_room', notify: true, requeueWithout: s.supporter, removeStudent: true });
    } else {
      await this.finish(s, { by: s.supporter, outcome: 'supporter_left', notify: true });
    }
  }

  /** Partner messages about sessions: the host's room exists, the session ended or reopened. */
  async onPartnerMessage(partner: string, m: CoordinationMessage): Promise<void> {
    const now = this.c.clock.now();
    const hosting = m.institution === this.c.serverName;
    const s = hosting
      ? await this.c.store.sessionByRequest(m.request_id)
      : await this.c.store.requestByRemote(partner, m.request_id).then((r) => (r ? this.c.store.sessionByRequest(r.id) : undefined));
    if (!s || this.partnerOf(s) !== partner) return;
    if (m.op === 'room' && !hosting && s.status === 'creating') {
      await this.c.store.activateSession(s.id, m.room_id, null, now);
      this.after(s, false);
    } else if (m.op === 'ended' && s.status === 'active') {
      await this.finish(s, { by: partner, outcome: m.outcome, notify: false });
    } else if (m.op === 'ended' && s.status === 'creating') {
      await this.c.store.failSession(s.id, m.outcome, false, now);
      this.after(s, false);
    } else if (m.op === 'reopened' && !hosting && s.status === 'ended') {
      await this.c.store.reopenSession(s.id, false, now);
      this.after(s, false);
    }
  }

  // ── time ──

  /** No-shows, partners' rooms that never came, due check-ins. */
  async sweep(): Promise<void> {
    const now = this.c.clock.now();
    for (const s of await this.c.store.sessionsWithStatus('active')) {
      if (s.role !== 'host') continue;
      const checkIn = s.check_in?.status === 'started';
      const since = checkIn ? Math.max(s.created_ts, s.check_in!.proposed_ts) : s.created_ts;
      if (now - since < this.c.timings.noShowMs) continue;
      if (s.supporter_joined_ts === null) {
        await this.finish(s, { by: 'system', outcome: 'supporter_no_show', notify: true, requeueWithout: checkIn ? null : s.supporter, removeStudent: !checkIn });
      } else if (s.student_joined_ts === null) {
        await this.finish(s, { by: 'system', outcome: 'student_no_show', notify: true, removeStudent: true });
      }
    }
    for (const s of await this.c.store.sessionsWithStatus('creating')) {
      if (s.role === 'partner' && now - s.created_ts >= this.c.timings.partnerRoomWaitMs) {
        await this.c.store.failSession(s.id, 'no_room_from_partner', false, now);
        this.after(s, false);
      }
    }
    for (const s of await this.c.store.dueCheckIns(now)) await this.startCheckIn(s);
  }

  /** Rooms past their retention: members removed, the bot leaves, the room is marked purged. */
  async purgeDue(limit = 50): Promise<number> {
    const now = this.c.clock.now();
    let purged = 0;
    for (const room of await this.c.store.roomsDue(now, limit)) {
      try {
        if (room.kind === 'peer') {
          const s = await this.c.store.sessionByRoom(room.room_id);
          if (s?.status === 'active') await this.finish(s, { by: 'system', outcome: 'retention', notify: true });
        }
        const members = await this.c.homeserver.request<{ chunk: { state_key?: string; content: { membership?: string } }[] }>(
          'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room.room_id)}/members`,
        ).catch((e: unknown) => {
          // The bot is no longer in the room (it left on an earlier, interrupted pass): nothing to do there.
          if (e instanceof HomeserverError && (e.status === 403 || e.status === 404)) return null;
          throw e;
        });
        if (members) {
          for (const m of members.chunk) {
            if (m.state_key === undefined || m.state_key === this.bot || (m.content.membership !== 'join' && m.content.membership !== 'invite')) continue;
            await this.c.homeserver.kick(room.room_id, m.state_key, { reason: 'This room has reached the end of its retention period' });
          }
          await this.c.homeserver.leaveRoom(room.room_id);
        }
        // The history itself stays on the homeservers until an admin purge API removes it (see report).
        if (await this.c.store.markPurged(room.room_id, now, { facts: [fact('room.purged', room.room_id, { kind: room.kind, ref: room.ref_id })] })) {
          this.c.audit.noteAppended();
          purged++;
        }
      } catch (e) {
        this.c.logger.warn('retention: emptying a room failed; will retry', { room_id: room.room_id, error: (e as Error).message });
      }
    }
    return purged;
  }
}
