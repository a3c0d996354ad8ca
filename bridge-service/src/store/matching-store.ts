// Storage of requests and matching: support requests and their queue, offers to supporters and to
// partner institutions, supporters' declared availability, peer sessions and the rooms the bot
// created (with their purge-after time), support groups, the coordination links with partner
// bridges and the outbox of coordination messages. Every state change is one atomic store call
// (a compare-and-set on the row's status), written with its audit facts — so a restart, or a
// second bridge instance on a shared database, never sees half a transition.
import type { AuditDraft } from '../core/audit-chain.ts';
import type { CoordinationMessage, AvailabilityContent } from '../../../protocol/src/coordination.ts';

// ── requests ────────────────────────────────────────────────────────────────────────────────────

/**
 * waiting → offered → matched; offered → waiting (declined, timed out); waiting/offered → cancelled
 * (the student), expired (waited too long) or declined (a partner's request we could not place);
 * matched → waiting (the room could not be made, or the supporter never came).
 */
export type RequestStatus = 'waiting' | 'offered' | 'matched' | 'cancelled' | 'expired' | 'declined';
export const OPEN_REQUEST_STATUSES: readonly RequestStatus[] = ['waiting', 'offered'];

export interface RequestRow {
  id: string;
  /** `local`: one of our students; `partner`: handed to us by a partner bridge. */
  origin: 'local' | 'partner';
  /** Our student (local requests only: a partner never tells us who its student is). */
  student: string | null;
  /** Server name of the student's institution. */
  institution: string;
  /** The partner's request id (partner requests). */
  remote_id: string | null;
  topic: string;
  language: string | null;
  region: string | null;
  minor: boolean;
  status: RequestStatus;
  created_ts: number;
  /** Where it stands in the queue: kept when it goes back to the queue. */
  queued_ts: number;
  updated_ts: number;
  /** Local: when it stops waiting; partner: the partner's deadline. */
  expires_ts: number;
  matched_ts: number | null;
  closed_ts: number | null;
  close_reason: string | null;
  session_id: string | null;
}

export interface QueueEntry extends RequestRow {
  /** Candidate keys the request went to before (supporter ids, `partner:<server>`). */
  excluded: string[];
}

// ── offers ──────────────────────────────────────────────────────────────────────────────────────

export type OfferStatus = 'pending' | 'accepted' | 'declined' | 'expired' | 'withdrawn';

export interface OfferRow {
  id: string;
  request_id: string;
  target_kind: 'supporter' | 'partner';
  /** A supporter's user id, or a partner's server name. */
  target: string;
  status: OfferStatus;
  created_ts: number;
  expires_ts: number;
  resolved_ts: number | null;
  reason: string | null;
}

// ── availability ────────────────────────────────────────────────────────────────────────────────

export interface AvailabilityRow {
  user_id: string;
  available: boolean;
  /** Topics declared available for; null = every topic they are qualified for. */
  topics: string[] | null;
  languages: string[];
  updated_ts: number;
  /** Why the bridge paused them (e.g. `missed_offer`); null when they set it themselves. */
  paused_reason: string | null;
}

export interface SupporterLoad {
  active_sessions: number;
  pending_offers: number;
  last_offer_ts: number;
}

// ── sessions and rooms ──────────────────────────────────────────────────────────────────────────

/**
 * creating → active → ended; creating → failed. `host`: we created the room (the student is ours);
 * `partner`: our supporter serves a partner's student in the partner's room (we track it for
 * capacity and for the supporter's view).
 */
export type SessionStatus = 'creating' | 'active' | 'ended' | 'failed';

export interface CheckIn {
  proposed_ts: number;
  status: 'offered' | 'accepted' | 'declined' | 'started';
  answered_ts: number | null;
}

export interface SessionRow {
  id: string;
  request_id: string;
  role: 'host' | 'partner';
  room_id: string | null;
  /** Our student (host sessions). */
  student: string | null;
  supporter: string;
  student_server: string;
  supporter_server: string;
  topic: string;
  status: SessionStatus;
  created_ts: number;
  student_joined_ts: number | null;
  supporter_joined_ts: number | null;
  ended_ts: number | null;
  /** A user id, or `system`. */
  ended_by: string | null;
  outcome: string | null;
  check_in: CheckIn | null;
}

export type RoomKind = 'peer' | 'group' | 'debrief';

