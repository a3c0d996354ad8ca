// The bridge logs through the services' shared JSON-lines logger.
export * from '../../server-kit/src/logger.ts';
