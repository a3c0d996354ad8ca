// The homeserver's database is the services' shared SQLite layer.
export * from '../../../server-kit/src/database.ts';
