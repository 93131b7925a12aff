import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreBackup } from '../../src/infra/backup/restore.js';
import { fixedClock } from '../../src/infra/clock.js';
import { loadConfig } from '../../src/infra/config.js';
import { openEmbedded } from '../../src/infra/db/database.js';
import { embeddedServerStatus } from '../../src/infra/db/embedded-server.js';
import { spawnCli } from '../support/cli.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';
import { spawnTypeScript } from '../support/run-typescript.js';

// The embedded default's backups through the built CLI (npm run build first), on a home made by
// `roshni demo`: PostgreSQL base backups of the embedded server, taken while another process books and
// cancels, verified on a scratch server and restored. The clock of every process is pinned.

const NOW = '2026-11-16T04:30:00.000Z'; // a Monday, 10:00 at the clinic
const pinned = ['--import', fileURLToPath(new URL('../support/pinned-date.mjs', import.meta.url))];
const bookingLoop = new URL('../support/embedded-booking-loop.ts', import.meta.url);

describe('embedded backups through the CLI, on the demo clinic', () => {
  const home = makeEmbeddedHome();
  const env = { ROSHNI_HOME: home, ROSHNI_TEST_NOW: NOW, ROSHNI_BACKUP_PASSPHRASE: 'a long enough passphrase' };
  const cli = (argv: string[], extra: Record<string, string> = {}) => spawnCli(argv, { ...env, ...extra }, pinned);
  let made: { file: string; sha256: string; tables: Record<string, number> };

  const countsNow = async (): Promise<Record<string, number>> => {
    const database = await openEmbedded(home);
    try {
      const { rows } = await sql<{ appointments: number; audit_log: number; notifications: number }>`
        SELECT (SELECT count(*) FROM appointments)::int AS appointments, (SELECT count(*) FROM audit_log)::int AS audit_log,
               (SELECT count(*) FROM notifications)::int AS notifications`.execute(database.db);
      return rows[0]!;
    } finally {
      await database.close();
    }
  };

  beforeAll(async () => {
    const demo = await cli(['demo']);
    expect(demo.code, demo.stderr).toBe(0);
  }, 300_000);
  afterAll(() => removeEmbeddedHome(home));

  it('a backup taken while another process books and cancels verifies with exact counts, and restores', async () => {
    const writer = spawnTypeScript(bookingLoop, [home, NOW]);
    let writes = 0;
    let failure = '';
    writer.stdout.on(
      'data',
      (chunk: Buffer) =>
        (writes += chunk
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('write')).length),
    );
    writer.stderr.on('data', (chunk: Buffer) => (failure += chunk.toString()));
    try {
      for (const deadline = Date.now() + 60_000; writes < 4 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(writes, failure).toBeGreaterThanOrEqual(4);
      const before = writes;
      const created = await cli(['backup', 'create', '--type', 'daily', '--json']);
      expect(created.code, created.stderr).toBe(0);
      expect(writes - before, 'the writer kept writing while the backup ran').toBeGreaterThan(0);
      made = JSON.parse(created.stdout);
      expect(made).toMatchObject({ encrypted: true, kind: 'daily' });
    } finally {
      writer.kill();
    }
    await new Promise((resolve) => writer.once('close', resolve));
    expect(failure).toBe('');
    expect((await countsNow()).appointments).toBeGreaterThan(made.tables.appointments!);

    // By name: each process's pinned clock starts at NOW when it starts, so to the next one the backup is a few seconds ahead (never `latest`).
    const verified = await cli(['backup', 'verify', made.file, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    const result = JSON.parse(verified.stdout);
    expect(result.ok).toBe(true);
    expect(result.tables.filter((t: { expected: number; actual: number }) => t.actual !== t.expected)).toEqual([]);
    expect(result.checksums.length).toBeGreaterThan(0);

    const restored = await cli(['backup', 'restore', made.file, '--force']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain('bots, `roshni start` and desks are disconnected');
    const after = await countsNow();
    expect(after).toEqual({ appointments: made.tables.appointments, audit_log: made.tables.audit_log! + 1, notifications: made.tables.notifications });
    // The data directory it replaced is kept beside the restored one; no scratch directory is left.
    const kept = readdirSync(join(home, 'pg')).filter((name) => name.startsWith('data.'));
    expect(kept).toEqual([expect.stringMatching(/^data\.before-restore-\d{8}T\d{9}Z$/)]);
    expect(readdirSync(home).filter((name) => name.startsWith('verify-') || name.startsWith('backup-spool-'))).toEqual([]);
  }, 600_000);

  it('refuses a damaged file, and one whose checksum was made again over altered contents', async () => {
    const damaged = join(home, 'backups', 'roshni-manual-20261116T040000000Z.backup');
    const bytes = readFileSync(made.file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(damaged, bytes);
    const refused = await cli(['backup', 'restore', damaged, '--force', '--file-from-elsewhere']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('damaged');

    // Unencrypted, altered, and given a new checksum: the sha256 passes; the archive does not.
    const plain = await cli(['backup', 'create', '--json'], { ROSHNI_BACKUP_PASSPHRASE: '' });
    expect(plain.code, plain.stderr).toBe(0);
    const file = JSON.parse(plain.stdout).file as string;
    const content = readFileSync(file);
    const body = content.subarray(0, content.length - '\nsha256 '.length - 65);
    const headerEnd = body.indexOf(0x0a, 16) + 1;
    for (let i = headerEnd + 2000; i < headerEnd + 2100; i++) body[i] = 0x55;
    const forged = join(home, 'backups', 'roshni-manual-20261116T040100000Z.backup');
    writeFileSync(forged, Buffer.concat([body, Buffer.from(`\nsha256 ${createHash('sha256').update(body).digest('hex')}\n`)]));
    const verified = await cli(['backup', 'verify', forged, '--file-from-elsewhere', '--allow-unencrypted', '--json']);
    expect(verified.code).toBe(1);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: false, problem: expect.stringContaining('contents cannot be read') });
    expect(readdirSync(home).filter((name) => name.startsWith('verify-'))).toEqual([]);
  }, 300_000);

  it('a restore whose restored data will not start puts the replaced data directory back and starts it', async () => {
    const copy = join(home, 'backups', 'roshni-manual-20261116T040200000Z.backup');
    copyFileSync(made.file, copy);
    const marker = await openEmbedded(home);
    try {
      await marker.db.insertInto('job_runs').values({ job_name: 'made-after-the-backup', window_key: 'w', instance_id: 'test' }).execute();
    } finally {
      await marker.close();
    }
    const config = loadConfig({ ROSHNI_HOME: home, ROSHNI_BACKUP_PASSPHRASE: env.ROSHNI_BACKUP_PASSPHRASE }, '/nonexistent/.env');
    const progress: string[] = [];
    const restoring = restoreBackup(copy, config, {
      force: true,
      trust: { allowUnencrypted: false, fileFromElsewhere: true },
      progress: (line) => progress.push(line),
      clock: fixedClock(new Date(NOW)),
      faultAfterSwap: () => {
        throw new Error('injected: the restored data would not start');
      },
    });
    await expect(restoring).rejects.toMatchObject({
      name: 'RestoreRolledBackError',
      message: expect.stringContaining('the replaced data directory was put back'),
    });
    expect(progress).toContain('The restored data did not start: putting the replaced data directory back…');
    expect((await embeddedServerStatus(home)).state).toBe('running');
    const after = await openEmbedded(home);
    try {
      const row = await after.db.selectFrom('job_runs').select('job_name').where('job_name', '=', 'made-after-the-backup').executeTakeFirst();
      expect(row).toBeDefined();
    } finally {
      await after.close();
    }
    const left = readdirSync(join(home, 'pg')).filter((name) => name.startsWith('data.'));
    expect(left.filter((name) => name.startsWith('data.restoring-'))).toEqual([]);
    expect(existsSync(join(home, 'pg', 'data', 'PG_VERSION'))).toBe(true);
  }, 300_000);
});
