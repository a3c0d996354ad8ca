// A read-only digest of every table of a SQLite database (the homeserver's homeserver.db, the
// bridge's bridge.sqlite): one hash per table over its rows, so that "the request changed nothing"
// can be checked and, when it did change something, the changed tables named. Columns that change
// on any authenticated request by design (last-seen bookkeeping) are left out by name.
import { createHash } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';

/** table → columns left out of the digest (an empty list leaves out the whole table). */
export type IgnoredColumns = Readonly<Record<string, readonly string[]>>;

export type Digest = ReadonlyMap<string, string>;

export class DatabaseDigester {
  private readonly db: DatabaseSync;
  private readonly ignored: IgnoredColumns;

  constructor(file: string, ignored: IgnoredColumns = {}) {
    this.db = new DatabaseSync(file, { readOnly: true });
    this.db.exec('PRAGMA query_only = ON');
    this.ignored = ignored;
  }

  digest(): Digest {
    const out = new Map<string, string>();
    const tables = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    for (const { name } of tables) {
      const skip = this.ignored[name];
      if (skip && skip.length === 0) continue;
      const rows = this.db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all() as Record<string, unknown>[];
      const lines = rows.map((row) => JSON.stringify(Object.entries(row).filter(([c]) => !skip?.includes(c)).map(([c, v]) => [c, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'bigint' ? v.toString() : v])));
      lines.sort();
      const h = createHash('sha256');
      for (const l of lines) h.update(l).update('\n');
      out.set(name, h.digest('hex'));
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}

/** The tables whose digests differ between two readings (added and removed tables included). */
export function changedTables(before: Digest, after: Digest): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}
