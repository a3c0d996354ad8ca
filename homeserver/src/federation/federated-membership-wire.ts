// Installs the federated membership paths (remote join, invite, invite rejection) and remote alias
// resolution into the room service.
import type { HomeserverServices } from '../app.ts';
import { FederatedMembership } from './federated-membership.ts';
import { federationOf } from './wire.ts';
import { serverNameOf } from '../core/ids.ts';

export function wireRoomFederation(s: HomeserverServices): void {
  const membership = new FederatedMembership(s);
  s.rooms.remote = {
    join: (roomId, userId, via, content) => membership.join(roomId, userId, via, content),
    invite: (roomId, sender, target, content) => membership.invite(roomId, sender, target, content),
    rejectInvite: (roomId, userId, reason) => membership.rejectInvite(roomId, userId, reason),
  };
  s.resolveRemoteAlias = async (alias) => {
    try {
      const r = await federationOf(s).client.get<{ room_id?: unknown; servers?: unknown }>(serverNameOf(alias), '/_matrix/federation/v1/query/directory', { room_alias: alias });
      if (typeof r.room_id !== 'string') return null;
      return { roomId: r.room_id, servers: Array.isArray(r.servers) ? r.servers.filter((x): x is string => typeof x === 'string') : [] };
    } catch {
      return null;
    }
  };
}