export interface RoomRow {
  room_id: string;
  kind: RoomKind;
  /** The request (peer) or group id the room serves. */
  ref_id: string;
  institutions: string[];
  created_ts: number;
  /** When the retention period ends and the room is to be emptied. */
  purge_after_ts: number;
  purged_ts: number | null;
}

export interface GroupRow {
  id: string;
  topic: string;
  name: string;
  /** `institution`: our users only; `consortium`: partners' users too, as both policies allow. */
  audience: 'institution' | 'consortium';
  room_id: string;
  created_by: string;
  created_ts: number;
  closed_ts: number | null;
}

// ── partner coordination ────────────────────────────────────────────────────────────────────────

/** created: we made the room (invite not delivered yet); invited: the partner's bot is invited; joining: the partner invited us; ready: both bots are in. */
export type LinkStatus = 'created' | 'invited' | 'joining' | 'ready';

export interface PartnerLinkRow {
  partner: string;
  room_id: string;
  status: LinkStatus;
  created_by_us: boolean;
  updated_ts: number;
  /** The partner's latest availability announcement, and when we received it. */
  availability: AvailabilityContent | null;
  availability_ts: number | null;
}

export interface OutboxDraft {
  partner: string;
  message: CoordinationMessage;
}

export interface OutboxRow extends OutboxDraft {
  id: number;
  /** Stable, so a resend is idempotent on the homeserver. */
  txn_id: string;
  created_ts: number;
  attempts: number;
}

// ── transitions ─────────────────────────────────────────────────────────────────────────────────

/** What a transition also writes: messages to partners and audit facts. */
export interface Effects {
  outbox?: OutboxDraft[];
  facts?: AuditDraft[];
}

export interface ResolveOffer extends Effects {
  status: 'declined' | 'expired' | 'withdrawn';
  reason: string;
  /** Put the request back in the queue (waiting) — otherwise it is left as it is. */
  requeue: boolean;
  /** Do not offer the request to this candidate again. */
  exclude: string | null;
  /** Pause this supporter's availability with this reason (they missed an offer). */
  pause: { user_id: string; reason: string } | null;
}

export interface EndSession extends Effects {
  ended_by: string;
  outcome: string;
  check_in: CheckIn | null;
  /** Raise the room's purge-after time to at least this. */
  purge_after_ts: number | null;
  /** The supporter never came: the request goes back to the queue, without them. */
  requeue_without: string | null;
}

export type AcceptResult = { ok: true; session: SessionRow } | { ok: false; reason: 'not_pending' | 'expired' | 'not_yours' };

/** An offer to create, with what it sends and (for a supporter) the capacity it must stay within. */
export interface OfferDraft {
  offer: OfferRow;
  fx?: Effects;
  capacity?: number;
}

export interface MatchingStore {
  // requests
  /** Inserts a request; a partner request already known (institution, remote_id) is not inserted again. */
  insertRequest(r: RequestRow, fx?: Effects): Promise<'inserted' | 'exists'>;
  request(id: string): Promise<RequestRow | undefined>;
  requestByRemote(institution: string, remoteId: string): Promise<RequestRow | undefined>;
  requestsOfStudent(student: string, limit: number): Promise<RequestRow[]>;
  /** created_ts of the student's requests since `sinceTs`, oldest first (rate limit). */
  requestTimesOfStudent(student: string, sinceTs: number): Promise<number[]>;
  /** A partner's request we declined or let expire, offered to us again: back to waiting. */
  reopenRequest(id: string, expiresTs: number, now: number): Promise<boolean>;
  openRequests(): Promise<RequestRow[]>;
  /** Waiting requests (not offered), with what they were excluded from. */
  queue(): Promise<QueueEntry[]>;
  /** 1 + open requests of the topic ahead of this one. */
  queuePosition(r: RequestRow): Promise<number>;
  /** Waits (matched − created, ms) of the newest local matches since `sinceTs`; any topic when null. */
  recentWaits(topic: string | null, sinceTs: number, limit: number): Promise<number[]>;
  /**
   * Closes an open request (cancelled, expired, declined) and withdraws its pending offer.
   * Undefined when it was not open.
   */
  closeRequest(id: string, status: 'cancelled' | 'expired' | 'declined', reason: string, now: number, fx?: Effects): Promise<{ request: RequestRow; withdrawn: OfferRow | null } | undefined>;

