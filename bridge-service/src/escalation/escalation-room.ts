// What the bot does on the homeserver for escalations: the shape of the escalation room (encrypted
// from its first event, history visible from joining only, bot 100 / members 0, server ACL of the
// student's own institution, session and consent-reference state), and membership questions about
// rooms the bot is in. The bot only ever writes state and memberships; it cannot read content.
import type { ConsentReceiptReferenceContent, SessionContent } from '../../../protocol/src/event-types.ts';
import { CONSENT_RECEIPT_EVENT_TYPE, SESSION_EVENT_TYPE, SESSION_STATE_KEY } from '../../../protocol/src/event-types.ts';
import { botOwnedPowerLevels } from '../services/room-power.ts';
import { HomeserverError, type CreateRoomRequest, type HomeserverClient } from '../services/homeserver-client.ts';

/** The part of HomeserverClient escalations use (unit tests give a fake). */
export type EscalationHomeserver = Pick<HomeserverClient, 'botUserId' | 'createRoom' | 'invite' | 'kick' | 'getStateEvent'>;


export function escalationRoomRequest(opts: {
  botUserId: string;
  serverName: string;
  session: SessionContent;
  receiptRef: ConsentReceiptReferenceContent;
  /** The policy's retention for escalation rooms, in days (m.room.retention). */
  retentionDays: number;
}): CreateRoomRequest {
  return {
    preset: 'private_chat',
    visibility: 'private',
    // Shown by every client; says nothing about the student or why.
    name: 'Counsellor support',
    // Bot 100, members 0 (they talk); the consent reference is the bot's alone too.
    power_level_content_override: botOwnedPowerLevels([opts.botUserId], { botOnlyEvents: [CONSENT_RECEIPT_EVENT_TYPE] }),
    initial_state: [
      { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
      { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } },
      { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } },
      { type: 'm.room.server_acl', state_key: '', content: aclOwnServerOnly(opts.serverName) },
      { type: SESSION_EVENT_TYPE, state_key: SESSION_STATE_KEY, content: { ...opts.session } },
      // The homeserver prunes content older than the policy allows (message retention).
      { type: 'm.room.retention', state_key: '', content: { max_lifetime: opts.retentionDays * 86_400_000 } },
      // State, not a timeline message: the bot has no keys to encrypt with, and the reference holds
      // only the receipt's id and hash — the receipt itself stays with the bridge and the student.
      { type: CONSENT_RECEIPT_EVENT_TYPE, state_key: opts.receiptRef.receipt_id, content: { ...opts.receiptRef } },
    ],
  };
}

/**
 * An m.room.server_acl content admitting only this server. ACL entries are host names without the
 * port (spec: m.room.server_acl), and a server named by an IP literal must allow IP literals or it
 * would shut itself out.
 */
export function aclOwnServerOnly(serverName: string): { allow: string[]; deny: string[]; allow_ip_literals: boolean } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::[0-9]+)?$/.exec(serverName);
  const host = m ? m[1]! : serverName;
  const ipLiteral = host.startsWith('[') || /^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/.test(host);
  return { allow: [host], deny: [], allow_ip_literals: ipLiteral };
}

/**
 * A user's membership in a room the bot is in, or null when they have none. Throws
 * BotNotInRoomError when the homeserver will not show the bot the room's state.
 */
export async function membershipIn(hs: EscalationHomeserver, roomId: string, userId: string): Promise<string | null> {
  try {
    const content = await hs.getStateEvent<{ membership?: unknown }>(roomId, 'm.room.member', userId);
    return typeof content.membership === 'string' ? content.membership : null;
  } catch (e) {
    if (e instanceof HomeserverError && e.status === 404) return null;
    if (e instanceof HomeserverError && e.status === 403) throw new BotNotInRoomError(roomId);
    throw e;
  }
}

/** A room state event, or null when absent (or the bot may not see the room). */
export async function stateOrNull(hs: EscalationHomeserver, roomId: string, type: string, stateKey = ''): Promise<Record<string, unknown> | null> {
  try {
    return await hs.getStateEvent(roomId, type, stateKey);
  } catch (e) {
    if (e instanceof HomeserverError && (e.status === 404 || e.status === 403)) return null;
    throw e;
  }
}

export class BotNotInRoomError extends Error {
  constructor(roomId: string) {
    super(`the bridge bot is not in room ${roomId}`);
  }
}
