import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { startRoshni, stopRoshni } from '../support/running-start.js';

describe('roshni start', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;

  beforeAll(async () => {
    database = await createTestDatabase();
    telegram = await startFakeTelegram();
    await database.db.insertInto('clinic_settings').values({ name: 'Sunrise Child Therapy', quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
    await sql`INSERT INTO patients (full_name, telegram_chat_id) SELECT 'Patient ' || i, (7000 + i)::text FROM generate_series(1, 2) i`.execute(database.db);
    await sql`
      INSERT INTO notifications (idempotency_key, kind, patient_id, payload, due_at)
      SELECT 'start-test:' || id, 'payment_received', id, '{"amountPaise": 50000, "receiptNumber": "RCPT-1"}', ${new Date()}::timestamptz
      FROM patients`.execute(database.db);
  });
  afterAll(async () => {
    await telegram?.close();
    await database?.close();
  });

  it('two processes send each message once, and each stops on SIGTERM with exit code 0', async () => {
    const env = {
      DATABASE_URL: database.url,
      ROSHNI_HOME: '/nonexistent/roshni-home',
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
    };
    const starts = [startRoshni(env), startRoshni(env)];
    await telegram.waitForCalls('sendMessage', 2, 20_000);
    await Promise.all(starts.map((start) => start.running(20_000)));
    const stopped = await Promise.all(starts.map((start) => stopRoshni(start)));
    expect(
      stopped.map((s) => s.code),
      starts.map((s) => s.stderr()).join('\n'),
    ).toEqual([0, 0]);
    expect(starts[0]!.stdout()).toContain('Sending by: telegram');
    expect(starts[0]!.stderr()).toContain('SIGTERM: finishing sends in flight and stopping.');
    expect(telegram.callsOf('sendMessage')).toHaveLength(2);
    const states = await database.db.selectFrom('notifications').select('state').execute();
    expect(states.map((s) => s.state)).toEqual(['sent', 'sent']);
  }, 60_000);

  it('a SIGTERM while it is still starting (creating the embedded database) lets it finish starting, then stop with exit 0', async () => {
    const home = makeEmbeddedHome();
    try {
      const start = startRoshni({ ROSHNI_HOME: home });
      // The server's directory appears as the embedded database is being created: the command is running.
      for (const deadline = Date.now() + 20_000; !existsSync(join(home, 'pg')) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
      expect(existsSync(join(home, 'pg'))).toBe(true);
      // It finishes creating the database first, which takes a while on a busy machine; exit code 0
      // (a process killed by the signal would have none).
      expect((await stopRoshni(start, 45_000)).code, start.stderr()).toBe(0);
      expect(start.stderr()).toContain('SIGTERM: finishing sends in flight and stopping.');
      expect(existsSync(join(home, 'pg.lock'))).toBe(false);
    } finally {
      await removeEmbeddedHome(home);
    }
  }, 60_000);
});
