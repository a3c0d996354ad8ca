import { describe, expect, it } from 'vitest';
import { samplePolicy, SERVER, PARTNER } from '../test-fixture.ts';
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { SupporterRecord } from '../store/store.ts';
import { matchQueue, type Candidate, type PartnerCandidate, type QueuedRequest, type SupporterCandidate } from './matcher.ts';

const NOW = Date.parse('2026-01-12T10:00:00Z');
const TRAINED = [
  { module: 'safeguarding', version: 1, completed: '2025-09-01', expires: null },
  { module: 'listening', version: 2, completed: '2025-06-01', expires: null },
];

function record(userId: string, over: Partial<SupporterRecord> = {}): SupporterRecord {
  return { user_id: userId, topics: ['exam-stress'], training: TRAINED, capacity: null, active: true, updated_ts: 0, updated_by: 'x', ...over };
}

function sup(userId: string, over: Partial<SupporterCandidate> = {}, rec: Partial<SupporterRecord> = {}): SupporterCandidate {
  return { kind: 'supporter', record: record(userId, rec), topics: null, languages: [], active_sessions: 0, pending_offers: 0, last_offer_ts: 0, ...over };
}

function partner(server = PARTNER, over: Partial<PartnerCandidate> = {}): PartnerCandidate {
  return { kind: 'partner', server_name: server, cross_institution: true, partners: [SERVER], spare: { 'exam-stress': 3 }, ...over };
}

function req(id: string, over: Partial<QueuedRequest> = {}): QueuedRequest {
  return { id, topic: 'exam-stress', institution: SERVER, minor: false, language: null, queued_ts: NOW - 60_000, excluded: new Set(), ...over };
}

const policy = samplePolicy();
const targets = (queue: QueuedRequest[], cands: Candidate[], p: InstitutionPolicy = policy): Record<string, string> =>
  Object.fromEntries(matchQueue(queue, cands, p, NOW).map((a) => [a.request_id, a.target.kind === 'supporter' ? a.target.user_id : `partner:${a.target.server_name}`]));

