// The core tables: accounts, devices and tokens; rooms, events, state; the per-user streams that
// /sync reads. Other domains (E2EE keys, appservices, push rules) keep their migrations beside their
// own repositories and are listed in migrations.ts.
import type { Migration } from './database.ts';

export const coreMigrations: Migration[] = [
  {
    name: 'core/001-accounts',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE users (
        user_id TEXT PRIMARY KEY,
        password_hash TEXT,
        created_ts INTEGER NOT NULL,
        is_admin INTEGER NOT NULL DEFAULT 0,
        is_guest INTEGER NOT NULL DEFAULT 0,
        deactivated INTEGER NOT NULL DEFAULT 0,
        appservice_id TEXT,
        user_type TEXT
      );
      CREATE TABLE profiles (
        user_id TEXT PRIMARY KEY,
        displayname TEXT,
        avatar_url TEXT
      );
      CREATE TABLE devices (
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        display_name TEXT,
        last_seen_ts INTEGER,
        last_seen_ip TEXT,
        PRIMARY KEY (user_id, device_id)
      );
      CREATE TABLE access_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        device_id TEXT,
        created_ts INTEGER NOT NULL,
        expires_ts INTEGER
      );
      CREATE INDEX access_tokens_user ON access_tokens (user_id, device_id);
      CREATE TABLE registration_tokens (
        token TEXT PRIMARY KEY,
        uses_allowed INTEGER,
        pending INTEGER NOT NULL DEFAULT 0,
        completed INTEGER NOT NULL DEFAULT 0,
        expiry_time INTEGER
      );
      CREATE TABLE openid_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        expires_ts INTEGER NOT NULL
      );
      CREATE TABLE admin_register_nonces (
        nonce TEXT PRIMARY KEY,
        created_ts INTEGER NOT NULL
      );
    `,
  },
  {
    name: 'core/002-rooms-events',
    sql: `
      CREATE TABLE rooms (
        room_id TEXT PRIMARY KEY,
        room_version TEXT NOT NULL,
        creator TEXT NOT NULL,
        created_ts INTEGER NOT NULL,
        is_public INTEGER NOT NULL DEFAULT 0
      );
      -- stream_pos orders events as this server received them (negative for backfilled history).
      CREATE TABLE events (
        stream_pos INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        room_id TEXT NOT NULL,
        type TEXT NOT NULL,
        state_key TEXT,
        sender TEXT NOT NULL,
        depth INTEGER NOT NULL,
        origin_server_ts INTEGER NOT NULL,
        json TEXT NOT NULL,
        -- the state group holding the room state *before* this event
        state_group_before INTEGER,
        -- the state group after this event (same as before for non-state events)
        state_group_after INTEGER,
        redacted_by TEXT,
        txn_user TEXT,
        txn_device TEXT,
        txn_id TEXT,
        rejected TEXT,
        outlier INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX events_room_pos ON events (room_id, stream_pos);
      CREATE INDEX events_room_state ON events (room_id, type, state_key) WHERE state_key IS NOT NULL;
      CREATE UNIQUE INDEX events_txn ON events (txn_user, txn_device, txn_id) WHERE txn_id IS NOT NULL;
      CREATE TABLE redactions (
        redacts TEXT NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (redacts, event_id)
      );
      CREATE TABLE forward_extremities (
        room_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (room_id, event_id)
      );
      -- State groups: a snapshot is a delta over prev_group; a chain is cut with a full snapshot every
      -- so often so that loading state stays cheap.
      CREATE TABLE state_groups (
        id INTEGER PRIMARY KEY,
        room_id TEXT NOT NULL,
        prev_group INTEGER,
        chain_length INTEGER NOT NULL
      );
      CREATE TABLE state_group_entries (
        group_id INTEGER NOT NULL,
        type TEXT NOT NULL,
        state_key TEXT NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (group_id, type, state_key)
      );
      CREATE TABLE current_state (
        room_id TEXT NOT NULL,
        type TEXT NOT NULL,
        state_key TEXT NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (room_id, type, state_key)
      );
      -- Membership of every user (local or remote) in every room, as of the current state.
      CREATE TABLE room_memberships (
        room_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        membership TEXT NOT NULL,
        event_id TEXT NOT NULL,
        stream_pos INTEGER NOT NULL,
        PRIMARY KEY (room_id, user_id)
      );
      CREATE INDEX room_memberships_user ON room_memberships (user_id, membership);
      CREATE TABLE room_aliases (
        alias TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        creator TEXT NOT NULL
      );
    `,
  },
  {
    name: 'core/003-streams',
    sql: `
      CREATE TABLE receipts (
        room_id TEXT NOT NULL,
        receipt_type TEXT NOT NULL,
        user_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        event_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        stream_pos INTEGER NOT NULL,
        PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
      );
      CREATE INDEX receipts_pos ON receipts (stream_pos);
      CREATE TABLE account_data (
        user_id TEXT NOT NULL,
        room_id TEXT NOT NULL DEFAULT '',
        type TEXT NOT NULL,
        content TEXT NOT NULL,
        stream_pos INTEGER NOT NULL,
        PRIMARY KEY (user_id, room_id, type)
      );
      CREATE INDEX account_data_pos ON account_data (user_id, stream_pos);
      CREATE TABLE filters (
        user_id TEXT NOT NULL,
        filter_id INTEGER NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (user_id, filter_id)
      );
    `,
  },
  {
    name: 'core/004-federated-events',
    sql: `
      -- Invites to rooms this server is not in yet: the stripped state the inviting server sent.
      CREATE TABLE remote_invites (
        room_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        room_version TEXT NOT NULL,
        invite_state TEXT NOT NULL,
        PRIMARY KEY (room_id, user_id)
      );
    `,
  },
  {
    name: 'core/005-replaces-state',
    sql: `
      -- The state event a state event replaced (its prev_content), fixed when the event is placed.
      ALTER TABLE events ADD COLUMN replaces_state TEXT;
    `,
  },
  {
    name: 'core/006-room-current-state-group',
    sql: `
      -- The state group of the room's current (resolved) state: with a forked graph it is not the
      -- newest event's group.
      ALTER TABLE rooms ADD COLUMN current_state_group INTEGER;
    `,
  },
  {
    name: 'core/007-erased-users',
    sql: `
      -- Accounts deactivated with erase: true. Their events are served pruned (as if redacted) to
      -- every client and server asking from then on.
      CREATE TABLE erased_users (
        user_id TEXT PRIMARY KEY,
        erased_ts INTEGER NOT NULL
      );
    `,
  },
];
