import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/domain/demo/demo-clinic.js';
import { spawnCli, type CliResult } from '../support/cli.js';

// A newcomer's first commands, with no PostgreSQL server and no DATABASE_URL: the built CLI,
// each command its own process, on the embedded database under ROSHNI_HOME.
// Each command is a new process opening PGlite (about 6 s the first time): give them room on a busy machine.
describe('the embedded database, through the built CLI', { timeout: 90_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'roshni-home-'));
  const env = { ROSHNI_HOME: home };
  // The newcomer's first commands, which every test below starts from: the demo clinic, loaded once, and
  // `roshni login demo.admin` as its "Try next" says (the session is kept under ROSHNI_HOME).
  let firstDemo: CliResult;
  let signedIn: CliResult;
  beforeAll(async () => {
    firstDemo = await spawnCli(['demo'], env);
    signedIn = await spawnCli(['login', 'demo.admin', '--password-stdin'], env, [], { input: `${DEMO_PASSWORD}\n` });
  });

  it('runs `roshni demo` on a machine with no database server', () => {
    const { code, stdout, stderr } = firstDemo;
    expect(stderr).toContain(`embedded database at ${join(home, 'data')}`);
    expect(code).toBe(0);
    expect(stdout).toContain('Demo clinic loaded');
  });

  it('signs the demo admin in on the embedded database too', () => {
    expect(signedIn.code, signedIn.stderr).toBe(0);
    expect(signedIn.stdout).toContain('Signed in as demo.admin (admin)');
  });

  it('does not duplicate anything on a second run', async () => {
    const { code, stdout, stderr } = await spawnCli(['demo', '--json'], env);
    expect(stderr).not.toContain('roshni:');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ peopleCreated: false, bookingsCreated: 0, slotsCreated: 0 });
  });

  it('answers later commands from the same data', async () => {
    const status = JSON.parse((await spawnCli(['db', 'status', '--json'], env)).stdout);
    expect(status).toMatchObject({ database: 'embedded', pending: 0 });
    const today = await spawnCli(['today', '--json'], env);
    expect(today.code, today.stderr).toBe(0);
    expect(JSON.parse(today.stdout).timezone).toBe('Asia/Kolkata');
  });

  it('stops with one clear line while another process holds the database', async () => {
    // A live process (this test runner) "owns" the data directory, until the test ends.
    writeFileSync(join(home, 'data.lock'), String(process.pid));
    try {
      const { code, stderr } = await spawnCli(['today'], env);
      expect(code).toBe(7);
      expect(stderr.trim()).toBe(
        `roshni: The embedded database is in use by another Roshni process (pid ${process.pid}). ` +
          'Stop that process, or set DATABASE_URL to use a PostgreSQL server.',
      );
    } finally {
      rmSync(join(home, 'data.lock'), { force: true });
    }
  });

  it('clears a lock left behind by a process that died', async () => {
    writeFileSync(join(home, 'data.lock'), '999999');
    const today = await spawnCli(['today'], env);
    expect(today.code, today.stderr).toBe(0);
  });
});
