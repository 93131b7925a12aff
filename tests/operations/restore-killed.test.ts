import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { countRows } from '../../src/infra/backup/backups.js';
import { RESTORE_APPLICATION_NAME } from '../../src/infra/backup/pg-tools.js';
import { schemaFingerprint, type SchemaFingerprint } from '../../src/infra/backup/schema-fingerprint.js';
import { binPath, childEnv, runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { waitFor } from '../support/wait.js';

// A restore killed at any moment leaves the database exactly as it was or exactly the backup, never
// a part of it, and leaves no pg_restore or psql behind. The schema is padded with 400 indexes so
// that the dump's tail (indexes, constraints, policies, after the data) is far larger than a pipe's
// buffer: a psql left reading it after Roshni's death would otherwise commit what it had.

interface State {
  schema: SchemaFingerprint;
  rows: Record<string, number>;
}

const PADDING_INDEXES = 400;

describe('a killed restore rolls back', () => {
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  /** env with an admin signed in, to book; the restore itself acts as the database's owner. */
  let admin: Record<string, string>;

  const stateOf = async (): Promise<State> =>
    database.db.transaction().execute(async (trx) => ({ schema: await schemaFingerprint(trx), rows: await countRows(trx) }));

  /** Processes started for this test's home (the CLI and its pg_restore and psql inherit ROSHNI_HOME). */
  const processesOfThisTest = (): number[] =>
    readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`ROSHNI_HOME=${home}`);
        } catch {
          return false;
        }
      })
      .map(Number);

  const restoreSessions = async (): Promise<number> => {
    const { rows } = await sql<{ n: string }>`
      SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${RESTORE_APPLICATION_NAME}`.execute(database.db);
    return Number(rows[0]!.n);
  };

  const until = (done: () => boolean | Promise<boolean>, what: string, ms = 30_000) => waitFor(done, ms, what, 25);

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-restore-killed-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    await seedClinic(systemContext(database.db), { days: 3 });
    await addStaffUser(systemContext(database.db), { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    admin = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    await sql`CREATE TABLE padding AS SELECT g AS id, md5(g::text) AS c0, md5((g + 1)::text) AS c1, md5((g + 2)::text) AS c2 FROM generate_series(1, 2000) g`.execute(
      database.db,
    );
    for (let i = 0; i < PADDING_INDEXES; i++) {
      const name = `padding_index_that_lengthens_the_tail_of_the_dump_${String(i).padStart(3, '0')}`;
      await sql`CREATE INDEX ${sql.id(name)} ON padding (${sql.id(`c${i % 3}`)}, ${sql.id(`c${(i + 1) % 3}`)}, id)`.execute(database.db);
    }
  }, 120_000);
  afterEach(async () => {
    for (const pid of processesOfThisTest()) process.kill(pid, 'SIGKILL');
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('SIGKILL of the restoring process, or of its process group, at seven points: as before or as the backup, nothing left running', async () => {
    const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);
    const book = (at: string, patient: string) =>
      runCli(['book', '--patient', patient, '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} ${at}`], admin);
    expect((await book('10:00', 'Patient 001')).code).toBe(0);
    const made = await runCli(['backup', 'create', '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    const file = JSON.parse(made.stdout).file as string;
    const backup = await stateOf();
    expect(backup.schema.indexes!.count).toBeGreaterThan(PADDING_INDEXES);
    expect((await book('11:00', 'Patient 002')).code).toBe(0); // after the backup: "before" differs from it
    const total = Object.keys(backup.rows).length;

    // When to kill, by what the restore has printed: the first line matching, then a delay.
    const points: Array<{ after: RegExp; delayMs: number; group: boolean }> = [
      { after: /Taking a safety backup/, delayMs: 50, group: false },
      { after: /Replacing a database/, delayMs: 0, group: true },
      { after: /^ {2}1\/\d+ /m, delayMs: 0, group: false },
      { after: new RegExp(`^ {2}${total}/${total} `, 'm'), delayMs: 0, group: true },
      { after: new RegExp(`^ {2}${total}/${total} `, 'm'), delayMs: 250, group: false },
      { after: new RegExp(`^ {2}${total}/${total} `, 'm'), delayMs: 700, group: true },
      { after: new RegExp(`^ {2}${total}/${total} `, 'm'), delayMs: 1500, group: false },
    ];
    const outcomes: string[] = [];
    for (const point of points) {
      const before = await stateOf();
      const child = spawn(process.execPath, [binPath, 'backup', 'restore', file, '--force'], {
        env: childEnv(env),
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stdout.resume();
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      const killedAt = await new Promise<number>((resolve) => {
        let armed = false;
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (armed || !point.after.test(stderr)) return;
          armed = true;
          setTimeout(() => {
            if (point.group) process.kill(-child.pid!, 'SIGKILL');
            else child.kill('SIGKILL');
            resolve(Date.now());
          }, point.delayMs);
        });
        child.on('exit', () => resolve(Date.now())); // finished before the kill point: also a valid outcome
      });
      await exited;
      await until(() => processesOfThisTest().length === 0, 'pg_restore and psql to end');
      await until(async () => (await restoreSessions()) === 0, 'the restore session to end');
      const settledMs = Date.now() - killedAt;
      const after = await stateOf();
      const asBefore = JSON.stringify(after) === JSON.stringify(before);
      const asBackup = JSON.stringify(after) === JSON.stringify(backup);
      outcomes.push(
        `${point.after.source.trim()} +${point.delayMs}ms ${point.group ? 'group' : 'process'}: ${asBefore ? 'as before' : asBackup ? 'the backup' : 'NEITHER'}, settled in ${settledMs} ms`,
      );
      expect(asBefore || asBackup, `${outcomes.at(-1)}\n${stderr}`).toBe(true);
      expect(settledMs).toBeLessThan(10_000);
      if (asBackup) {
        // A restore that committed ended every session: the admin signs in again, then "before" differs from the backup again.
        admin = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
        expect((await book('11:00', 'Patient 002')).code).toBe(0);
      }
    }
    console.log(outcomes.join('\n'));
  }, 300_000);
});
