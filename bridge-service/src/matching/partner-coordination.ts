// Coordination with partner bridges over Matrix (see docs/coordination.md). For each partner in the
// policy there is one federated, unencrypted room between the two bots: the bridge whose server
// name sorts first creates it and invites the other's bot, which joins when the invite comes from
// a partner its own policy lists. Both bots publish their spare capacity per topic as a state event
// keyed by their server name, and exchange offers and their answers as timeline events — metadata
// only, validated both ways. Outgoing messages go through the store's outbox, so a message decided
// before a crash is still sent after it (with the same transaction id: at most one event).
import {
  COORDINATION_AVAILABILITY_EVENT_TYPE, COORDINATION_EVENT_TYPE,
  validateAvailabilityContent, validateCoordinationMessage, type AvailabilityContent,
} from '../../../protocol/src/coordination.ts';
import type { RoomEvent } from '../appservice/handlers.ts';
import type { PartnerLinkRow } from '../store/matching-store.ts';
import { qualifiedTopics } from '../services/roster-rules.ts';
import { serverOf, supporterSpare } from './matcher.ts';
import { coordinationRoomRequest } from './room-content.ts';
import type { MatchingEngine } from './engine.ts';
import type { PeerSessions } from './peer-sessions.ts';
import { partnerBotUserId, type MatchingContext } from './context.ts';

export const COORDINATION_HANDLED_TYPES = ['m.room.member', COORDINATION_EVENT_TYPE, COORDINATION_AVAILABILITY_EVENT_TYPE] as const;

const PUBLISH_DEBOUNCE_MS = 100;
const MAX_LINK_BACKOFF_MS = 10 * 60_000;

export class PartnerCoordination {
  private readonly c: MatchingContext;
  private readonly engine: MatchingEngine;
  private readonly sessions: PeerSessions;
  /** partner → what we last announced to it (without the time), to skip unchanged announcements. */
  private readonly announced = new Map<string, string>();
  private publishTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  private linking: Promise<void> | null = null;
  private stopped = false;
  /** partner → when to try linking again after a failure, and the delay that led there. */
  private readonly backoff = new Map<string, { at: number; delayMs: number }>();
  /** The bot's /sync position while looking for invites (in memory: a restart syncs afresh). */
  private syncSince: string | null = null;

  constructor(c: MatchingContext, engine: MatchingEngine, sessions: PeerSessions) {
    this.c = c;
    this.engine = engine;
    this.sessions = sessions;
  }

  private get bot(): string {
    return this.c.homeserver.botUserId;
  }

  private partnerBot(partner: string): string {
    return partnerBotUserId(this.bot, partner);
  }

  private isPartner(server: string): boolean {
    return this.c.policy().partners.some((p) => p.server_name === server);
  }

  stop(): void {
    this.stopped = true;
    if (this.publishTimer) clearTimeout(this.publishTimer);
  }

  // ── links ──

  /** Makes sure a link exists (or is being made) with every partner; retries what failed. */
  ensureLinks(): Promise<void> {
    this.linking ??= this.linkAll().finally(() => { this.linking = null; });
    return this.linking;
  }

  private async linkAll(): Promise<void> {
    let looked = false;
    const now = this.c.clock.now();
    for (const { server_name: partner } of this.c.policy().partners) {
      const backoff = this.backoff.get(partner);
      if (backoff && backoff.at > now) continue;
      try {
        const link = await this.c.store.link(partner);
        if (!link) {
          // One room per pair: the side whose name sorts first makes it, the other waits for the invite.
          if (this.c.serverName < partner) await this.createLink(partner);
          else if (!looked) {
            looked = true;
            await this.lookForInvites();
          }
        } else if (link.status === 'created') {
          await this.invitePartner(link);
        } else if (link.status === 'joining') {
          await this.joinLink(link);
        } else if (link.status === 'invited') {
          // The join event may have come while we were down: ask the room.
          const m = await this.c.homeserver.getStateEvent<{ membership?: string }>(link.room_id, 'm.room.member', this.partnerBot(partner)).catch(() => null);
          if (m?.membership === 'join') await this.ready(link);
        }
        this.backoff.delete(partner);
      } catch (e) {
        // A partner without a bridge yet (or down) is retried less and less often, up to every 10 minutes.
        const delayMs = Math.min(Math.max(this.c.timings.tickMs, (backoff?.delayMs ?? 0) * 2), MAX_LINK_BACKOFF_MS);
        this.backoff.set(partner, { at: now + delayMs, delayMs });
        this.c.logger.warn('coordination link with a partner not made yet; will retry', { partner, retry_in_ms: delayMs, error: (e as Error).message });
      }
    }
  }

