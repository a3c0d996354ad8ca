// The tables of requests and matching, and the conversions between their rows and the store's
// records. Statuses are text, flags integers, lists JSON.
import type {
  AvailabilityRow, GroupRow, OfferRow, PartnerLinkRow, RequestRow, RoomRow, SessionRow,
} from '../matching-store.ts';
import type { AvailabilityContent } from '../../../../protocol/src/coordination.ts';
import type { Migration } from './database.ts';

export const matchingMigrations: Migration[] = [{
  name: 'matching/001-tables',
  sql: `
    CREATE TABLE matching_requests (
      id TEXT PRIMARY KEY,
      origin TEXT NOT NULL,
      student TEXT,
      institution TEXT NOT NULL,
      remote_id TEXT,
      topic TEXT NOT NULL,
      language TEXT,
      region TEXT,
      minor INTEGER NOT NULL,
      status TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      queued_ts INTEGER NOT NULL,
      updated_ts INTEGER NOT NULL,
      expires_ts INTEGER NOT NULL,
      matched_ts INTEGER,
      closed_ts INTEGER,
      close_reason TEXT,
      session_id TEXT
    );
    CREATE UNIQUE INDEX matching_requests_remote ON matching_requests(institution, remote_id) WHERE remote_id IS NOT NULL;
    CREATE INDEX matching_requests_student ON matching_requests(student, created_ts);
    CREATE INDEX matching_requests_open ON matching_requests(status, topic, queued_ts);
    CREATE INDEX matching_requests_matched ON matching_requests(origin, matched_ts) WHERE matched_ts IS NOT NULL;
    CREATE TABLE matching_exclusions (
      request_id TEXT NOT NULL,
      candidate TEXT NOT NULL,
      reason TEXT NOT NULL,
      ts INTEGER NOT NULL,
      PRIMARY KEY (request_id, candidate)
    );
    CREATE TABLE matching_offers (
      id TEXT PRIMARY KEY,
      request_id TEXT NOT NULL,
      target_kind TEXT NOT NULL,
      target TEXT NOT NULL,
      status TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      expires_ts INTEGER NOT NULL,
      resolved_ts INTEGER,
      reason TEXT
    );
    CREATE INDEX matching_offers_pending ON matching_offers(status, expires_ts);
    CREATE INDEX matching_offers_target ON matching_offers(target, status);
    CREATE INDEX matching_offers_request ON matching_offers(request_id, status);
    CREATE TABLE matching_availability (
      user_id TEXT PRIMARY KEY,
      available INTEGER NOT NULL,
      topics TEXT,
      languages TEXT NOT NULL,
      updated_ts INTEGER NOT NULL,
      paused_reason TEXT,
      last_offer_ts INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE matching_sessions (
      id TEXT PRIMARY KEY,
      request_id TEXT NOT NULL,
      role TEXT NOT NULL,
      room_id TEXT,
      student TEXT,
      supporter TEXT NOT NULL,
      student_server TEXT NOT NULL,
      supporter_server TEXT NOT NULL,
      topic TEXT NOT NULL,
      status TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      student_joined_ts INTEGER,
      supporter_joined_ts INTEGER,
      ended_ts INTEGER,
      ended_by TEXT,
      outcome TEXT,
      checkin_proposed_ts INTEGER,
      checkin_status TEXT,
      checkin_answered_ts INTEGER
    );
    CREATE INDEX matching_sessions_room ON matching_sessions(room_id);
    CREATE INDEX matching_sessions_request ON matching_sessions(request_id);
    CREATE INDEX matching_sessions_supporter ON matching_sessions(supporter, status);
    CREATE INDEX matching_sessions_student ON matching_sessions(student, created_ts);
    CREATE INDEX matching_sessions_status ON matching_sessions(status, checkin_status);
    CREATE TABLE matching_rooms (
      room_id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      ref_id TEXT NOT NULL,
      institutions TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      purge_after_ts INTEGER NOT NULL,
      purged_ts INTEGER
    );
    CREATE INDEX matching_rooms_due ON matching_rooms(purge_after_ts) WHERE purged_ts IS NULL;
    CREATE TABLE matching_groups (
      id TEXT PRIMARY KEY,
      topic TEXT NOT NULL,
      name TEXT NOT NULL,
      audience TEXT NOT NULL,
      room_id TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      closed_ts INTEGER
    );
    CREATE TABLE matching_group_joins (
      group_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      ts INTEGER NOT NULL,
      PRIMARY KEY (group_id, user_id)
    );
    CREATE TABLE matching_partner_links (
      partner TEXT PRIMARY KEY,
      room_id TEXT NOT NULL,
      status TEXT NOT NULL,
      created_by_us INTEGER NOT NULL,
      updated_ts INTEGER NOT NULL,
      availability TEXT,
      availability_ts INTEGER
    );
    CREATE INDEX matching_partner_links_room ON matching_partner_links(room_id);
    CREATE TABLE matching_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      partner TEXT NOT NULL,
      message TEXT NOT NULL,
      txn_id TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      sent_ts INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT
    );
    CREATE INDEX matching_outbox_pending ON matching_outbox(partner, id) WHERE sent_ts IS NULL;
  `,
}];

export interface RequestDbRow extends Omit<RequestRow, 'minor'> { minor: number }
export const requestFrom = (r: RequestDbRow): RequestRow => ({ ...r, minor: r.minor === 1 });

export type OfferDbRow = OfferRow;

export interface AvailabilityDbRow { user_id: string; available: number; topics: string | null; languages: string; updated_ts: number; paused_reason: string | null; last_offer_ts: number }
export const availabilityFrom = (r: AvailabilityDbRow): AvailabilityRow => ({
  user_id: r.user_id, available: r.available === 1, topics: r.topics === null ? null : JSON.parse(r.topics) as string[],
  languages: JSON.parse(r.languages) as string[], updated_ts: r.updated_ts, paused_reason: r.paused_reason,
});

export interface SessionDbRow extends Omit<SessionRow, 'check_in'> {
  checkin_proposed_ts: number | null;
  checkin_status: string | null;
  checkin_answered_ts: number | null;
}
export function sessionFrom(r: SessionDbRow): SessionRow {
  const { checkin_proposed_ts, checkin_status, checkin_answered_ts, ...rest } = r;
  return {
    ...rest,
    check_in: checkin_proposed_ts === null || checkin_status === null ? null
      : { proposed_ts: checkin_proposed_ts, status: checkin_status as NonNullable<SessionRow['check_in']>['status'], answered_ts: checkin_answered_ts },
  };
}

export interface RoomDbRow extends Omit<RoomRow, 'institutions'> { institutions: string }
export const roomFrom = (r: RoomDbRow): RoomRow => ({ ...r, institutions: JSON.parse(r.institutions) as string[] });

export type GroupDbRow = GroupRow;

export interface LinkDbRow extends Omit<PartnerLinkRow, 'created_by_us' | 'availability'> { created_by_us: number; availability: string | null }
export const linkFrom = (r: LinkDbRow): PartnerLinkRow => ({
  ...r, created_by_us: r.created_by_us === 1, availability: r.availability === null ? null : JSON.parse(r.availability) as AvailabilityContent,
});
