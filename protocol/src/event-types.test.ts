import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import {
  CHECKIN_EVENT_TYPE,
  CheckInContentSchema,
  CONSENT_RECEIPT_EVENT_TYPE,
  ConsentReceiptReferenceContentSchema,
  DEBRIEF_EVENT_TYPE,
  ESCALATION_REASONS,
  ESCALATION_SUGGESTION_EVENT_TYPE,
  EscalationSuggestionContentSchema,
  isPeerlineEventType,
  PEERLINE_EVENT_TYPES,
  SESSION_EVENT_TYPE,
  SESSION_STATE_KEY,
  SessionContentSchema,
  validatePeerlineEventContent,
} from './event-types.ts';
import type { CheckInContent, ConsentReceiptReferenceContent, EscalationSuggestionContent, SessionContent } from './event-types.ts';

const session: SessionContent = {
  request_id: 'req_01HZX3K9',
  topic: 'exam-stress',
  institutions: ['a.example', 'b.example:8448'],
  created_ts: 1_700_000_000_000,
  kind: 'peer',
};
const suggestion: EscalationSuggestionContent = { reason: 'self_harm_risk', text: 'I think a counsellor could help.', suggested_severity: 'high' };
const reference: ConsentReceiptReferenceContent = { receipt_id: 'r8Jk2mPq0ZxVbN4sTgHw', receipt_sha256: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU' };
const checkin: CheckInContent = { checkin_id: 'c8Jk2mPq0ZxVbN4sTgHw', action: 'offer', proposed_ts: 1_700_086_400_000 };

describe('Peerline event types', () => {
  it('names every custom type under the org.peerline. namespace, once', () => {
    expect(PEERLINE_EVENT_TYPES).toEqual([
      'org.peerline.session',
      'org.peerline.escalation.suggestion',
      'org.peerline.consent.receipt',
      'org.peerline.checkin',
      'org.peerline.debrief',
    ]);
    expect(new Set(PEERLINE_EVENT_TYPES).size).toBe(PEERLINE_EVENT_TYPES.length);
    expect(SESSION_STATE_KEY).toBe('');
  });
  it('recognises its own types and no standard ones', () => {
    expect(isPeerlineEventType(CHECKIN_EVENT_TYPE)).toBe(true);
    expect(isPeerlineEventType('m.room.message')).toBe(false);
    expect(isPeerlineEventType('org.peerline.sessions')).toBe(false);
  });
  it('accepts a valid example of each content', () => {
    expect(Value.Check(SessionContentSchema, session)).toBe(true);
    expect(Value.Check(EscalationSuggestionContentSchema, suggestion)).toBe(true);
    expect(Value.Check(ConsentReceiptReferenceContentSchema, reference)).toBe(true);
    expect(Value.Check(CheckInContentSchema, checkin)).toBe(true);
    expect(validatePeerlineEventContent(SESSION_EVENT_TYPE, session)).toEqual({ ok: true, value: session });
  });
});

describe('org.peerline.session', () => {
  it('refuses any property beyond the metadata, because state events are never encrypted', () => {
    const result = validatePeerlineEventContent(SESSION_EVENT_TYPE, { ...session, note: 'I failed my exam' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => i.path)).toEqual(['/note']);
      expect(result.issues[0]!.message).not.toContain('I failed my exam');
    }
  });
  it('wants a policy topic id, not free text', () => {
    const result = validatePeerlineEventContent(SESSION_EVENT_TYPE, { ...session, topic: 'I feel awful about exams' });
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual(['/topic']);
  });
  it('needs at least one institution, each a server name, without duplicates', () => {
    for (const institutions of [[], ['a.example', 'a.example'], ['not a server']]) {
      const result = validatePeerlineEventContent(SESSION_EVENT_TYPE, { ...session, institutions });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues[0]!.path).toMatch(/^\/institutions/);
    }
  });
  it('accepts the three room kinds and no other', () => {
    for (const kind of ['peer', 'group', 'escalation']) expect(Value.Check(SessionContentSchema, { ...session, kind })).toBe(true);
    const result = validatePeerlineEventContent(SESSION_EVENT_TYPE, { ...session, kind: 'private' });
    expect(result.ok ? '' : result.issues[0]!.message).toBe('/kind: expected one of "peer", "group", "escalation", got a string that is none of these');
  });
  it('names a missing created_ts and a fractional one', () => {
    const { created_ts: _omit, ...rest } = session;
    const missing = validatePeerlineEventContent(SESSION_EVENT_TYPE, rest);
    expect(missing.ok ? '' : missing.issues[0]!.message).toMatch(/^\/created_ts: expected a time in milliseconds .* got nothing/);
    const fraction = validatePeerlineEventContent(SESSION_EVENT_TYPE, { ...session, created_ts: 1.5 });
    expect(fraction.ok ? '' : fraction.issues[0]!.message).toMatch(/^\/created_ts: .* got a number with a fraction$/);
  });
});

