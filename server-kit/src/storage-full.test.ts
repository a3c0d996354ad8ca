import { describe, expect, it } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { isStorageFull } from './storage-full.ts';

describe('isStorageFull', () => {
  it('recognises SQLite\'s SQLITE_FULL from a real database that reached its size limit', () => {
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE t (x BLOB)');
    // max_page_count caps the database, the way a full disk does.
    db.exec('PRAGMA max_page_count = 4');
    let err: unknown;
    try {
      for (let i = 0; i < 100; i++) db.prepare('INSERT INTO t VALUES (?)').run(new Uint8Array(4096));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(isStorageFull(err)).toBe(true);
    db.close();
  });

  it('recognises ENOSPC and PostgreSQL\'s disk_full, also as a cause', () => {
    expect(isStorageFull(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))).toBe(true);
    expect(isStorageFull(Object.assign(new Error('could not extend file'), { code: '53100' }))).toBe(true);
    expect(isStorageFull(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ENOSPC' }) }))).toBe(true);
  });

  it('does not take other failures for a full disk', () => {
    const db = new DatabaseSync(':memory:');
    let err: unknown;
    try {
      db.exec('SELECT * FROM missing');
    } catch (e) {
      err = e;
    }
    expect(isStorageFull(err)).toBe(false);
    expect(isStorageFull(new Error('boom'))).toBe(false);
    expect(isStorageFull(null)).toBe(false);
    expect(isStorageFull('ENOSPC')).toBe(false);
    db.close();
  });
});
