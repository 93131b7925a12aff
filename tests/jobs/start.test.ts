import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';

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
    const children = [0, 1].map(() => startCli(['start', '--no-http'], env));
    const outputs = children.map((child) => {
      const out = { stdout: '', stderr: '' };
      child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
      return out;
    });
    const exits = children.map((child) => new Promise<number | null>((resolve) => child.on('close', resolve)));
    await telegram.waitForCalls('sendMessage', 2, 20_000);
    for (const out of outputs) {
      const deadline = Date.now() + 10_000;
      while (!out.stdout.includes('Roshni is running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    children.forEach((child) => child.kill('SIGTERM'));
    expect(await Promise.all(exits)).toEqual([0, 0]);
    expect(outputs[0]!.stdout).toContain('Sending by: telegram');
    expect(outputs[0]!.stderr).toContain('SIGTERM: finishing sends in flight and stopping.');
    expect(telegram.callsOf('sendMessage')).toHaveLength(2);
    const states = await database.db.selectFrom('notifications').select('state').execute();
    expect(states.map((s) => s.state)).toEqual(['sent', 'sent']);
  }, 40_000);

  it('a SIGTERM while it is still starting (creating the embedded database) lets it finish starting, then stop with exit 0', async () => {
    const home = makeEmbeddedHome();
    try {
      const child = startCli(['start', '--no-http'], { ROSHNI_HOME: home });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
      // The server's directory appears as the embedded database is being created: the command is running.
      for (const deadline = Date.now() + 20_000; !existsSync(join(home, 'pg')) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
      expect(existsSync(join(home, 'pg'))).toBe(true);
      child.kill('SIGTERM');
      expect(await exit, stderr).toEqual([0, null]);
      expect(stderr).toContain('SIGTERM: finishing sends in flight and stopping.');
      expect(existsSync(join(home, 'pg.lock'))).toBe(false);
    } finally {
      await removeEmbeddedHome(home);
    }
  }, 60_000);
});
