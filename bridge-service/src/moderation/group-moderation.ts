// Mute, unmute, kick, ban and unban in support groups. Members have power 0 and only the bot may
// change the room, so a moderator asks the bridge and the bot acts: a mute puts the member's power
// level below the level needed to send messages (the homeserver then rejects their messages),
// kick and ban are the standard membership actions. Every action is audited with the moderator's
// reason; the room itself only shows a neutral reason, so no words about a student reach it.
import type { Role } from '../services/roles.ts';
import { BridgeError, forbidden, invalidParam, notFound } from '../errors.ts';
import { enc, isMuted, levels, upstream, type GroupAccess, type MemberState, type ModerationContext, type PowerLevels } from './context.ts';
import type { ModerationAction } from './schemas.ts';

export interface ModerationInput {
  action: ModerationAction;
  user_id: string;
  reason: string;
}

export interface ModerationResult {
  group_id: string;
  action: ModerationAction;
  member: MemberState;
  applied_ts: number;
}

/** What the room shows for a kick or ban (the moderator's own words stay in the audit log). */
const ROOM_REASON = 'Removed by a group moderator';

const noChange = (m: string): BridgeError => new BridgeError(409, 'ORG.PEERLINE.NO_CHANGE', m);

export class GroupModeration {
  private readonly c: ModerationContext;
  private readonly access: GroupAccess;
  /** Power-level edits are read-modify-write: one at a time per room. */
  private readonly roomQueues = new Map<string, Promise<unknown>>();

  constructor(c: ModerationContext, access: GroupAccess) {
    this.c = c;
    this.access = access;
  }

  private serialised<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.roomQueues.get(roomId) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.roomQueues.set(roomId, next);
    void next.catch(() => {}).finally(() => { if (this.roomQueues.get(roomId) === next) this.roomQueues.delete(roomId); });
    return next;
  }

  /** The group's members as moderators see them. */
  async members(actor: string, roles: readonly Role[], groupId: string): Promise<MemberState[]> {
    const g = await this.access.group(groupId, { open: true });
    await this.access.requireModerator(actor, roles, g);
    return [...(await this.access.members(g.room_id)).values()];
  }

  async apply(actor: string, roles: readonly Role[], groupId: string, input: ModerationInput): Promise<ModerationResult> {
    const g = await this.access.group(groupId, { open: true });
    await this.access.requireModerator(actor, roles, g);
    const reason = input.reason.trim();
    if (reason === '') throw invalidParam('reason: say in a few words why (it is kept in the audit log)');
    const target = input.user_id;
    if (target === actor) throw invalidParam('You cannot moderate yourself');
    if (target === this.c.homeserver.botUserId) throw invalidParam('The Peerline bot cannot be moderated');
    if (!roles.includes('admin') && (await this.access.isModerator(target, await this.c.roles.rolesOf(target), g))) {
      throw forbidden(`${target} moderates this group too; ask an admin`);
    }

    const member = await this.serialised(g.room_id, async () => {
      const members = await this.access.members(g.room_id);
      const m = members.get(target);
      const present = m !== undefined && (m.membership === 'join' || m.membership === 'invite');
      const room = g.room_id;
      switch (input.action) {
        case 'mute':
        case 'unmute': {
          if (input.action === 'mute' ? !present : m === undefined) throw notFound(`${target} is not a member of group ${g.id}`);
          const pl = await this.access.powerLevels(room);
          const muted = isMuted(pl, target);
          if (input.action === 'mute' && muted) throw noChange(`${target} is muted already`);
          if (input.action === 'unmute' && !muted) throw noChange(`${target} is not muted`);
          const users = { ...(pl.users ?? {}) };
          if (input.action === 'mute') users[target] = levels(pl, target).send - 1;
          else delete users[target];
          const content: PowerLevels = { ...pl, users };
          await this.c.homeserver.sendStateEvent(room, 'm.room.power_levels', '', content).catch(upstream('Changing the power levels'));
          return { ...m!, muted: input.action === 'mute' };
        }
        case 'kick':
          if (!present) throw notFound(`${target} is not a member of group ${g.id}`);
          await this.c.homeserver.kick(room, target, { reason: ROOM_REASON }).catch(upstream('Removing the member'));
          return { ...m, membership: 'leave' };
        case 'ban':
          if (m === undefined) throw notFound(`${target} has never been a member of group ${g.id}`);
          if (m.membership === 'ban') throw noChange(`${target} is banned already`);
          await this.c.homeserver.request('POST', `/_matrix/client/v3/rooms/${enc(room)}/ban`, { body: { user_id: target, reason: ROOM_REASON } })
            .catch(upstream('Banning the member'));
          return { ...m, membership: 'ban' };
        case 'unban':
          if (m === undefined) throw notFound(`${target} has never been a member of group ${g.id}`);
          if (m.membership !== 'ban') throw noChange(`${target} is not banned`);
          await this.c.homeserver.request('POST', `/_matrix/client/v3/rooms/${enc(room)}/unban`, { body: { user_id: target } })
            .catch(upstream('Lifting the ban'));
          return { ...m, membership: 'leave' };
      }
    });

    await this.c.audit.record({
      actor, action: `group.moderation.${input.action}`, subject: g.id, details: { target, room_id: g.room_id, reason },
    });
    this.c.metrics.actions.inc({ action: input.action });
    return { group_id: g.id, action: input.action, member, applied_ts: this.c.clock.now() };
  }
}
