import { describe, expect, it } from 'vitest';
import { PARTNER, SERVER, samplePolicy } from '../test-fixture.ts';
import { COORDINATION_AVAILABILITY_EVENT_TYPE, COORDINATION_EVENT_TYPE, validateAvailabilityContent, validateCoordinationMessage } from '../../../protocol/src/coordination.ts';
import type { RoomEvent } from '../appservice/handlers.ts';
import { BOT, matchingFixture, type MatchingFixture } from './test-fixture.ts';
import type { RequestView } from './requests.ts';

const PARTNER_BOT = `@peerline-bot:${PARTNER}`;
let n = 0;
const event = (roomId: string, type: string, content: Record<string, unknown>, extra: Partial<RoomEvent> = {}): RoomEvent =>
  ({ event_id: `$ev${++n}`, room_id: roomId, type, sender: PARTNER_BOT, content, origin_server_ts: 1, ...extra });

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A fixture whose coordination room with the partner is made and joined by both bots. */
async function linked(policy = samplePolicy()): Promise<{ f: MatchingFixture; roomId: string }> {
  const f = matchingFixture({ policy });
  await f.parts.coordination.ensureLinks();
  const link = (await f.parts.context.store.link(PARTNER))!;
  await f.parts.coordination.onEvent(event(link.room_id, 'm.room.member', { membership: 'join' }, { state_key: PARTNER_BOT }));
  return { f, roomId: link.room_id };
}

async function announce(f: MatchingFixture, roomId: string, topics: Record<string, number>, over: Record<string, unknown> = {}): Promise<void> {
  await f.parts.coordination.onEvent(event(roomId, COORDINATION_AVAILABILITY_EVENT_TYPE, {
    institution: PARTNER, cross_institution: true, partners: [SERVER], minors: false, topics, updated_ts: ++n, ...over,
  }, { state_key: PARTNER }));
}

const sent = (f: MatchingFixture): Record<string, unknown>[] => f.hs.of('send').filter((c) => c.type === COORDINATION_EVENT_TYPE).map((c) => c.content!);

