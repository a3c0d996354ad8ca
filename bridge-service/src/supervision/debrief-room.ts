// The debrief room the bot makes for a supporter and a supervisor: encrypted from its first event,
// history visible from joining only, invite-only, bot 100 / members 0, this institution's server
// only (never federated), and the org.peerline.debrief state event — metadata only, validated, with
// nothing of a student in it. The bot puts nothing else there; content is the members' own.
import { randomBytes } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { DEBRIEF_EVENT_TYPE, DebriefContentSchema, type DebriefContent } from '../../../protocol/src/event-types.ts';
import type { CreateRoomRequest } from '../services/homeserver-client.ts';
import { botOwnedPowerLevels } from '../services/room-power.ts';
import { aclOwnServerOnly } from '../escalation/escalation-room.ts';

export const MEGOLM = 'm.megolm.v1.aes-sha2';

/** `fl_…` review flags, `db_…` debriefs: random, URL-safe. */
export function newSupervisionId(prefix: 'fl' | 'db'): string {
  return `${prefix}_${randomBytes(15).toString('base64url')}`;
}

export function debriefRoomRequest(opts: { botUserId: string; content: DebriefContent; retentionDays: number }): CreateRoomRequest {
  // State is readable by the homeserver: refuse to send anything but the schema's metadata.
  if (!Value.Check(DebriefContentSchema, opts.content)) throw new Error('org.peerline.debrief content does not match its schema');
  return {
    preset: 'private_chat',
    visibility: 'private',
    // No name or topic (they would be unencrypted); clients label the room from the debrief state.
    invite: [opts.content.supporter, opts.content.supervisor],
    power_level_content_override: botOwnedPowerLevels([opts.botUserId], { botOnlyEvents: [DEBRIEF_EVENT_TYPE] }),
    creation_content: { 'm.federate': false },
    initial_state: [
      // First of the initial state: nothing can be sent in the room before it is encrypted.
      { type: 'm.room.encryption', state_key: '', content: { algorithm: MEGOLM } },
      { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } },
      { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'invite' } },
      { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } },
      { type: 'm.room.server_acl', state_key: '', content: aclOwnServerOnly(opts.content.institution) },
      { type: DEBRIEF_EVENT_TYPE, state_key: '', content: { ...opts.content } },
      { type: 'm.room.retention', state_key: '', content: { max_lifetime: opts.retentionDays * 86_400_000 } },
    ],
  };
}
