// Escalations from consent to outcome. `open` is the only way one starts, and it takes a
// VerifiedConsent (only ConsentVerifier makes them): the receipt and the escalation are stored in one
// transaction (the receipt's nonce is then spent for good), the bot creates the escalation room on
// the student's own homeserver and invites the student and the on-duty counsellors of the student's
// own institution. Counsellors claim, hand over and resolve; students withdraw while no counsellor
// has joined. Every step is a row in the store with its audit entry.
import { randomBytes } from 'node:crypto';
import { responseTargetMinutes, type InstitutionPolicy } from '../../../protocol/src/policy.ts';
import { BridgeError, forbidden, invalidParam, notFound } from '../errors.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../logger.ts';
import type { AuditService } from '../services/audit.ts';
import type { RoleResolver } from '../services/roles.ts';
import { isCounsellorOnDuty } from '../services/roster-rules.ts';
import type { RosterStore } from '../store/store.ts';
import {
  OPEN_STATUSES, ReceiptReplayError,
  type EscalationInvite, type EscalationRecord, type EscalationStore, type StoredReceipt,
} from '../store/escalation-store.ts';
import { VerifiedConsent, type ConsentRefusals } from './consent-verifier.ts';
import { BotNotInRoomError, escalationRoomRequest, membershipIn, type EscalationHomeserver } from './escalation-room.ts';
import type { BreachMonitor } from './breach-monitor.ts';
import type { EscalationMetrics } from './metrics.ts';

/** How a counsellor closes an escalation. */
export const ESCALATION_OUTCOMES = [
  'support_provided', 'follow_up_booked', 'referred_internal', 'referred_external', 'safeguarding_referral',
  'emergency_services', 'student_declined', 'no_response', 'duplicate', 'other',
] as const;
export type EscalationOutcome = typeof ESCALATION_OUTCOMES[number];

const conflict = (errcode: string, message: string): BridgeError => new BridgeError(409, errcode, message);

export interface EscalationServiceDeps {
  store: EscalationStore;
  roster: RosterStore;
  roles: RoleResolver;
  policy: () => InstitutionPolicy;
  homeserver: EscalationHomeserver;
  audit: AuditService;
  refusals: ConsentRefusals;
  breaches: BreachMonitor;
  metrics: EscalationMetrics;
  clock: Clock;
  logger: Logger;
}

export class EscalationService {
  private readonly d: EscalationServiceDeps;
  /** Escalations whose room this process is creating right now (the request and the periodic job). */
  private readonly provisioning = new Set<string>();

  constructor(deps: EscalationServiceDeps) {
    this.d = deps;
  }

  private get serverName(): string {
    return this.d.policy().institution.server_name;
  }

  /** Starts an escalation. Resolves with status `queued`, or `opening` when the homeserver must be retried. */
  async open(consent: VerifiedConsent): Promise<EscalationRecord> {
    // A runtime check too: a structurally similar object is not consent.
    if (!(consent instanceof VerifiedConsent)) throw new TypeError('an escalation needs a VerifiedConsent');
    const now = this.d.clock.now();
    const v = consent.spend(now);
    const r = v.receipt;
    const escalationId = `esc_${randomBytes(16).toString('base64url')}`;
    const stored: StoredReceipt = {
      receipt_id: r.receipt_id, nonce: r.nonce, student_user_id: v.studentUserId, key_id: v.keyId, signed: v.signed,
      receipt_sha256: v.receiptSha256, accepted_ts: now, withdrawn_ts: null, escalation_id: escalationId,
    };
    const rec: EscalationRecord = {
      escalation_id: escalationId, receipt_id: r.receipt_id, student_user_id: v.studentUserId, peer_room_id: v.peerRoomId,
      request_id: v.requestId, topic: v.topic, severity: r.severity, room_id: null, status: 'opening', created_ts: now,
      due_ts: now + responseTargetMinutes(this.d.policy(), r.severity) * 60_000,
      claimed_by: null, claimed_ts: null, counsellor_joined_ts: null, closed_ts: null, outcome: null, updated_ts: now,
    };
    try {
      await this.d.store.acceptReceipt(stored, rec, {
        actor: v.studentUserId, action: 'consent.receipt.accepted', subject: r.receipt_id,
        details: {
          escalation_id: escalationId, key_id: v.keyId, receipt_sha256: v.receiptSha256, peer_room_id: v.peerRoomId,
          severity: r.severity, share: r.scope.share, expires_ts: r.expires_ts,
        },
      });
    } catch (e) {
      // Another request spent this receipt between verification and now.
      if (e instanceof ReceiptReplayError) throw await this.d.refusals.refuse(v.studentUserId, r.receipt_id, 'replayed');
      throw e;
    }
    this.d.audit.noteAppended();
    this.d.metrics.escalations.inc({ event: 'opened' });
    return this.provision(rec);
  }

