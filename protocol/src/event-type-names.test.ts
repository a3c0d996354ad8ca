// event-type-names.ts holds the names and value lists of event-types.ts without TypeBox: event-types.ts
// re-exports the very same values, and its schemas accept exactly those lists.
import { describe, expect, it } from 'vitest';
import * as names from './event-type-names.ts';
import * as types from './event-types.ts';

describe('Peerline event type names', () => {
  it('are the values event-types.ts exports', () => {
    for (const [name, value] of Object.entries(names)) expect(types[name as keyof typeof types], name).toBe(value);
  });

  it('list the reasons and check-in actions the schemas accept', () => {
    expect(types.EscalationReasonSchema.anyOf.map((s) => s.const)).toEqual([...names.ESCALATION_REASONS]);
    expect(types.CheckInActionSchema.anyOf.map((s) => s.const)).toEqual([...names.CHECKIN_ACTIONS]);
  });
});
