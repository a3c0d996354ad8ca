// The room layer of federation for one homeserver: checking PDU signatures with the key fetcher,
// fetching missing events from the sending server, and the RemoteEventHandler that places remote
// events in our rooms. `roomFederationOf(s)` builds it once per homeserver.
import type { HomeserverServices } from '../app.ts';
import type { Pdu, RoomVersion } from '../core/pdu.ts';
import { redactEvent } from '../core/redaction.ts';
import { serverNameOf } from '../core/ids.ts';
import { RemoteEventHandler, type PduSignatureVerifier, type RemoteEventSource } from '../services/rooms/remote-events.ts';
import { federationOf, type FederationServices } from './wire.ts';
import { fedPath } from './federation-client.ts';

export interface RoomFederation {
  federation: FederationServices;
  remoteEvents: RemoteEventHandler;
  /** Servers with at least one joined member in the room, ours excluded (where room events go). */
  serversInRoom(roomId: string): string[];
}

/** The signatures a v10/v11 PDU needs: its sender's server, and for restricted joins the authorising server. */
export function requiredSigners(pdu: Pdu): string[] {
  const servers = new Set([serverNameOf(pdu.sender)]);
  const via = pdu.type === 'm.room.member' ? pdu.content['join_authorised_via_users_server'] : undefined;
  if (typeof via === 'string' && pdu.content['membership'] === 'join') servers.add(serverNameOf(via));
  return [...servers];
}

function createRoomFederation(s: HomeserverServices): RoomFederation {
  const federation = federationOf(s);
  const verifier: PduSignatureVerifier = {
    async verify(pdu: Pdu, version: RoomVersion): Promise<void> {
      const redacted = redactEvent(pdu, version) as unknown as Record<string, unknown>;
      delete redacted['unsigned'];
      for (const server of requiredSigners(pdu)) {
        // Our own events are checked with our own key like anyone else's.
        await federation.keys.verifySignedBy(server, redacted, pdu.origin_server_ts);
      }
    },
  };
  const source: RemoteEventSource = {
    async getMissingEvents(origin, roomId, earliest, latest, limit) {
      const r = await federation.client.post<{ events?: unknown[] }>(origin, fedPath`/_matrix/federation/v1/get_missing_events/${roomId}`, { earliest_events: earliest, latest_events: latest, limit, min_depth: 0 });
      return Array.isArray(r.events) ? r.events : [];
    },
    async getEvent(origin, eventId) {
      const r = await federation.client.get<{ pdus?: unknown[] }>(origin, fedPath`/_matrix/federation/v1/event/${eventId}`);
      return Array.isArray(r.pdus) ? (r.pdus[0] ?? null) : null;
    },
    async getStateIds(origin, roomId, eventId) {
      const r = await federation.client.get<{ pdu_ids?: unknown; auth_chain_ids?: unknown }>(origin, fedPath`/_matrix/federation/v1/state_ids/${roomId}`, { event_id: eventId });
      const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
      return { pdu_ids: ids(r.pdu_ids), auth_chain_ids: ids(r.auth_chain_ids) };
    },
  };
  const remoteEvents = new RemoteEventHandler({
    db: s.db, store: s.eventsStore, cache: s.roomCache, streams: s.streams, persister: s.persister, verifier, source,
    logger: s.logger.child({ module: 'federation-rooms' }),
  });
  return {
    federation,
    remoteEvents,
    serversInRoom(roomId) {
      const servers = new Set<string>();
      for (const m of s.eventsStore.membersOfRoom(roomId, 'join')) servers.add(serverNameOf(m.user_id));
      servers.delete(s.config.server_name);
      return [...servers].filter((x) => federation.isAllowed(x));
    },
  };
}

const built = new WeakMap<object, RoomFederation>();

export function roomFederationOf(s: HomeserverServices): RoomFederation {
  let f = built.get(s);
  if (!f) {
    f = createRoomFederation(s);
    built.set(s, f);
  }
  return f;
}
