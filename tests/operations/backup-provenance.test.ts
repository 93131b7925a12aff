import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { backupFileName } from '../../src/infra/backup/backups.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// Backups you restore are backups you made: an attacker's file copied into the backup folder (an
// unencrypted dump of a database with an admin of their own) is neither `latest` nor restored.

describe('roshni backup restore|verify restores only what Roshni made', () => {
  let clinic: TestDatabase;
  let attacker: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  let planted: string;
  const clock = fixedClock('2026-12-01T03:00:00Z');

  const staff = async () => (await clinic.db.selectFrom('staff_users').select('username').orderBy('username').execute()).map((s) => s.username);

  beforeEach(async () => {
    [clinic, attacker] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    home = mkdtempSync(join(tmpdir(), 'roshni-provenance-'));
    env = { DATABASE_URL: clinic.url, ROSHNI_HOME: home };
    await addStaffUser(systemContext(clinic.db), { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    await addStaffUser(systemContext(attacker.db), { username: 'mallory', fullName: 'Mallory', role: 'admin' });
    // The attacker's own backup, made elsewhere without a passphrase, planted as the newest file in the folder.
    const theirs = await runCli(
      ['backup', 'create', '--json'],
      { DATABASE_URL: attacker.url, ROSHNI_HOME: join(home, 'elsewhere') },
      { clock: fixedClock('2026-12-01T02:30:00Z') },
    );
    expect(theirs.code, theirs.stderr).toBe(0);
    planted = join(home, 'backups', backupFileName('daily', new Date('2026-12-01T02:30:00Z')));
    const ours = await runCli(
      ['backup', 'create', '--type', 'daily', '--json'],
      { ...env, ROSHNI_BACKUP_PASSPHRASE: 'the clinic passphrase' },
      { clock: fixedClock('2026-12-01T02:00:00Z') },
    );
    expect(ours.code, ours.stderr).toBe(0);
    copyFileSync(JSON.parse(theirs.stdout).file, planted);
  });
  afterEach(async () => {
    await Promise.all([clinic?.close(), attacker?.close()]);
    rmSync(home, { recursive: true, force: true });
  });

  it('with a passphrase set: the planted unencrypted file is refused (exit 4, nothing changed); latest is the recorded backup', async () => {
    const secret = { ...env, ROSHNI_BACKUP_PASSPHRASE: 'the clinic passphrase' };
    const restored = await runCli(['backup', 'restore', planted, '--force'], secret, { clock });
    expect(restored.code, restored.stderr).toBe(4);
    expect(restored.stderr).toContain('is not encrypted, and ROSHNI_BACKUP_PASSPHRASE is set');
    expect(restored.stderr).toContain('--allow-unencrypted');
    expect(await staff()).toEqual(['anita.admin']);
    // Vouching that it is unencrypted is not vouching that Roshni made it.
    const unencrypted = await runCli(['backup', 'restore', planted, '--force', '--allow-unencrypted'], secret, { clock });
    expect(unencrypted.code).toBe(4);
    expect(unencrypted.stderr).toContain("is not in this database's backup log");
    expect(await staff()).toEqual(['anita.admin']);
    const verified = await runCli(['backup', 'verify', planted], secret, { clock });
    expect(verified.code).toBe(4);
    expect(verified.stderr).toContain('--allow-unencrypted');

    const latest = await runCli(['backup', 'verify', 'latest', '--json'], secret, { clock });
    expect(latest.code, latest.stderr).toBe(0);
    expect(JSON.parse(latest.stdout).file).not.toBe(planted);
    const back = await runCli(['backup', 'restore', 'latest', '--force'], secret, { clock });
    expect(back.code, back.stderr).toBe(0);
    expect(await staff()).toEqual(['anita.admin']);
  }, 120_000);

  it('without a passphrase: a file the backup log does not record needs --file-from-elsewhere, and says so', async () => {
    const restored = await runCli(['backup', 'restore', planted, '--force'], env, { clock });
    expect(restored.code).toBe(4);
    expect(restored.stderr).toMatch(/not in this database's backup log.*--file-from-elsewhere/s);
    expect(await staff()).toEqual(['anita.admin']);
    const verified = await runCli(['backup', 'verify', planted], env, { clock });
    expect(verified.code).toBe(4);
    expect(verified.stderr).toContain('--file-from-elsewhere');
  }, 120_000);

  it('latest passes over a recorded backup whose file was replaced, and says so', async () => {
    const secret = { ...env, ROSHNI_BACKUP_PASSPHRASE: 'the clinic passphrase' };
    const logged = await clinic.db.selectFrom('backups').select('file_path').executeTakeFirstOrThrow();
    copyFileSync(planted, logged.file_path!);
    const latest = await runCli(['backup', 'restore', 'latest', '--force', '--allow-unencrypted'], secret, { clock });
    expect(latest.code).toBe(4);
    expect(latest.stderr).toContain('its checksum is not the one the backup log recorded');
    expect(latest.stderr).toContain('--file-from-elsewhere');
    expect(await staff()).toEqual(['anita.admin']);
  }, 120_000);
});
