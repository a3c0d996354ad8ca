// Debriefs: a supporter asks for one with a supervisor, optionally about one of their sessions; the
// bot makes an encrypted room for the two (debrief-room.ts) and the bridge tells them only the
// session's metadata. Whether anything of the student may be shared there depends on the student's
// own consent in that session: a valid, unwithdrawn consent receipt for the session's room that
// shares a summary or messages. Without one the bridge refuses the share, and the client offers none.
import type { Static } from '@sinclair/typebox';
import { BridgeError, forbidden, notFound } from '../errors.ts';
import { isCounsellorOnDuty } from '../services/roster-rules.ts';
import type { DebriefRecord } from '../store/supervision-store.ts';
import { debriefRoomRequest, newSupervisionId } from './debrief-room.ts';
import { supervises, supervisors, type SupervisionContext } from './context.ts';
import type { DebriefViewSchema, ShareViewSchema } from './schemas.ts';

type Share = 'summary' | 'messages';
/** The receipt's scope as the supporter's client needs it: the peer room, and the messages the student chose. */
interface Consent { receipt_id: string; share: Share; room_id: string; event_ids: string[] }

/** A debrief still `opening` this long after it was asked for lost its room (the bridge stopped midway): it is marked failed. */
export const DEBRIEF_OPENING_STALE_MS = 2 * 60_000;
const DAY_MS = 86_400_000;

export class Debriefs {
  private readonly c: SupervisionContext;

  constructor(c: SupervisionContext) {
    this.c = c;
  }

  /** The student's consent in the session, if any: never who the student is, only the receipt. */
  async consentFor(sessionId: string | null): Promise<Consent | null> {
    if (sessionId === null) return null;
    const s = await this.c.sessionOf(sessionId);
    // A partner's student consents at their own institution; we hold no receipt of theirs.
    if (!s || s.role !== 'host' || s.student === null || s.room_id === null) return null;
    for (const r of await this.c.escalation.receiptsOf(s.student)) {
      const share = r.signed.receipt.scope.share;
      if (r.signed.receipt.room_id === s.room_id && r.withdrawn_ts === null && share !== 'nothing') {
        return { receipt_id: r.receipt_id, share, room_id: s.room_id, event_ids: share === 'messages' ? [...(r.signed.receipt.scope.event_ids ?? [])] : [] };
      }
    }
    return null;
  }

  /** The debrief as `viewer` sees it: the receipt's room and chosen messages only for the supporter, who was in that room. */
  private async view(d: DebriefRecord, viewer: string): Promise<Static<typeof DebriefViewSchema>> {
    const now = this.c.clock.now();
    if (d.status === 'opening' && now - d.created_ts >= DEBRIEF_OPENING_STALE_MS && await this.c.store.failDebrief(d.debrief_id)) d = { ...d, status: 'failed' };
    const s = d.session_id !== null ? await this.c.store.caseloadSession(d.session_id) : undefined;
    const consent = await this.consentFor(d.session_id);
    return {
      debrief_id: d.debrief_id, supporter: d.supporter, supervisor: d.supervisor, status: d.status, room_id: d.room_id, created_ts: d.created_ts,
      session: s ? { topic: s.topic, started_ts: s.created_ts, duration_ms: Math.max(0, (s.ended_ts ?? now) - s.created_ts) } : null,
      consent: {
        available: consent !== null, share: consent?.share ?? null, receipt_id: consent?.receipt_id ?? null,
        scope: consent && viewer === d.supporter ? { room_id: consent.room_id, event_ids: consent.event_ids } : null,
      },
    };
  }

  private async pickSupervisor(): Promise<string> {
    const all = await supervisors(this.c);
    if (all.length === 0) throw new BridgeError(409, 'ORG.PEERLINE.NO_SUPERVISOR', 'No counsellor supervises supporters here yet; ask your institution');
    const policy = this.c.policy();
    const at = new Date(this.c.clock.now());
    // On duty now first (the escalation schedule), then by user id.
    return (all.find((c) => isCounsellorOnDuty({ ...c, team: policy.escalation.counsellor_team }, policy, at)) ?? all[0]!).user_id;
  }

