import { describe, expect, it } from 'vitest';
import {
  COORDINATION_AVAILABILITY_EVENT_TYPE,
  COORDINATION_EVENT_TYPE,
  COORDINATION_ROOM_EVENT_TYPE,
  validateAvailabilityContent,
  validateCoordinationMessage,
  validateCoordinationRoomContent,
} from './coordination.ts';
import type { AvailabilityContent, CoordinationMessage } from './coordination.ts';

const offer: CoordinationMessage = {
  op: 'offer', request_id: 'rq_8Jk2mPq0ZxVbN4sT', institution: 'a.example', topic: 'exam-stress', language: 'en',
  waiting_since: 1_700_000_000_000, expires_ts: 1_700_000_120_000,
};
const availability: AvailabilityContent = {
  institution: 'b.example', cross_institution: true, partners: ['a.example'], minors: false, topics: { 'exam-stress': 2, bullying: 0 }, updated_ts: 1_700_000_000_000,
};

describe('partner coordination wire formats', () => {
  it('names its types under org.peerline.coordination', () => {
    for (const t of [COORDINATION_ROOM_EVENT_TYPE, COORDINATION_AVAILABILITY_EVENT_TYPE, COORDINATION_EVENT_TYPE]) expect(t.startsWith('org.peerline.coordination')).toBe(true);
  });

  it('accepts each operation with its metadata', () => {
    const messages: unknown[] = [
      offer,
      { op: 'accept', request_id: offer.request_id, institution: 'a.example', supporter: '@sup:b.example' },
      { op: 'decline', request_id: offer.request_id, institution: 'a.example', reason: 'no_capacity' },
      { op: 'withdraw', request_id: offer.request_id, institution: 'a.example', reason: 'cancelled' },
      { op: 'room', request_id: offer.request_id, institution: 'a.example', room_id: '!room:a.example' },
      { op: 'ended', request_id: offer.request_id, institution: 'a.example', outcome: 'completed' },
      { op: 'reopened', request_id: offer.request_id, institution: 'a.example' },
    ];
    for (const m of messages) expect(validateCoordinationMessage(m).ok, JSON.stringify(m)).toBe(true);
  });

  it('refuses any field beyond the metadata, so no content can travel in the unencrypted room', () => {
    const r = validateCoordinationMessage({ ...offer, note: 'I have been feeling awful' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]!.message).toContain('no other properties');
    expect(validateAvailabilityContent({ ...availability, who: ['@sup:b.example'] }).ok).toBe(false);
  });

  it('names the fields of the operation at fault, and an unknown operation', () => {
    const r = validateCoordinationMessage({ op: 'accept', request_id: offer.request_id, institution: 'a.example', supporter: 'not-a-user' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(['/supporter']);
    const u = validateCoordinationMessage({ op: 'gossip', request_id: offer.request_id });
    expect(u.ok).toBe(false);
    if (!u.ok) expect(u.issues[0]!.path).toBe('/op');
  });

  it('checks availability counts and the coordination room marker', () => {
    expect(validateAvailabilityContent(availability).ok).toBe(true);
    expect(validateAvailabilityContent({ ...availability, topics: { 'exam-stress': -1 } }).ok).toBe(false);
    expect(validateAvailabilityContent({ ...availability, topics: { 'Not A Topic': 1 } }).ok).toBe(false);
    expect(validateCoordinationRoomContent({ version: 1, institutions: ['a.example', 'b.example'] }).ok).toBe(true);
    expect(validateCoordinationRoomContent({ version: 1, institutions: ['a.example', 'a.example'] }).ok).toBe(false);
  });
});