  /**
   * Finds invites into coordination rooms through /sync as the bot. Homeservers push invites to
   * application services, but the embedded one does not push invites that come over federation,
   * so a bridge waiting for its partner's invite also asks for it (incremental after the first call).
   */
  private async lookForInvites(): Promise<void> {
    const filter = JSON.stringify({
      room: { timeline: { limit: 0 }, state: { types: [] }, ephemeral: { types: [] }, account_data: { types: [] } }, presence: { types: [] }, account_data: { types: [] },
    });
    const res = await this.c.homeserver.request<{ next_batch: string; rooms?: { invite?: Record<string, { invite_state?: { events?: { type: string; state_key?: string; sender?: string; content?: Record<string, unknown> }[] } }> } }>(
      'GET', '/_matrix/client/v3/sync', { query: { timeout: '0', filter, ...(this.syncSince !== null ? { since: this.syncSince } : {}) } },
    );
    this.syncSince = res.next_batch;
    for (const [roomId, invite] of Object.entries(res.rooms?.invite ?? {})) {
      const ev = invite.invite_state?.events?.find((e) => e.type === 'm.room.member' && e.state_key === this.bot);
      if (ev?.sender) await this.onInvite(roomId, ev.sender);
    }
  }

  private async createLink(partner: string): Promise<void> {
    const { room_id: roomId } = await this.c.homeserver.createRoom(coordinationRoomRequest({
      botUserId: this.bot, partnerBotUserId: this.partnerBot(partner), own: this.c.serverName, partner,
    }));
    const link = { partner, room_id: roomId, status: 'created' as const, created_by_us: true, updated_ts: this.c.clock.now() };
    await this.c.store.putLink(link);
    this.c.logger.info('coordination room created', { partner, room_id: roomId });
    await this.invitePartner(link);
  }

  private async invitePartner(link: Pick<PartnerLinkRow, 'partner' | 'room_id' | 'created_by_us'>): Promise<void> {
    try {
      await this.c.homeserver.invite(link.room_id, this.partnerBot(link.partner), { reason: 'Peerline partner coordination' });
    } catch (e) {
      // Already invited or joined: the invite did its work.
      if (!/already in the room|already invited/i.test((e as Error).message)) throw e;
    }
    await this.c.store.putLink({ partner: link.partner, room_id: link.room_id, status: 'invited', created_by_us: true, updated_ts: this.c.clock.now() });
  }

  private async joinLink(link: Pick<PartnerLinkRow, 'partner' | 'room_id'>): Promise<void> {
    await this.c.homeserver.request('POST', `/_matrix/client/v3/join/${encodeURIComponent(link.room_id)}`, { query: { server_name: link.partner }, body: {} });
    await this.ready({ ...link, created_by_us: false });
    // The partner announced before we were in the room: read its announcement from the room state.
    const av = await this.c.homeserver.getStateEvent(link.room_id, COORDINATION_AVAILABILITY_EVENT_TYPE, link.partner).catch(() => null);
    if (av) await this.takeAvailability(link.partner, av);
  }