  /** Creates the room and sends the invites that are missing; leaves the escalation `opening` on failure. */
  private async provision(e: EscalationRecord): Promise<EscalationRecord> {
    if (this.provisioning.has(e.escalation_id)) return e;
    this.provisioning.add(e.escalation_id);
    const hs = this.d.homeserver;
    try {
      let roomId = e.room_id;
      if (roomId === null) {
        const receipt = (await this.d.store.receipt(e.receipt_id))!;
        const created = await hs.createRoom(escalationRoomRequest({
          botUserId: hs.botUserId, serverName: this.serverName,
          session: { request_id: e.request_id, topic: e.topic, institutions: [this.serverName], created_ts: e.created_ts, kind: 'escalation' },
          receiptRef: { receipt_id: receipt.receipt_id, receipt_sha256: receipt.receipt_sha256 },
          retentionDays: this.d.policy().retention_days.escalation,
        }));
        roomId = created.room_id;
        const updated = await this.d.store.transition(e.escalation_id, { status: ['opening'] }, { room_id: roomId }, this.d.clock.now(), {
          actor: 'system', action: 'escalation.room_created', subject: e.escalation_id, details: { room_id: roomId },
        });
        if (!updated) return (await this.d.store.escalation(e.escalation_id))!; // withdrawn meanwhile
        this.d.audit.noteAppended();
      }
      const invited = new Set((await this.d.store.invites(e.escalation_id)).map((i) => i.user_id));
      if (!invited.has(e.student_user_id)) await this.inviteTo(e.escalation_id, roomId, e.student_user_id, 'student');
      const counsellors: string[] = [];
      for (const c of await this.onDutyCounsellors()) {
        if (invited.has(c)) {
          counsellors.push(c);
          continue;
        }
        try {
          await this.inviteTo(e.escalation_id, roomId, c, 'counsellor');
          counsellors.push(c);
        } catch (err) {
          // One unreachable counsellor must not hold the others back; claim invites anyone later.
          this.d.logger.warn('counsellor invite failed', { escalation_id: e.escalation_id, error: (err as Error).message });
        }
      }
      if (counsellors.length === 0) this.d.logger.warn('no counsellor on duty for a new escalation; it waits in the queue', { escalation_id: e.escalation_id });
      const queued = await this.d.store.transition(e.escalation_id, { status: ['opening'] }, { status: 'queued' }, this.d.clock.now(), {
        actor: 'system', action: 'escalation.created', subject: e.escalation_id,
        details: { room_id: roomId, severity: e.severity, topic: e.topic, due_ts: e.due_ts, counsellors_invited: counsellors },
      });
      if (queued) {
        this.d.audit.noteAppended();
        this.d.metrics.escalations.inc({ event: 'queued' });
      }
      return queued ?? (await this.d.store.escalation(e.escalation_id))!;
    } catch (err) {
      this.d.logger.warn('escalation room not ready; the periodic job retries', { escalation_id: e.escalation_id, error: (err as Error).message });
      return (await this.d.store.escalation(e.escalation_id))!;
    } finally {
      this.provisioning.delete(e.escalation_id);
    }
  }

  /** Finishes escalations left `opening` (homeserver unreachable, or a restart mid-way). */
  async resumeOpening(): Promise<number> {
    let n = 0;
    for (const e of await this.d.store.escalationsByUrgency(['opening'])) {
      if ((await this.provision(e)).status === 'queued') n++;
    }
    return n;
  }

  private async inviteTo(escalationId: string, roomId: string, userId: string, role: EscalationInvite['role']): Promise<void> {
    await this.d.homeserver.invite(roomId, userId);
    await this.d.store.putInvite({ escalation_id: escalationId, user_id: userId, role, invited_ts: this.d.clock.now(), joined_ts: null, rescinded_ts: null });
  }

