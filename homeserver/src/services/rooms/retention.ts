// Message retention (m.room.retention, Synapse's MSC1763 support): events older than a room's
// max_lifetime lose their content, as a redaction would, on a periodic job. The event graph stays
// intact (hashes and signatures still verify), but the ciphertext is gone from the database.
import type { Database } from '../../storage/database.ts';
import type { Pdu, RoomVersion } from '../../core/pdu.ts';
import { redactEvent } from '../../core/redaction.ts';
import type { RoomCache } from './room-cache.ts';
import type { Clock } from '../users/accounts.ts';
import type { Logger } from '../../logger.ts';

/** Events pruned per room and run: a large backlog is worked through over several runs. */
const BATCH = 500;

export class RetentionService {
  private readonly db: Database;
  private readonly cache: RoomCache;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | null = null;

  constructor(o: { db: Database; cache: RoomCache; clock: Clock; logger: Logger }) {
    this.db = o.db;
    this.cache = o.cache;
    this.clock = o.clock;
    this.logger = o.logger;
  }

  /** Rooms with a retention policy and their max_lifetime in ms. */
  private roomsWithRetention(): { room_id: string; max_lifetime: number; room_version: string }[] {
    return this.db.all<{ room_id: string; max_lifetime: number; room_version: string }>(
      `SELECT c.room_id, json_extract(e.json, '$.content.max_lifetime') AS max_lifetime, r.room_version
       FROM current_state c JOIN events e ON e.event_id = c.event_id JOIN rooms r ON r.room_id = c.room_id
       WHERE c.type = 'm.room.retention' AND c.state_key = ''`,
    ).filter((r) => Number.isInteger(r.max_lifetime) && r.max_lifetime > 0);
  }

  /** Prunes what is due now; returns how many events lost their content. */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    let pruned = 0;
    for (const room of this.roomsWithRetention()) {
      pruned += await this.db.write(() => {
        const rows = this.db.all<{ event_id: string; json: string }>(
          `SELECT event_id, json FROM events WHERE room_id = ? AND state_key IS NULL AND redacted_by IS NULL
             AND origin_server_ts < ? LIMIT ?`,
          room.room_id, now - room.max_lifetime, BATCH,
        );
        for (const r of rows) {
          const redacted = redactEvent(JSON.parse(r.json) as Pdu, room.room_version as RoomVersion);
          this.db.run("UPDATE events SET json = ?, redacted_by = 'retention' WHERE event_id = ?", JSON.stringify(redacted), r.event_id);
          this.cache.forgetEvent(r.event_id);
        }
        return rows.length;
      });
    }
    if (pruned > 0) this.logger.info('retention pruned events', { events: pruned });
    return pruned;
  }

  start(intervalMs: number): void {
    const tick = (): void => {
      this.runOnce().catch((e: unknown) => this.logger.error('retention run failed', { error: (e as Error).message })).finally(() => {
        if (this.timer) this.timer = setTimeout(tick, intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
