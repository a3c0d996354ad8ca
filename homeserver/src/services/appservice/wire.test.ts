// The transaction retry timing operators and tests can set through the environment.
import { describe, expect, it } from 'vitest';
import { backoffFromEnv } from './wire.ts';
import { DEFAULT_BACKOFF } from './pusher.ts';

describe('backoffFromEnv', () => {
  it('keeps Synapse-like 1 s to 5 min when unset', () => {
    expect(backoffFromEnv(undefined)).toEqual(DEFAULT_BACKOFF);
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 1_000, maxMs: 300_000 });
  });

  it('reads an initial delay and an optional cap, never below the initial delay', () => {
    expect(backoffFromEnv('100,400')).toEqual({ initialMs: 100, maxMs: 400 });
    expect(backoffFromEnv('50')).toEqual({ initialMs: 50, maxMs: 300_000 });
    expect(backoffFromEnv('500,100')).toEqual({ initialMs: 500, maxMs: 500 });
  });

  it('names the variable when the value is malformed', () => {
    expect(() => backoffFromEnv('fast')).toThrow('PEERLINE_APPSERVICE_RETRY_MS');
    expect(() => backoffFromEnv('0')).toThrow('PEERLINE_APPSERVICE_RETRY_MS');
  });
});
