// Students' support requests: the policy checks before a request is queued (topic, support hours,
// one open request at a time, the hourly limit, age rules), and what a student sees of it — status,
// place in the queue, the wait recent students had for the topic, the session once matched, and
// always the crisis resources.
import { BridgeError, notFound } from '../errors.ts';
import { crisisResourcesFor, isScheduleOpen, type CrisisResource, type InstitutionPolicy } from '../../../protocol/src/policy.ts';
import type { RequestRow, SessionRow } from '../store/matching-store.ts';
import { newId } from './ids.ts';
import type { MatchingContext } from './context.ts';

const HOUR_MS = 3600_000;
const WAIT_WINDOW_MS = 7 * 24 * HOUR_MS;
const WAIT_SAMPLES = 50;
/** Fewer recent matches of a topic than this, and the estimate uses every topic. */
const MIN_TOPIC_SAMPLES = 5;

export interface RequestInput {
  topic: string;
  language?: string;
  region?: string;
  /** The student says they are under age (always honoured; see `isMinor`). */
  minor?: boolean;
}

export interface RequestView {
  request_id: string;
  status: RequestRow['status'];
  topic: string;
  language: string | null;
  minor: boolean;
  created_ts: number;
  position: number | null;
  expected_wait_seconds: number | null;
  session: { session_id: string; room_id: string | null; status: SessionRow['status'] } | null;
  close_reason: string | null;
  crisis_resources: CrisisResource[];
}

/**
 * Whether a request is a minor's. In an institution whose policy says students may be minors,
 * every request counts as a minor's — a self-declared age cannot open the way out of the
 * institution — and anyone may say they are under age.
 */
export function isMinor(policy: InstitutionPolicy, input: Pick<RequestInput, 'minor'>): boolean {
  return policy.age_rules.minors || input.minor === true;
}

/** The first instant the support hours open after `from`, by 15-minute steps up to two weeks. */
export function nextOpening(policy: InstitutionPolicy, from: number): number | null {
  const step = 15 * 60_000;
  let t = Math.ceil(from / step) * step;
  for (let i = 0; i < 14 * 24 * 4; i++, t += step) if (isScheduleOpen(policy.support_hours, new Date(t))) return t;
  return null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export class SupportRequests {
  private readonly c: MatchingContext;

  constructor(c: MatchingContext) {
    this.c = c;
  }

  async create(student: string, input: RequestInput): Promise<RequestView> {
    const policy = this.c.policy();
    const now = this.c.clock.now();
    const crisis = crisisResourcesFor(policy, { ...(input.region ? { region: input.region } : {}), ...(input.language ? { language: input.language } : {}) });
    const refuse = (status: number, errcode: string, message: string, outcome: string, extra: Record<string, unknown> = {}): never => {
      this.c.metrics.requests.inc({ outcome });
      throw new BridgeError(status, errcode, message, { ...extra, crisis_resources: crisis });
    };
    if (!policy.topics.some((t) => t.id === input.topic)) {
      refuse(400, 'M_INVALID_PARAM', `topic '${input.topic}' is not offered here (topics: ${policy.topics.map((t) => t.id).join(', ')})`, 'refused_topic');
    }
    if (!isScheduleOpen(policy.support_hours, new Date(now))) {
      const opens = nextOpening(policy, now);
      refuse(409, 'ORG.PEERLINE.SUPPORT_CLOSED', `Peer support is closed now${opens !== null ? `; it opens at ${new Date(opens).toISOString()}` : ''}. The crisis resources are there at any time.`,
        'refused_closed', { opens_ts: opens });
    }
    const open = (await this.c.store.requestsOfStudent(student, 5)).find((r) => r.status === 'waiting' || r.status === 'offered');
    if (open) refuse(409, 'ORG.PEERLINE.REQUEST_OPEN', 'You already have a request waiting; cancel it to ask for another topic', 'refused_open', { request_id: open.id });
    const limit = policy.rate_limits.support_requests_per_hour;
    const recent = await this.c.store.requestTimesOfStudent(student, now - HOUR_MS);
    if (recent.length >= limit) {
      this.c.metrics.requests.inc({ outcome: 'refused_rate' });
      throw new BridgeError(429, 'M_LIMIT_EXCEEDED', `At most ${limit} support requests an hour`, {
        retry_after_ms: Math.max(1, recent[recent.length - limit]! + HOUR_MS - now), crisis_resources: crisis,
      });
    }
    const minor = isMinor(policy, input);
    const row: RequestRow = {
      id: newId('rq'), origin: 'local', student, institution: this.c.serverName, remote_id: null, topic: input.topic,
      language: input.language ?? null, region: input.region ?? null, minor, status: 'waiting', created_ts: now, queued_ts: now, updated_ts: now,
      expires_ts: now + this.c.timings.maxWaitMs, matched_ts: null, closed_ts: null, close_reason: null, session_id: null,
    };
    await this.c.store.insertRequest(row, { facts: [{ actor: 'system', action: 'request.created', subject: row.id, details: { request_id: row.id, topic: row.topic, minor } }] });
    this.c.audit.noteAppended();
    this.c.metrics.requests.inc({ outcome: 'created' });
    this.c.signals.kick();
    return this.view(row, crisis);
  }

  async own(id: string, student: string): Promise<RequestRow> {
    const r = await this.c.store.request(id);
    if (!r || r.student !== student) throw notFound(`No request ${id} of yours`);
    return r;
  }

  /**
   * The student's view; with `waitMs`, an open request is held until its status changes (or the
   * time passes), so the client long-polls instead of polling.
   */
  async get(id: string, student: string, waitMs = 0, signal?: AbortSignal): Promise<RequestView> {
    let r = await this.own(id, student);
    if (waitMs > 0 && (r.status === 'waiting' || r.status === 'offered')) {
      const before = r.status;
      await this.c.wakeups.wait(r.id, waitMs, signal);
      r = await this.own(id, student);
      if (r.status === before) return this.view(r);
    }
    return this.view(r);
  }

  async list(student: string): Promise<RequestView[]> {
    const rows = await this.c.store.requestsOfStudent(student, 20);
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async expectedWaitSeconds(topic: string, now: number): Promise<number | null> {
    let waits = await this.c.store.recentWaits(topic, now - WAIT_WINDOW_MS, WAIT_SAMPLES);
    if (waits.length < MIN_TOPIC_SAMPLES) {
      const all = await this.c.store.recentWaits(null, now - WAIT_WINDOW_MS, WAIT_SAMPLES);
      if (all.length > waits.length) waits = all;
    }
    const m = median(waits);
    return m === null ? null : Math.round(m / 1000);
  }

  async view(r: RequestRow, crisis?: CrisisResource[]): Promise<RequestView> {
    const policy = this.c.policy();
    const open = r.status === 'waiting' || r.status === 'offered';
    const session = r.session_id !== null ? await this.c.store.session(r.session_id) : undefined;
    return {
      request_id: r.id, status: r.status, topic: r.topic, language: r.language, minor: r.minor, created_ts: r.created_ts,
      position: open ? await this.c.store.queuePosition(r) : null,
      expected_wait_seconds: open ? await this.expectedWaitSeconds(r.topic, this.c.clock.now()) : null,
      session: session ? { session_id: session.id, room_id: session.room_id, status: session.status } : null,
      close_reason: r.close_reason,
      crisis_resources: crisis ?? crisisResourcesFor(policy, { ...(r.region ? { region: r.region } : {}), ...(r.language ? { language: r.language } : {}) }),
    };
  }
}
