import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/domain/actor.js';
import type { DomainContext } from '../../src/domain/context.js';
import { systemClock } from '../../src/infra/clock.js';
import { loadConfig } from '../../src/infra/config.js';
import { openEmbedded, type Database } from '../../src/infra/db/database.js';
import { SERVICE_ROLE } from '../../src/infra/db/row-security.js';
import { healthProbes } from '../../src/infra/health/health.js';
import { findJob, fireJob, startScheduler, type JobDefinition } from '../../src/jobs/scheduler.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';

// `roshni start` on the embedded database (its PostgreSQL server under ROSHNI_HOME), opened as start
// opens it: a job that needs the database while its bookkeeping holds a connection runs, and its run is
// recorded once.
describe('scheduled jobs on the embedded database', () => {
  let home: string;
  let database: Database;
  let ctx: DomainContext;

  beforeAll(async () => {
    home = makeEmbeddedHome();
    database = await openEmbedded(home, { role: SERVICE_ROLE }); // as roshni start opens it
    ctx = { db: database.db, clock: systemClock, timezone: 'Asia/Kolkata', actor: systemActor };
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await removeEmbeddedHome(home);
  });

  /** Fails instead of hanging the test run. */
  const within = <T>(ms: number, work: Promise<T>) =>
    Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);

  it('a job that queries the database runs, and its run is recorded once for its window', async () => {
    const job: JobDefinition = {
      name: 'embedded-query',
      cron: '* * * * *',
      windowKey: () => 'window-1',
      run: async (c) => ({
        runs: Number(
          (
            await c.db
              .selectFrom('job_runs')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('job_name', '=', 'embedded-query')
              .executeTakeFirstOrThrow()
          ).n,
        ),
      }),
    };
    expect(await within(10_000, fireJob(ctx, job, 'embedded'))).toMatchObject({ ran: true, state: 'succeeded', result: { runs: 1 } });
    expect(await within(10_000, fireJob(ctx, job, 'embedded'))).toEqual({ ran: false, reason: 'already_ran' });
  });

  it("roshni start's own jobs (reminders, health) complete, and the scheduler stops", async () => {
    const original = healthProbes.diskSpace;
    healthProbes.diskSpace = async () => ({ freeBytes: 40 * 1024 ** 3, totalBytes: 100 * 1024 ** 3 });
    try {
      const config = loadConfig({ ROSHNI_HOME: home }, '/nonexistent/.env');
      const services = { config, database };
      expect(await within(20_000, fireJob(ctx, findJob('reminders')!, 'embedded', services))).toMatchObject({ ran: true, state: 'succeeded' });
      expect(await within(20_000, fireJob(ctx, findJob('health')!, 'embedded', services))).toMatchObject({ ran: true, state: 'succeeded' });
      const everySecond: JobDefinition = {
        ...findJob('reminders')!,
        name: 'embedded-every-second',
        cron: '* * * * * *',
        windowKey: (now) => now.toISOString().slice(0, 19),
      };
      const scheduler = startScheduler(ctx, { instanceId: 'embedded', jobs: [everySecond], services });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await within(10_000, scheduler.stop());
      const runs = await database.db.selectFrom('job_runs').select('state').where('job_name', '=', everySecond.name).execute();
      expect(runs.length).toBeGreaterThanOrEqual(1);
      expect(runs.every((r) => r.state === 'succeeded')).toBe(true);
    } finally {
      healthProbes.diskSpace = original;
    }
  }, 60_000);
});
