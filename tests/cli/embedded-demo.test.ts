import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.js';

// A newcomer's first commands, with no PostgreSQL server and no DATABASE_URL: the built CLI,
// each command its own process, on the embedded database under ROSHNI_HOME.
// Each command is a new process opening PGlite (about 6 s the first time): give them room on a busy machine.
describe('the embedded database, through the built CLI', { timeout: 90_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'roshni-home-'));
  const env = { ROSHNI_HOME: home };

  it('runs `roshni demo` on a machine with no database server', async () => {
    const { code, stdout, stderr } = await spawnCli(['demo'], env);
    expect(stderr).toContain(`embedded database at ${join(home, 'data')}`);
    expect(code).toBe(0);
    expect(stdout).toContain('Demo clinic loaded');
  });

  it('does not duplicate anything on a second run', async () => {
    const { code, stdout } = await spawnCli(['demo', '--json'], env);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ peopleCreated: false, bookingsCreated: 0, slotsCreated: 0 });
  });

  it('answers later commands from the same data', async () => {
    const status = JSON.parse((await spawnCli(['db', 'status', '--json'], env)).stdout);
    expect(status).toMatchObject({ database: 'embedded', pending: 0 });
    const today = await spawnCli(['today', '--json'], env);
    expect(today.code).toBe(0);
    expect(JSON.parse(today.stdout).timezone).toBe('Asia/Kolkata');
  });

  it('stops with one clear line while another process holds the database', async () => {
    // A live process (this test runner) "owns" the data directory.
    writeFileSync(join(home, 'data.lock'), String(process.pid));
    const { code, stderr } = await spawnCli(['today'], env);
    expect(code).toBe(7);
    expect(stderr.trim()).toBe(
      `roshni: The embedded database is in use by another Roshni process (pid ${process.pid}). ` +
        'Stop that process, or set DATABASE_URL to use a PostgreSQL server.',
    );
  });

  it('clears a lock left behind by a process that died', async () => {
    writeFileSync(join(home, 'data.lock'), '999999');
    expect((await spawnCli(['today'], env)).code).toBe(0);
  });
});
