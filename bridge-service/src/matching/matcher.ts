// The matcher: a pure function from (waiting requests, candidates, policy, now) to the offers to
// make. No I/O and no clock of its own, so it is deterministic, unit-testable and benchmarkable.
//
// Rules, in the order they apply:
// - fairness: requests are served longest-waiting first (queued_ts, then id);
// - own institution first: a supporter of the student's institution, trained for the topic (valid,
//   unexpired training under the policy at `now`), available for it and with spare capacity;
// - then partners, only when BOTH policies allow cross-institution matching and list each other as
//   partners — our policy from `policy`, the partner's from its availability announcement (no
//   announcement, no match) — and never for a minor;
// - requests handed to us by a partner are matched to our own supporters only, when our policy
//   allows it (the partner's offer stands for its own policy's consent);
// - candidates a request already went to (declined, timed out) are not offered it again;
// - supporters on a wellbeing break or at the policy's daily session cap (`blocked`) are offered nothing;
// - among eligible supporters: one speaking the request's language, then the least loaded, then
//   the one offered something longest ago, then by user id (a total order: same input, same output).
import type { InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { SupporterRecord } from '../store/store.ts';
import { effectiveCapacity, qualifiedTopics } from '../services/roster-rules.ts';
import type { SupporterBlock } from './eligibility.ts';

export interface QueuedRequest {
  id: string;
  topic: string;
  /** Server name of the student's institution. */
  institution: string;
  minor: boolean;
  /** BCP 47 tag, or null. */
  language: string | null;
  /** When the wait began; kept when a request goes back to the queue, so it keeps its place. */
  queued_ts: number;
  /** Candidate keys not to offer it to again (see `candidateKey`). */
  excluded: ReadonlySet<string>;
}

export interface SupporterCandidate {
  kind: 'supporter';
  record: SupporterRecord;
  /** Topics declared available for; null = every topic they are qualified for. */
  topics: readonly string[] | null;
  /** Languages spoken (BCP 47 primary subtags compare). */
  languages: readonly string[];
  /** Sessions in progress (and rooms being created) that count against capacity. */
  active_sessions: number;
  pending_offers: number;
  /** When they were last offered a request (0: never) — spreads work among equals. */
  last_offer_ts: number;
  /** Not to be offered anything now: on a wellbeing break, or the day's session cap reached (eligibility.ts). */
  blocked?: SupporterBlock | null;
  /** Sessions the policy's daily cap still allows today, pending offers already counted; absent = no cap. */
  remaining_today?: number;
}

/** A partner institution as its bridge announced itself in the coordination room. */
export interface PartnerCandidate {
  kind: 'partner';
  server_name: string;
  cross_institution: boolean;
  partners: readonly string[];
  /** Free slots per topic, net of offers we already have outstanding with this partner. */
  spare: Readonly<Record<string, number>>;
}

export type Candidate = SupporterCandidate | PartnerCandidate;

export type MatchTarget = { kind: 'supporter'; user_id: string } | { kind: 'partner'; server_name: string };

export interface Assignment {
  request_id: string;
  target: MatchTarget;
}

/** The key a candidate is excluded by: a supporter's user id, or `partner:<server name>`. */
export function candidateKey(t: MatchTarget): string {
  return t.kind === 'supporter' ? t.user_id : `partner:${t.server_name}`;
}

export function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

const primaryTag = (tag: string): string => tag.toLowerCase().split('-')[0] ?? '';

/** Whether our policy lets us match across institutions with `server` (one side of the rule). */
export function policyAllowsPartner(policy: InstitutionPolicy, server: string): boolean {
  return policy.matching.cross_institution && policy.partners.some((p) => p.server_name === server);
}

/** Whether a partner's announcement allows matching with us (the other side of the rule). */
export function partnerAllowsUs(p: PartnerCandidate | undefined, ourServer: string): boolean {
  return p !== undefined && p.cross_institution && p.partners.includes(ourServer);
}

interface Slot {
  user_id: string;
  server: string;
  topics: ReadonlySet<string>;
  languages: ReadonlySet<string>;
  spare: number;
  load: number;
  last_offer_ts: number;
}

/** Better first: language match, least load, longest since an offer, user id. */
function better(a: Slot, b: Slot, language: string | null): boolean {
  if (language !== null) {
    const la = a.languages.has(language);
    const lb = b.languages.has(language);
    if (la !== lb) return la;
  }
  if (a.load !== b.load) return a.load < b.load;
  if (a.last_offer_ts !== b.last_offer_ts) return a.last_offer_ts < b.last_offer_ts;
  return a.user_id < b.user_id;
}

/** Offers a supporter may still get now: spare capacity, and no more than today's cap leaves. */
export function supporterSpare(c: SupporterCandidate, policy: InstitutionPolicy): number {
  const spare = effectiveCapacity(c.record, policy) - c.active_sessions - c.pending_offers;
  return c.remaining_today === undefined ? spare : Math.min(spare, c.remaining_today);
}

/**
 * Decides which waiting requests to offer to whom. Requests that cannot be placed are left out of
 * the result (they stay queued). At most one assignment per request.
 */
export function matchQueue(queue: readonly QueuedRequest[], candidates: readonly Candidate[], policy: InstitutionPolicy, now: number): Assignment[] {
  const own = policy.institution.server_name;
  const partners = new Map<string, PartnerCandidate>();
  // Topic → supporter slots that may take it, built once; spare capacity is updated as we assign.
  const byTopic = new Map<string, Slot[]>();
  for (const c of candidates) {
    if (c.kind === 'partner') {
      partners.set(c.server_name, { ...c, spare: { ...c.spare } });
      continue;
    }
    // A supporter on a wellbeing break, or at the day's cap, is offered nothing (their own wellbeing first).
    if (c.blocked) continue;
    const spare = supporterSpare(c, policy);
    if (spare <= 0) continue;
    const qualified = qualifiedTopics(c.record, policy, now);
    const declared = c.topics === null ? null : new Set(c.topics);
    const topics = new Set(qualified.filter((t) => declared === null || declared.has(t)));
    if (topics.size === 0) continue;
    const slot: Slot = {
      user_id: c.record.user_id, server: serverOf(c.record.user_id), topics,
      languages: new Set(c.languages.map(primaryTag)), spare, load: c.active_sessions + c.pending_offers, last_offer_ts: c.last_offer_ts,
    };
    for (const t of topics) {
      let list = byTopic.get(t);
      if (!list) byTopic.set(t, list = []);
      list.push(slot);
    }
  }

  // Whether a supporter of `server` may take a request of `institution` under both policies.
  const allowed = (institution: string, server: string, minor: boolean): boolean => {
    if (institution === server) return true;
    if (minor) return false;
    // A partner's request: the partner checked its own policy before offering it to us (its offer
    // is its consent); ours must allow it too.
    if (server === own) return policyAllowsPartner(policy, institution);
    if (institution === own) return policyAllowsPartner(policy, server) && partnerAllowsUs(partners.get(server), own);
    // Neither side is us: a partner's request for another partner's supporter is not ours to make.
    return false;
  };

  const pick = (r: QueuedRequest, language: string | null, server: (s: Slot) => boolean): Slot | null => {
    let best: Slot | null = null;
    for (const s of byTopic.get(r.topic) ?? []) {
      if (s.spare <= 0 || !server(s) || r.excluded.has(s.user_id)) continue;
      if (best === null || better(s, best, language)) best = s;
    }
    return best;
  };

  const ordered = [...queue].sort((a, b) => a.queued_ts - b.queued_ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: Assignment[] = [];
  for (const r of ordered) {
    const language = r.language === null ? null : primaryTag(r.language);
    let chosen: Slot | null;
    if (r.institution !== own) {
      // A partner's request: our own supporters only, and only if both policies allow it.
      chosen = allowed(r.institution, own, r.minor) ? pick(r, language, (s) => s.server === own) : null;
    } else {
      chosen = pick(r, language, (s) => s.server === own)
        ?? (r.minor ? null : pick(r, language, (s) => s.server !== own && allowed(own, s.server, false)));
    }
    if (chosen) {
      chosen.spare--;
      chosen.load++;
      chosen.last_offer_ts = now;
      out.push({ request_id: r.id, target: { kind: 'supporter', user_id: chosen.user_id } });
      continue;
    }
    if (r.institution !== own || r.minor) continue;
    // No supporter here: a partner institution with a free slot for the topic, most slots first.
    let pool: PartnerCandidate | null = null;
    for (const p of partners.values()) {
      if ((p.spare[r.topic] ?? 0) <= 0 || r.excluded.has(`partner:${p.server_name}`)) continue;
      if (!policyAllowsPartner(policy, p.server_name) || !partnerAllowsUs(p, own)) continue;
      if (pool === null || p.spare[r.topic]! > pool.spare[r.topic]! || (p.spare[r.topic] === pool.spare[r.topic] && p.server_name < pool.server_name)) pool = p;
    }
    if (pool) {
      (pool.spare as Record<string, number>)[r.topic] = pool.spare[r.topic]! - 1;
      out.push({ request_id: r.id, target: { kind: 'partner', server_name: pool.server_name } });
    }
  }
  return out;
}
