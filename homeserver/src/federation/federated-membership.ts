// Membership changes that need another server: joining a room this server is not in yet
// (make_join/send_join through a resident server), inviting a user of another server (the invite
// is countersigned by their server first), and rejecting an invite to a room we are not in
// (make_leave/send_leave through the inviting server).
import type { HomeserverServices } from '../app.ts';
import type { JsonObject, Pdu } from '../core/pdu.ts';
import { isSupportedRoomVersion, SUPPORTED_ROOM_VERSIONS } from '../core/pdu.ts';
import { computeEventId, hashAndSignEvent } from '../core/event-hash.ts';
import { serverNameOf } from '../core/ids.ts';
import { MatrixError, forbidden, notFound } from '../api/errors.ts';
import { fedPath, FederationRequestError } from './federation-client.ts';
import { roomFederationOf } from './room-federation.ts';
import { checkPduFormat } from '../services/rooms/remote-events.ts';

export class FederatedMembership {
  private readonly s: HomeserverServices;

  constructor(s: HomeserverServices) {
    this.s = s;
  }

  private get fed() {
    return roomFederationOf(this.s);
  }

  /** Servers to try for a room we are not in: those given, the inviter's, and the room id's. */
  candidateServers(roomId: string, userId: string, given: string[]): string[] {
    const out = [...given];
    const invite = this.s.eventsStore.remoteInvite(roomId, userId);
    if (invite) {
      const ev = this.s.roomCache.event(invite.event_id);
      if (ev) out.push(serverNameOf(ev.sender));
    }
    out.push(serverNameOf(roomId));
    return [...new Set(out)].filter((x) => x !== this.s.config.server_name);
  }