  // offers
  /**
   * Creates each offer whose request is still waiting (and marks it offered); returns those created.
   * `capacity` is the supporter's effective capacity as the matcher computed it (the roster's, else
   * the policy's default): an offer that would take the supporter's sessions plus pending offers past
   * it is not created, even when another replica offered them something meanwhile.
   */
  createOffers(offers: OfferDraft[], now: number): Promise<OfferRow[]>;
  offer(id: string): Promise<OfferRow | undefined>;
  pendingOffers(): Promise<OfferRow[]>;
  pendingOffersOf(userId: string): Promise<OfferRow[]>;
  pendingOfferOfRequest(requestId: string): Promise<OfferRow | undefined>;
  resolveOffer(id: string, r: ResolveOffer, now: number): Promise<OfferRow | undefined>;
  /**
   * A supporter (or, for a partner offer, the partner) accepts: offer accepted, request matched,
   * session inserted as `creating` — or nothing when the offer is no longer pending.
   */
  acceptOffer(id: string, by: string, session: SessionRow, now: number, fx?: Effects): Promise<AcceptResult>;

  // availability
  availability(userId: string): Promise<AvailabilityRow | undefined>;
  allAvailability(): Promise<AvailabilityRow[]>;
  setAvailability(row: AvailabilityRow, fx?: Effects): Promise<void>;
  loads(): Promise<Map<string, SupporterLoad>>;

  // sessions
  session(id: string): Promise<SessionRow | undefined>;
  sessionByRoom(roomId: string): Promise<SessionRow | undefined>;
  sessionByRequest(requestId: string): Promise<SessionRow | undefined>;
  sessionsOf(userId: string, limit: number): Promise<SessionRow[]>;
  sessionsWithStatus(status: SessionStatus): Promise<SessionRow[]>;
  /** creating → active, with the room (host) and its purge-after time. */
  activateSession(id: string, roomId: string, room: RoomRow | null, now: number, fx?: Effects): Promise<SessionRow | undefined>;
  /** creating → failed; the request goes back to the queue (`requeue`) or is closed as declined. */
  failSession(id: string, reason: string, requeue: boolean, now: number, fx?: Effects): Promise<SessionRow | undefined>;
  noteJoined(id: string, who: 'student' | 'supporter', ts: number): Promise<void>;
  endSession(id: string, e: EndSession, now: number): Promise<SessionRow | undefined>;
  answerCheckIn(id: string, accept: boolean, now: number): Promise<SessionRow | undefined>;
  /** ended → active: for a due, accepted check-in (`checkIn`), or as the partner that hosts it says. */
  reopenSession(id: string, checkIn: boolean, now: number, fx?: Effects): Promise<SessionRow | undefined>;
  dueCheckIns(now: number): Promise<SessionRow[]>;

  // rooms and groups
  room(roomId: string): Promise<RoomRow | undefined>;
  roomsDue(now: number, limit: number): Promise<RoomRow[]>;
  markPurged(roomId: string, now: number, fx?: Effects): Promise<boolean>;
  insertGroup(g: GroupRow, room: RoomRow, fx?: Effects): Promise<void>;
  group(id: string): Promise<GroupRow | undefined>;
  groups(): Promise<GroupRow[]>;
  recordGroupJoin(groupId: string, userId: string, now: number, fx?: Effects): Promise<void>;

  // partner coordination
  links(): Promise<PartnerLinkRow[]>;
  link(partner: string): Promise<PartnerLinkRow | undefined>;
  linkByRoom(roomId: string): Promise<PartnerLinkRow | undefined>;
  putLink(row: Omit<PartnerLinkRow, 'availability' | 'availability_ts'>): Promise<void>;
  setPartnerAvailability(partner: string, content: AvailabilityContent, now: number): Promise<void>;
  enqueue(drafts: OutboxDraft[], now: number): Promise<void>;
  pendingOutbox(partner: string, limit: number): Promise<OutboxRow[]>;
  markOutboxSent(id: number, now: number): Promise<void>;
  markOutboxFailed(id: number, error: string, now: number): Promise<void>;
}

// The bridge-wide Store gains the matching store (augmentation, so store.ts stays as it is).
declare module './store.ts' {
  interface Store {
    matching: MatchingStore;
  }
}
