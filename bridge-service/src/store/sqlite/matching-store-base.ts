// The rooms-and-coordination half of the SQLite matching store: the rooms the bot made (with their
// purge-after time), support groups, partner links and the coordination outbox, plus what every
// transition shares — writing its outbox rows and audit facts in its own transaction.
import { randomBytes } from 'node:crypto';
import type { Effects, GroupRow, OutboxDraft, OutboxRow, PartnerLinkRow, RoomRow } from '../matching-store.ts';
import type { CoordinationMessage, AvailabilityContent } from '../../../../protocol/src/coordination.ts';
import type { SqliteDatabase } from './database.ts';
import type { SqliteAuditStore } from './audit-store.ts';
import { linkFrom, roomFrom, type GroupDbRow, type LinkDbRow, type RoomDbRow } from './matching-schema.ts';

export class SqliteMatchingBase {
  protected readonly db: SqliteDatabase;
  protected readonly audit: SqliteAuditStore;

  constructor(db: SqliteDatabase, audit: SqliteAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  /** Inside a write: the outbox rows and audit facts of a transition. */
  protected effects(fx: Effects | undefined, now: number): void {
    if (!fx) return;
    this.insertOutbox(fx.outbox ?? [], now);
    for (const f of fx.facts ?? []) this.audit.appendInWrite(f, now);
  }

  protected insertOutbox(drafts: readonly OutboxDraft[], now: number): void {
    for (const d of drafts) {
      this.db.run('INSERT INTO matching_outbox (partner, message, txn_id, created_ts) VALUES (?, ?, ?, ?)',
        d.partner, JSON.stringify(d.message), `plc-${now}-${randomBytes(9).toString('base64url')}`, now);
    }
  }

  // ── rooms and groups ──

  protected insertRoom(r: RoomRow): void {
    this.db.run('INSERT OR REPLACE INTO matching_rooms (room_id, kind, ref_id, institutions, created_ts, purge_after_ts, purged_ts) VALUES (?, ?, ?, ?, ?, ?, ?)',
      r.room_id, r.kind, r.ref_id, JSON.stringify(r.institutions), r.created_ts, r.purge_after_ts, r.purged_ts);
  }

  async room(roomId: string): Promise<RoomRow | undefined> {
    const r = this.db.get<RoomDbRow>('SELECT * FROM matching_rooms WHERE room_id = ?', roomId);
    return r ? roomFrom(r) : undefined;
  }

  async roomsDue(now: number, limit: number): Promise<RoomRow[]> {
    return this.db.all<RoomDbRow>('SELECT * FROM matching_rooms WHERE purged_ts IS NULL AND purge_after_ts <= ? ORDER BY purge_after_ts LIMIT ?', now, limit).map(roomFrom);
  }

  markPurged(roomId: string, now: number, fx?: Effects): Promise<boolean> {
    return this.db.write(() => {
      const { changes } = this.db.run('UPDATE matching_rooms SET purged_ts = ? WHERE room_id = ? AND purged_ts IS NULL', now, roomId);
      if (changes > 0) {
        this.db.run('UPDATE matching_groups SET closed_ts = ? WHERE room_id = ? AND closed_ts IS NULL', now, roomId);
        this.effects(fx, now);
      }
      return changes > 0;
    });
  }

  insertGroup(g: GroupRow, room: RoomRow, fx?: Effects): Promise<void> {
    return this.db.write(() => {
      this.db.run('INSERT INTO matching_groups (id, topic, name, audience, room_id, created_by, created_ts, closed_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        g.id, g.topic, g.name, g.audience, g.room_id, g.created_by, g.created_ts, g.closed_ts);
      this.insertRoom(room);
      this.effects(fx, g.created_ts);
    });
  }

  async group(id: string): Promise<GroupRow | undefined> {
    return this.db.get<GroupDbRow>('SELECT * FROM matching_groups WHERE id = ?', id);
  }

  async groups(): Promise<GroupRow[]> {
    return this.db.all<GroupDbRow>('SELECT * FROM matching_groups WHERE closed_ts IS NULL ORDER BY created_ts, id');
  }

  recordGroupJoin(groupId: string, userId: string, now: number, fx?: Effects): Promise<void> {
    return this.db.write(() => {
      const { changes } = this.db.run('INSERT OR IGNORE INTO matching_group_joins (group_id, user_id, ts) VALUES (?, ?, ?)', groupId, userId, now);
      if (changes > 0) this.effects(fx, now);
    });
  }

  // ── partner coordination ──

  async links(): Promise<PartnerLinkRow[]> {
    return this.db.all<LinkDbRow>('SELECT * FROM matching_partner_links ORDER BY partner').map(linkFrom);
  }

  async link(partner: string): Promise<PartnerLinkRow | undefined> {
    const r = this.db.get<LinkDbRow>('SELECT * FROM matching_partner_links WHERE partner = ?', partner);
    return r ? linkFrom(r) : undefined;
  }

  async linkByRoom(roomId: string): Promise<PartnerLinkRow | undefined> {
    const r = this.db.get<LinkDbRow>('SELECT * FROM matching_partner_links WHERE room_id = ?', roomId);
    return r ? linkFrom(r) : undefined;
  }

  putLink(row: Omit<PartnerLinkRow, 'availability' | 'availability_ts'>): Promise<void> {
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO matching_partner_links (partner, room_id, status, created_by_us, updated_ts) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (partner) DO UPDATE SET room_id = excluded.room_id, status = excluded.status, created_by_us = excluded.created_by_us,
           updated_ts = excluded.updated_ts,
           availability = CASE WHEN matching_partner_links.room_id = excluded.room_id THEN matching_partner_links.availability END,
           availability_ts = CASE WHEN matching_partner_links.room_id = excluded.room_id THEN matching_partner_links.availability_ts END`,
        row.partner, row.room_id, row.status, row.created_by_us ? 1 : 0, row.updated_ts,
      );
    });
  }

  setPartnerAvailability(partner: string, content: AvailabilityContent, now: number): Promise<void> {
    return this.db.write(() => {
      this.db.run('UPDATE matching_partner_links SET availability = ?, availability_ts = ? WHERE partner = ?', JSON.stringify(content), now, partner);
    });
  }

  enqueue(drafts: OutboxDraft[], now: number): Promise<void> {
    return this.db.write(() => this.insertOutbox(drafts, now));
  }

  async pendingOutbox(partner: string, limit: number): Promise<OutboxRow[]> {
    return this.db.all<{ id: number; partner: string; message: string; txn_id: string; created_ts: number; attempts: number }>(
      'SELECT id, partner, message, txn_id, created_ts, attempts FROM matching_outbox WHERE partner = ? AND sent_ts IS NULL ORDER BY id LIMIT ?', partner, limit,
    ).map((r) => ({ ...r, message: JSON.parse(r.message) as CoordinationMessage }));
  }

  markOutboxSent(id: number, now: number): Promise<void> {
    return this.db.write(() => {
      this.db.run('UPDATE matching_outbox SET sent_ts = ?, attempts = attempts + 1 WHERE id = ?', now, id);
    });
  }

  markOutboxFailed(id: number, error: string, now: number): Promise<void> {
    return this.db.write(() => {
      this.db.run('UPDATE matching_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND sent_ts IS NULL', `${new Date(now).toISOString()} ${error.slice(0, 300)}`, id);
    });
  }
}
