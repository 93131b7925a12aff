import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    pool: 'forks',
    // Test files mostly wait on PostgreSQL, so even a 2-core machine runs two at a time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    // The embedded PGlite takes several seconds to start the first time.
    hookTimeout: 90_000,
  },
});
