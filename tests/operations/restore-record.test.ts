import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

// Issue 20, item 7: a restore forgets nothing it should keep (the backup log's verifications and newer
// backups), and is itself recorded: in the audit log (who, which file, its checksum) and in `roshni health`.
describe('roshni backup restore is recorded (PostgreSQL)', () => {
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-restore-record-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    await seedClinic(systemContext(database.db), { days: 2 });
    await addStaffUser(systemContext(database.db), { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
  });
  afterEach(async () => {
    await database.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps verifications and newer backups across a restore, audits it with who, file and checksum, and health shows it', async () => {
    const first = await runCli(['backup', 'create', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const older = JSON.parse(first.stdout) as { id: number; file: string; sha256: string };
    const verified = await runCli(['backup', 'verify', older.file], env);
    expect(verified.code, verified.stderr).toBe(0);
    const second = await runCli(['backup', 'create', '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    const newer = JSON.parse(second.stdout) as { id: number; file: string };

    // Anita, signed in on this machine, restores the older backup (made before its own verification and the newer backup).
    const anita = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    const restored = await runCli(['backup', 'restore', older.file, '--force'], anita);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/Recorded in the audit log \(entry \d+\) as restored by anita\.admin\./);
    expect(restored.stdout).toContain('1 verification(s) and 1 backup(s) made after it');

    // The restore ended every session (the backup's own): Anita signs in again.
    const again = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    const listed = JSON.parse((await runCli(['backup', 'list', '--json'], again)).stdout) as Array<{
      id: number;
      state: string;
      verifiedAt: string | null;
      verifyOk: boolean | null;
    }>;
    expect(listed.find((b) => b.id === older.id)).toMatchObject({ state: 'completed', verifyOk: true, verifiedAt: expect.any(String) });
    expect(listed.find((b) => b.id === newer.id)).toMatchObject({ state: 'completed' });

    const health = JSON.parse((await runCli(['health', '--json'], env)).stdout) as { checks: Array<{ name: string; status: string; detail: string }> };
    const verifiedCheck = health.checks.find((c) => c.name === 'verified-backup')!;
    expect(verifiedCheck.detail).not.toContain('no backup verified yet');
    expect(verifiedCheck.status).toBe('ok');
    expect(health.checks.find((c) => c.name === 'backup')!.detail).toMatch(
      new RegExp(`last restore 0 h ago \\(.* UTC\\): ${basename(older.file).replace(/\./g, '\\.')}, by anita\\.admin$`),
    );

    const audit = JSON.parse((await runCli(['audit', '--json'], again)).stdout) as Array<{
      action: string;
      actorUsername: string | null;
      entityId: string | null;
      meta: Record<string, unknown>;
    }>;
    const entry = audit.find((e) => e.action === 'backup.restore');
    expect(entry).toMatchObject({
      actorUsername: 'anita.admin',
      entityId: String(older.id),
      meta: expect.objectContaining({
        file: basename(older.file),
        sha256: older.sha256,
        database: 'postgres',
        safetyBackup: expect.stringMatching(/^roshni-before-restore-.*\.backup$/),
        restoredBy: expect.objectContaining({ username: 'anita.admin' }),
        force: true,
      }),
    });

    // The newer backup is still the log's: it restores as `latest` without vouching for it, and that
    // restore, by nobody signed in, is recorded as such.
    const latest = await runCli(['backup', 'restore', 'latest', '--force'], env);
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stderr).toContain(`Restoring ${newer.file}`);
    expect(latest.stdout).toContain('as restored by nobody signed in on this machine');
    const third = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    const restores = (
      JSON.parse((await runCli(['audit', '--json'], third)).stdout) as Array<{ action: string; actorKind: string; meta: Record<string, unknown> }>
    ).filter((e) => e.action === 'backup.restore');
    // The newer backup was made before the first restore: the entry of that restore is gone with the rest, its own is there.
    expect(restores).toEqual([
      expect.objectContaining({ actorKind: 'system', meta: expect.objectContaining({ file: basename(newer.file), restoredBy: null }) }),
    ]);
    const relisted = JSON.parse((await runCli(['backup', 'list', '--json'], third)).stdout) as Array<{ id: number; verifyOk: boolean | null }>;
    expect(relisted.find((b) => b.id === older.id)?.verifyOk).toBe(true);
  }, 120_000);
});