describe('org.peerline.escalation.suggestion', () => {
  it('accepts every reason code and works without text', () => {
    for (const reason of ESCALATION_REASONS) {
      expect(Value.Check(EscalationSuggestionContentSchema, { reason, suggested_severity: 'low' })).toBe(true);
    }
  });
  it('names an unknown reason, an unknown severity and an over-long text', () => {
    const result = validatePeerlineEventContent(ESCALATION_SUGGESTION_EVENT_TYPE, {
      reason: 'vibes',
      text: 'x'.repeat(2001),
      suggested_severity: 'urgent',
    });
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual(['/reason', '/text', '/suggested_severity']);
    if (!result.ok) expect(result.issues[2]!.expected).toBe('one of "low", "medium", "high", "critical"');
  });
  it('tolerates properties a newer client adds', () => {
    expect(validatePeerlineEventContent(ESCALATION_SUGGESTION_EVENT_TYPE, { ...suggestion, 'org.peerline.future': 1 }).ok).toBe(true);
  });
});

describe('org.peerline.consent.receipt', () => {
  it('needs a receipt id and a SHA-256 digest in unpadded base64', () => {
    const padded = validatePeerlineEventContent(CONSENT_RECEIPT_EVENT_TYPE, { ...reference, receipt_sha256: `${reference.receipt_sha256}=` });
    expect(padded.ok ? [] : padded.issues.map((i) => i.path)).toEqual(['/receipt_sha256']);
    const short = validatePeerlineEventContent(CONSENT_RECEIPT_EVENT_TYPE, { ...reference, receipt_id: 'abc' });
    expect(short.ok ? [] : short.issues.map((i) => i.path)).toEqual(['/receipt_id']);
  });
});

describe('org.peerline.checkin', () => {
  it('accepts an offer and its accept or decline with the same id', () => {
    for (const action of ['offer', 'accept', 'decline']) {
      expect(validatePeerlineEventContent(CHECKIN_EVENT_TYPE, { ...checkin, action }).ok).toBe(true);
    }
  });
  it('names a missing proposed time and an unknown action', () => {
    const result = validatePeerlineEventContent(CHECKIN_EVENT_TYPE, { checkin_id: checkin.checkin_id, action: 'maybe' });
    expect(result.ok ? [] : result.issues.map((i) => i.path).sort()).toEqual(['/action', '/proposed_ts']);
  });
});

describe('org.peerline.debrief', () => {
  const debrief = { debrief_id: 'db_8Jk2mPq0ZxVb', institution: 'a.example', supporter: '@sup:a.example', supervisor: '@coun:a.example', about_session: true, created_ts: 1_700_000_000_000 };
  it('accepts the debrief metadata and refuses anything riding along, such as a student or a topic', () => {
    expect(validatePeerlineEventContent(DEBRIEF_EVENT_TYPE, debrief).ok).toBe(true);
    const extra = validatePeerlineEventContent(DEBRIEF_EVENT_TYPE, { ...debrief, student: '@s:a.example', topic: 'exam-stress' });
    expect(extra.ok ? [] : extra.issues.map((i) => i.path).sort()).toEqual(['/student', '/topic']);
    const bad = validatePeerlineEventContent(DEBRIEF_EVENT_TYPE, { ...debrief, supervisor: 'coun' });
    expect(bad.ok ? [] : bad.issues.map((i) => i.path)).toEqual(['/supervisor']);
  });
});
