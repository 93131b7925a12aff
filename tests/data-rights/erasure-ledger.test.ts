import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { ERASURES_FILE } from '../../src/infra/backup/erasure-ledger-file.js';
import { backupFileName } from '../../src/infra/backup/backup-names.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

// Issue 21: erased means erased, even after a restore of a backup made before the erasure.
const MEERA = { name: 'Meera Venkataraman', phone: '+919876512345', national: '9876512345', email: 'meera.venkataraman@example.in', dob: '2015-08-14' };
const PG_DUMP = '/usr/lib/postgresql/15/bin/pg_dump';

/** Every file under a directory, but backup files themselves (one made before the erasure holds the patient, as it should). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !path.endsWith('.backup'));
}

describe('the erasure ledger: a restore does not bring erased patients back', () => {
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  let admin: Record<string, string>;
  let meera: { id: number; patient_number: string };

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-erasure-ledger-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    const ctx = systemContext(database.db);
    await seedClinic(ctx, { days: 3 });
    await addStaffUser(ctx, { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    admin = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    const added = await addPatient(ctx, { fullName: MEERA.name, dateOfBirth: MEERA.dob, phone: MEERA.phone, email: MEERA.email });
    meera = await database.db.selectFrom('patients').select(['id', 'patient_number']).where('id', '=', added.id).executeTakeFirstOrThrow();
  });
  afterEach(async () => {
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const backup = async (clock?: ReturnType<typeof fixedClock>) => {
    const made = await runCli(['backup', 'create', '--json'], env, clock ? { clock } : {});
    expect(made.code, made.stderr).toBe(0);
    return JSON.parse(made.stdout) as { file: string; rotated: string[] };
  };
  const erase = async () => {
    const erased = await runCli(['patient', 'erase', meera.patient_number, '--reason', 'Request by the family', '--yes'], admin);
    expect(erased.code, erased.stderr).toBe(0);
  };

  it('a restore of a pre-erasure backup erases the patient again: nothing of her is left in the database or ROSHNI_HOME', async () => {
    const before = await backup();
    await erase();
    // The copy beside the backups: ids and times, no personal data.
    const ledgerFile = readFileSync(join(home, 'backups', ERASURES_FILE), 'utf8');
    expect(ledgerFile).toContain(meera.patient_number);
    expect(ledgerFile).toContain('anita.admin');

    const restored = await runCli(['backup', 'restore', before.file, '--force', '--json'], env);
    expect(restored.code, restored.stderr).toBe(0);
    const result = JSON.parse(restored.stdout);
    expect(result.erasures).toMatchObject({
      recorded: 1,
      reErased: [expect.objectContaining({ patientNumber: meera.patient_number, erasedBy: 'anita.admin' })],
      mismatched: [],
    });

    const patient = await database.db.selectFrom('patients').selectAll().where('id', '=', meera.id).executeTakeFirstOrThrow();
    expect(patient.erased_at).not.toBeNull();
    const ledger = await database.db.selectFrom('erasure_ledger').selectAll().execute();
    expect(ledger).toEqual([expect.objectContaining({ patient_id: meera.id, patient_number: meera.patient_number, erased_by: 'anita.admin' })]);
    const audited = await database.db.selectFrom('audit_log').select(['action', 'meta']).where('action', '=', 'patient.erase_reapplied').execute();
    expect(audited).toEqual([
      expect.objectContaining({ meta: expect.objectContaining({ ledgerId: ledger[0]!.id, backupFile: before.file.split('/').at(-1) }) }),
    ]);

    // The scan: a data-only dump of the live database, and every file under ROSHNI_HOME but the backups.
    const { hostname, port, username, pathname } = new URL(database.url);
    const dump = execFileSync(PG_DUMP, ['--data-only', '-h', hostname, '-p', port, '-U', decodeURIComponent(username), pathname.slice(1)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(dump).toContain(meera.patient_number); // the dump is the clinic's
    const files = filesUnder(home);
    expect(files.some((f) => f.endsWith(ERASURES_FILE))).toBe(true);
    for (const [where, text] of [['pg_dump --data-only', dump], ...files.map((f) => [f, readFileSync(f, 'latin1')])] as Array<[string, string]>) {
      for (const identifier of [MEERA.name, MEERA.phone, MEERA.national, MEERA.email, MEERA.dob]) {
        expect(text.includes(identifier), `${identifier} in ${where}`).toBe(false);
      }
    }
  }, 40_000);

  it("erasures.jsonl brings the erasure back when the database's ledger is lost, and verify counts the erased patients a backup holds", async () => {
    const before = await backup();
    await erase();
    const after = await backup();
    // Verify: the backup made before the erasure still holds her; the one after does not.
    const verifiedBefore = await runCli(['backup', 'verify', before.file, '--json'], env);
    expect(verifiedBefore.code, verifiedBefore.stderr).toBe(0);
    expect(JSON.parse(verifiedBefore.stdout).erasedPatients).toEqual({ recorded: 1, stillHeld: 1, patientNumbers: [meera.patient_number] });
    const verifiedText = await runCli(['backup', 'verify', after.file], env);
    expect(verifiedText.code, verifiedText.stderr).toBe(0);
    expect(verifiedText.stdout).toContain('Erased patients: the backup holds none of the 1 the erasure ledger records.');

    // The ledger is append-only to the clinic's roles; its loss here is a superuser's doing.
    await sql`SET session_replication_role = replica`.execute(database.db);
    await sql`DELETE FROM erasure_ledger`.execute(database.db);
    await sql`SET session_replication_role = DEFAULT`.execute(database.db);
    const restored = await runCli(['backup', 'restore', before.file, '--force'], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Erased again: 1 patient(s) erased after this backup was made: ${meera.patient_number} (erased `);
    expect((await database.db.selectFrom('patients').select('erased_at').where('id', '=', meera.id).executeTakeFirstOrThrow()).erased_at).not.toBeNull();
    expect(await database.db.selectFrom('erasure_ledger').select('patient_number').execute()).toEqual([{ patient_number: meera.patient_number }]);
  }, 40_000);

  it('a restore whose erasures cannot be applied again is rolled back from its safety backup', async () => {
    // In the backup, Meera is in a session right now: erasing her is refused (as it would be at the desk).
    const { addDays, clinicDate } = await import('../../src/domain/time.js');
    const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);
    const booked = await runCli(
      ['book', '--patient', meera.patient_number, '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 10:00`],
      admin,
    );
    expect(booked.code, booked.stderr).toBe(0);
    await sql`SET session_replication_role = replica`.execute(database.db);
    await sql`UPDATE appointments SET status = 'in_progress', checked_in_at = now() WHERE patient_id = ${meera.id}`.execute(database.db);
    const before = await backup();
    await sql`UPDATE appointments SET status = 'cancelled', checked_in_at = NULL, cancelled_at = now(), cancelled_by = 'staff' WHERE patient_id = ${meera.id}`.execute(
      database.db,
    );
    await sql`SET session_replication_role = DEFAULT`.execute(database.db);
    await erase();

    const restored = await runCli(['backup', 'restore', before.file, '--force'], env);
    expect(restored.code).toBe(1);
    expect(restored.stderr).toContain('The restore failed and was rolled back');
    expect(restored.stderr).toContain('could not be applied again');
    expect(restored.stderr).toContain('put back from the safety backup');
    // The database is as it was: Meera erased, her ledger row there.
    const patient = await database.db.selectFrom('patients').select(['full_name', 'erased_at']).where('id', '=', meera.id).executeTakeFirstOrThrow();
    expect(patient).toMatchObject({ full_name: 'Erased patient' });
    expect(await database.db.selectFrom('erasure_ledger').select('patient_number').execute()).toEqual([{ patient_number: meera.patient_number }]);
  }, 40_000);

  it('the database refuses a desk login to change or remove the ledger', async () => {
    await erase();
    await sql`SET ROLE roshni_staff`.execute(database.db);
    try {
      await expect(sql`UPDATE erasure_ledger SET erased_by = 'someone'`.execute(database.db)).rejects.toThrow(/permission denied/);
      await expect(sql`DELETE FROM erasure_ledger`.execute(database.db)).rejects.toThrow(/permission denied/);
      // Without an admin's session, it reads nothing.
      expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM erasure_ledger`.execute(database.db)).rows[0]!.n).toBe(0);
    } finally {
      await sql`RESET ROLE`.execute(database.db);
    }
    // Not even the owner changes it.
    await expect(sql`DELETE FROM erasure_ledger`.execute(database.db)).rejects.toThrow(/append-only/);
  });

  it('manual backups are removed after ROSHNI_BACKUP_KEEP_MANUAL_DAYS, and health warns of a backup file kept longer', async () => {
    const clock = fixedClock('2031-01-10T04:00:00Z');
    const first = await backup(clock);
    clock.set('2031-03-01T04:00:00Z');
    const second = await backup(clock);
    expect(second.rotated).toEqual([]);
    // An old file put back by hand (copied from elsewhere, say): health warns of it.
    const stray = join(home, 'backups', backupFileName('manual', new Date('2029-06-01T00:00:00Z')));
    copyFileSync(first.file, stray);
    const health = await runCli(['health', '--json'], env, { clock });
    const check = JSON.parse(health.stdout).checks.find((c: { name: string }) => c.name === 'backup-retention');
    expect(check).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('1 backup file(s) older than the longest retention (372 days; the oldest from 2029-06-01)'),
    });
    // 91 days after the first: it goes (and the stray file with it); the one just written stays.
    clock.set('2031-04-11T04:00:00Z');
    const third = await backup(clock);
    expect(third.rotated.sort()).toEqual([first.file, stray].sort());
    expect(existsSync(first.file)).toBe(false);
    expect(existsSync(second.file) && existsSync(third.file)).toBe(true);
    const shorter = await runCli(
      ['backup', 'create', '--json'],
      { ...env, ROSHNI_BACKUP_KEEP_MANUAL_DAYS: '30' },
      { clock: fixedClock('2031-04-12T04:00:00Z') },
    );
    expect(JSON.parse(shorter.stdout).rotated).toEqual([second.file]);
    const healthy = JSON.parse((await runCli(['health', '--json'], env, { clock })).stdout).checks.find((c: { name: string }) => c.name === 'backup-retention');
    expect(healthy.status).toBe('ok');
  }, 40_000);
});
