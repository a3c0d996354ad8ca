// Support groups: topic rooms made and moderated like peer rooms (encrypted from the first event,
// history from joining, bot 100 / members 0, server ACL of the institutions that may take part).
// A trained supporter or an admin opens one; who may join follows the policies: our own users
// always; partners' users only for consortium groups, when both policies allow cross-institution
// work and list each other, and never when either institution has minors among its students.
import { BridgeError, forbidden, notFound } from '../errors.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { Role } from '../services/roles.ts';
import { qualifiedTopics } from '../services/roster-rules.ts';
import { HomeserverError } from '../services/homeserver-client.ts';
import type { GroupRow, PartnerLinkRow } from '../store/matching-store.ts';
import { partnerAllowsUs, policyAllowsPartner, serverOf } from './matcher.ts';
import { supportRoomRequest } from './room-content.ts';
import { newId } from './ids.ts';
import { DAY_MS, type MatchingContext } from './context.ts';

export interface GroupInput {
  topic: string;
  name: string;
  audience?: 'institution' | 'consortium';
}

function partnerView(link: PartnerLinkRow | undefined): { kind: 'partner'; server_name: string; cross_institution: boolean; partners: string[]; spare: Record<string, number> } | undefined {
  const av = link?.availability;
  return av ? { kind: 'partner', server_name: link!.partner, cross_institution: av.cross_institution, partners: av.partners, spare: {} } : undefined;
}

export class SupportGroups {
  private readonly c: MatchingContext;

  constructor(c: MatchingContext) {
    this.c = c;
  }

  /** Why `userId` may not join a group of this audience, or null when they may. */
  async refusal(g: Pick<GroupRow, 'audience'>, userId: string, policy: InstitutionPolicy = this.c.policy()): Promise<string | null> {
    const server = serverOf(userId);
    if (server === this.c.serverName) return null;
    if (g.audience !== 'consortium') return 'This group is for students of the institution only';
    if (policy.age_rules.minors) return 'This institution has students under age, so its groups are not open to other institutions';
    if (!policyAllowsPartner(policy, server)) return 'Your institution is not a partner this institution shares groups with';
    const link = await this.c.store.link(server);
    if (!partnerAllowsUs(partnerView(link), this.c.serverName)) return "Your institution's policy does not allow groups with this institution";
    if (link?.availability?.minors !== false) return 'Your institution has students under age, who join groups of their own institution only';
    return null;
  }

  async create(actor: string, roles: readonly Role[], input: GroupInput): Promise<GroupRow> {
    const policy = this.c.policy();
    const now = this.c.clock.now();
    if (!policy.topics.some((t) => t.id === input.topic)) {
      throw new BridgeError(400, 'M_INVALID_PARAM', `topic '${input.topic}' is not offered here (topics: ${policy.topics.map((t) => t.id).join(', ')})`);
    }
    if (!roles.includes('admin')) {
      const record = await this.c.roster.supporter(actor);
      if (!record || !qualifiedTopics(record, policy, now).includes(input.topic)) {
        throw new BridgeError(409, 'ORG.PEERLINE.NOT_TRAINED', `You are not trained for '${input.topic}' (valid, unexpired training), so you cannot open a group on it`);
      }
    }
    const audience = input.audience ?? 'institution';
    if (audience === 'consortium' && (!policy.matching.cross_institution || policy.age_rules.minors)) {
      throw new BridgeError(400, 'M_INVALID_PARAM', "audience 'consortium' needs cross-institution matching on and no students under age in the policy");
    }
    const institutions = audience === 'consortium' ? [this.c.serverName, ...policy.partners.map((p) => p.server_name)] : [this.c.serverName];
    const id = newId('gr');
    const started = performance.now();
    const { room_id: roomId } = await this.c.homeserver.createRoom(supportRoomRequest({
      botUserId: this.c.homeserver.botUserId,
      session: { request_id: id, topic: input.topic, institutions, created_ts: now, kind: 'group' },
      invite: serverOf(actor) === this.c.serverName ? [actor] : [],
      retentionDays: policy.retention_days.group,
    })).catch((e: unknown) => {
      throw new BridgeError(502, 'M_UNKNOWN', `The group room could not be created: ${(e as Error).message}`);
    });
    this.c.metrics.roomSeconds.observe({ kind: 'group' }, (performance.now() - started) / 1000);
    const group: GroupRow = { id, topic: input.topic, name: input.name, audience, room_id: roomId, created_by: actor, created_ts: now, closed_ts: null };
    await this.c.store.insertGroup(group, {
      room_id: roomId, kind: 'group', ref_id: id, institutions, created_ts: now, purge_after_ts: now + policy.retention_days.group * DAY_MS, purged_ts: null,
    }, { facts: [{ actor, action: 'group.created', subject: id, details: { topic: input.topic, audience, room_id: roomId } }] });
    this.c.audit.noteAppended();
    return group;
  }

  async list(userId: string): Promise<(GroupRow & { joinable: boolean })[]> {
    const out: (GroupRow & { joinable: boolean })[] = [];
    const policy = this.c.policy();
    for (const g of await this.c.store.groups()) {
      const refusal = await this.refusal(g, userId, policy);
      // Other institutions' users see only what they may join.
      if (refusal !== null && serverOf(userId) !== this.c.serverName) continue;
      out.push({ ...g, joinable: refusal === null });
    }
    return out;
  }

  async get(id: string): Promise<GroupRow> {
    const g = await this.c.store.group(id);
    if (!g || g.closed_ts !== null) throw notFound(`No open group ${id}`);
    return g;
  }

  /** Invites the user into the group room (their client then joins). */
  /** Whether the group's room bans `userId` (a missing member event means no). */
  private async isBanned(roomId: string, userId: string): Promise<boolean> {
    try {
      const m = await this.c.homeserver.getStateEvent<{ membership?: string }>(roomId, 'm.room.member', userId);
      return m.membership === 'ban';
    } catch (e) {
      if (e instanceof HomeserverError && e.status === 404) return false;
      throw new BridgeError(502, 'M_UNKNOWN', `The group's room could not be read: ${(e as Error).message}`);
    }
  }

  async join(id: string, userId: string): Promise<GroupRow> {
    const g = await this.get(id);
    const refusal = await this.refusal(g, userId);
    if (refusal !== null) throw forbidden(refusal);
    if (await this.isBanned(g.room_id, userId)) throw forbidden('The group\'s moderators removed you from this group');
    try {
      await this.c.homeserver.invite(g.room_id, userId, { reason: 'Joining a Peerline support group' });
    } catch (e) {
      // Already invited or in the room: joining again is fine.
      if (!(e instanceof HomeserverError && e.status === 403 && /already in the room|already invited/i.test(e.message))) {
        throw new BridgeError(502, 'M_UNKNOWN', `The invite could not be sent: ${(e as Error).message}`);
      }
    }
    await this.c.store.recordGroupJoin(id, userId, this.c.clock.now(), {
      facts: [{ actor: 'system', action: 'group.joined', subject: id, details: { topic: g.topic, institution: serverOf(userId) } }],
    });
    return g;
  }
}