  /** Counsellors of this institution receiving escalations now (whatever institution the supporter is at). */
  async onDutyCounsellors(): Promise<string[]> {
    const policy = this.d.policy();
    const at = new Date(this.d.clock.now());
    return (await this.d.roster.counsellors())
      .filter((c) => this.d.roles.isLocal(c.user_id) && isCounsellorOnDuty(c, policy, at))
      .map((c) => c.user_id);
  }

  /** Counsellors a holder may hand an escalation over to: active ones of this institution but `self`, on duty first. */
  async colleagues(self: string): Promise<{ user_id: string; on_duty_now: boolean }[]> {
    const policy = this.d.policy();
    const at = new Date(this.d.clock.now());
    return (await this.d.roster.counsellors())
      .filter((c) => c.active && c.user_id !== self && this.d.roles.isLocal(c.user_id))
      .map((c) => ({ user_id: c.user_id, on_duty_now: isCounsellorOnDuty(c, policy, at) }))
      .sort((a, b) => Number(b.on_duty_now) - Number(a.on_duty_now) || a.user_id.localeCompare(b.user_id));
  }

  // ── what the homeserver tells us ──

  /** m.room.member events of escalation rooms: records joins; the first counsellor join ends withdrawability. */
  async onMembership(ev: { room_id: string; state_key?: string; content: Record<string, unknown>; origin_server_ts?: number }): Promise<void> {
    if (ev.content['membership'] !== 'join' || typeof ev.state_key !== 'string') return;
    const e = await this.d.store.escalationByRoom(ev.room_id);
    if (!e) return;
    await this.noteJoined(e, ev.state_key, ev.origin_server_ts ?? this.d.clock.now());
  }

  private async noteJoined(e: EscalationRecord, userId: string, ts: number): Promise<void> {
    const invite = (await this.d.store.invites(e.escalation_id)).find((i) => i.user_id === userId);
    if (!invite) return;
    await this.d.store.markInviteJoined(e.escalation_id, userId, ts);
    if (invite.role !== 'counsellor' || e.counsellor_joined_ts !== null) return;
    const updated = await this.d.store.transition(e.escalation_id, { status: ['opening', 'queued', 'claimed', 'resolved', 'withdrawn'] }, { counsellor_joined_ts: ts }, this.d.clock.now(), {
      actor: userId, action: 'escalation.counsellor_joined', subject: e.escalation_id, details: { room_id: e.room_id },
    });
    if (updated) this.d.audit.noteAppended();
  }

  /** Asks the homeserver whether a counsellor is in the room (the appservice stream may lag). */
  private async counsellorHasJoined(e: EscalationRecord): Promise<boolean> {
    if (e.counsellor_joined_ts !== null) return true;
    if (e.room_id === null) return false;
    for (const i of await this.d.store.invites(e.escalation_id)) {
      if (i.role !== 'counsellor') continue;
      if (i.joined_ts !== null) return true;
      let m: string | null;
      try {
        m = await membershipIn(this.d.homeserver, e.room_id, i.user_id);
      } catch (err) {
        if (err instanceof BotNotInRoomError) continue;
        throw new BridgeError(502, 'M_UNKNOWN', 'The homeserver could not confirm who is in the escalation room; try again');
      }
      if (m === 'join') {
        await this.noteJoined(e, i.user_id, this.d.clock.now());
        return true;
      }
    }
    return false;
  }

  // ── students ──

  receiptsOf(userId: string): Promise<StoredReceipt[]> {
    return this.d.store.receiptsOf(userId);
  }

  escalation(id: string): Promise<EscalationRecord | undefined> {
    return this.d.store.escalation(id);
  }

