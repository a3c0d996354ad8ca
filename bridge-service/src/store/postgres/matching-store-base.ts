// The rooms-and-coordination half of the PostgreSQL matching store: the rooms the bot made (with
// their purge-after time), support groups, partner links and the coordination outbox, plus what every
// transition shares — writing its outbox rows and audit facts in its own transaction.
import { randomBytes } from 'node:crypto';
import type { Effects, GroupRow, OutboxDraft, OutboxRow, PartnerLinkRow, RoomRow } from '../matching-store.ts';
import type { AvailabilityContent } from '../../../../protocol/src/coordination.ts';
import type { PgDatabase, PgQueryable } from './database.ts';
import type { PgAuditStore } from './audit-store.ts';
import type { LinkDbRow, RoomDbRow } from './matching-schema.ts';

export class PgMatchingBase {
  protected readonly db: PgDatabase;
  protected readonly audit: PgAuditStore;

  constructor(db: PgDatabase, audit: PgAuditStore) {
    this.db = db;
    this.audit = audit;
  }

  /** Inside a transaction: the outbox rows and audit facts of a transition. */
  protected async effects(q: PgQueryable, fx: Effects | undefined, now: number): Promise<void> {
    if (!fx) return;
    await this.insertOutbox(q, fx.outbox ?? [], now);
    for (const f of fx.facts ?? []) await this.audit.appendInTx(q, f, now);
  }

  protected async insertOutbox(q: PgQueryable, drafts: readonly OutboxDraft[], now: number): Promise<void> {
    for (const d of drafts) {
      await q.execute('INSERT INTO matching_outbox (partner, message, txn_id, created_ts) VALUES ($1, $2, $3, $4)',
        [d.partner, JSON.stringify(d.message), `plc-${now}-${randomBytes(9).toString('base64url')}`, now]);
    }
  }

  // ── rooms and groups ──

  protected async insertRoom(q: PgQueryable, r: RoomRow): Promise<void> {
    await q.execute(
      `INSERT INTO matching_rooms (room_id, kind, ref_id, institutions, created_ts, purge_after_ts, purged_ts) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (room_id) DO UPDATE SET kind = excluded.kind, ref_id = excluded.ref_id, institutions = excluded.institutions,
         created_ts = excluded.created_ts, purge_after_ts = excluded.purge_after_ts, purged_ts = excluded.purged_ts`,
      [r.room_id, r.kind, r.ref_id, JSON.stringify(r.institutions), r.created_ts, r.purge_after_ts, r.purged_ts],
    );
  }

  async room(roomId: string): Promise<RoomRow | undefined> {
    return (await this.db.query<RoomDbRow>('SELECT * FROM matching_rooms WHERE room_id = $1', [roomId]))[0];
  }

  roomsDue(now: number, limit: number): Promise<RoomRow[]> {
    return this.db.query<RoomDbRow>('SELECT * FROM matching_rooms WHERE purged_ts IS NULL AND purge_after_ts <= $1 ORDER BY purge_after_ts LIMIT $2', [now, limit]);
  }

  markPurged(roomId: string, now: number, fx?: Effects): Promise<boolean> {
    return this.db.tx(async (q) => {
      const changes = await q.execute('UPDATE matching_rooms SET purged_ts = $1 WHERE room_id = $2 AND purged_ts IS NULL', [now, roomId]);
      if (changes > 0) {
        await q.execute('UPDATE matching_groups SET closed_ts = $1 WHERE room_id = $2 AND closed_ts IS NULL', [now, roomId]);
        await this.effects(q, fx, now);
      }
      return changes > 0;
    });
  }

  insertGroup(g: GroupRow, room: RoomRow, fx?: Effects): Promise<void> {
    return this.db.tx(async (q) => {
      await q.execute('INSERT INTO matching_groups (id, topic, name, audience, room_id, created_by, created_ts, closed_ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [g.id, g.topic, g.name, g.audience, g.room_id, g.created_by, g.created_ts, g.closed_ts]);
      await this.insertRoom(q, room);
      await this.effects(q, fx, g.created_ts);
    });
  }

  async group(id: string): Promise<GroupRow | undefined> {
    return (await this.db.query<GroupRow>('SELECT * FROM matching_groups WHERE id = $1', [id]))[0];
  }

  groups(): Promise<GroupRow[]> {
    return this.db.query<GroupRow>('SELECT * FROM matching_groups WHERE closed_ts IS NULL ORDER BY created_ts, id');
  }

  recordGroupJoin(groupId: string, userId: string, now: number, fx?: Effects): Promise<void> {
    return this.db.tx(async (q) => {
      const changes = await q.execute('INSERT INTO matching_group_joins (group_id, user_id, ts) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [groupId, userId, now]);
      if (changes > 0) await this.effects(q, fx, now);
    });
  }

  // ── partner coordination ──

  links(): Promise<PartnerLinkRow[]> {
    return this.db.query<LinkDbRow>('SELECT * FROM matching_partner_links ORDER BY partner');
  }

  async link(partner: string): Promise<PartnerLinkRow | undefined> {
    return (await this.db.query<LinkDbRow>('SELECT * FROM matching_partner_links WHERE partner = $1', [partner]))[0];
  }

  async linkByRoom(roomId: string): Promise<PartnerLinkRow | undefined> {
    return (await this.db.query<LinkDbRow>('SELECT * FROM matching_partner_links WHERE room_id = $1 LIMIT 1', [roomId]))[0];
  }

  async putLink(row: Omit<PartnerLinkRow, 'availability' | 'availability_ts'>): Promise<void> {
    await this.db.execute(
      `INSERT INTO matching_partner_links (partner, room_id, status, created_by_us, updated_ts) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (partner) DO UPDATE SET room_id = excluded.room_id, status = excluded.status, created_by_us = excluded.created_by_us,
         updated_ts = excluded.updated_ts,
         availability = CASE WHEN matching_partner_links.room_id = excluded.room_id THEN matching_partner_links.availability END,
         availability_ts = CASE WHEN matching_partner_links.room_id = excluded.room_id THEN matching_partner_links.availability_ts END`,
      [row.partner, row.room_id, row.status, row.created_by_us, row.updated_ts],
    );
  }

  async setPartnerAvailability(partner: string, content: AvailabilityContent, now: number): Promise<void> {
    await this.db.execute('UPDATE matching_partner_links SET availability = $1, availability_ts = $2 WHERE partner = $3', [JSON.stringify(content), now, partner]);
  }

  enqueue(drafts: OutboxDraft[], now: number): Promise<void> {
    return this.db.tx((q) => this.insertOutbox(q, drafts, now));
  }

  pendingOutbox(partner: string, limit: number): Promise<OutboxRow[]> {
    return this.db.query<OutboxRow>(
      'SELECT id, partner, message, txn_id, created_ts, attempts FROM matching_outbox WHERE partner = $1 AND sent_ts IS NULL ORDER BY id LIMIT $2', [partner, limit],
    );
  }

  async markOutboxSent(id: number, now: number): Promise<void> {
    await this.db.execute('UPDATE matching_outbox SET sent_ts = $1, attempts = attempts + 1 WHERE id = $2', [now, id]);
  }

  async markOutboxFailed(id: number, error: string, now: number): Promise<void> {
    await this.db.execute('UPDATE matching_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2 AND sent_ts IS NULL',
      [`${new Date(now).toISOString()} ${error.slice(0, 300)}`, id]);
  }
}