describe('partner coordination', () => {
  it('makes one unencrypted room per partner (the side whose name sorts first), with both bots at 100 and an ACL of the two', async () => {
    const f = matchingFixture();
    await f.parts.coordination.ensureLinks();
    await f.parts.coordination.ensureLinks();
    const creates = f.hs.of('createRoom');
    expect(creates).toHaveLength(1);
    const req = creates[0]!.request!;
    expect(req.initial_state!.map((e) => e.type)).not.toContain('m.room.encryption');
    expect(req.power_level_content_override).toMatchObject({ users: { [BOT]: 100, [PARTNER_BOT]: 100 } });
    expect(req.initial_state!.find((e) => e.type === 'm.room.server_acl')!.content).toEqual({ allow: ['a.example', 'b.example'], deny: [], allow_ip_literals: false });
    expect(f.hs.of('invite').map((c) => c.userId)).toEqual([PARTNER_BOT]);
    expect((await f.parts.context.store.link(PARTNER))?.status).toBe('invited');
  });

  it('announces its spare capacity once the partner joins, as metadata only', async () => {
    const { f, roomId } = await linked();
    await f.supporter('sup', { capacity: 3 });
    await f.parts.coordination.publish();
    const states = f.hs.of('state').filter((c) => c.type === COORDINATION_AVAILABILITY_EVENT_TYPE);
    const last = states[states.length - 1]!;
    expect(last).toMatchObject({ roomId, stateKey: SERVER });
    expect(validateAvailabilityContent(last.content).ok).toBe(true);
    expect(last.content).toMatchObject({ institution: SERVER, cross_institution: true, partners: [PARTNER], topics: { 'exam-stress': 3, 'low-mood': 0 } });
    expect(JSON.stringify(last.content)).not.toContain('@sup');
  });

  it('hands a request it cannot place to a partner that announced room, and makes the room when the partner\'s supporter accepts', async () => {
    const { f, roomId } = await linked();
    await announce(f, roomId, { 'exam-stress': 1 });
    const s = await f.student('s-1');
    const req = (await f.api<RequestView>('POST', '/v1/requests', s.token, { topic: 'exam-stress', language: 'cy' })).body;
    await f.settle();
    await f.parts.coordination.flushed();
    const offer = await until('the offer to the partner', async () => sent(f).find((m) => m['op'] === 'offer'));
    expect(validateCoordinationMessage(offer).ok).toBe(true);
    expect(Object.keys(offer).sort()).toEqual(['expires_ts', 'institution', 'language', 'op', 'request_id', 'topic', 'waiting_since']);
    expect(offer).toMatchObject({ request_id: req.request_id, institution: SERVER, topic: 'exam-stress', language: 'cy' });
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, { op: 'accept', request_id: req.request_id, institution: SERVER, supporter: `@psup:${PARTNER}` }));
    const session = await until('the session', async () => {
      const r = await f.parts.context.store.request(req.request_id);
      const ss = r?.session_id ? await f.parts.context.store.session(r.session_id) : undefined;
      return ss?.status === 'active' ? ss : undefined;
    });
    const create = f.hs.of('createRoom').find((c) => c.roomId === session.room_id)!;
    expect(create.request!.invite).toEqual([s.userId]);
    expect(create.request!.creation_content).toBeUndefined();
    expect(f.hs.of('invite').filter((c) => c.roomId === session.room_id).map((c) => c.userId)).toEqual([`@psup:${PARTNER}`]);
    await f.parts.coordination.flushed();
    expect(await until('the room message', async () => sent(f).find((m) => m['op'] === 'room'))).toEqual({ op: 'room', request_id: req.request_id, institution: SERVER, room_id: session.room_id });
    // The same accept delivered again changes nothing and withdraws nothing.
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, { op: 'accept', request_id: req.request_id, institution: SERVER, supporter: `@psup:${PARTNER}` }));
    await f.parts.coordination.flushed();
    expect(sent(f).map((m) => m['op'])).not.toContain('withdraw');
    expect(f.hs.of('createRoom').filter((c) => c.request!.invite?.includes(s.userId))).toHaveLength(1);
  });

  it('takes a partner\'s request into its queue and offers it to its own supporter; the accept goes back to the partner', async () => {
    const { f, roomId } = await linked();
    const sup = await f.supporter('sup');
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, {
      op: 'offer', request_id: 'rq_fromPartner0001', institution: PARTNER, topic: 'exam-stress', waiting_since: f.clock.now() - 5000, expires_ts: f.clock.now() + 135_000,
    }));
    await f.settle();
    const offers = (await f.api<{ offers: { offer_id: string; institution: string; cross_institution: boolean }[] }>('GET', '/v1/offers', sup.token)).body.offers;
    expect(offers).toMatchObject([{ institution: PARTNER, cross_institution: true }]);
    const accepted = await f.api<{ status: string; room_id: string | null; session_id: string }>('POST', `/v1/offers/${offers[0]!.offer_id}/accept`, sup.token);
    expect(accepted.body).toMatchObject({ status: 'creating', room_id: null });
    await until('the accept to the partner', async () => sent(f).find((m) => m['op'] === 'accept'));
    expect(sent(f).find((m) => m['op'] === 'accept')).toEqual({ op: 'accept', request_id: 'rq_fromPartner0001', institution: PARTNER, supporter: sup.userId });
    // The partner reports its room: the supporter's session shows it.
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, { op: 'room', request_id: 'rq_fromPartner0001', institution: PARTNER, room_id: `!theirs:${PARTNER}` }));
    expect((await f.api<{ status: string; room_id: string }>('GET', `/v1/sessions/${accepted.body.session_id}`, sup.token)).body).toMatchObject({ status: 'active', room_id: `!theirs:${PARTNER}` });
    // And ends it: our supporter's capacity is free again.
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, { op: 'ended', request_id: 'rq_fromPartner0001', institution: PARTNER, outcome: 'completed' }));
    expect((await f.api<{ status: string; outcome: string }>('GET', `/v1/sessions/${accepted.body.session_id}`, sup.token)).body).toMatchObject({ status: 'ended', outcome: 'completed' });
  });

  it('declines a partner\'s request its own policy does not allow, and hands back one it cannot place', async () => {
    const policy = samplePolicy();
    const { f, roomId } = await linked({ ...policy, matching: { ...policy.matching, cross_institution: false } });
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, { op: 'offer', request_id: 'rq_fromPartner0002', institution: PARTNER, topic: 'exam-stress', waiting_since: 1, expires_ts: f.clock.now() + 60_000 }));
    await f.parts.coordination.flushed();
    expect(await until('the refusal', async () => sent(f).find((m) => m['op'] === 'decline'))).toMatchObject({ request_id: 'rq_fromPartner0002', reason: 'policy' });
    expect(await f.parts.context.store.requestByRemote(PARTNER, 'rq_fromPartner0002')).toBeUndefined();

    const open = await linked();
    await open.f.parts.coordination.onEvent(event(open.roomId, COORDINATION_EVENT_TYPE, { op: 'offer', request_id: 'rq_fromPartner0003', institution: PARTNER, topic: 'exam-stress', waiting_since: 1, expires_ts: open.f.clock.now() + 60_000 }));
    await open.f.settle();
    await open.f.parts.coordination.flushed();
    expect(await until('the hand-back', async () => sent(open.f).find((m) => m['op'] === 'decline'))).toMatchObject({ request_id: 'rq_fromPartner0003', reason: 'no_capacity' });
  });

  it('listens to the partner\'s bot only, in its own room, and to valid messages only', async () => {
    const { f, roomId } = await linked();
    const offer = { op: 'offer', request_id: 'rq_fromPartner0004', institution: PARTNER, topic: 'exam-stress', waiting_since: 1, expires_ts: f.clock.now() + 60_000 };
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, offer, { sender: `@mallory:${PARTNER}` }));
    await f.parts.coordination.onEvent(event('!elsewhere:b.example', COORDINATION_EVENT_TYPE, offer));
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, { ...offer, note: 'a student wrote this' }));
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, { ...offer, institution: 'c.example' }));
    expect(await f.parts.context.store.requestByRemote(PARTNER, offer.request_id)).toBeUndefined();
    expect(await f.parts.context.store.requestByRemote('c.example', offer.request_id)).toBeUndefined();
  });

  it('joins a coordination room only when invited by the bot of a partner in its policy', async () => {
    const f = matchingFixture({ policy: { ...samplePolicy(), partners: [{ server_name: 'a-partner.example', institution_id: 'school-ap', name: 'AP' }] } });
    // a.example sorts after a-partner.example: it waits for the invite rather than making the room.
    await f.parts.coordination.ensureLinks();
    expect(f.hs.of('createRoom')).toEqual([]);
    await f.parts.coordination.onEvent(event('!x:c.example', 'm.room.member', { membership: 'invite' }, { sender: '@peerline-bot:c.example', state_key: BOT }));
    await f.parts.coordination.onEvent(event('!y:a-partner.example', 'm.room.member', { membership: 'invite' }, { sender: '@someone:a-partner.example', state_key: BOT }));
    expect(await f.parts.context.store.links()).toEqual([]);
    await f.parts.coordination.onEvent(event('!z:a-partner.example', 'm.room.member', { membership: 'invite' }, { sender: '@peerline-bot:a-partner.example', state_key: BOT }));
    await until('the join', async () => (await f.parts.context.store.link('a-partner.example'))?.status === 'ready');
    expect(f.hs.calls.find((c) => c.op.startsWith('POST /_matrix/client/v3/join/'))?.path).toBe(`/_matrix/client/v3/join/${encodeURIComponent('!z:a-partner.example')}`);
  });

  it('leaves a partner alone after "no capacity" until it announces something new', async () => {
    const { f, roomId } = await linked();
    await announce(f, roomId, { 'exam-stress': 2 });
    const req = (await f.api<RequestView>('POST', '/v1/requests', (await f.student('s-1')).token, { topic: 'exam-stress' })).body;
    await f.settle();
    expect((await f.parts.context.store.pendingOfferOfRequest(req.request_id))?.target).toBe(PARTNER);
    await f.parts.coordination.onEvent(event(roomId, COORDINATION_EVENT_TYPE, { op: 'decline', request_id: req.request_id, institution: SERVER, reason: 'no_capacity' }));
    await f.settle();
    expect((await f.parts.context.store.request(req.request_id))?.status).toBe('waiting');
    await announce(f, roomId, { 'exam-stress': 1 });
    await f.settle();
    expect((await f.parts.context.store.pendingOfferOfRequest(req.request_id))?.target).toBe(PARTNER);
  });
});
