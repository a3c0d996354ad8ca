// The shape of the rooms the bot creates for matching, as pure functions of their metadata:
// - peer and group rooms: encrypted from the first event (m.room.encryption in initial_state),
//   history visible from joining only, power levels bot 100 / members 0 (members talk; only the bot
//   changes state, invites or removes), a server ACL naming only the institutions involved (no IP
//   literals), and the org.peerline.session state event (metadata only, validated);
// - the coordination room between two partner bridges: NOT encrypted (the bots have no devices and
//   it carries metadata only), both bots at 100, the same kind of ACL.
import { Value } from '@sinclair/typebox/value';
import { SESSION_EVENT_TYPE, SESSION_STATE_KEY, SessionContentSchema, type SessionContent } from '../../../protocol/src/event-types.ts';
import { COORDINATION_ROOM_EVENT_TYPE, COORDINATION_PROTOCOL_VERSION } from '../../../protocol/src/coordination.ts';
import type { CreateRoomRequest, StateEvent } from '../services/homeserver-client.ts';
import { botOwnedPowerLevels } from '../services/room-power.ts';

export const MEGOLM = 'm.megolm.v1.aes-sha2';


/** The host part of a server name: ACL globs are matched without the port (spec: Server ACLs). */
export function aclHost(serverName: string): string {
  if (serverName.startsWith('[')) return serverName.slice(0, serverName.indexOf(']') + 1);
  const colon = serverName.lastIndexOf(':');
  return colon >= 0 ? serverName.slice(0, colon) : serverName;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

export function isIpLiteral(serverName: string): boolean {
  const host = aclHost(serverName);
  return host.startsWith('[') || IPV4.test(host);
}

/**
 * m.room.server_acl content admitting exactly these institutions. IP literals are refused as a
 * whole (an institution is a DNS name), so a server addressed by IP cannot take part.
 */
export function serverAclContent(serverNames: readonly string[]): Record<string, unknown> {
  const hosts = [...new Set(serverNames.map(aclHost))];
  const literal = serverNames.find(isIpLiteral);
  if (literal !== undefined) throw new Error(`server ${literal} is an IP literal; Peerline rooms admit named institutions only`);
  // Glob characters in a host would widen the ACL; server names cannot contain them anyway.
  for (const h of hosts) if (/[*?]/.test(h)) throw new Error(`server name ${h} is not valid`);
  return { allow: hosts.sort(), deny: [], allow_ip_literals: false };
}

/** Power levels of peer, group and coordination rooms (the shared shape; `readOnly` ends a session). */
export function powerLevels(admins: readonly string[], opts: { readOnly?: boolean } = {}): Record<string, unknown> {
  return botOwnedPowerLevels(admins, opts);
}

function checkedSession(content: SessionContent): Record<string, unknown> {
  // A malformed session event would be readable by every server in the room: refuse to send one.
  if (!Value.Check(SessionContentSchema, content)) throw new Error('org.peerline.session content does not match its schema');
  return { ...content };
}

export interface SupportRoomSpec {
  botUserId: string;
  session: SessionContent;
  invite: readonly string[];
  /** The policy's retention for this room kind: the homeserver prunes older content (m.room.retention). */
  retentionDays: number;
}

/** m.room.retention content for a number of days (Synapse's message-retention state event). */
export function retentionContent(days: number): { max_lifetime: number } {
  return { max_lifetime: days * 86_400_000 };
}

/** A peer (one student, one supporter) or support-group room. */
export function supportRoomRequest(spec: SupportRoomSpec): CreateRoomRequest {
  const institutions = spec.session.institutions;
  const initialState: StateEvent[] = [
    // First of the initial state: nothing can be sent in the room before it is encrypted.
    { type: 'm.room.encryption', state_key: '', content: { algorithm: MEGOLM } },
    { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } },
    { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'invite' } },
    { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } },
    { type: 'm.room.server_acl', state_key: '', content: serverAclContent(institutions) },
    { type: SESSION_EVENT_TYPE, state_key: SESSION_STATE_KEY, content: checkedSession(spec.session) },
    { type: 'm.room.retention', state_key: '', content: retentionContent(spec.retentionDays) },
  ];
  return {
    preset: 'private_chat',
    visibility: 'private',
    // No name or topic: they would be unencrypted; clients label the room from the session state.
    invite: [...spec.invite],
    power_level_content_override: powerLevels([spec.botUserId]),
    // A room of one institution never leaves its homeserver.
    ...(new Set(institutions).size === 1 ? { creation_content: { 'm.federate': false } } : {}),
    initial_state: initialState,
  };
}

/** The unencrypted room two partner bridges coordinate in (created by one, the other's bot invited). */
export function coordinationRoomRequest(opts: { botUserId: string; partnerBotUserId: string; own: string; partner: string }): CreateRoomRequest {
  return {
    preset: 'private_chat',
    visibility: 'private',
    power_level_content_override: { ...powerLevels([opts.botUserId, opts.partnerBotUserId]), state_default: 100 },
    initial_state: [
      { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
      { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'invite' } },
      { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } },
      { type: 'm.room.server_acl', state_key: '', content: serverAclContent([opts.own, opts.partner]) },
      { type: COORDINATION_ROOM_EVENT_TYPE, state_key: '', content: { version: COORDINATION_PROTOCOL_VERSION, institutions: [opts.own, opts.partner].sort() } },
    ],
  };
}
