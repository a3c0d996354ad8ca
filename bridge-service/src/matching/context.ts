// What the parts of the matching module share: the stores, the policy in force, the clock, the
// bot's homeserver client, timings, metrics, long-poll wake-ups, and the signals by which one part
// tells the others that something changed (the queue, our availability, the coordination outbox).
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../logger.ts';
import type { HomeserverClient } from '../services/homeserver-client.ts';
import type { Counter, Histogram, Metrics } from '../services/metrics.ts';
import type { MatchingStore } from '../store/matching-store.ts';
import type { RosterStore } from '../store/store.ts';
import type { AuditService } from '../services/audit.ts';
import type { Wakeups } from './wakeups.ts';
import type { EligibilityReads } from './eligibility.ts';

/** The part of HomeserverClient the module uses (unit tests give a fake). */
export type MatchingHomeserver = Pick<HomeserverClient,
  'botUserId' | 'createRoom' | 'invite' | 'kick' | 'leaveRoom' | 'joinRoom' | 'sendStateEvent' | 'getStateEvent' | 'sendMessage' | 'request'>;

export interface MatchingTimings {
  /** Period of the job that expires offers and requests, finds no-shows, starts check-ins. */
  tickMs: number;
  /** A student or supporter who has not joined the room this long after it was made is a no-show. */
  noShowMs: number;
  /** A request of ours waits at most this long. */
  maxWaitMs: number;
  /** A partner's request we accepted waits this long for the partner's room before we give up. */
  partnerRoomWaitMs: number;
  /** Period of the retention sweep. */
  purgeEveryMs: number;
  /** After a partner says it has no capacity, leave it alone this long unless it announces more. */
  partnerCooldownMs: number;
}

export const DEFAULT_TIMINGS: MatchingTimings = {
  tickMs: 5_000,
  noShowMs: 10 * 60_000,
  maxWaitMs: 8 * 3600_000,
  partnerRoomWaitMs: 2 * 60_000,
  purgeEveryMs: 60_000,
  partnerCooldownMs: 60_000,
};

/** Overrides from the environment (development and tests): PEERLINE_MATCHING_<NAME>_MS. */
export function timingsFromEnv(env: Record<string, string | undefined>, base: MatchingTimings = DEFAULT_TIMINGS): MatchingTimings {
  const out = { ...base };
  for (const key of Object.keys(base) as (keyof MatchingTimings)[]) {
    const name = `PEERLINE_MATCHING_${key.replace(/Ms$/, '').replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_MS`;
    const v = env[name];
    if (v !== undefined && /^\d+$/.test(v)) out[key] = Number(v);
  }
  return out;
}

export class MatchingMetrics {
  readonly requests: Counter;
  readonly offers: Counter;
  readonly matches: Counter;
  readonly sessionsEnded: Counter;
  readonly coordination: Counter;
  readonly waitSeconds: Histogram;
  readonly matcherSeconds: Histogram;
  readonly roomSeconds: Histogram;

  constructor(m: Metrics) {
    this.requests = m.counter('bridge_support_requests_total', 'Support requests by outcome (created, refused_*, cancelled, expired)', ['outcome']);
    this.offers = m.counter('bridge_offers_total', 'Offers by target (supporter, partner) and result (made, accepted, declined, expired, withdrawn)', ['target', 'result']);
    this.matches = m.counter('bridge_matches_total', 'Requests matched, by scope (institution, partner, for_partner)', ['scope']);
    this.sessionsEnded = m.counter('bridge_peer_sessions_ended_total', 'Peer sessions ended, by outcome', ['outcome']);
    this.coordination = m.counter('bridge_coordination_messages_total', 'Coordination messages by direction and op', ['direction', 'op']);
    this.waitSeconds = m.histogram('bridge_request_wait_seconds', 'Wait from request to match', [], [5, 15, 30, 60, 120, 300, 600, 1800, 3600]);
    this.matcherSeconds = m.histogram('bridge_matcher_run_seconds', 'Duration of one matching pass (store reads, matcher, offers written)', [], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
    this.roomSeconds = m.histogram('bridge_room_create_seconds', 'Creating a room and inviting its members', ['kind'], [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]);
  }
}

export interface Signals {
  /** The queue or a supporter changed: run the matcher soon. */
  kick(): void;
  /** Our spare capacity may have changed: tell the partners. */
  availabilityChanged(): void;
  /** Coordination messages were queued: send them. */
  flushOutbox(): void;
}

export interface MatchingContext {
  store: MatchingStore;
  roster: RosterStore;
  audit: AuditService;
  policy: () => InstitutionPolicy;
  clock: Clock;
  logger: Logger;
  homeserver: MatchingHomeserver;
  /** Our server name (the institution's). */
  serverName: string;
  timings: MatchingTimings;
  wakeups: Wakeups;
  metrics: MatchingMetrics;
  signals: Signals;
  /** Wellbeing breaks and sessions per day (supervision); absent: nobody is blocked. */
  supervision?: EligibilityReads;
}

export const DAY_MS = 86_400_000;

/** The partner bridge's bot: by consortium convention it uses the same localpart as ours. */
export function partnerBotUserId(botUserId: string, partner: string): string {
  return `${botUserId.slice(0, botUserId.indexOf(':'))}:${partner}`;
}
