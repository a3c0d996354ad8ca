// Rooms across two real homeservers: an invite countersigned by the invitee's server, a join through
// the resident server (make_join/send_join), and the room graph endpoints the joining server uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RegisteredUser } from '../helpers/homeserver.ts';
import { startFederatedPair, type FederatedPair } from '../helpers/federated-pair.ts';
import { waitFor } from '../helpers/client.ts';
import { identityOf, signedFederationRequest } from '../helpers/federation.ts';

interface SyncBody { next_batch: string; rooms: { join: Record<string, { timeline: { events: { type: string; sender: string; state_key?: string; content: Record<string, unknown> }[] } }>; invite: Record<string, { invite_state: { events: { type: string; state_key?: string; content: Record<string, unknown> }[] } }> } }

describe('rooms across two homeservers', () => {
  let pair: FederatedPair;
  let alice: RegisteredUser; // on A
  let bob: RegisteredUser; // on B
  let roomId: string;

  beforeAll(async () => {
    pair = await startFederatedPair();
    alice = await pair.a.registerUser('alice');
    bob = await pair.b.registerUser('bob');
  });
  afterAll(async () => {
    await pair?.stop();
  });

  const sync = async (hs: FederatedPair['a'], user: RegisteredUser, since?: string): Promise<SyncBody> =>
    (await api<SyncBody>(hs, 'GET', `/_matrix/client/v3/sync?timeout=0${since ? `&since=${since}` : ''}`, { token: user.accessToken })).body;

  it('delivers an invite of a user on another server, with the room\'s stripped state', async () => {
    const created = await api<{ room_id: string }>(pair.a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { name: 'Peer support', invite: [] } });
    expect(created.status).toBe(200);
    roomId = created.body.room_id;
    const inv = await api(pair.a, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, { token: alice.accessToken, body: { user_id: bob.userId } });
    expect(inv.status, JSON.stringify(inv.body)).toBe(200);
    const invite = await waitFor('the invite at B', async () => (await sync(pair.b, bob)).rooms.invite[roomId]);
    const types = invite.invite_state.events.map((e) => e.type);
    expect(types).toContain('m.room.create');
    expect(types).toContain('m.room.name');
    expect(invite.invite_state.events.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)?.content['membership']).toBe('invite');
  });

  it('lets the invited user join through the resident server and see the room\'s state', async () => {
    const joined = await api<{ room_id: string }>(pair.b, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, { token: bob.accessToken, body: {} });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    const state = await api<{ type: string; state_key: string; content: Record<string, unknown> }[]>(pair.b, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, { token: bob.accessToken });
    expect(state.status).toBe(200);
    const members = Object.fromEntries(state.body.filter((e) => e.type === 'm.room.member').map((e) => [e.state_key, e.content['membership']]));
    expect(members).toEqual({ [alice.userId]: 'join', [bob.userId]: 'join' });
    expect(state.body.find((e) => e.type === 'm.room.name')?.content['name']).toBe('Peer support');
    // The resident server has placed the join too.
    const atA = await api<{ chunk: { state_key: string; content: { membership: string } }[] }>(pair.a, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/members`, { token: alice.accessToken });
    expect(atA.body.chunk.find((m) => m.state_key === bob.userId)?.content.membership).toBe('join');
  });

  it('refuses make_join from a server for a user it does not host', async () => {
    const res = await signedFederationRequest<{ errcode: string }>(identityOf(pair.b), pair.a, 'GET', `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(alice.userId)}?ver=10&ver=11`);
    expect([res.status, res.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
  });

  it('answers state_ids and event_auth only to servers in the room', async () => {
    const events = await api<{ chunk: { event_id: string }[] }>(pair.a, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1`, { token: alice.accessToken });
    const last = events.body.chunk[0]!.event_id;
    const ok = await signedFederationRequest<{ pdu_ids: string[]; auth_chain_ids: string[] }>(identityOf(pair.b), pair.a, 'GET', `/_matrix/federation/v1/state_ids/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(last)}`);
    expect(ok.status).toBe(200);
    expect(ok.body.pdu_ids.length).toBeGreaterThan(3);
    expect(ok.body.auth_chain_ids.length).toBeGreaterThan(0);
  });
});
