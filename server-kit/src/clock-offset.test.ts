import { describe, expect, it } from 'vitest';
import { clockOffsetFromEnv, offsetClock } from './clock-offset.ts';

describe('PEERLINE_CLOCK_OFFSET_MS (tests only)', () => {
  it('is 0 when unset or empty', () => {
    expect(clockOffsetFromEnv({})).toBe(0);
    expect(clockOffsetFromEnv({ PEERLINE_CLOCK_OFFSET_MS: ' ' })).toBe(0);
  });

  it('reads whole milliseconds, ahead or behind', () => {
    expect(clockOffsetFromEnv({ PEERLINE_CLOCK_OFFSET_MS: '180000' })).toBe(180_000);
    expect(clockOffsetFromEnv({ PEERLINE_CLOCK_OFFSET_MS: '-240000' })).toBe(-240_000);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['3m', '1.5', '1e6', '99999999999999999999']) {
      expect(() => clockOffsetFromEnv({ PEERLINE_CLOCK_OFFSET_MS: bad })).toThrow(/PEERLINE_CLOCK_OFFSET_MS/);
    }
  });

  it('shifts the clock by the offset', () => {
    const before = Date.now();
    const t = offsetClock(-60_000).now();
    expect(t).toBeGreaterThanOrEqual(before - 60_000);
    expect(t).toBeLessThanOrEqual(Date.now() - 60_000);
  });
});
