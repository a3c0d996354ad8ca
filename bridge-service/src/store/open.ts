// Opens the store the bridge's configuration names: PostgreSQL when a database URL is set (several
// bridge replicas may share it), else SQLite in the data directory (one bridge process). Connection
// problems are reported with the server and database named and the password left out.
import type { BridgeConfig } from '../config.ts';
import type { Store } from './store.ts';
import { openDataDirStore } from './sqlite/index.ts';
import { openPostgresStore } from './postgres/index.ts';

export class StoreOpenError extends Error {}

/** `postgres://user:secret@host:5432/db?x=y` → `postgres://user@host:5432/db` (for messages and logs). */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `${u.protocol}//${user}${u.host}${u.pathname}`;
  } catch {
    return 'a PostgreSQL URL that cannot be parsed';
  }
}

/** Which backend a config selects, for the ready line and /metrics labels. */
export function storeKind(cfg: Pick<BridgeConfig, 'database_url'>): 'postgresql' | 'sqlite' {
  return cfg.database_url ? 'postgresql' : 'sqlite';
}

/** `replicaSignals`: listen for other replicas' wake-ups (the bridge process; tools need not). */
export async function openBridgeStore(cfg: Pick<BridgeConfig, 'database_url' | 'data_dir'>, opts: { maxConnections?: number; replicaSignals?: boolean } = {}): Promise<Store> {
  if (!cfg.database_url) return openDataDirStore(cfg.data_dir);
  try {
    return await openPostgresStore(cfg.database_url, opts);
  } catch (e) {
    // pg's messages name the host or the role, never the password; the URL itself is not repeated.
    throw new StoreOpenError(`cannot open the bridge store at ${describeDatabaseUrl(cfg.database_url)}: ${(e as Error).message}`);
  }
}
