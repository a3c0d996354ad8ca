import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDatabaseUrl, openBridgeStore, StoreOpenError } from './open.ts';

describe('opening the bridge store', () => {
  it('describes a database URL without its password or parameters', () => {
    expect(describeDatabaseUrl('postgres://bridge:s3cr%40t@db.internal:5432/peerline_bridge?sslmode=require')).toBe('postgres://bridge@db.internal:5432/peerline_bridge');
    expect(describeDatabaseUrl('postgresql://db/x')).toBe('postgresql://db/x');
    expect(describeDatabaseUrl('postgres://[bad')).toBe('a PostgreSQL URL that cannot be parsed');
  });

  it('opens SQLite in the data directory when no URL is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peerline-open-'));
    try {
      const store = await openBridgeStore({ database_url: null, data_dir: dir });
      await store.ping();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the unreachable server but not the password', async () => {
    const err = await openBridgeStore({ database_url: 'postgres://bridge:hunter2@127.0.0.1:9/peerline', data_dir: '/nonexistent' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as Error).message).toMatch(/^cannot open the bridge store at postgres:\/\/bridge@127\.0\.0\.1:9\/peerline: /);
    expect((err as Error).message).not.toContain('hunter2');
  });
});
