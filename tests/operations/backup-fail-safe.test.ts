import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countRows } from '../../src/infra/backup/backups.js';
import { fixedClock } from '../../src/infra/clock.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

// Rotation under a clock that moved, a full backup disk, and a payload altered with its checksum redone.

describe('backups that fail safe', () => {
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  /** `backup list` is for a signed-in admin; create, verify and restore act as the database's owner. */
  let admin: Record<string, string>;

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-backup-fail-safe-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home, ROSHNI_BACKUP_KEEP_DAILY: '2' };
    await addStaffUser(systemContext(database.db), { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    admin = { ...env, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };
  });
  afterEach(async () => {
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const onDisk = () =>
    readdirSync(join(home, 'backups'))
      .filter((n) => n.endsWith('.backup'))
      .sort();
  const daily = async (at: string) => {
    const made = await runCli(['backup', 'create', '--type', 'daily', '--json'], env, { clock: fixedClock(at) });
    expect(made.code, made.stderr).toBe(0);
    return JSON.parse(made.stdout) as { id: number; file: string; rotated: string[] };
  };
  const verify = async (file: string, at: string) => expect((await runCli(['backup', 'verify', file], env, { clock: fixedClock(at) })).code).toBe(0);

  it('rotation keeps the newest N and the newest verified backup of each type', async () => {
    const d1 = await daily('2026-03-01T02:00:00Z');
    await verify(d1.file, '2026-03-01T03:00:00Z');
    const d2 = await daily('2026-03-02T02:00:00Z');
    const d3 = await daily('2026-03-03T02:00:00Z');
    // Newest two (d3, d2) and the only verified one (d1).
    expect(onDisk()).toEqual([d1, d2, d3].map((d) => basename(d.file)));
    const d4 = await daily('2026-03-04T02:00:00Z');
    expect(d4.rotated).toEqual([d2.file]);
    await verify(d3.file, '2026-03-04T03:00:00Z');
    const d5 = await daily('2026-03-05T02:00:00Z');
    // d3 is now the newest verified: the older verified d1 goes.
    expect(d5.rotated).toEqual([d1.file]);
    expect(onDisk()).toEqual([d3, d4, d5].map((d) => basename(d.file)));
  }, 120_000);

  it('after the clock was ahead: the backup just written stays, future-dated ones are not latest and are reported', async () => {
    const ahead1 = await daily('2027-12-06T02:00:00Z');
    const ahead2 = await daily('2027-12-07T02:00:00Z');
    const today = '2026-12-01T02:00:00Z';
    const now = await daily(today);
    expect(now.rotated).toEqual([]);
    expect(onDisk()).toEqual([now, ahead1, ahead2].map((d) => basename(d.file)));
    const latest = await runCli(['backup', 'verify', 'latest', '--json'], env, { clock: fixedClock('2026-12-01T03:00:00Z') });
    expect(latest.code, latest.stderr).toBe(0);
    expect(JSON.parse(latest.stdout).file).toBe(now.file);
    // Two more days: the oldest of the present ones rotates, the future-dated ones stay.
    await daily('2026-12-02T02:00:00Z');
    const third = await daily('2026-12-03T02:00:00Z');
    expect(third.rotated).toEqual([]); // `now` is the newest verified daily
    const fourth = await daily('2026-12-04T02:00:00Z');
    expect(fourth.rotated).toHaveLength(1);
    expect(onDisk()).toContain(basename(ahead1.file));
    expect(onDisk()).toContain(basename(ahead2.file));

    const clock = { clock: fixedClock('2026-12-04T03:00:00Z') };
    const listed = JSON.parse((await runCli(['backup', 'list', '--json'], admin, clock)).stdout) as Array<{ id: number; futureDated: boolean }>;
    expect(
      listed
        .filter((b) => b.futureDated)
        .map((b) => b.id)
        .sort(),
    ).toEqual([ahead1.id, ahead2.id].sort());
    expect((await runCli(['backup', 'list'], admin, clock)).stdout).toContain('Clock problem: 2 backup(s) are dated in the future');
    const health = JSON.parse((await runCli(['health', '--json'], env, clock)).stdout) as { checks: Array<{ name: string; status: string; detail: string }> };
    expect(health.checks.find((c) => c.name === 'backup-clock')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('clock problem: 2 backup(s)'),
    });
  }, 120_000);

  it('a full backup disk: which directory, how much is needed, exit 8, nothing left behind', async () => {
    const dir = join(home, 'small-disk');
    mkdirSync(dir);
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
      mounted = true;
    } catch {
      // Not root: the injected-ENOSPC path below is not exercised; the estimate check still is.
    }
    try {
      // About 6 MB of hex (half of it random): more than the 2 MB disk.
      await sql`CREATE TABLE ballast AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS filler FROM generate_series(1, 120000) g`.execute(
        database.db,
      );
      const small = { ...env, ROSHNI_BACKUP_DIR: dir };
      const upFront = await runCli(['backup', 'create'], small);
      expect(upFront.code).toBe(8);
      expect(upFront.stderr).toMatch(new RegExp(`^roshni: Not enough space in ${dir}: the backup needs about [\\d.]+ MB and [\\d.]+ MB is free`, 'm'));
      expect(readdirSync(dir)).toEqual([]);
      if (mounted) {
        // The estimate can be wrong (here a log claiming the last backup was tiny): the disk fills mid-way.
        await sql`INSERT INTO backups (kind, state, started_at, finished_at, size_bytes, file_path) VALUES ('manual', 'completed', now(), now(), 1000, '/nowhere')`.execute(
          database.db,
        );
        const midway = await runCli(['backup', 'create'], small);
        expect(midway.code, midway.stderr).toBe(8);
        expect(midway.stderr).toContain(`Not enough space in ${dir}`);
        expect(
          midway.stderr
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('roshni:')),
        ).toHaveLength(1);
        expect(readdirSync(dir)).toEqual([]);
        const logged = await database.db.selectFrom('backups').select(['state', 'error']).orderBy('id', 'desc').executeTakeFirstOrThrow();
        expect(logged).toEqual({ state: 'failed', error: expect.stringContaining('Not enough space') });
      }
    } finally {
      if (mounted) execFileSync('umount', [dir]);
    }
  }, 120_000);

  it('a payload altered with its checksum redone: one line, exit 2, the database is as it was', async () => {
    const made = JSON.parse((await runCli(['backup', 'create', '--json'], env)).stdout) as { file: string };
    const { inspectBackupFile, writeBackupFile } = await import('../../src/infra/backup/backup-file.js');
    const { openPayload } = await import('../../src/infra/backup/backup-payload.js');
    const inspected = await inspectBackupFile(made.file);
    const chunks: Buffer[] = [];
    for await (const chunk of await openPayload(inspected, undefined)) chunks.push(chunk as Buffer);
    const payload = Buffer.concat(chunks);
    // 64 bytes flipped at a quarter, the half, three quarters and near the end: some must land in the
    // schema or in compressed table data (a flip in the TOC's offsets alone, which a restore from a pipe never reads, would pass).
    for (const at of [0.25, 0.5, 0.75, 0.95]) {
      const from = Math.floor(payload.length * at);
      for (let i = from; i < from + 64 && i < payload.length; i++) payload[i] = payload[i]! ^ 0xff;
    }
    const { encryption: _e, format: _f, ...header } = inspected.header;
    const altered = join(home, 'altered.backup');
    const { Readable } = await import('node:stream');
    await writeBackupFile(altered, header, () => Readable.from([payload]), undefined);
    const before = await countRows(database.db);
    const restored = await runCli(['backup', 'restore', altered, '--force', '--file-from-elsewhere'], env);
    expect(restored.code, restored.stderr).toBe(2);
    const lines = restored.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('roshni:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('the database is as it was');
    expect(await countRows(database.db)).toEqual(before);
    expect(existsSync(altered)).toBe(true);
  }, 120_000);
});
