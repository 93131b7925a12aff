import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../../src/infra/db/database.js';
import { embeddedServerStatus } from '../../src/infra/db/embedded-server.js';
import { spawnCli } from '../support/cli.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';
import { startRoshni, stopRoshni } from '../support/running-start.js';
import { waitFor } from '../support/wait.js';

// `roshni start` on the embedded default, as its own process: a server that dies under it is started
// again by start itself (no command run meanwhile), while one stopped with `roshni db stop` stays stopped.
// Nothing here reads the clock: the signals are the server's state and start's own log.
describe('the embedded server under a running `roshni start`', { timeout: 120_000 }, () => {
  const home = makeEmbeddedHome();
  const env = { ROSHNI_HOME: home };
  const start = startRoshni(env);
  const occurrences = (text: string, output = start.output()) => output.split(text).length - 1;
  const BACK = 'dispatcher: the database is back';

  beforeAll(() => start.running(90_000));
  afterAll(async () => {
    await stopRoshni(start);
    await removeEmbeddedHome(home);
  });

  it('starts a killed server again by itself, and its dispatcher works on', async () => {
    const before = await embeddedServerStatus(home);
    expect(before.state).toBe('running');
    const postmaster = Number(readFileSync(join(home, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');

    await start.until((output) => output.includes('started it again'), 60_000, 'start starting the server again');
    expect(start.output()).toContain('The embedded database had stopped (crashed or killed): started it again.');
    const after = await embeddedServerStatus(home);
    expect(after.state).toBe('running');
    expect(after.pid).not.toBe(postmaster);
    // start's dispatcher claims from the outbox again, on the new server (only start queries it).
    const owner = await openEmbedded(home);
    try {
      const dispatcherClaims = async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*) AS n FROM pg_stat_activity
          WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND query ILIKE '%notifications%'`.execute(owner.db);
        return rows[0]!.n > 0;
      };
      await waitFor(dispatcherClaims, 30_000, 'start’s dispatcher claiming on the new server', 100);
    } finally {
      await owner.close();
    }
  });

  it('leaves a server stopped with `roshni db stop` stopped, until `roshni db start`', async () => {
    const stopped = await spawnCli(['db', 'stop', '--json'], env);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ stopped: true });
    const marker = join(home, 'pg', 'stopped-by-hand');
    expect(statSync(marker).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({ by: 'roshni db stop', pid: expect.any(Number) });

    // The dispatcher tries every second: a few seconds is several attempts, each refused.
    await start.until((output) => output.includes('was stopped with `roshni db stop`'), 10_000, 'start saying the database was stopped by hand');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect((await embeddedServerStatus(home)).state).toBe('stopped');
    expect(occurrences(BACK)).toBe(0);

    const started = await spawnCli(['db', 'start', '--json'], env);
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ started: true, pid: expect.any(Number) });
    expect(() => statSync(marker)).toThrow();
    await start.until((output) => occurrences(BACK, output) === 1, 30_000, 'start’s dispatcher back after `roshni db start`');
    expect((await stopRoshni(start)).code, start.output()).toBe(0);
  });
});
