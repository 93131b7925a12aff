import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { backupFileName, countRows, createBackup } from '../../src/infra/backup/backups.js';
import { loadConfig } from '../../src/infra/config.js';
import { openDatabase, openPostgres } from '../../src/infra/db/database.js';
import { findPostgresTool, startPgDump } from '../../src/infra/backup/pg-tools.js';
import { withServerClient } from '../../src/infra/db/server-admin.js';
import { binPath, childEnv, runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createDatabase, dropDatabase } from '../support/server.js';
import { sessionFor } from '../support/staff-sessions.js';

const serverUrl = () => inject('databaseServerUrl');

describe('roshni backup on PostgreSQL', () => {
  let database: TestDatabase | undefined;
  let home: string;
  let env: Record<string, string>;
  /** env with an admin signed in: `backup list` and the clinic's own commands need a member of staff. */
  let admin: Record<string, string>;
  let tomorrow: string;

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-backup-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    const ctx = systemContext(database.db);
    await seedClinic(ctx, { days: 5 });
    await addStaffUser(ctx, { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    admin = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
    tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);
    const booked = await runCli(
      ['book', '--patient', 'Patient 001', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 10:00`],
      admin,
    );
    expect(booked.code, booked.stderr).toBe(0);
  });
  afterEach(async () => {
    await database?.close();
    database = undefined;
    rmSync(home, { recursive: true, force: true });
  });

  it('backs up, survives the database being dropped, restores identical row counts and still books', async () => {
    const created = await runCli(['backup', 'create', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout);
    expect(made.tables.appointments).toBe(1);
    expect(made.file.startsWith(join(home, 'backups'))).toBe(true);
    expect(basename(made.file)).toMatch(/^roshni-manual-\d{8}T\d{9}Z\.backup$/);
    const before = await countRows(database!.db);

    // The database is lost entirely; a new, empty one takes its place.
    const name = new URL(database!.url).pathname.slice(1);
    const url = database!.url;
    await database!.close();
    database = undefined;
    await createDatabase(serverUrl(), name);
    try {
      // A brand-new database has no backup log: nothing there says Roshni made the file, so the
      // person restoring says so (and nothing is changed until they do).
      const unvouched = await runCli(['backup', 'restore', 'latest'], { ...env, DATABASE_URL: url });
      expect(unvouched.code).toBe(4);
      expect(unvouched.stderr).toMatch(/no backup log \(it is new or empty\).*--file-from-elsewhere/s);
      // A restore acts as the database's owner: a brand-new database has no one to sign in as, and it goes ahead.
      const restored = await runCli(['backup', 'restore', 'latest', '--file-from-elsewhere'], { ...env, DATABASE_URL: url });
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stderr).toMatch(/\d+\/\d+ appointments/);
      const after = await openPostgres(url, { max: 1 });
      let restoredAdmin: Record<string, string>;
      try {
        const counts = await countRows(after.db);
        // The backup's rows, and the restore's own audit entry (backup.restore: issue 20, item 7).
        expect(counts).toEqual({ ...before, audit_log: before.audit_log! + 1 });
        // The backup was taken while its log row said "running"; restored, the row says what it is.
        const logged = await after.db.selectFrom('backups').select(['id', 'state']).execute();
        expect(logged).toEqual([{ id: made.id, state: 'completed' }]);
        // The restored clinic's staff can sign in to it.
        restoredAdmin = { ...env, DATABASE_URL: url, ROSHNI_SESSION: await sessionFor(after.db, 'anita.admin') };
      } finally {
        await after.close();
      }
      const booked = await runCli(
        ['book', '--patient', 'Patient 002', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 11:00`],
        restoredAdmin,
      );
      expect(booked.code, booked.stderr).toBe(0);
      // The slot booked before the backup is still taken after the restore.
      const again = await runCli(
        ['book', '--patient', 'Patient 003', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 10:00`],
        restoredAdmin,
      );
      expect(again.code).toBe(4);
    } finally {
      await dropDatabase(serverUrl(), name);
    }
  });

  it('refuses to restore over a database with data unless --force', async () => {
    expect((await runCli(['backup', 'create'], env)).code).toBe(0);
    expect(
      (await runCli(['book', '--patient', 'Patient 002', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 11:00`], admin)).code,
    ).toBe(0);
    const refused = await runCli(['backup', 'restore', 'latest'], env);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('add --force');
    expect((await database!.db.selectFrom('appointments').select('id').execute()).length).toBe(2);
    // A restore acts as the database's owner: a desk computer's credentials (roshni_staff, whoever is
    // signed in on it) cannot replace the clinic's database, even with --force.
    await addStaffUser(systemContext(database!.db), { username: 'ravi', fullName: 'Ravi Kumar', role: 'receptionist' });
    const login = `desk_${randomBytes(4).toString('hex')}`;
    await sql.raw(`CREATE ROLE ${login} LOGIN IN ROLE roshni_staff`).execute(database!.db);
    try {
      const deskUrl = new URL(database!.url);
      deskUrl.username = login;
      const desk = await runCli(['backup', 'restore', 'latest', '--force'], {
        ...env,
        DATABASE_URL: deskUrl.toString(),
        ROSHNI_SESSION: await sessionFor(database!.db, 'ravi'),
      });
      expect(desk.code, desk.stderr).not.toBe(0);
      expect(desk.stderr).toMatch(/permission denied|must be owner/);
      expect((await database!.db.selectFrom('appointments').select('id').execute()).length).toBe(2);
    } finally {
      await withServerClient(serverUrl(), (client) => client.query(`DROP ROLE IF EXISTS ${login}`));
    }
    // The pool of the test database must let go before the schema is replaced.
    const forced = await runCli(['backup', 'restore', 'latest', '--force'], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect((await database!.db.selectFrom('appointments').select('id').execute()).length).toBe(1);
  });

  it('verifies a good backup, and detects a truncated or tampered one', async () => {
    const made = JSON.parse((await runCli(['backup', 'create', '--json'], env)).stdout);
    const good = await runCli(['backup', 'verify', 'latest', '--json'], env);
    expect(good.code, good.stderr).toBe(0);
    const result = JSON.parse(good.stdout);
    expect(result.ok).toBe(true);
    expect(result.tables.find((t: { table: string }) => t.table === 'appointments')).toEqual({ table: 'appointments', expected: 1, actual: 1 });
    expect((await runCli(['backup', 'list'], env)).code).toBe(9); // the list is for a signed-in admin
    const listed = JSON.parse((await runCli(['backup', 'list', '--json'], admin)).stdout);
    expect(listed[0]).toMatchObject({ id: made.id, kind: 'manual', state: 'completed', onDisk: true, verifyOk: true });
    expect(listed[0].verifiedAt).not.toBeNull();
    expect((await runCli(['backup', 'list'], admin)).stdout).toMatch(/manual\s+0 min.*completed\s+yes/);

    const bytes = readFileSync(made.file);
    const tampered = join(home, 'tampered.backup');
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(tampered, flipped);
    const bad = await runCli(['backup', 'verify', tampered], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('checksum does not match');

    const truncated = join(home, 'truncated.backup');
    writeFileSync(truncated, bytes);
    truncateSync(truncated, Math.floor(bytes.length * 0.6));
    const cut = await runCli(['backup', 'verify', truncated], env);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/truncated|checksum/);
    const restoreCut = await runCli(['backup', 'restore', truncated, '--force'], env);
    expect(restoreCut.code).toBe(2);
    expect((await database!.db.selectFrom('appointments').select('id').execute()).length).toBe(1);
  });

  it('encrypts with the configured passphrase and needs it to verify', async () => {
    const secret = { ...env, ROSHNI_BACKUP_PASSPHRASE: 'correct horse battery staple' };
    const made = JSON.parse((await runCli(['backup', 'create', '--json'], secret)).stdout);
    expect(made.encrypted).toBe(true);
    // pg_dump's custom format starts with PGDMP: it must not appear in an encrypted file.
    expect(readFileSync(made.file).includes(Buffer.from('PGDMP'))).toBe(false);
    const ok = await runCli(['backup', 'verify', 'latest'], secret);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const wrong = await runCli(['backup', 'verify', 'latest'], { ...env, ROSHNI_BACKUP_PASSPHRASE: 'not the right passphrase' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('passphrase');
    const none = await runCli(['backup', 'restore', 'latest', '--force'], env);
    expect(none.code).toBe(6);
    expect(none.stderr).toContain('ROSHNI_BACKUP_PASSPHRASE');
  });

  it('rotation keeps exactly the newest N daily and weekly backups, and every manual one', async () => {
    const keep = { ...env, ROSHNI_BACKUP_KEEP_DAILY: '2', ROSHNI_BACKUP_KEEP_WEEKLY: '1' };
    const files: Record<string, string[]> = { daily: [], weekly: [], manual: [] };
    for (const type of ['daily', 'weekly', 'daily', 'manual', 'daily', 'weekly', 'daily']) {
      const made = await runCli(['backup', 'create', '--type', type, '--json'], keep);
      expect(made.code, made.stderr).toBe(0);
      files[type]!.push(JSON.parse(made.stdout).file);
    }
    const expected = [...files.daily!.slice(-2), ...files.weekly!.slice(-1), ...files.manual!].map((f) => basename(f)).sort();
    expect(readdirSync(join(home, 'backups')).sort()).toEqual(expected);
    const states = await database!.db.selectFrom('backups').select(['file_path', 'state']).execute();
    expect(
      states
        .filter((s) => s.state === 'completed')
        .map((s) => basename(s.file_path!))
        .sort(),
    ).toEqual(expected);
    expect(states.filter((s) => s.state === 'rotated')).toHaveLength(3);
  });

  it('a backup killed midway leaves the previous backup valid and no file named as a backup', async () => {
    const previous = JSON.parse((await runCli(['backup', 'create', '--json'], env)).stdout);
    // Enough data that pg_dump takes a while.
    await sql`CREATE TABLE ballast AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS filler FROM generate_series(1, 1500000) g`.execute(database!.db);
    const dir = join(home, 'backups');
    const child = spawn(process.execPath, [binPath, 'backup', 'create'], {
      env: childEnv(env),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 20_000;
    let partial: string | undefined;
    while (Date.now() < deadline && !partial) {
      try {
        partial = readdirSync(dir).find((n) => n.endsWith('.partial') && statSync(join(dir, n)).size > 0);
      } catch {
        // The directory is not there yet.
      }
      if (!partial) await new Promise((r) => setTimeout(r, 20));
    }
    expect(partial).toBeDefined();
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(readdirSync(dir).filter((n) => n.endsWith('.backup'))).toEqual([basename(previous.file)]);
    // "latest" is still the previous backup, whole and restorable.
    const latest = await runCli(['backup', 'verify', 'latest', '--json'], env);
    expect(latest.code, latest.stderr).toBe(0);
    expect(JSON.parse(latest.stdout)).toMatchObject({ file: previous.file, ok: true });
    const { id: killedId } = await database!.db.selectFrom('backups').select('id').where('id', '!=', previous.id).executeTakeFirstOrThrow();
    const killed = () => database!.db.selectFrom('backups').select(['state', 'error']).where('id', '=', killedId).executeTakeFirstOrThrow();
    expect((await killed()).state).toBe('running');
    // Its process is gone, and with it the lock its log row held: `list` says interrupted at once.
    const states = async () =>
      JSON.parse((await runCli(['backup', 'list', '--json'], admin)).stdout).map((b: { id: number; state: string }) => [b.id, b.state]);
    expect(await states()).toContainEqual([killedId, 'interrupted']);

    // The next backup records it so and clears the partial file it left (a running backup's is kept).
    await sql`DROP TABLE ballast`.execute(database!.db);
    const partials = () => readdirSync(dir).filter((n) => n.endsWith('.partial'));
    expect(partials()).toEqual([partial]);
    expect((await runCli(['backup', 'create'], env)).code).toBe(0);
    expect(partials()).toEqual([]);
    expect(await killed()).toEqual({ state: 'failed', error: expect.stringContaining('interrupted') });
    expect((await states()).map(([, state]: [number, string]) => state)).toEqual(['completed', 'interrupted', 'completed']);
  }, 60_000);
  it('a backup that cannot be written stops its pg_dump, which would otherwise hold its locks waiting on a pipe', async () => {
    const config = loadConfig(env, '/nonexistent/.env');
    const at = new Date('2026-11-26T02:00:00.000Z');
    const dir = join(home, 'backups');
    mkdirSync(dir, { recursive: true });
    // Another process's half-written file under the same name: this one may not open it.
    writeFileSync(join(dir, `${backupFileName('daily', at)}.partial`), 'someone else');
    // More than the pipe and its buffer hold: unread, pg_dump would block on its output rather than finish.
    await sql`CREATE TABLE ballast AS SELECT g AS id, md5(g::text) AS filler FROM generate_series(1, 300000) g`.execute(database!.db);
    const opened = await openDatabase(config);
    try {
      await expect(createBackup(opened, config, { kind: 'daily', clock: { now: () => at } })).rejects.toThrow(/EEXIST/);
    } finally {
      await opened.close();
    }
    const dumping = async () =>
      (await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'pg_dump'`.execute(database!.db)).rows[0]!.n;
    const deadline = Date.now() + 5_000;
    while (Number(await dumping()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(Number(await dumping())).toBe(0);
    const logged = await database!.db.selectFrom('backups').select(['state', 'error']).executeTakeFirstOrThrow();
    expect(logged).toEqual({ state: 'failed', error: expect.stringContaining('EEXIST') });
    // The table stays free for changes that need more than pg_dump's share lock.
    await sql`SET lock_timeout = '2s'`.execute(database!.db);
    await sql`ALTER TABLE appointments ADD COLUMN probe int`.execute(database!.db);
  });
  it("keeps pg_dump's output when it finishes before anyone reads it (Node drops an unread child's output)", async () => {
    const bytes = await database!.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const { rows } = await sql<{ snapshot: string; major: number }>`
        SELECT pg_export_snapshot() AS snapshot, current_setting('server_version_num')::int / 10000 AS major`.execute(trx);
        const dump = startPgDump(findPostgresTool('pg_dump', rows[0]!.major), database!.url, rows[0]!.snapshot);
        await dump.done; // exited: everything it wrote sits unread
        const chunks: Buffer[] = [];
        for await (const chunk of dump.output) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      });
    expect(bytes.subarray(0, 5).toString()).toBe('PGDMP');
    expect(bytes.length).toBeGreaterThan(10_000);
  });
});
