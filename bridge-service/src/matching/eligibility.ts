// Who must not be offered requests right now for their own sake (issue #9 supervision): a supporter on
// a wellbeing break, and one who already started the policy's maximum of sessions today — "today" in
// the policy's support-hours time zone. The engine marks such candidates `blocked`; the matcher skips
// them, and the supervision API tells the supporter which of the two holds.
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { SupervisionStore } from '../store/supervision-store.ts';

export type SupporterBlock = 'wellbeing_break' | 'daily_cap';

/** What the check reads (the supervision store, or a fake). */
export type EligibilityReads = Pick<SupervisionStore, 'breaksAt' | 'sessionsStartedSince'>;

/** The wall-clock fields of `ts` in `timeZone`, read as if they were UTC. */
function localAsUtc(ts: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ts));
  const get = (t: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

/** The instant local midnight began the day `now` falls in, in `timeZone` (DST-aware). */
export function startOfLocalDay(now: number, timeZone: string): number {
  const local = localAsUtc(now, timeZone);
  const midnightLocal = Date.UTC(new Date(local).getUTCFullYear(), new Date(local).getUTCMonth(), new Date(local).getUTCDate());
  // First guess with today's offset, then once more with the offset in force at that guess (a DST
  // change between midnight and now moves it by the difference).
  let guess = midnightLocal - (local - Math.floor(now / 1000) * 1000);
  guess = midnightLocal - (localAsUtc(guess, timeZone) - guess);
  return guess;
}

/** The policy's cap on sessions per supporter per day, or null. */
export function dailySessionCap(policy: InstitutionPolicy): number | null {
  return policy.supporters.max_sessions_per_day ?? null;
}

/** Sessions counted against today's cap start at this instant. */
export function capDayStart(policy: InstitutionPolicy, now: number): number {
  return startOfLocalDay(now, policy.support_hours.time_zone);
}

/** The supporter's block given their break and today's session count (a break wins: it is their choice). */
export function blockOf(onBreak: boolean, sessionsToday: number, policy: InstitutionPolicy): SupporterBlock | null {
  if (onBreak) return 'wellbeing_break';
  const cap = dailySessionCap(policy);
  return cap !== null && sessionsToday >= cap ? 'daily_cap' : null;
}

/** Every blocked supporter with the reason. */
export async function supporterBlocks(reads: EligibilityReads, policy: InstitutionPolicy, now: number): Promise<Map<string, SupporterBlock>> {
  const out = new Map<string, SupporterBlock>();
  const cap = dailySessionCap(policy);
  if (cap !== null) {
    for (const [user, n] of await reads.sessionsStartedSince(capDayStart(policy, now))) if (n >= cap) out.set(user, 'daily_cap');
  }
  for (const b of await reads.breaksAt(now)) out.set(b.user_id, 'wellbeing_break');
  return out;
}
