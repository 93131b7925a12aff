import { basename } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/infra/clock.js';
import { createBackup, verifyBackup } from '../../src/infra/backup/backups.js';
import { loadConfig } from '../../src/infra/config.js';
import { openEmbedded } from '../../src/infra/db/database.js';
import { SERVICE_ROLE } from '../../src/infra/db/row-security.js';
import { runCli } from '../support/cli.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';

const PASSWORD = 'sunrise admin password';

describe('roshni backup on the embedded database', () => {
  const homes: string[] = [];
  const newHome = () => {
    const home = makeEmbeddedHome();
    homes.push(home);
    return home;
  };
  // Every embedded server the tests started is stopped.
  afterAll(() => Promise.all(homes.map(removeEmbeddedHome)));

  // A guard against a hang, not a bound on speed: generous for a loaded two-core machine running three files at a time.
  it('backs up the embedded server, verifies the backup on a scratch server and restores it into another home', async () => {
    const home = newHome();
    const env = { ROSHNI_HOME: home, ROSHNI_BACKUP_PASSPHRASE: 'a long enough passphrase' };
    const init = await runCli(['init', '--name', 'Sunrise Child Therapy', '--admin', 'anita.admin', '--admin-name', 'Anita Rao', '--password-stdin'], env, {
      input: `${PASSWORD}\n`,
    });
    expect(init.code, init.stderr).toBe(0);
    const created = await runCli(['backup', 'create', '--type', 'daily', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout);
    expect(made.encrypted).toBe(true);
    expect(made.tables.clinic_settings).toBe(1);

    const verified = await runCli(['backup', 'verify', 'latest', '--json'], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout).ok).toBe(true);

    const elsewhere = { ...env, ROSHNI_HOME: newHome() };
    // A new home has no backup log to say the file is Roshni's: whoever restores says so.
    const unvouched = await runCli(['backup', 'restore', made.file], elsewhere);
    expect(unvouched.code).toBe(4);
    expect(unvouched.stderr).toContain('--file-from-elsewhere');
    const restored = await runCli(['backup', 'restore', made.file, '--file-from-elsewhere'], elsewhere);
    expect(restored.code, restored.stderr).toBe(0);
    // The restored home has the clinic's admin and her password: she signs in there, and only then changes it.
    expect((await runCli(['init', '--upi-vpa', 'sunrise@okaxis'], elsewhere)).code).toBe(9);
    const signedIn = await runCli(['login', 'anita.admin', '--password-stdin'], elsewhere, { input: `${PASSWORD}\n` });
    expect(signedIn.code, signedIn.stderr).toBe(0);
    const status = await runCli(['init', '--upi-vpa', 'sunrise@okaxis', '--json'], elsewhere);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).settings.name).toBe('Sunrise Child Therapy');
    // The backup was taken while its log row said "running"; restored, it says completed.
    const listed = JSON.parse((await runCli(['backup', 'list', '--json'], elsewhere)).stdout);
    expect(listed).toEqual([expect.objectContaining({ id: made.id, kind: 'daily', state: 'completed' })]);

    // Verified there, the backup stays verified across a restore of it (issue 20, item 7).
    expect((await runCli(['backup', 'verify', made.file], elsewhere)).code).toBe(0);
    // Now the restored home has data: a second restore needs --force.
    const refused = await runCli(['backup', 'restore', made.file], elsewhere);
    expect(refused.code).toBe(4);
    const forced = await runCli(['backup', 'restore', made.file, '--force'], elsewhere);
    expect(forced.code, forced.stderr).toBe(0);
    // Anita is signed in there (`roshni login`'s file): the restore is audited as hers, and health shows it.
    expect(forced.stdout).toContain('as restored by anita.admin.');
    const health = JSON.parse((await runCli(['health', '--json'], elsewhere)).stdout) as { checks: Array<{ name: string; detail: string }> };
    expect(health.checks.find((c) => c.name === 'verified-backup')!.detail).not.toContain('no backup verified yet');
    expect(health.checks.find((c) => c.name === 'backup')!.detail).toContain(`${basename(made.file)}, by anita.admin`);
    const after = await openEmbedded(elsewhere.ROSHNI_HOME);
    try {
      const row = await after.db.selectFrom('backups').select(['verified_at', 'verify_result']).where('id', '=', made.id).executeTakeFirstOrThrow();
      expect(row.verified_at).not.toBeNull();
      expect(row.verify_result).toMatchObject({ ok: true });
      const entry = await after.db
        .selectFrom('audit_log as a')
        .innerJoin('staff_users as u', 'u.id', 'a.actor_id')
        .select(['u.username', 'a.meta'])
        .where('a.action', '=', 'backup.restore')
        .executeTakeFirstOrThrow();
      expect(entry).toMatchObject({
        username: 'anita.admin',
        meta: expect.objectContaining({ file: basename(made.file), sha256: made.sha256, database: 'embedded' }),
      });
    } finally {
      await after.close();
    }
  }, 300_000);

  it('inside roshni start, with others writing meanwhile, the backup holds exactly what its manifest counted', async () => {
    // At 02:00 the daily backup fires with the minute's jobs (each writes its job_runs row), the
    // dispatcher and the bots: all on roshni start's pool, as its step-down role.
    const home = newHome();
    const config = loadConfig({ ROSHNI_HOME: home }, '/nonexistent/.env');
    const database = await openEmbedded(home, { role: SERVICE_ROLE });
    let writing = true;
    let written = 0;
    // Three writers, each giving the event loop a turn between its inserts (as real ones do).
    const writer = Promise.all(
      [1, 2, 3].map(async (n) => {
        for (let i = 0; writing; i++) {
          await database.db
            .insertInto('job_runs')
            .values({ job_name: `busy-${n}`, window_key: `w${i}`, instance_id: 'other' })
            .execute();
          written += 1;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    try {
      for (const deadline = Date.now() + 10_000; written < 5 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(written).toBeGreaterThanOrEqual(5);
      const made = await createBackup(database, config, { kind: 'daily', clock: systemClock });
      writing = false;
      await writer;
      expect(written).toBeGreaterThan(made.tables.job_runs!);
      const verified = await verifyBackup(made.file, config, systemClock, { db: database.db, trust: { allowUnencrypted: false, fileFromElsewhere: false } });
      expect(verified.problem).toBeNull();
      expect(verified.ok).toBe(true);
    } finally {
      writing = false;
      await writer.catch(() => {});
      await database.close();
    }
  }, 300_000);
});
