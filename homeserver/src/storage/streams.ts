// The single stream position shared by every stream /sync reads (events, receipts, account data,
// to-device, device lists, …). One counter means one sync token position covers them all.
import type { Database } from './database.ts';

export class StreamCounter {
  private pos: number;

  /** Starts after the highest position found in `tables` (each has a `stream_pos` column). */
  constructor(db: Database, tables: readonly string[]) {
    let max = 0;
    for (const t of tables) {
      const row = db.get<{ m: number | null }>(`SELECT MAX(stream_pos) AS m FROM ${t}`);
      if (row?.m != null && row.m > max) max = row.m;
    }
    this.pos = max;
  }

  /** Makes sure positions continue after those already in `table` (for modules wired later). */
  includeTable(db: Database, table: string): void {
    const row = db.get<{ m: number | null }>(`SELECT MAX(stream_pos) AS m FROM ${table}`);
    if (row?.m != null && row.m > this.pos) this.pos = row.m;
  }

  /** The highest position handed out (committed or about to be, within the current write). */
  get current(): number {
    return this.pos;
  }

  next(): number {
    return ++this.pos;
  }
}
