import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { inspectBackupFile, writeBackupFile } from '../../src/infra/backup/backup-file.js';
import type { BackupHeader } from '../../src/infra/backup/backup-header.js';
import { openPayload } from '../../src/infra/backup/backup-payload.js';
import { countRows } from '../../src/infra/backup/backups.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';
import { addStaffUser } from '../../src/domain/people/staff.js';

// A restore replaces the database in one transaction: whatever goes wrong after the old schema is
// dropped (a damaged archive, counts that do not match the manifest) leaves the old data in place.
describe('roshni backup restore is all or nothing', () => {
  // Each test opens a clinic and a home of its own: one appointment, a good backup of it, then a
  // second appointment made after the backup (a good restore takes the clinic back to the first).
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  /** env with an admin signed in, for booking and `backup list`; backups and restores act as the database's owner. */
  let admin: Record<string, string>;
  let good: { file: string; id: number };
  let tomorrow: string;

  const appointments = async () => (await database.db.selectFrom('appointments').select('id').execute()).length;

  /** A backup file with a valid checksum around a payload of our choosing. */
  async function craft(name: string, payload: Buffer, manifest?: Record<string, number>, checksums?: Record<string, string>): Promise<string> {
    const { header } = await inspectBackupFile(good.file);
    const { encryption: _e, format: _f, ...rest } = header;
    const path = join(home, name);
    const base: Omit<BackupHeader, 'encryption' | 'format'> = {
      ...rest,
      manifest: {
        ...header.manifest,
        tables: manifest ?? header.manifest.tables,
        ...(checksums ? { checksums: { ...header.manifest.checksums, ...checksums } } : {}),
      },
    };
    const { Readable } = await import('node:stream');
    await writeBackupFile(path, base, () => Readable.from([payload]), undefined);
    return path;
  }

  async function payloadOf(file: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await openPayload(await inspectBackupFile(file), undefined)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-restore-safety-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    await seedClinic(systemContext(database.db), { days: 3 });
    await addStaffUser(systemContext(database.db), { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    admin = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);
    const booked = await runCli(
      ['book', '--patient', 'Patient 001', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 10:00`],
      admin,
    );
    expect(booked.code, booked.stderr).toBe(0);
    const made = await runCli(['backup', 'create', '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    good = JSON.parse(made.stdout);
    // Data written after the backup: a failed restore must not lose it.
    expect(
      (await runCli(['book', '--patient', 'Patient 002', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 11:00`], admin)).code,
    ).toBe(0);
  });
  afterEach(async () => {
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('a backup whose archive breaks off midway restores nothing: the previous data is intact', async () => {
    const before = await countRows(database.db);
    const payload = await payloadOf(good.file);
    const broken = await craft('broken.backup', payload.subarray(0, Math.floor(payload.length * 0.7)));
    // Crafted here, so recorded in no backup log: the person restoring vouches for it.
    const restored = await runCli(['backup', 'restore', broken, '--force', '--file-from-elsewhere'], env);
    expect(restored.code).not.toBe(0);
    expect(restored.stderr).toContain('pg_restore');
    expect(await countRows(database.db)).toEqual(before);
    expect(await appointments()).toBe(2);
    // And the database still works.
    const booked = await runCli(
      ['book', '--patient', 'Patient 003', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 12:00`],
      admin,
    );
    expect(booked.code, booked.stderr).toBe(0);
  });

  it('a backup that loads with counts other than its manifest is refused inside the transaction', async () => {
    const before = await countRows(database.db);
    const { header } = await inspectBackupFile(good.file);
    const lying = await craft('lying.backup', await payloadOf(good.file), { ...header.manifest.tables, appointments: 5 });
    const restored = await runCli(['backup', 'restore', lying, '--force', '--file-from-elsewhere', '--json'], env);
    expect(restored.code).toBe(1);
    const result = JSON.parse(restored.stdout);
    expect(result.ok).toBe(false);
    expect(result.tables.find((t: { table: string }) => t.table === 'appointments')).toEqual({ table: 'appointments', expected: 5, actual: 1 });
    expect((await runCli(['backup', 'restore', lying, '--force', '--file-from-elsewhere'], env)).stdout).toContain('the database is as it was');
    expect(await countRows(database.db)).toEqual(before);
  });

  it("verify compares the key tables' checksums too: same row counts but other rows is not verified", async () => {
    // Summed in the dump's snapshot while pg_dump ran, and kept in the backup log.
    const logged = await database.db.selectFrom('backups').select('manifest').where('id', '=', good.id).executeTakeFirstOrThrow();
    const sums = (logged.manifest as { checksums: Record<string, string> }).checksums;
    expect(Object.keys(sums).sort()).toEqual(['guardians', 'patients', 'payments', 'receipts', 'refunds', 'therapy_sessions']);
    const fine = await runCli(['backup', 'verify', good.file, '--json'], env);
    expect(fine.code, fine.stderr).toBe(0);
    expect(JSON.parse(fine.stdout).checksums).toContainEqual({ table: 'patients', expected: sums.patients, actual: sums.patients });
    // The log says the patients were other rows than the file restores: not verified.
    const wrong = JSON.stringify({ ...(logged.manifest as object), checksums: { ...sums, patients: '0'.repeat(32) } });
    await sql`UPDATE backups SET manifest = ${wrong}::jsonb WHERE id = ${good.id}`.execute(database.db);
    try {
      const refused = await runCli(['backup', 'verify', good.file, '--json'], env);
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, problem: expect.stringContaining('checksums differ from the manifest in patients') });
    } finally {
      await sql`UPDATE backups SET manifest = ${JSON.stringify(logged.manifest)}::jsonb WHERE id = ${good.id}`.execute(database.db);
    }
    // A file carrying its own checksums (as a header may) is held to them.
    const other = await craft('other-rows.backup', await payloadOf(good.file), undefined, { payments: '0'.repeat(32) });
    const crafted = await runCli(['backup', 'verify', other, '--file-from-elsewhere', '--json'], env);
    expect(crafted.code).toBe(1);
    expect(JSON.parse(crafted.stdout).problem).toContain('checksums differ from the manifest in payments');
  });

  it('a good restore settles the backup log: the restored backup is completed, not running', async () => {
    const restored = await runCli(['backup', 'restore', good.file, '--force'], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(/\d+\/\d+ appointments/);
    expect(await appointments()).toBe(1);
    const rows = await database.db.selectFrom('backups').select(['id', 'state', 'sha256', 'finished_at']).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: good.id, state: 'completed' });
    expect(rows[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.finished_at).not.toBeNull();
    // A restore ends every session (some had ended since the backup): the admin signs in again.
    expect((await runCli(['backup', 'list', '--json'], admin)).code).toBe(9);
    const again = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    const listed = JSON.parse((await runCli(['backup', 'list', '--json'], again)).stdout);
    expect(listed[0]).toMatchObject({ id: good.id, state: 'completed', onDisk: true });
  });
});