describe('matcher', () => {
  it('offers a request to a supporter of the student\'s own institution before any partner', () => {
    expect(targets([req('r1')], [partner(), sup(`@own:${SERVER}`)])).toEqual({ r1: `@own:${SERVER}` });
  });

  it('turns to a partner only when no supporter of its own institution can take the request', () => {
    expect(targets([req('r1'), req('r2', { queued_ts: NOW })], [sup(`@own:${SERVER}`, { pending_offers: 1 }), partner()]))
      .toEqual({ r1: `@own:${SERVER}`, r2: `partner:${PARTNER}` });
  });

  it('uses a partner only when both policies allow cross-institution matching and list each other', () => {
    const noCross: InstitutionPolicy = { ...policy, matching: { ...policy.matching, cross_institution: false } };
    const notListed: InstitutionPolicy = { ...policy, partners: [] };
    expect(targets([req('r1')], [partner()], noCross)).toEqual({});
    expect(targets([req('r1')], [partner()], notListed)).toEqual({});
    expect(targets([req('r1')], [partner(PARTNER, { cross_institution: false })])).toEqual({});
    expect(targets([req('r1')], [partner(PARTNER, { partners: ['c.example'] })])).toEqual({});
    expect(targets([req('r1')], [partner()])).toEqual({ r1: `partner:${PARTNER}` });
  });

  it('applies the same two-sided rule to partner users on our own roster', () => {
    const remoteSup = sup(`@sup:${PARTNER}`);
    // Without the partner's announcement its policy is unknown: no match.
    expect(targets([req('r1')], [remoteSup])).toEqual({});
    expect(targets([req('r1')], [remoteSup, partner(PARTNER, { spare: {} })])).toEqual({ r1: `@sup:${PARTNER}` });
    expect(targets([req('r1')], [remoteSup, partner(PARTNER, { spare: {}, cross_institution: false })])).toEqual({});
  });

  it('never matches a minor outside the institution, whatever the policies say', () => {
    expect(targets([req('r1', { minor: true })], [partner(), sup(`@sup:${PARTNER}`)])).toEqual({});
    expect(targets([req('r1', { minor: true })], [partner(), sup(`@own:${SERVER}`)])).toEqual({ r1: `@own:${SERVER}` });
  });

  it('matches a request handed over by a partner to its own supporters only, and only if its policy allows', () => {
    const fromPartner = req('p1', { institution: PARTNER });
    expect(targets([fromPartner], [sup(`@own:${SERVER}`), partner()])).toEqual({ p1: `@own:${SERVER}` });
    expect(targets([fromPartner], [sup(`@own:${SERVER}`)], { ...policy, partners: [] })).toEqual({});
    expect(targets([req('p2', { institution: 'c.example' })], [sup(`@own:${SERVER}`)])).toEqual({});
    expect(targets([fromPartner], [sup(`@sup:${PARTNER}`), partner()])).toEqual({});
  });

  it('respects capacity: active sessions and pending offers use it up, and each assignment takes a slot', () => {
    const s = `@own:${SERVER}`;
    expect(targets([req('r1')], [sup(s, { active_sessions: 2 })])).toEqual({});
    expect(targets([req('r1')], [sup(s, { active_sessions: 1, pending_offers: 1 })])).toEqual({});
    const three = [req('r1', { queued_ts: 1 }), req('r2', { queued_ts: 2 }), req('r3', { queued_ts: 3 })];
    expect(targets(three, [sup(s)])).toEqual({ r1: s, r2: s });
    expect(targets(three, [sup(s, {}, { capacity: 3 })])).toEqual({ r1: s, r2: s, r3: s });
    // The policy maximum caps a roster capacity above it.
    expect(targets([...three, req('r4', { queued_ts: 4 }), req('r5', { queued_ts: 5 })], [sup(s, {}, { capacity: 9 })])).toEqual({ r1: s, r2: s, r3: s, r4: s });
  });

  it('ignores supporters whose training has expired, who lack a topic\'s module, or who are inactive', () => {
    const expired = sup(`@expired:${SERVER}`, {}, { training: [TRAINED[0]!, { module: 'listening', version: 2, completed: '2024-12-01', expires: null }] });
    const cut = sup(`@cut:${SERVER}`, {}, { training: [TRAINED[0]!, { module: 'listening', version: 2, completed: '2025-06-01', expires: '2026-01-11' }] });
    const inactive = sup(`@inactive:${SERVER}`, {}, { active: false });
    expect(targets([req('r1')], [expired, cut, inactive])).toEqual({});
    expect(targets([req('r1', { topic: 'low-mood' })], [sup(`@own:${SERVER}`, {}, { topics: ['exam-stress', 'low-mood'] })])).toEqual({});
    // The same record is fine the day before its expiry.
    expect(matchQueue([req('r1')], [cut], policy, Date.parse('2026-01-11T12:00:00Z')).length).toBe(1);
  });

  it('offers only topics the supporter declared available for', () => {
    const s = sup(`@own:${SERVER}`, { topics: ['low-mood'] }, { topics: ['exam-stress', 'low-mood'] });
    expect(targets([req('r1')], [s])).toEqual({});
  });

  it('serves the longest-waiting request first when capacity is short', () => {
    const queue = [req('late', { queued_ts: NOW - 1_000 }), req('early', { queued_ts: NOW - 90_000 }), req('middle', { queued_ts: NOW - 30_000 })];
    expect(Object.keys(targets(queue, [sup(`@own:${SERVER}`, { pending_offers: 1 })]))).toEqual(['early']);
    expect(matchQueue(queue, [sup(`@own:${SERVER}`, {}, { capacity: 3 })], policy, NOW).map((a) => a.request_id)).toEqual(['early', 'middle', 'late']);
  });

  it('spreads requests over the least-loaded supporter, then the one offered something longest ago', () => {
    const busy = sup(`@a:${SERVER}`, { active_sessions: 1 });
    const idle = sup(`@b:${SERVER}`);
    expect(targets([req('r1')], [busy, idle])).toEqual({ r1: `@b:${SERVER}` });
    const recent = sup(`@a:${SERVER}`, { last_offer_ts: NOW - 1_000 });
    const longAgo = sup(`@z:${SERVER}`, { last_offer_ts: NOW - 100_000 });
    expect(targets([req('r1')], [recent, longAgo])).toEqual({ r1: `@z:${SERVER}` });
    expect(targets([req('r1', { queued_ts: 1 }), req('r2', { queued_ts: 2 })], [sup(`@a:${SERVER}`), sup(`@b:${SERVER}`)])).toEqual({ r1: `@a:${SERVER}`, r2: `@b:${SERVER}` });
  });

  it('prefers a supporter who speaks the request\'s language', () => {
    expect(targets([req('r1', { language: 'cy-GB' })], [sup(`@a:${SERVER}`), sup(`@b:${SERVER}`, { languages: ['cy'], active_sessions: 1 })])).toEqual({ r1: `@b:${SERVER}` });
  });

  it('does not offer a request again to a supporter or partner it went to before', () => {
    expect(targets([req('r1', { excluded: new Set([`@a:${SERVER}`]) })], [sup(`@a:${SERVER}`), sup(`@b:${SERVER}`)])).toEqual({ r1: `@b:${SERVER}` });
    expect(targets([req('r1', { excluded: new Set([`partner:${PARTNER}`]) })], [partner()])).toEqual({});
  });

  it('uses up a partner\'s announced slots', () => {
    const queue = [req('r1', { queued_ts: 1 }), req('r2', { queued_ts: 2 }), req('r3', { queued_ts: 3 })];
    expect(targets(queue, [partner(PARTNER, { spare: { 'exam-stress': 2 } })])).toEqual({ r1: `partner:${PARTNER}`, r2: `partner:${PARTNER}` });
  });

  it('is deterministic: the same input in any order gives the same offers', () => {
    const queue = Array.from({ length: 40 }, (_, i) => req(`r${i}`, { queued_ts: NOW - (i % 7) * 1000, topic: i % 3 === 0 ? 'low-mood' : 'exam-stress' }));
    const cands: Candidate[] = [
      ...Array.from({ length: 10 }, (_, i) => sup(`@s${i}:${SERVER}`, { active_sessions: i % 2 }, { topics: ['exam-stress', 'low-mood'], training: [...TRAINED, { module: 'mhfa', version: 1, completed: '2025-01-01', expires: null }] })),
      partner(),
    ];
    const first = matchQueue(queue, cands, policy, NOW);
    const shuffled = matchQueue([...queue].reverse(), [...cands].reverse(), policy, NOW);
    expect(shuffled).toEqual(first);
    expect(first.length).toBeGreaterThan(10);
    expect(new Set(first.map((a) => a.request_id)).size).toBe(first.length);
  });

  it('does not change its inputs', () => {
    const p = partner();
    const s = sup(`@a:${SERVER}`);
    matchQueue([req('r1'), req('r2'), req('r3'), req('r4')], [p, s], policy, NOW);
    expect(p.spare).toEqual({ 'exam-stress': 3 });
    expect(s.pending_offers).toBe(0);
  });
});
