import { sql } from 'kysely';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainContext } from '../../src/domain/context.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { fixedClock } from '../../src/infra/clock.js';
import { loadConfig } from '../../src/infra/config.js';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { SERVICE_ROLE } from '../../src/infra/db/row-security.js';
import { checkHealth, healthProbes, recordHealth, type DiskSpace } from '../../src/infra/health/health.js';
import { findJob, fireJob, JOBS, startScheduler, type JobDefinition, type JobServices } from '../../src/jobs/scheduler.js';
import { startCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const GB = 1024 ** 3;
const roomy = async (): Promise<DiskSpace> => ({ freeBytes: 40 * GB, totalBytes: 100 * GB });
const full = async (): Promise<DiskSpace> => ({ freeBytes: 50 * 1024 ** 2, totalBytes: 100 * GB });

describe('the operations jobs of roshni start', () => {
  // Each test opens a clinic of its own, with two admins, no backups and no health checks yet, and a
  // Roshni home of its own; and two `roshni start` processes' connections to it.
  let database: TestDatabase;
  let databases: Database[];
  let home: string;
  let services: JobServices;
  const original = healthProbes.diskSpace;

  beforeEach(async () => {
    databases = [];
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-ops-jobs-'));
    const ctx = systemContext(database.db);
    await seedClinic(ctx, { days: 2 });
    await addStaffUser(ctx, { username: 'asha', fullName: 'Asha Rao', role: 'admin' });
    await addStaffUser(ctx, { username: 'vikram', fullName: 'Vikram Rao', role: 'admin' });
    // Two `roshni start` processes: two pools, each as roshni start's role (roshni_service).
    databases = [await openPostgres(database.url, { role: SERVICE_ROLE }), await openPostgres(database.url, { role: SERVICE_ROLE })];
    const config = loadConfig({ DATABASE_URL: database.url, ROSHNI_HOME: home, ROSHNI_BACKUP_KEEP_WEEKLY: '1' }, '/nonexistent/.env');
    services = { config, database: databases[0]! };
  });
  afterEach(async () => {
    healthProbes.diskSpace = original;
    await Promise.all(databases.map((d) => d.close()));
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** The backup files of a kind in the home's backups folder (which the first backup makes). */
  const backupFiles = (kind: string) =>
    existsSync(join(home, 'backups')) ? readdirSync(join(home, 'backups')).filter((n) => n.startsWith(`roshni-${kind}-`) && n.endsWith('.backup')) : [];
  const contextAt = (clock: ReturnType<typeof fixedClock>, which = 0): DomainContext => ({ ...systemContext(databases[which]!.db), clock });

  it('are scheduled: backups at night in the clinic’s time, the health check every minute', () => {
    const schedule = Object.fromEntries(JOBS.map((j) => [j.name, j.cron]));
    expect(schedule).toMatchObject({ 'backup-daily': '0 2-23 * * *', 'backup-weekly': '30 2-23 * * 0', 'backup-monthly': '0 3-23 1 * *', health: '* * * * *' });
    expect(findJob('reminders')).toBeDefined();
    const night = new Date('2026-11-29T20:30:00Z'); // 02:00 on Monday 30 November in Kolkata
    expect(findJob('backup-daily')!.windowKey(night, 'Asia/Kolkata')).toBe('2026-11-30');
    expect(findJob('backup-monthly')!.windowKey(night, 'Asia/Kolkata')).toBe('2026-11');
  });

  it('the daily backup: fired by two processes many times in one night, one backup is made', async () => {
    const clock = fixedClock('2026-11-29T20:30:00Z');
    const job = findJob('backup-daily')!;
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => fireJob(contextAt(clock, i % 2), job, `process-${i % 2}`, { ...services, database: databases[i % 2]! })),
    );
    const ran = outcomes.filter((o) => o.ran);
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatchObject({ state: 'succeeded', result: { kind: 'daily', encrypted: false, rotated: 0 } });
    expect(backupFiles('daily')).toHaveLength(1);
    const logged = await database.db.selectFrom('backups').select(['kind', 'state']).execute();
    expect(logged).toEqual([{ kind: 'daily', state: 'completed' }]);
    // The next night is a new window.
    clock.advance(24 * 3_600_000);
    expect(await fireJob(contextAt(clock), job, 'process-0', services)).toMatchObject({ ran: true, state: 'succeeded' });
    expect(backupFiles('daily')).toHaveLength(2);
  });

  it('two schedulers running the backup job: each window is backed up once', async () => {
    const daily = findJob('backup-daily')!;
    const everySecond: JobDefinition = { ...daily, name: 'backup-test', cron: '* * * * * *', windowKey: (now) => now.toISOString().slice(0, 19) };
    const before = backupFiles('daily').length;
    const one = startScheduler(systemContext(databases[0]!.db), { instanceId: 'one', jobs: [everySecond], services });
    const two = startScheduler(systemContext(databases[1]!.db), { instanceId: 'two', jobs: [everySecond], services: { ...services, database: databases[1]! } });
    await new Promise((resolve) => setTimeout(resolve, 3200));
    await Promise.all([one.stop(), two.stop()]);
    const runs = await database.db.selectFrom('job_runs').select(['window_key', 'state']).where('job_name', '=', 'backup-test').execute();
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.map((r) => r.window_key)).size).toBe(runs.length);
    expect(runs.every((r) => r.state === 'succeeded')).toBe(true);
    // One backup in the log per window.
    const made = await database.db.selectFrom('backups').select('id').where('kind', '=', 'daily').execute();
    expect(made.length - before).toBe(runs.length);
  });

  it('weekly and monthly backups are made with their type and rotated as configured', async () => {
    const clock = fixedClock('2026-11-28T21:00:00Z'); // 02:30 on Sunday 29 November in Kolkata
    const weekly = findJob('backup-weekly')!;
    expect(await fireJob(contextAt(clock), weekly, 'p', services)).toMatchObject({ ran: true, state: 'succeeded', result: { kind: 'weekly' } });
    clock.advance(7 * 24 * 3_600_000);
    expect(await fireJob(contextAt(clock), weekly, 'p', services)).toMatchObject({ ran: true, state: 'succeeded', result: { kind: 'weekly', rotated: 1 } });
    expect(backupFiles('weekly')).toHaveLength(1); // ROSHNI_BACKUP_KEEP_WEEKLY=1
    const monthly = findJob('backup-monthly')!;
    expect(await fireJob(contextAt(clock), monthly, 'p', services)).toMatchObject({ ran: true, state: 'succeeded', result: { kind: 'monthly' } });
    expect(await fireJob(contextAt(clock), monthly, 'p', services)).toEqual({ ran: false, reason: 'already_ran' });
    expect(backupFiles('monthly')).toHaveLength(1);
  });

  it('the health check logs every minute and alerts the admins once per unhealthy spell', async () => {
    const clock = fixedClock(new Date());
    const job = findJob('health')!;
    const alerts = () =>
      database.db.selectFrom('notifications').select(['staff_user_id', 'payload', 'idempotency_key']).where('kind', '=', 'admin_alert').orderBy('id').execute();
    const minute = async (disk: () => Promise<DiskSpace>) => {
      healthProbes.diskSpace = disk;
      const outcome = await fireJob(contextAt(clock), job, 'p', services);
      clock.advance(60_000);
      return outcome;
    };
    expect(await minute(roomy)).toMatchObject({ ran: true, state: 'succeeded', result: { alerted: 0 } });
    expect(await minute(full)).toMatchObject({ ran: true, state: 'succeeded', result: { status: 'unhealthy', failing: ['disk'], alerted: 2 } });
    const first = await alerts();
    expect(first).toHaveLength(2);
    expect((first[0]!.payload as { text: string }).text).toMatch(/^Roshni is unhealthy since .*: disk: 0\.0 GB free/);
    // Still failing: no new alert, minute after minute.
    expect(await minute(full)).toMatchObject({ result: { status: 'unhealthy', alerted: 0 } });
    expect(await minute(full)).toMatchObject({ result: { alerted: 0 } });
    expect(await alerts()).toHaveLength(2);
    // Recovered, then failing again: a new alert.
    expect(await minute(roomy)).toMatchObject({ result: { alerted: 0 } });
    expect(await minute(full)).toMatchObject({ result: { status: 'unhealthy', alerted: 2 } });
    expect(await alerts()).toHaveLength(4);
    const logged = await database.db.selectFrom('health_checks').select('status').orderBy('id').execute();
    expect(logged.map((r) => r.status)).toEqual(['degraded', 'unhealthy', 'unhealthy', 'unhealthy', 'degraded', 'unhealthy']);
    // The same minute, fired again (a second process): nothing more.
    clock.advance(-60_000);
    expect(await fireJob(contextAt(clock, 1), job, 'q', services)).toEqual({ ran: false, reason: 'already_ran' });
  });

  it("a `roshni health` run logging the failure first does not swallow the job's alert", async () => {
    const clock = fixedClock(new Date(Date.now() + 3_600_000));
    const job = findJob('health')!;
    const before = (await database.db.selectFrom('notifications').select('id').where('kind', '=', 'admin_alert').execute()).length;
    healthProbes.diskSpace = roomy;
    await fireJob(contextAt(clock), job, 'p', services);
    clock.advance(60_000);
    healthProbes.diskSpace = full;
    // The desk runs `roshni health` (logged, no alert) a moment before the job's own check.
    const report = await checkHealth({ config: services.config, clock, db: databases[0]!.db });
    expect(report.status).toBe('unhealthy');
    await recordHealth(databases[0]!.db, report);
    clock.advance(1_000);
    expect(await fireJob(contextAt(clock), job, 'p', services)).toMatchObject({ result: { status: 'unhealthy', alerted: 2 } });
    expect((await database.db.selectFrom('notifications').select('id').where('kind', '=', 'admin_alert').execute()).length).toBe(before + 2);
  });

  it('a failed backup alerts the admins once for its day and is tried again; a run whose process died is taken over', async () => {
    const clock = fixedClock(new Date('2031-03-04T20:30:00Z')); // 02:00 in Kolkata
    const job = findJob('backup-daily')!;
    // A backup folder that cannot be made: its parent is a file.
    writeFileSync(join(home, 'not-a-folder'), 'x');
    const broken = {
      ...services,
      config: loadConfig({ DATABASE_URL: database.url, ROSHNI_HOME: home, ROSHNI_BACKUP_DIR: join(home, 'not-a-folder', 'backups') }, '/nonexistent/.env'),
    };
    const alerts = () =>
      database.db
        .selectFrom('notifications')
        .select('payload')
        .where('kind', '=', 'admin_alert')
        .where(sql<boolean>`payload->>'about' = 'backup'`)
        .execute();
    expect(await fireJob(contextAt(clock), job, 'p', broken)).toMatchObject({ ran: true, state: 'failed' });
    clock.advance(3_600_000); // 03:00: the hourly retry, failing again
    expect(await fireJob(contextAt(clock), job, 'p', broken)).toMatchObject({ ran: true, state: 'failed' });
    const sent = await alerts();
    expect(sent).toHaveLength(2); // one per admin, once for the day
    expect((sent[0]!.payload as { text: string }).text).toMatch(/^The daily backup of 2031-03-05 failed: /);
    // 04:00: the next retry works.
    clock.advance(3_600_000);
    expect(await fireJob(contextAt(clock), job, 'p', services)).toMatchObject({ ran: true, state: 'succeeded' });

    // Another day's run whose process died mid-way stays "running": taken over once stale, not before.
    const nextDay = '2031-03-06';
    await database.db
      .insertInto('job_runs')
      .values({ job_name: 'backup-daily', window_key: nextDay, instance_id: 'dead:1', started_at: new Date('2031-03-05T20:30:00Z') })
      .execute();
    clock.set(new Date('2031-03-05T21:00:00Z')); // 02:30: 30 minutes on
    expect(await fireJob(contextAt(clock), job, 'p', services)).toEqual({ ran: false, reason: 'running_elsewhere' });
    clock.set(new Date('2031-03-05T21:30:00Z')); // 03:00: an hour on
    expect(await fireJob(contextAt(clock), job, 'p', services)).toMatchObject({ ran: true, state: 'succeeded' });
  });

  it('GET /health on roshni start answers the report of roshni health --json to the bearer of ROSHNI_HEALTH_TOKEN, the status alone to others, 200 when not unhealthy', async () => {
    const token = 'c4f9a1e07b3d42e8a6f1c2d3e4f5a6b7';
    const child = startCli(['start', '--json'], { DATABASE_URL: database.url, ROSHNI_HOME: home, ROSHNI_HTTP_PORT: '0', ROSHNI_HEALTH_TOKEN: token });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      let started: { httpUrl: string; jobs: string[] } | undefined;
      for (const deadline = Date.now() + 20_000; !started && Date.now() < deadline;) {
        try {
          started = JSON.parse(stdout);
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const { httpUrl, jobs } = started!;
      expect(jobs).toEqual(expect.arrayContaining(['backup-daily', 'backup-weekly', 'backup-monthly', 'health']));
      const summary = await fetch(`${httpUrl}/health`);
      expect(summary.status).toBe(200);
      expect(['{"status":"ok"}', '{"status":"degraded"}']).toContain(await summary.text());
      const response = await fetch(`${httpUrl}/health`, { headers: { Authorization: `Bearer ${token}` } });
      const report = (await response.json()) as { status: string; checks: Array<{ name: string }> };
      expect(response.status).toBe(200);
      expect(['healthy', 'degraded']).toContain(report.status);
      expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['database', 'disk', 'backup', 'verified-backup', 'outbox', 'documents']));
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 40_000);
});
