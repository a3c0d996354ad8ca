// The PostgreSQL tables of requests and matching, and the conversions between their rows and the
// store's records. Timestamps BIGINT (read back as numbers), flags BOOLEAN, lists JSONB.
import type { AvailabilityRow, PartnerLinkRow, RoomRow, SessionRow } from '../matching-store.ts';
import type { PgMigration } from './database.ts';

export const pgMatchingMigrations: PgMigration[] = [{
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
      minor BOOLEAN NOT NULL,
      status TEXT NOT NULL,
      created_ts BIGINT NOT NULL,
      queued_ts BIGINT NOT NULL,
      updated_ts BIGINT NOT NULL,
      expires_ts BIGINT NOT NULL,
      matched_ts BIGINT,
      closed_ts BIGINT,
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
      ts BIGINT NOT NULL,
      PRIMARY KEY (request_id, candidate)
    );
    CREATE TABLE matching_offers (
      id TEXT PRIMARY KEY,
      request_id TEXT NOT NULL,
      target_kind TEXT NOT NULL,
      target TEXT NOT NULL,
      status TEXT NOT NULL,
      created_ts BIGINT NOT NULL,
      expires_ts BIGINT NOT NULL,
      resolved_ts BIGINT,
      reason TEXT
    );
    CREATE INDEX matching_offers_pending ON matching_offers(status, expires_ts);
    CREATE INDEX matching_offers_target ON matching_offers(target, status);
    -- One request is offered to one candidate at a time, whatever any replica does.
    CREATE UNIQUE INDEX matching_offers_one_pending ON matching_offers(request_id) WHERE status = 'pending';
    CREATE TABLE matching_availability (
      user_id TEXT PRIMARY KEY,
      available BOOLEAN NOT NULL,
      topics JSONB,
      languages JSONB NOT NULL,
      updated_ts BIGINT NOT NULL,
      paused_reason TEXT,
      last_offer_ts BIGINT NOT NULL DEFAULT 0
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
      created_ts BIGINT NOT NULL,
      student_joined_ts BIGINT,
      supporter_joined_ts BIGINT,
      ended_ts BIGINT,
      ended_by TEXT,
      outcome TEXT,
      checkin_proposed_ts BIGINT,
      checkin_status TEXT,
      checkin_answered_ts BIGINT
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
      institutions JSONB NOT NULL,
      created_ts BIGINT NOT NULL,
      purge_after_ts BIGINT NOT NULL,
      purged_ts BIGINT
    );
    CREATE INDEX matching_rooms_due ON matching_rooms(purge_after_ts) WHERE purged_ts IS NULL;
    CREATE TABLE matching_groups (
      id TEXT PRIMARY KEY,
      topic TEXT NOT NULL,
      name TEXT NOT NULL,
      audience TEXT NOT NULL,
      room_id TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_ts BIGINT NOT NULL,
      closed_ts BIGINT
    );
    CREATE TABLE matching_group_joins (
      group_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      ts BIGINT NOT NULL,
      PRIMARY KEY (group_id, user_id)
    );
    CREATE TABLE matching_partner_links (
      partner TEXT PRIMARY KEY,
      room_id TEXT NOT NULL,
      status TEXT NOT NULL,
      created_by_us BOOLEAN NOT NULL,
      updated_ts BIGINT NOT NULL,
      availability JSONB,
      availability_ts BIGINT
    );
    CREATE INDEX matching_partner_links_room ON matching_partner_links(room_id);
    CREATE TABLE matching_outbox (
      id BIGSERIAL PRIMARY KEY,
      partner TEXT NOT NULL,
      message JSONB NOT NULL,
      txn_id TEXT NOT NULL,
      created_ts BIGINT NOT NULL,
      sent_ts BIGINT,
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT
    );
    CREATE INDEX matching_outbox_pending ON matching_outbox(partner, id) WHERE sent_ts IS NULL;
  `,
}];

export type AvailabilityDbRow = AvailabilityRow & { last_offer_ts: number };
export const availabilityFrom = ({ last_offer_ts: _, ...a }: AvailabilityDbRow): AvailabilityRow => a;

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

export type RoomDbRow = RoomRow;
export type LinkDbRow = PartnerLinkRow;
