// For tests only: PEERLINE_CLOCK_OFFSET_MS (a whole number of milliseconds, may be negative) runs a
// service's clock that far ahead of or behind the machine's, so that clock skew between servers —
// and between a bridge and a student's device — can be tested with real processes instead of faked
// time. Production never sets it; a service that has it set says so in its log at start.
export const CLOCK_OFFSET_ENV = 'PEERLINE_CLOCK_OFFSET_MS';

/** The offset from the environment (0 when unset); throws naming the variable when it is not an integer. */
export function clockOffsetFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[CLOCK_OFFSET_ENV];
  if (raw === undefined || raw.trim() === '') return 0;
  if (!/^-?[0-9]+$/.test(raw.trim())) throw new Error(`${CLOCK_OFFSET_ENV} must be a whole number of milliseconds (for tests only), got '${raw}'`);
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n)) throw new Error(`${CLOCK_OFFSET_ENV} is out of range: '${raw}'`);
  return n;
}

/** The machine's clock shifted by `offsetMs`. */
export function offsetClock(offsetMs: number): { now(): number } {
  return { now: () => Date.now() + offsetMs };
}
