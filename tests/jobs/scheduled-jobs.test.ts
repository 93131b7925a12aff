import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/infra/db/database.js';
import { fireJob, startScheduler, type JobDefinition } from '../../src/jobs/scheduler.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

describe('scheduled jobs', () => {
  let database: TestDatabase;
  let second: Awaited<ReturnType<typeof openPostgres>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    second = await openPostgres(database.url);
  });
  afterAll(async () => {
    await second?.close();
    await database?.close();
  });

  it('two processes firing the same job in the same window: it runs once', async () => {
    const ran: string[] = [];
    const job: JobDefinition = {
      name: 'test-once',
      cron: '* * * * * *',
      windowKey: () => 'window-1',
      run: async () => {
        ran.push('x');
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { ok: true };
      },
    };
    const contexts = [systemContext(database.db), systemContext(second.db)];
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => fireJob(contexts[i % 2]!, job, `p${i}`)));
    expect(ran).toHaveLength(1);
    expect(outcomes.filter((o) => o.ran)).toHaveLength(1);
  });

  it('two schedulers (two `roshni start`s) on one database: each job runs once per window', async () => {
    const runs: string[] = [];
    const job: JobDefinition = {
      name: 'test-every-second',
      cron: '* * * * * *',
      windowKey: (now) => now.toISOString().slice(0, 19),
      run: async () => {
        runs.push(new Date().toISOString().slice(0, 19));
        return {};
      },
    };
    const one = startScheduler(systemContext(database.db), { instanceId: 'one', jobs: [job] });
    const two = startScheduler(systemContext(second.db), { instanceId: 'two', jobs: [job] });
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await one.stop();
    await two.stop();
    const rows = await database.db.selectFrom('job_runs').select(['window_key', 'instance_id', 'state']).where('job_name', '=', job.name).execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(new Set(rows.map((r) => r.window_key)).size).toBe(rows.length);
    expect(runs).toHaveLength(rows.length);
    expect(rows.every((r) => r.state === 'succeeded')).toBe(true);
  });

  it('a failed window may be run again; a succeeded one never', async () => {
    let fail = true;
    const job: JobDefinition = {
      name: 'test-retry',
      cron: '0 0 * * *',
      windowKey: () => 'day-1',
      run: async () => {
        if (fail) throw new Error('disk full');
        return { done: 1 };
      },
    };
    const ctx = systemContext(database.db);
    expect(await fireJob(ctx, job, 'a')).toMatchObject({ ran: true, state: 'failed', error: 'disk full' });
    fail = false;
    expect(await fireJob(ctx, job, 'a')).toMatchObject({ ran: true, state: 'succeeded' });
    expect(await fireJob(ctx, job, 'a')).toEqual({ ran: false, reason: 'already_ran' });
  });

  it('remind run, jobs list, notifications list --failed and retry, through the CLI', async () => {
    const ctx = systemContext(database.db);
    const clinic = await seedClinic(ctx, { patients: 2, days: 3 });
    // A slot 5 h from now, whatever the time of day (the CLI runs on the real clock): its 2 h
    // reminder is still to come, its 24 h one has passed.
    const startsAt = new Date(Math.ceil((Date.now() + 5 * 3_600_000) / 60_000) * 60_000);
    const endsAt = new Date(startsAt.getTime() + 45 * 60_000);
    await database.db
      .deleteFrom('appointment_slots')
      .where('therapist_id', '=', clinic.speech.id)
      .where('starts_at', '<', endsAt)
      .where('ends_at', '>', startsAt)
      .execute();
    const slot = await database.db
      .insertInto('appointment_slots')
      .values({ therapist_id: clinic.speech.id, starts_at: startsAt, ends_at: endsAt })
      .returning('id')
      .executeTakeFirstOrThrow();
    await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, slotId: slot.id, serviceId: clinic.speechService.id });
    await database.db.deleteFrom('notifications').where('kind', '=', 'reminder').execute();
    // No quiet hours: at night (the suite runs at 00:10 too) the 2 h reminder would fall in them and be
    // recorded as skipped, not scheduled.
    await database.db.updateTable('clinic_settings').set({ quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
    // Staff commands: Anita, the admin, signed in.
    await addStaffUser(ctx, { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    const env = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin') };

    const dry = await runCli(['remind', 'run', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, scheduled: 1, appointments: 1 });
    const real = await runCli(['remind', 'run'], env);
    expect(real.stdout).toContain('Scheduled 1 reminder(s) for 1 upcoming appointment(s).');
    const again = await runCli(['remind', 'run'], env);
    expect(again.stdout).toMatch(/already ran this minute|Scheduled 0 reminder/);

    // In words: when each job runs, what its last run did; the raw results are --json's.
    const jobs = await runCli(['jobs', 'list'], env);
    expect(jobs.code).toBe(0);
    expect(jobs.stdout).toMatch(/^Job\s+When\s+Last run\s+Took\s+Outcome\s+Result\s+Runs\s*$/m);
    expect(jobs.stdout).toMatch(/^reminders\s+every minute\s+.+\s+\d+ ms\s+done\s+\d+ reminder\(s\) for \d+ appointment\(s\)\s+\d+\s*$/m);
    expect(jobs.stdout).toMatch(/^slot-generation\s+daily 01:30\s+never run\s+0\s*$/m);
    expect(jobs.stdout).toMatch(/^backup-daily\s+daily from 02:00, hourly until 23:00\s/m);
    expect(jobs.stdout).toMatch(/^backup-weekly\s+Sundays from 02:30, hourly until 23:30\s/m);
    expect(jobs.stdout).toMatch(/^backup-monthly\s+the 1st of each month from 03:00, hourly until 23:00\s/m);
    expect(jobs.stdout).not.toMatch(/[{}"]/);
    const raw = JSON.parse((await runCli(['jobs', 'list', '--json'], env)).stdout) as Array<{
      job: string;
      schedule: string;
      last: { result: unknown } | null;
    }>;
    expect(raw.find((j) => j.job === 'reminders')).toMatchObject({
      schedule: '* * * * *',
      last: { result: { scheduled: expect.any(Number), appointments: expect.any(Number) } },
    });
    expect(raw.find((j) => j.job === 'slot-generation')).toMatchObject({ schedule: '30 1 * * *', last: null });

    const confirmation = await database.db.selectFrom('notifications').select('id').where('kind', '=', 'booking_confirmed').executeTakeFirstOrThrow();
    await database.db
      .updateTable('notifications')
      .set({ state: 'failed', last_error: 'fast2sms: 416', attempts: 6 })
      .where('id', '=', confirmation.id)
      .execute();
    const failed = await runCli(['notifications', 'list', '--failed'], env);
    expect(failed.stdout).toMatch(new RegExp(`${confirmation.id}\\s+booking_confirmed\\s+failed`));
    expect(failed.stdout).not.toContain('+9198');
    const retried = await runCli(['notifications', 'retry', String(confirmation.id)], env);
    expect(retried.code).toBe(0);
    const row = await database.db.selectFrom('notifications').select(['state', 'attempts']).where('id', '=', confirmation.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'pending', attempts: 0 });
    expect((await runCli(['notifications', 'retry', String(confirmation.id)], env)).code).toBe(3);
  });
});

describe('jobs list in words', () => {
  it("says each job's result in a few words (the backups', health's and any other's)", async () => {
    const { describeSchedule, summariseResult } = await import('../../src/commands/jobs.js');
    expect(describeSchedule('*/5 * * * *')).toBe('every 5 min');
    expect(describeSchedule('15 9 * * 1-5')).toBe('15 9 * * 1-5'); // not one Roshni uses: shown as it is
    expect(
      summariseResult('backup-daily', {
        backupId: 12,
        kind: 'daily',
        file: 'roshni-daily-20261207T020000000Z.backup',
        sizeBytes: 2_500_000,
        encrypted: true,
        rotated: 1,
      }),
    ).toBe('backup 12: roshni-daily-20261207T020000000Z.backup, 2.4 MB, encrypted, 1 rotated away');
    expect(summariseResult('health', { status: 'degraded', failing: [], warning: ['backup', 'outbox'], alerted: 0 })).toBe('degraded; warning: backup, outbox');
    expect(summariseResult('waitlist-offers', { expired: 1, offered: 2, lapsed: 0 })).toBe('2 offered, 1 expired, 0 lapsed');
    expect(summariseResult('some-new-job', { sentOut: 3, dryRun: true, names: ['a', 'b'], mode: 'fast' })).toBe('3 sent out, dry run, 2 names, mode fast');
  });
});
