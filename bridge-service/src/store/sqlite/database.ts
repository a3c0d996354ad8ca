// The bridge's SQLite layer is the services' shared one (group commit, migrations).
export { Database as SqliteDatabase, type Migration, type SqlValue, type WriteTx } from '../../../../server-kit/src/database.ts';
