import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/domain/actor.js';
import type { DomainContext } from '../../src/domain/context.js';
import { fixedClock } from '../../src/infra/clock.js';
import { loadConfig } from '../../src/infra/config.js';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { SERVICE_ROLE } from '../../src/infra/db/row-security.js';
import { createMigratedDatabase } from '../../src/infra/db/server-admin.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../src/infra/db/throwaway-postgres.js';
import type { JobDefinition } from '../../src/jobs/scheduler.js';
import { startRoshni } from '../../src/start/roshni.js';
import { startFakeResend, type FakeResend } from '../support/fake-resend.js';
import { gate } from '../support/faults.js';
import { waitFor } from '../support/wait.js';

// `roshni start` keeps running while its PostgreSQL server restarts under it: connections drop
// (a query in progress fails, nothing else does), sends already made are recorded once the server
// is back, and then the dispatcher and the scheduler carry on. No outbox row is lost, none is sent
// twice. The test runs a PostgreSQL server of its own, to restart it.

describe('PostgreSQL restarting under a running roshni start', () => {
  let server: ThrowawayPostgres;
  let database: Database;
  let resend: FakeResend;
  const clock = fixedClock('2031-03-10T06:00:00Z');

  beforeAll(async () => {
    [server, resend] = await Promise.all([startThrowawayPostgres(), startFakeResend()]);
    const url = await createMigratedDatabase(server.url, 'roshni');
    database = await openPostgres(url, { role: SERVICE_ROLE }); // as roshni start opens it
    await database.db.insertInto('clinic_settings').values({ name: 'Sunrise Child Therapy', quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
  }, 120_000);
  afterAll(async () => {
    await database?.close();
    await Promise.all([server?.stop(), resend?.close()]);
  });

  /** `count` patients reachable by email only, each with a payment receipt due. */
  const enqueue = async (count: number, batch: string) => {
    await sql`
      INSERT INTO patients (full_name, email)
      SELECT 'Patient ' || ${batch} || i, ${batch} || i || '@example.in' FROM generate_series(1, ${count}) i`.execute(database.db);
    await sql`
      INSERT INTO notifications (idempotency_key, kind, patient_id, payload, due_at)
      SELECT 'restart:' || p.id, 'payment_received', p.id, jsonb_build_object('amountPaise', 100000, 'receiptNumber', 'RCPT-' || p.id),
             ${clock.now()}::timestamptz - interval '1 minute'
      FROM patients p WHERE p.email LIKE ${`${batch}%`}`.execute(database.db);
  };
  const states = async () =>
    Object.fromEntries(
      (await sql<{ state: string; n: number }>`SELECT state, count(*)::int AS n FROM notifications GROUP BY state`.execute(database.db)).rows.map((r) => [
        r.state,
        r.n,
      ]),
    );

  it('sends every message exactly once across the restart, and keeps sending and running jobs after it', async () => {
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    const logged: string[] = [];
    let ticks = 0;
    let windows = 0;
    // A job every second, so the scheduler is seen to run again after the restart.
    const probe: JobDefinition = {
      name: 'restart-probe',
      cron: '* * * * * *',
      windowKey: () => `tick-${++windows}`,
      run: async (ctx) => {
        await sql`SELECT 1`.execute(ctx.db);
        ticks++;
        return {};
      },
    };
    await enqueue(12, 'before');
    // The first four emails are held at Resend until the server is down: they go out then, and
    // their outcome can be recorded only once the server is back.
    const held = gate();
    resend.faults.next({ kind: 'hold', until: held.until }, 4);
    const ctx: DomainContext = { db: database.db, clock, timezone: 'Asia/Kolkata', actor: systemActor };
    const config = loadConfig(
      {
        DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
        RESEND_API_KEY: 're_test_key_000',
        RESEND_BASE_URL: resend.baseUrl,
        ROSHNI_EMAIL_FROM: 'desk@sunrise.example',
      },
      '/nonexistent/.env',
    );
    const running = await startRoshni({ ctx, config, database, log: (line) => logged.push(line), http: false, jobs: [probe] });
    try {
      await waitThroughErrors(() => resend.faults.struck === 4 && ticks > 0, 15_000, 'four sends in flight and the probe job running');
      // A desk report in progress, and a transaction between two statements (a chat turn waiting on
      // something), when the server goes down: both fail; the process does not.
      const report = sql`SELECT pg_sleep(30)`.execute(database.db).then(
        () => 'finished',
        () => 'failed',
      );
      const [inside, restarted] = [gate(), gate()];
      const turn = database.db
        .transaction()
        .execute(async (trx) => {
          await sql`SELECT 1`.execute(trx);
          inside.open();
          await restarted.until;
          await sql`SELECT 1`.execute(trx);
        })
        .then(
          () => 'finished',
          () => 'failed',
        );
      await inside.until;

      await server.restart(async () => {
        held.open();
        await waitThroughErrors(() => resend.emails.length === 4, 10_000, 'the held emails to go out while the server is down');
        await new Promise((resolve) => setTimeout(resolve, 500)); // the dispatcher tries to record them, and cannot yet
      });
      const ticksAtRestart = ticks;
      restarted.open();
      expect([await report, await turn]).toEqual(['failed', 'failed']);

      await waitThroughErrors(async () => (await states()).sent === 12, 30_000, 'all twelve messages to be recorded as sent');
      await enqueue(3, 'after');
      await waitThroughErrors(async () => (await states()).sent === 15, 20_000, 'the messages queued after the restart to be sent');
      await waitThroughErrors(() => ticks >= ticksAtRestart + 2, 10_000, 'the probe job to run again after the restart');
    } finally {
      const stopping = performance.now();
      await running.stop();
      expect(performance.now() - stopping).toBeLessThan(9_000);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
    }

    expect(crashes).toEqual([]);
    expect(await states()).toEqual({ sent: 15 });
    const keys = (await database.db.selectFrom('notifications').select('idempotency_key').execute()).map((r) => r.idempotency_key);
    expect(keys.map((key) => [key, resend.sendsByKey.get(key)])).toEqual(keys.map((key) => [key, 1]));
    expect(resend.emails).toHaveLength(15);
    expect(logged.join('\n')).not.toContain('@example.in');
  }, 120_000);
});

/** As waitFor, where an error means "not yet": the database is still coming back. */
function waitThroughErrors(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const settled = async () => {
    try {
      return await condition();
    } catch {
      return false;
    }
  };
  return waitFor(settled, timeoutMs, what, 50);
}
