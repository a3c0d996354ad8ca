// Recognises "the disk is full" among storage failures — SQLite's SQLITE_FULL, PostgreSQL's
// disk_full (53100) or ENOSPC from a file write — so that the services answer with a clear,
// retryable error naming storage instead of a generic 500. Nothing was saved when this happens:
// the write's transaction rolled back, and the same request can simply be sent again later.
export const STORAGE_FULL_STATUS = 507;

export const STORAGE_FULL_BODY = {
  errcode: 'M_UNKNOWN',
  error: 'The server\'s storage is full, so nothing was saved; try again later',
} as const;

const SQLITE_FULL = 13;

export function isStorageFull(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur !== null && typeof cur === 'object' && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const x = cur as { code?: unknown; errcode?: unknown };
    if (x.code === 'ENOSPC' || x.code === '53100') return true;
    // node:sqlite reports the (possibly extended) result code as `errcode`; the primary code is its low byte.
    if (x.code === 'ERR_SQLITE_ERROR' && typeof x.errcode === 'number' && (x.errcode & 0xff) === SQLITE_FULL) return true;
  }
  return false;
}