  /** POST /v1/supervision/debriefs */
  async request(supporter: string, input: { supervisor?: string; session_id?: string }): Promise<Static<typeof DebriefViewSchema>> {
    const policy = this.c.policy();
    let supervisor = input.supervisor;
    if (supervisor !== undefined) {
      if (!supervises(await this.c.roster.counsellor(supervisor), policy, this.c.serverName)) throw notFound('No supervisor with this id');
    } else {
      supervisor = await this.pickSupervisor();
    }
    if (supervisor === supporter) throw new BridgeError(400, 'M_INVALID_PARAM', 'A debrief is with someone else');
    const sessionId = input.session_id ?? null;
    if (sessionId !== null) {
      const s = await this.c.store.caseloadSession(sessionId);
      if (!s || s.supporter !== supporter) throw notFound(`No session ${sessionId} of yours`);
    }
    const now = this.c.clock.now();
    const d: DebriefRecord = { debrief_id: newSupervisionId('db'), supporter, supervisor, session_id: sessionId, room_id: null, status: 'opening', created_ts: now };
    await this.c.store.insertDebrief(d, {
      actor: supporter, action: 'supervision.debrief.requested', subject: d.debrief_id, details: { supervisor, session_id: sessionId },
    });
    this.c.audit.noteAppended();
    let roomId: string;
    try {
      roomId = (await this.c.homeserver.createRoom(debriefRoomRequest({
        botUserId: this.c.homeserver.botUserId, retentionDays: policy.retention_days.peer,
        content: { debrief_id: d.debrief_id, institution: this.c.serverName, supporter, supervisor, about_session: sessionId !== null, created_ts: now },
      }))).room_id;
    } catch (e) {
      this.c.logger.warn('debrief room could not be made', { debrief_id: d.debrief_id, error: (e as Error).message });
      // Not left `opening` for ever: failed, so the supporter sees it and asks again (a new debrief).
      await this.c.store.failDebrief(d.debrief_id).catch(() => false);
      throw new BridgeError(502, 'M_UNKNOWN', 'The debrief room could not be created; please try again');
    }
    // The room joins the bot's other rooms in the retention sweep (matching/peer-sessions.ts purgeDue), like a peer room.
    const opened = await this.c.store.openDebrief(d.debrief_id, roomId, {
      institutions: [this.c.serverName], created_ts: now, purge_after_ts: now + policy.retention_days.peer * DAY_MS,
    });
    return this.view(opened ?? { ...d, room_id: roomId, status: 'open' }, supporter);
  }

  private async own(id: string, userId: string): Promise<DebriefRecord> {
    const d = await this.c.store.debrief(id);
    if (!d || (d.supporter !== userId && d.supervisor !== userId)) throw notFound('No debrief of yours with this id');
    return d;
  }

  async get(id: string, userId: string): Promise<Static<typeof DebriefViewSchema>> {
    return this.view(await this.own(id, userId), userId);
  }

  async list(userId: string): Promise<Static<typeof DebriefViewSchema>[]> {
    return Promise.all((await this.c.store.debriefsOf(userId, 50)).map((d) => this.view(d, userId)));
  }

  /**
   * POST /v1/supervision/debriefs/{id}/share: the supporter's client asks before it posts anything of
   * the student (encrypted, into the debrief room). Refused without the student's consent, or beyond it.
   */
  async share(id: string, userId: string, share: Share): Promise<Static<typeof ShareViewSchema>> {
    const d = await this.own(id, userId);
    if (d.supporter !== userId) throw forbidden('Only the supporter of the session shares from it');
    const consent = await this.consentFor(d.session_id);
    if (!consent) throw new BridgeError(403, 'ORG.PEERLINE.NO_CONSENT', 'The student did not consent to share anything of this session; only its topic and length may be named');
    // Exactly the receipt's scope: chosen messages are not a summary, and a summary is not messages.
    if (share !== consent.share) {
      throw new BridgeError(403, 'ORG.PEERLINE.NO_CONSENT', consent.share === 'summary' ? 'The student consented to share a summary only' : 'The student consented to share chosen messages only');
    }
    if (d.status !== 'open' || d.room_id === null) throw new BridgeError(409, 'ORG.PEERLINE.DEBRIEF_NOT_OPEN', 'The debrief room is not open');
    await this.c.audit.record({ actor: userId, action: 'supervision.debrief.shared', subject: d.debrief_id, details: { receipt_id: consent.receipt_id, share } });
    return { debrief_id: d.debrief_id, share, receipt_id: consent.receipt_id, room_id: consent.room_id, event_ids: consent.event_ids };
  }
}
