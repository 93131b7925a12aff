import { accessSync, constants } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres } from '../../src/infra/db/throwaway-postgres.js';
import { makeEmbeddedHomesDir, stopLeftoverEmbeddedServers } from './embedded-home.js';
import { createTemplateDatabase, dropDatabase, TEMPLATE_DATABASE } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the PostgreSQL server the tests create their databases on. */
    databaseServerUrl: string;
    /** Where this run's embedded homes go (tests/support/embedded-home.ts). */
    embeddedHomesDir: string;
  }
}

// Runs once per `vitest run`: a real PostgreSQL (TEST_DATABASE_URL, or a throwaway server)
// holding a migrated template database that each test file copies.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.TEST_DATABASE_URL;
  const server = external
    ? undefined
    : await startThrowawayPostgres({
        log: (line) => console.log(`[throwaway-postgres] ${line}`),
        parentDir: memoryBackedDirectory(),
      });
  const serverUrl = external ?? server!.url;
  try {
    await createTemplateDatabase(serverUrl);
  } catch (error) {
    await server?.stop();
    throw error;
  }
  project.provide('databaseServerUrl', serverUrl);
  const embeddedHomesDir = makeEmbeddedHomesDir();
  project.provide('embeddedHomesDir', embeddedHomesDir);
  return async () => {
    await stopLeftoverEmbeddedServers(embeddedHomesDir);
    if (external) await dropDatabase(serverUrl, TEMPLATE_DATABASE);
    await server?.stop();
  };
}

/**
 * Each test copies the template database and drops it again: thousands of files created and deleted a
 * run, which on ext4 cost more system time than the queries (its inode allocator skips recently freed
 * inodes). Linux's /dev/shm keeps them in memory.
 */
function memoryBackedDirectory(): string | undefined {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
}
