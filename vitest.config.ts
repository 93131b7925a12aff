import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    pool: 'forks',
    // Test files spend a third of their time waiting (on PostgreSQL, fakes, timers): one more file
    // than cores keeps both cores busy (2 cores: 236 s with two files at a time, 219 s with three).
    maxWorkers: availableParallelism() + 1,
    // Files share their worker's module cache: a fresh one per file cost a fifth of the run. Tests
    // keep no state in modules (each opens its own clinic), and each file still runs alone.
    isolate: false,
    testTimeout: 30_000,
    // The embedded PostgreSQL server takes seconds to create (initdb) the first time.
    hookTimeout: 90_000,
  },
});
