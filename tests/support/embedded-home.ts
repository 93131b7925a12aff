import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { stopEmbeddedServer } from '../../src/infra/db/embedded-server.js';

// A test's ROSHNI_HOME for the embedded default. Its PostgreSQL server is left running by the commands
// (as for a clinic), so each test stops it when done (removeEmbeddedHome), and the global teardown
// stops any left by a test that died before (stopLeftoverEmbeddedServers). The homes of one run share a
// directory of their own: a run stops its own servers, never those of another run on the machine.

export function makeEmbeddedHomesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'roshni-test-homes-'));
  chmodSync(dir, 0o711); // as root, the server runs as 'postgres', who must pass through to each home
  return dir;
}

export function makeEmbeddedHome(): string {
  return mkdtempSync(join(inject('embeddedHomesDir'), 'home-'));
}

export async function removeEmbeddedHome(home: string): Promise<void> {
  await stopEmbeddedServer(home).catch(() => {});
  rmSync(home, { recursive: true, force: true });
}

/** Stops every embedded server still running under the run's homes, and removes them. */
export async function stopLeftoverEmbeddedServers(homesDir: string): Promise<void> {
  const homes = readdirSync(homesDir).map((name) => join(homesDir, name));
  await Promise.all(homes.filter((home) => existsSync(join(home, 'pg', 'data', 'postmaster.pid'))).map((home) => stopEmbeddedServer(home).catch(() => {})));
  rmSync(homesDir, { recursive: true, force: true });
}