  /** Withdraws consent while no counsellor has joined: closes the escalation and takes the invites back. */
  async withdraw(studentUserId: string, receiptId: string): Promise<{ escalation: EscalationRecord; rescinded: string[] }> {
    const r = await this.d.store.receipt(receiptId);
    if (!r || r.student_user_id !== studentUserId) throw notFound('You have no consent receipt with this id');
    if (r.withdrawn_ts !== null) throw conflict('ORG.PEERLINE.CONSENT_ALREADY_WITHDRAWN', 'This consent was already withdrawn');
    const e = (await this.d.store.escalation(r.escalation_id))!;
    if (!OPEN_STATUSES.includes(e.status)) throw conflict('ORG.PEERLINE.ESCALATION_CLOSED', `The escalation is already ${e.status}`);
    if (await this.counsellorHasJoined(e)) {
      throw conflict('ORG.PEERLINE.CONSENT_ALREADY_SHARED', 'A counsellor has already joined the escalation room, so consent can no longer be withdrawn; you can leave the room at any time');
    }
    const now = this.d.clock.now();
    const closed = await this.d.store.withdraw(receiptId, OPEN_STATUSES, now, {
      actor: studentUserId, action: 'consent.receipt.withdrawn', subject: receiptId, details: { escalation_id: e.escalation_id },
    });
    if (!closed) throw conflict('ORG.PEERLINE.ESCALATION_CLOSED', 'The escalation changed meanwhile; list your receipts again');
    this.d.audit.noteAppended();
    this.d.metrics.escalations.inc({ event: 'withdrawn' });
    const rescinded = await this.rescindPendingInvites(closed, null, 'The student withdrew consent');
    return { escalation: closed, rescinded };
  }

  /** Takes back counsellor invites not accepted yet (except `keep`'s); returns whose. */
  private async rescindPendingInvites(e: EscalationRecord, keep: string | null, reason: string): Promise<string[]> {
    if (e.room_id === null) return [];
    const out: string[] = [];
    for (const i of await this.d.store.invites(e.escalation_id)) {
      if (i.role !== 'counsellor' || i.user_id === keep || i.joined_ts !== null || i.rescinded_ts !== null) continue;
      try {
        const m = await membershipIn(this.d.homeserver, e.room_id, i.user_id);
        if (m === 'join') {
          await this.noteJoined(e, i.user_id, this.d.clock.now());
          continue;
        }
        if (m === 'invite') await this.d.homeserver.kick(e.room_id, i.user_id, { reason });
        await this.d.store.markInviteRescinded(e.escalation_id, i.user_id, this.d.clock.now());
        out.push(i.user_id);
      } catch (err) {
        this.d.logger.warn('could not take an invite back', { escalation_id: e.escalation_id, error: (err as Error).message });
      }
    }
    if (out.length > 0) {
      await this.d.audit.record({ actor: 'system', action: 'escalation.invites_rescinded', subject: e.escalation_id, details: { users: out, reason } });
    }
    return out;
  }

  // ── counsellors ──

  /** Escalations in `statuses`, most severe first, then longest waiting. */
  queue(statuses: readonly ('queued' | 'claimed')[]): Promise<EscalationRecord[]> {
    return this.d.store.escalationsByUrgency(statuses);
  }

  invites(escalationId: string): Promise<EscalationInvite[]> {
    return this.d.store.invites(escalationId);
  }

  receipt(receiptId: string): Promise<StoredReceipt | undefined> {
    return this.d.store.receipt(receiptId);
  }

  private async mustGet(id: string): Promise<EscalationRecord> {
    const e = await this.d.store.escalation(id);
    if (!e) throw notFound('No escalation with this id');
    return e;
  }

  private closedOrNotReady(e: EscalationRecord): BridgeError {
    if (e.status === 'opening') return conflict('ORG.PEERLINE.ESCALATION_NOT_READY', 'The escalation room is still being created; try again shortly');
    return conflict('ORG.PEERLINE.ESCALATION_CLOSED', `The escalation is ${e.status}`);
  }

