import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { waitFor } from '../support/wait.js';

// README, "Running it for a clinic": two `roshni start`s on two machines share one database. Each
// process here has a home of its own (another machine's disk) and a wall clock of its own, set by
// libfaketime to 40 s before 02:00 IST, when the daily backup and a health window both begin (the
// processes must be running by then, also on a machine busy with the rest of the suite).
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const MESSAGES = 120;
const missingFaketime = !existsSync(LIBFAKETIME);

describe.skipIf(missingFaketime && !process.env.CI)('two roshni starts on two machines, one database', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  const homes: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    telegram = await startFakeTelegram();
    await database.db.insertInto('clinic_settings').values({ name: 'Sunrise Child Therapy', quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
    await sql`INSERT INTO patients (full_name, telegram_chat_id) SELECT 'Patient ' || i, (8000 + i)::text FROM generate_series(1, ${MESSAGES}) i`.execute(
      database.db,
    );
    await sql`
      INSERT INTO notifications (idempotency_key, kind, patient_id, payload, due_at)
      SELECT 'two-machines:' || id, 'payment_received', id, '{"amountPaise": 50000, "receiptNumber": "RCPT-1"}', now()
      FROM patients`.execute(database.db);
  });
  afterAll(async () => {
    await telegram?.close();
    await database?.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  it('send each message once and run each job window once (the 02:00 backup, each minute’s health check)', async () => {
    expect(existsSync(LIBFAKETIME), `libfaketime is needed (apt-get install faketime): ${LIBFAKETIME}`).toBe(true);
    const sharedBackups = mkdtempSync(join(tmpdir(), 'roshni-two-machines-backups-'));
    homes.push(sharedBackups);
    const machines = ['one', 'two'].map((name) => {
      const home = mkdtempSync(join(tmpdir(), `roshni-two-machines-${name}-`));
      homes.push(home);
      const child = startCli(['start', '--no-http'], {
        DATABASE_URL: database.url,
        ROSHNI_HOME: home,
        // Backups go to one shared place (a mounted share): each window's file is made once.
        ROSHNI_BACKUP_DIR: sharedBackups,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        TZ: 'UTC',
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME: '@2027-03-01 20:29:20',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      });
      const out = { stdout: '', stderr: '' };
      child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
      const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
      return { child, out, exit };
    });

    await waitFor(
      async () => {
        const runs = await database.db
          .selectFrom('job_runs')
          .select(['job_name', 'window_key', 'state'])
          .where('job_name', 'in', ['backup-daily', 'health'])
          .where('state', '=', 'succeeded')
          .execute();
        const ran = (job: string, window: string) => runs.some((r) => r.job_name === job && r.window_key === window);
        return ran('backup-daily', '2027-03-02') && ran('health', '2027-03-02T02:00');
      },
      75_000,
      'the 02:00 backup and health windows to be run',
    ).catch(async (error: Error) => {
      // What ran, and what the two processes said: enough to tell a slow machine from a wrong window.
      const runs = await database.db.selectFrom('job_runs').select(['job_name', 'window_key', 'state', 'instance_id']).execute();
      throw new Error(`${error.message}; job runs: ${JSON.stringify(runs)}; logs: ${machines.map((m) => m.out.stdout + m.out.stderr).join('\n---\n')}`);
    });
    await waitFor(() => telegram.callsOf('sendMessage').length >= MESSAGES, 20_000, 'every message to be sent');
    for (const machine of machines) machine.child.kill('SIGTERM');
    const exits = await Promise.all(machines.map((m) => m.exit));
    expect(exits, machines.map((m) => m.out.stderr).join('\n')).toEqual([0, 0]);
    for (const machine of machines) expect(machine.out.stdout).toContain('Roshni is running');

    // Every family's message went once, whichever process claimed it, and both processes claimed some.
    const chats = telegram.callsOf('sendMessage').map((call) => String(call.params.chat_id));
    expect(chats).toHaveLength(MESSAGES);
    expect(new Set(chats).size).toBe(MESSAGES);
    const states = await database.db.selectFrom('notifications').select('state').execute();
    expect(states.every((s) => s.state === 'sent')).toBe(true);

    // Each job window was run by one process only: one daily backup, one health check per minute.
    const runs = await database.db.selectFrom('job_runs').select(['job_name', 'window_key', 'instance_id']).orderBy('window_key').execute();
    const daily = runs.filter((r) => r.job_name === 'backup-daily');
    expect(daily.map((r) => r.window_key)).toEqual(['2027-03-02']);
    const health = runs.filter((r) => r.job_name === 'health').map((r) => r.window_key);
    expect(health).toContain('2027-03-02T02:00');
    expect(new Set(health).size).toBe(health.length);
    expect(readdirSync(sharedBackups).filter((f) => f.endsWith('.backup'))).toHaveLength(1);
  }, 120_000);
});