  /** Builds, signs and completes a membership event through a resident server. */
  private async viaResident(server: string, roomId: string, userId: string, membership: 'join' | 'leave', content: JsonObject): Promise<{ eventId: string; pdu: Pdu; response: Record<string, unknown>; version: string }> {
    const client = this.fed.federation.client;
    const make = await client.get<{ event?: unknown; room_version?: unknown }>(
      server,
      membership === 'join' ? fedPath`/_matrix/federation/v1/make_join/${roomId}/${userId}` : fedPath`/_matrix/federation/v1/make_leave/${roomId}/${userId}`,
      membership === 'join' ? { ver: [...SUPPORTED_ROOM_VERSIONS] } : {},
    );
    const version = make.room_version ?? '1';
    if (!isSupportedRoomVersion(version)) throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `room ${roomId} is version ${String(version)}, which this server does not support`);
    const t = make.event as Record<string, unknown> | undefined;
    if (!t || t['type'] !== 'm.room.member' || t['state_key'] !== userId || t['sender'] !== userId || t['room_id'] !== roomId) {
      throw new MatrixError(502, 'M_UNKNOWN', `${server} answered make_${membership} with an unusable event template`);
    }
    const templateContent = (typeof t['content'] === 'object' && t['content'] !== null ? t['content'] : {}) as JsonObject;
    const unsignedPdu = {
      auth_events: t['auth_events'] as string[], prev_events: t['prev_events'] as string[], depth: t['depth'] as number,
      room_id: roomId, sender: userId, state_key: userId, type: 'm.room.member',
      content: { ...templateContent, ...content, membership },
      origin_server_ts: this.s.clock.now(),
    };
    const pdu = hashAndSignEvent(unsignedPdu as Omit<Pdu, 'hashes' | 'signatures'>, version, this.s.config.server_name, this.s.signingKey);
    const checked = checkPduFormat(pdu);
    if (typeof checked === 'string') throw new MatrixError(502, 'M_UNKNOWN', `${server} gave an event template that is not a valid PDU: ${checked}`);
    const eventId = computeEventId(pdu, version);
    const response = await client.put<Record<string, unknown>>(
      server,
      membership === 'join' ? fedPath`/_matrix/federation/v2/send_join/${roomId}/${eventId}` : fedPath`/_matrix/federation/v2/send_leave/${roomId}/${eventId}`,
      pdu,
    );
    return { eventId, pdu, response, version };
  }

  /** Refuses at once what the allow-list forbids, naming the server (no request is made). */
  private requireAllowed(server: string, what: string): void {
    if (!this.fed.federation.isAllowed(server)) throw forbidden(`${what}: this server does not federate with ${server} (federation_domain_whitelist)`);
  }

  /** Joins a room hosted elsewhere; tries each candidate server in turn. */
  async join(roomId: string, userId: string, via: string[], content: JsonObject): Promise<void> {
    const candidates = this.candidateServers(roomId, userId, via);
    const servers = candidates.filter((x) => this.fed.federation.isAllowed(x));
    if (candidates.length > 0 && servers.length === 0) this.requireAllowed(candidates[0]!, `cannot join ${roomId}`);
    let lastError: unknown = notFound(`room ${roomId} is not known and no server to join it through was given`);
    for (const server of servers) {
      try {
        const { eventId, pdu, response, version } = await this.viaResident(server, roomId, userId, 'join', content);
        const signedByResident = checkPduFormat(response['event']);
        const joinPdu = typeof signedByResident === 'string' ? pdu : { ...pdu, signatures: { ...pdu.signatures, ...signedByResident.signatures } };
        const state = Array.isArray(response['state']) ? response['state'] : [];
        const authChain = Array.isArray(response['auth_chain']) ? response['auth_chain'] : [];
        if (!isSupportedRoomVersion(version)) throw new Error('unsupported room version');
        await this.fed.remoteEvents.persistJoinedRoom(server, roomId, version, eventId, joinPdu, state, authChain);
        await this.s.db.write(() => this.s.eventsStore.deleteRemoteInvite(roomId, userId));
        return;
      } catch (e) {
        lastError = e;
        this.s.logger.info('remote join attempt failed', { room_id: roomId, server, error: (e as Error).message });
      }
    }
    if (lastError instanceof MatrixError) throw lastError;
    if (lastError instanceof FederationRequestError) throw new MatrixError(lastError.status >= 400 && lastError.status < 500 ? lastError.status : 502, lastError.errcode ?? 'M_UNKNOWN', `joining through another server failed: ${lastError.message}`);
    throw new MatrixError(502, 'M_UNKNOWN', `joining ${roomId} through another server failed: ${(lastError as Error).message}`);
  }

  /** Invites a user of another server: their server countersigns the invite, then we place it. */
  async invite(roomId: string, sender: string, target: string, content: JsonObject): Promise<void> {
    this.requireAllowed(serverNameOf(target), `cannot invite ${target}`);
    const { pdu, eventId } = this.s.persister.buildUnstored({ roomId, type: 'm.room.member', sender, stateKey: target, content: { ...content, membership: 'invite' } });
    const version = this.s.rooms.roomVersion(roomId)!;
    const inviteRoomState = this.s.rooms.strippedState(roomId, '').filter((e) => e['type'] !== 'm.room.member' || e['state_key'] === sender);
    let res: { event?: unknown };
    try {
      res = await this.fed.federation.client.put<{ event?: unknown }>(serverNameOf(target), fedPath`/_matrix/federation/v2/invite/${roomId}/${eventId}`, { event: pdu, room_version: version, invite_room_state: inviteRoomState });
    } catch (e) {
      if (e instanceof FederationRequestError) throw new MatrixError(e.status === 403 ? 403 : 502, e.errcode ?? 'M_UNKNOWN', `${serverNameOf(target)} refused the invite: ${e.message}`);
      throw new MatrixError(502, 'M_UNKNOWN', `could not reach ${serverNameOf(target)} to invite ${target}: ${(e as Error).message}`);
    }
    const returned = checkPduFormat(res.event);
    if (typeof returned === 'string' || computeEventId(returned, version) !== eventId) throw new MatrixError(502, 'M_UNKNOWN', `${serverNameOf(target)} returned a different invite event`);
    await this.fed.remoteEvents.placeLocal(eventId, { ...pdu, signatures: { ...pdu.signatures, ...returned.signatures } });
  }

  /** Rejects an invite to a room we are not in, through the inviting server. */
  async rejectInvite(roomId: string, userId: string, reason?: string): Promise<void> {
    const servers = this.candidateServers(roomId, userId, []);
    let done = false;
    for (const server of servers) {
      try {
        await this.viaResident(server, roomId, userId, 'leave', reason ? { reason } : {});
        done = true;
        break;
      } catch (e) {
        this.s.logger.info('remote invite rejection failed', { room_id: roomId, server, error: (e as Error).message });
      }
    }
    // Even when no server answers, the user no longer wants the invite: forget it locally.
    await this.s.db.write((tx) => {
      const invite = this.s.eventsStore.remoteInvite(roomId, userId);
      this.s.eventsStore.deleteRemoteInvite(roomId, userId);
      const pos = this.s.streams.next();
      this.s.eventsStore.setMembership({ room_id: roomId, user_id: userId, membership: 'leave', event_id: invite?.event_id ?? '', stream_pos: pos });
      tx.afterCommit(() => this.s.notifier.notify([userId]));
    });
    if (!done) this.s.logger.info('invite rejected locally only', { room_id: roomId });
  }

  /** Whether `roomId` needs a remote server for `userId`'s membership change (we do not host it). */
  isRemoteOnly(roomId: string): boolean {
    return !this.s.rooms.roomVersion(roomId);
  }

  static forbidden = forbidden;
}