  /** Takes a queued escalation; the counsellor is invited if they were not. Claiming one's own again is a no-op. */
  async claim(counsellor: string, id: string): Promise<EscalationRecord> {
    const e = await this.mustGet(id);
    if (e.status === 'claimed' && e.claimed_by === counsellor) {
      await this.ensureInvited(e, counsellor);
      return e;
    }
    if (e.status === 'claimed') throw conflict('ORG.PEERLINE.ESCALATION_CLAIMED', `This escalation was claimed by ${e.claimed_by}`);
    if (e.status !== 'queued') throw this.closedOrNotReady(e);
    const now = this.d.clock.now();
    const responseMs = now - e.created_ts;
    const updated = await this.d.store.transition(id, { status: ['queued'] }, { status: 'claimed', claimed_by: counsellor, claimed_ts: e.claimed_ts ?? now }, now, {
      actor: counsellor, action: 'escalation.claimed', subject: id,
      details: { severity: e.severity, response_ms: responseMs, within_target: now <= e.due_ts },
    });
    if (!updated) return this.claim(counsellor, id); // raced with another claim or a withdrawal: answer as of now
    this.d.audit.noteAppended();
    this.d.metrics.escalations.inc({ event: 'claimed' });
    this.d.metrics.responseSeconds.observe({ severity: e.severity }, responseMs / 1000);
    if (now > e.due_ts) await this.d.breaches.check(updated);
    await this.ensureInvited(updated, counsellor);
    await this.rescindPendingInvites(updated, counsellor, 'A colleague took this escalation');
    return updated;
  }

  async handover(from: string, id: string, to: string): Promise<EscalationRecord> {
    if (to === from) throw invalidParam('to: hand the escalation over to another counsellor');
    const target = await this.d.roster.counsellor(to);
    if (!target?.active || !this.d.roles.isLocal(to)) throw invalidParam(`to: ${to} is not an active counsellor of this institution`);
    const e = await this.mustGet(id);
    if (e.status !== 'claimed') throw e.status === 'queued' ? conflict('ORG.PEERLINE.ESCALATION_NOT_CLAIMED', 'Claim the escalation before handing it over') : this.closedOrNotReady(e);
    if (e.claimed_by !== from) throw forbidden('Only the counsellor holding the escalation can hand it over');
    const updated = await this.d.store.transition(id, { status: ['claimed'], claimed_by: from }, { claimed_by: to }, this.d.clock.now(), {
      actor: from, action: 'escalation.handed_over', subject: id, details: { from, to },
    });
    if (!updated) throw conflict('ORG.PEERLINE.ESCALATION_CLOSED', 'The escalation changed meanwhile; reload the queue');
    this.d.audit.noteAppended();
    this.d.metrics.escalations.inc({ event: 'handed_over' });
    await this.ensureInvited(updated, to);
    return updated;
  }

  async resolve(counsellor: string, id: string, outcome: EscalationOutcome): Promise<EscalationRecord> {
    const e = await this.mustGet(id);
    if (e.status !== 'claimed') throw e.status === 'queued' ? conflict('ORG.PEERLINE.ESCALATION_NOT_CLAIMED', 'Claim the escalation before resolving it') : this.closedOrNotReady(e);
    if (e.claimed_by !== counsellor) throw forbidden('Only the counsellor holding the escalation can resolve it');
    const now = this.d.clock.now();
    const updated = await this.d.store.transition(id, { status: ['claimed'], claimed_by: counsellor }, { status: 'resolved', outcome, closed_ts: now }, now, {
      actor: counsellor, action: 'escalation.resolved', subject: id, details: { outcome, severity: e.severity },
    });
    if (!updated) throw conflict('ORG.PEERLINE.ESCALATION_CLOSED', 'The escalation changed meanwhile; reload the queue');
    this.d.audit.noteAppended();
    this.d.metrics.escalations.inc({ event: 'resolved' });
    await this.rescindPendingInvites(updated, counsellor, 'The escalation was resolved');
    return updated;
  }

  /** Invites a counsellor who holds no live invite yet (claim from outside the on-duty set, hand-over). */
  private async ensureInvited(e: EscalationRecord, userId: string): Promise<void> {
    if (e.room_id === null) return;
    const inv = (await this.d.store.invites(e.escalation_id)).find((i) => i.user_id === userId);
    if (inv && inv.rescinded_ts === null) return;
    try {
      const m = await membershipIn(this.d.homeserver, e.room_id, userId);
      if (m !== 'join' && m !== 'invite') await this.d.homeserver.invite(e.room_id, userId);
      await this.d.store.putInvite({ escalation_id: e.escalation_id, user_id: userId, role: 'counsellor', invited_ts: this.d.clock.now(), joined_ts: null, rescinded_ts: null });
    } catch (err) {
      // The claim stands; claiming again retries the invite.
      this.d.logger.error('counsellor invite failed', { escalation_id: e.escalation_id, error: (err as Error).message });
    }
  }
}
