// Turning the bridge's errors into problems that name the form field they concern.
import { describe, expect, it } from 'vitest';
import { BridgeError } from './bridge-client.ts';
import { adminErrorOf } from './admin-api.ts';

describe('adminErrorOf', () => {
  it('names the field of each schema problem the bridge lists ({path, message})', () => {
    const e = new BridgeError(400, 'M_BAD_JSON', 'body.training[0].completed: expected a date', {
      problems: [{ path: 'body.training[0].completed', message: "expected a date 'YYYY-MM-DD', found ''" }, { path: 'body.capacity', message: 'expected at most 50' }],
    });
    expect(adminErrorOf(e)).toEqual({
      errcode: 'M_BAD_JSON', message: 'body.training[0].completed: expected a date',
      problems: [{ field: 'training', message: "training[0].completed: expected a date 'YYYY-MM-DD', found ''" }, { field: 'capacity', message: 'capacity: expected at most 50' }],
    });
  });

  it('names the field of policy problems given as sentences, and of a bare message', () => {
    const e = new BridgeError(400, 'M_INVALID_PARAM', 'The supporter record does not fit the policy: …', {
      problems: ['@x:elsewhere.example is not a user of this institution or of a partner in the policy', "topic 'chess' is not in the policy", "training[1].module 'x' is not in the policy"],
    });
    expect(adminErrorOf(e).problems.map((p) => p.field)).toEqual(['user', 'topics', 'training']);
    expect(adminErrorOf(new BridgeError(400, 'M_INVALID_PARAM', "'bob' is not a Matrix user id")).problems).toEqual([{ field: 'user', message: "'bob' is not a Matrix user id" }]);
    expect(adminErrorOf(new Error('boom'))).toEqual({ errcode: 'UNKNOWN', message: 'boom', problems: [] });
  });
});