  private async ready(link: Pick<PartnerLinkRow, 'partner' | 'room_id' | 'created_by_us'>): Promise<void> {
    await this.c.store.putLink({ partner: link.partner, room_id: link.room_id, status: 'ready', created_by_us: link.created_by_us, updated_ts: this.c.clock.now() });
    this.c.logger.info('coordination room ready', { partner: link.partner, room_id: link.room_id });
    this.announced.delete(link.partner);
    this.availabilityChanged();
    this.flush();
  }

  // ── availability ──

  /** Our spare capacity per topic (0 everywhere when our policy keeps matching in-house). */
  async ownAvailability(): Promise<AvailabilityContent> {
    const policy = this.c.policy();
    const now = this.c.clock.now();
    const topics: Record<string, number> = {};
    if (policy.matching.cross_institution) {
      for (const t of policy.topics) topics[t.id] = 0;
      for (const cand of await this.engine.candidates(policy, now)) {
        if (cand.kind !== 'supporter' || cand.blocked || serverOf(cand.record.user_id) !== this.c.serverName) continue;
        const spare = supporterSpare(cand, policy);
        if (spare <= 0) continue;
        for (const t of qualifiedTopics(cand.record, policy, now)) if (cand.topics === null || cand.topics.includes(t)) topics[t] = (topics[t] ?? 0) + spare;
      }
    }
    return {
      institution: this.c.serverName, cross_institution: policy.matching.cross_institution, partners: policy.partners.map((p) => p.server_name),
      minors: policy.age_rules.minors, topics, updated_ts: now,
    };
  }

