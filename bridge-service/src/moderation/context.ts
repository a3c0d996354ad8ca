// What the moderation parts share: the stores, the policy, the clock, the bot's homeserver client,
// roles, audit and metrics — and the two questions both ask: who moderates a group, and what the
// homeserver says about its members (membership, display name, power level).
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../logger.ts';
import type { HomeserverClient } from '../services/homeserver-client.ts';
import { HomeserverError } from '../services/homeserver-client.ts';
import type { AuditService } from '../services/audit.ts';
import type { Role, RoleResolver } from '../services/roles.ts';
import type { Counter, Metrics } from '../services/metrics.ts';
import { qualifiedTopics } from '../services/roster-rules.ts';
import type { GroupRow, MatchingStore } from '../store/matching-store.ts';
import type { ModerationStore } from '../store/moderation-store.ts';
import type { RosterStore } from '../store/store.ts';
import { BridgeError, forbidden, notFound } from '../errors.ts';

/** The part of HomeserverClient the module uses (unit tests give a fake). */
export type ModerationHomeserver = Pick<HomeserverClient, 'botUserId' | 'kick' | 'getStateEvent' | 'sendStateEvent' | 'request'>;

export class ModerationMetrics {
  readonly actions: Counter;
  readonly reports: Counter;

  constructor(m: Metrics) {
    this.actions = m.counter('bridge_group_moderation_actions_total', 'Moderation actions applied in support groups, by action', ['action']);
    this.reports = m.counter('bridge_group_reports_total', 'Message reports by event (created, closed, purged) and reason', ['event', 'reason']);
  }
}

export interface ModerationContext {
  store: ModerationStore;
  matching: MatchingStore;
  roster: RosterStore;
  roles: RoleResolver;
  audit: AuditService;
  policy: () => InstitutionPolicy;
  clock: Clock;
  logger: Logger;
  homeserver: ModerationHomeserver;
  metrics: ModerationMetrics;
}

export interface MemberState {
  user_id: string;
  display_name: string | null;
  membership: string;
  muted: boolean;
}

type MemberEvent = { state_key?: string; content: { membership?: string; displayname?: string } };
export type PowerLevels = Record<string, unknown> & { users?: Record<string, number>; users_default?: number; events_default?: number };

export const enc = encodeURIComponent;

/** The level a user has, and the level needed to send messages, in a power-levels content. */
export function levels(pl: PowerLevels, userId: string): { user: number; send: number } {
  const user = pl.users?.[userId] ?? pl.users_default ?? 0;
  return { user, send: pl.events_default ?? 0 };
}

export const isMuted = (pl: PowerLevels, userId: string): boolean => {
  const l = levels(pl, userId);
  return l.user < l.send;
};

/** Turns a homeserver failure into a 502 that says what the bot was doing. */
export function upstream(what: string): (e: unknown) => never {
  return (e: unknown) => {
    if (e instanceof BridgeError) throw e;
    throw new BridgeError(502, 'M_UNKNOWN', `${what} failed at the homeserver: ${(e as Error).message}`);
  };
}

export class GroupAccess {
  private readonly c: ModerationContext;

  constructor(c: ModerationContext) {
    this.c = c;
  }

  /** The group (open or closed); 404 when there is none. */
  async group(id: string, opts: { open?: boolean } = {}): Promise<GroupRow> {
    const g = await this.c.matching.group(id);
    if (!g || (opts.open === true && g.closed_ts !== null)) throw notFound(`No ${opts.open ? 'open ' : ''}support group ${id}`);
    return g;
  }

  /** Admins, the supporter who opened the group, and supporters currently trained for its topic. */
  async isModerator(userId: string, roles: readonly Role[], g: GroupRow): Promise<boolean> {
    if (roles.includes('admin')) return true;
    if (!roles.includes('supporter')) return false;
    if (g.created_by === userId) return true;
    const record = await this.c.roster.supporter(userId);
    return record !== undefined && qualifiedTopics(record, this.c.policy(), this.c.clock.now()).includes(g.topic);
  }

  async requireModerator(userId: string, roles: readonly Role[], g: GroupRow): Promise<void> {
    if (!(await this.isModerator(userId, roles, g))) {
      throw forbidden(`You do not moderate group ${g.id}: moderators are admins, the supporter who opened it, and supporters trained for '${g.topic}'`);
    }
  }

  async powerLevels(roomId: string): Promise<PowerLevels> {
    return this.c.homeserver.getStateEvent<PowerLevels>(roomId, 'm.room.power_levels', '').catch(upstream('Reading the group room\'s power levels'));
  }

  /** Every member event of the room (as the bot sees it), with whether each member is muted. */
  async members(roomId: string): Promise<Map<string, MemberState>> {
    const [res, pl] = await Promise.all([
      this.c.homeserver.request<{ chunk: MemberEvent[] }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/members`).catch(upstream('Reading the group room\'s members')),
      this.powerLevels(roomId),
    ]);
    const out = new Map<string, MemberState>();
    for (const ev of res.chunk) {
      if (ev.state_key === undefined || ev.state_key === this.c.homeserver.botUserId || typeof ev.content.membership !== 'string') continue;
      out.set(ev.state_key, {
        user_id: ev.state_key, display_name: typeof ev.content.displayname === 'string' ? ev.content.displayname : null,
        membership: ev.content.membership, muted: isMuted(pl, ev.state_key),
      });
    }
    return out;
  }

  /** The sender of an event in the room; 404 when the homeserver has no such event there. */
  async senderOf(roomId: string, eventId: string): Promise<string> {
    const ev = await this.c.homeserver.request<{ sender?: string; room_id?: string }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`)
      .catch((e: unknown) => {
        if (e instanceof HomeserverError && (e.status === 404 || e.status === 403)) throw notFound(`No event ${eventId} in room ${roomId}`);
        return upstream('Looking up the reported message')(e);
      });
    if (typeof ev.sender !== 'string') throw notFound(`No event ${eventId} in room ${roomId}`);
    return ev.sender;
  }
}
