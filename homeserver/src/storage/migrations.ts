// Every domain's migrations in the order they apply, and the tables that carry sync stream positions.
// Add a domain's list here once; never reorder or rename released migrations.
import type { Migration } from './database.ts';
import { coreMigrations } from './schema.ts';
import { streamsMigrations } from './streams-store.ts';

export const allMigrations: Migration[] = [
  ...coreMigrations,
  ...streamsMigrations,
];

/** Tables with a `stream_pos` column drawn from the shared StreamCounter. */
export const streamTables: string[] = ['events', 'receipts', 'account_data'];