  /** Announces our availability to every ready partner soon (changes within a moment coalesce). */
  availabilityChanged(): void {
    if (this.stopped || this.publishTimer) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      this.publish().catch((e: unknown) => this.c.logger.warn('announcing availability failed', { error: (e as Error).message }));
    }, PUBLISH_DEBOUNCE_MS);
    this.publishTimer.unref();
  }

  async publish(): Promise<void> {
    const links = (await this.c.store.links()).filter((l) => l.status === 'ready');
    if (links.length === 0) return;
    const content = await this.ownAvailability();
    const { updated_ts: _ts, ...gist } = content;
    const key = JSON.stringify(gist);
    for (const link of links) {
      if (this.announced.get(link.partner) === key) continue;
      await this.c.homeserver.sendStateEvent(link.room_id, COORDINATION_AVAILABILITY_EVENT_TYPE, this.c.serverName, { ...content });
      this.announced.set(link.partner, key);
    }
  }

  private async takeAvailability(partner: string, content: unknown): Promise<void> {
    const v = validateAvailabilityContent(content);
    if (!v.ok || v.value.institution !== partner) {
      this.c.logger.warn('partner availability ignored: not valid', { partner, problems: v.ok ? 'institution mismatch' : v.issues.slice(0, 3).map((i) => i.message).join('; ') });
      return;
    }
    await this.c.store.setPartnerAvailability(partner, v.value, this.c.clock.now());
    this.engine.kick();
  }

  // ── outbox ──

  /** Sends queued messages to every ready partner, in order; what fails is retried by the job. */
  flush(): void {
    if (this.stopped) return;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = this.sendAll()
      .catch((e: unknown) => this.c.logger.warn('coordination outbox flush failed', { error: (e as Error).message }))
      .finally(() => {
        this.flushing = null;
        if (this.flushAgain) {
          this.flushAgain = false;
          this.flush();
        }
      });
  }

  async flushed(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async sendAll(): Promise<void> {
    for (const link of await this.c.store.links()) {
      if (link.status !== 'ready') continue;
      for (;;) {
        const rows = await this.c.store.pendingOutbox(link.partner, 50);
        if (rows.length === 0) break;
        for (const row of rows) {
          const now = this.c.clock.now();
          if (!validateCoordinationMessage(row.message).ok) {
            // Never put something unvalidated into an unencrypted federated room; drop it loudly.
            this.c.logger.error('coordination message failed validation and was dropped', { partner: link.partner, outbox_id: row.id });
            await this.c.store.markOutboxSent(row.id, now);
            continue;
          }
          try {
            await this.c.homeserver.sendMessage(link.room_id, COORDINATION_EVENT_TYPE, { ...row.message }, { txnId: row.txn_id });
          } catch (e) {
            await this.c.store.markOutboxFailed(row.id, (e as Error).message, now);
            throw e;
          }
          await this.c.store.markOutboxSent(row.id, now);
          this.c.metrics.coordination.inc({ direction: 'out', op: row.message.op });
        }
      }
    }
  }

  // ── what the homeserver pushes ──

  async onEvent(ev: RoomEvent): Promise<void> {
    if (ev.sender === this.bot) return;
    if (ev.type === 'm.room.member') return this.onMember(ev);
    const link = await this.c.store.linkByRoom(ev.room_id);
    // Only the partner's bot speaks for the partner, and only in that partner's room.
    if (!link || ev.sender !== this.partnerBot(link.partner)) return;
    if (ev.type === COORDINATION_AVAILABILITY_EVENT_TYPE) {
      if (ev.state_key === link.partner) await this.takeAvailability(link.partner, ev.content);
      return;
    }
    if (ev.type !== COORDINATION_EVENT_TYPE) return;
    const v = validateCoordinationMessage(ev.content);
    if (!v.ok) {
      this.c.logger.warn('coordination message ignored: not valid', { partner: link.partner, event_id: ev.event_id, problems: v.issues.slice(0, 3).map((i) => i.message).join('; ') });
      return;
    }
    const m = v.value;
    this.c.metrics.coordination.inc({ direction: 'in', op: m.op });
    // `institution` is the student's: the partner's for what it asks of us, ours for answers to us.
    const ours = m.institution === this.c.serverName;
    if (!ours && m.institution !== link.partner) return;
    switch (m.op) {
      case 'offer': if (!ours) await this.engine.partnerOffer(link.partner, m); break;
      case 'withdraw': if (!ours) await this.engine.partnerWithdrew(link.partner, m); break;
      case 'accept': if (ours) await this.engine.partnerAccepted(link.partner, m); break;
      case 'decline': if (ours) await this.engine.partnerDeclined(link.partner, m); break;
      default: await this.sessions.onPartnerMessage(link.partner, m);
    }
  }

  /** An invite to coordinate is taken from the bot of a partner our policy lists, and no one else. */
  private async onInvite(roomId: string, sender: string): Promise<void> {
    const partner = serverOf(sender);
    if (sender !== this.partnerBot(partner) || !this.isPartner(partner)) return;
    const existing = await this.c.store.link(partner);
    if (existing?.room_id === roomId && existing.status === 'ready') return;
    if (existing && existing.created_by_us && this.c.serverName < partner) return;
    await this.c.store.putLink({ partner, room_id: roomId, status: 'joining', created_by_us: false, updated_ts: this.c.clock.now() });
    // Not awaited: joining goes through the partner's server, and this may run inside a transaction.
    this.joinLink({ partner, room_id: roomId }).catch((e: unknown) => this.c.logger.warn('joining a coordination room failed; will retry', { partner, error: (e as Error).message }));
  }

  private async onMember(ev: RoomEvent): Promise<void> {
    const membership = ev.content['membership'];
    if (ev.state_key === this.bot && membership === 'invite') return this.onInvite(ev.room_id, ev.sender);
    const link = await this.c.store.linkByRoom(ev.room_id);
    if (!link || ev.state_key !== this.partnerBot(link.partner)) return;
    if (membership === 'join' && link.status !== 'ready') await this.ready(link);
    else if ((membership === 'leave' || membership === 'ban') && link.created_by_us) {
      // The partner left: invite it again on the next pass (its policy may have changed back).
      await this.c.store.putLink({ ...link, status: 'created', updated_ts: this.c.clock.now() });
    }
  }
}
