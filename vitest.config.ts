import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['protocol/src/**/*.test.ts', 'server-kit/src/**/*.test.ts', 'homeserver/src/**/*.test.ts', 'bridge-service/src/**/*.test.ts', 'web-client/src/**/*.test.ts', 'synapse-config/src/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests start real processes; two files at a time keeps the 2-core machine responsive.
    maxWorkers: 2,
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
  },
});
