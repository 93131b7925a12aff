import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/domain/demo/demo-clinic.js';
import { openEmbedded } from '../../src/infra/db/database.js';
import { spawnCli, type CliResult } from '../support/cli.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';
import { startFakeTelegram } from '../support/fake-telegram.js';
import { startRoshni, stopRoshni } from '../support/running-start.js';
import { waitFor } from '../support/wait.js';

// A newcomer's first commands, with no PostgreSQL server and no DATABASE_URL: the built CLI,
// each command its own process, on the embedded database under ROSHNI_HOME.
// The first command creates and starts the embedded PostgreSQL server (seconds): give it room on a busy machine.
describe('the embedded database, through the built CLI', { timeout: 90_000 }, () => {
  const home = makeEmbeddedHome();
  const env = { ROSHNI_HOME: home };
  // The newcomer's first commands, which every test below starts from: the demo clinic, loaded once, and
  // `roshni login demo.admin` as its "Try next" says (the session is kept under ROSHNI_HOME).
  let firstDemo: CliResult;
  let signedIn: CliResult;
  beforeAll(async () => {
    firstDemo = await spawnCli(['demo'], env);
    signedIn = await spawnCli(['login', 'demo.admin', '--password-stdin'], env, [], { input: `${DEMO_PASSWORD}\n` });
  });
  afterAll(() => removeEmbeddedHome(home));

  it('runs `roshni demo` on a machine with no database server', () => {
    const { code, stdout, stderr } = firstDemo;
    expect(stderr).toContain(`embedded database at ${join(home, 'pg', 'data')}`);
    expect(code).toBe(0);
    expect(stdout).toContain('Demo clinic loaded');
  });

  it('signs the demo admin in on the embedded database too', () => {
    expect(signedIn.code, signedIn.stderr).toBe(0);
    expect(signedIn.stdout).toContain('Signed in as demo.admin (admin)');
  });

  it('does not duplicate anything on a second run', async () => {
    const { code, stdout, stderr } = await spawnCli(['demo', '--json'], env);
    expect(stderr).not.toContain('roshni:');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ peopleCreated: false, bookingsCreated: 0, slotsCreated: 0 });
  });

  it('answers later commands from the same data', async () => {
    const status = JSON.parse((await spawnCli(['db', 'status', '--json'], env)).stdout);
    expect(status).toMatchObject({ database: 'embedded', pending: 0, server: { state: 'running', dataDir: join(home, 'pg', 'data'), version: '17.10' } });
    const today = await spawnCli(['today', '--json'], env);
    expect(today.code, today.stderr).toBe(0);
    expect(JSON.parse(today.stdout).timezone).toBe('Asia/Kolkata');
  });

  it('runs `roshni start` and the desk together: two bookings of one slot at once, one refused, the other sent by start', async () => {
    const owner = await openEmbedded(home);
    const telegram = await startFakeTelegram();
    const start = startRoshni({ ...env, TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot });
    try {
      // Every message may go at any hour, and the Gupta family has a Telegram chat.
      await owner.db.updateTable('clinic_settings').set({ quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
      await owner.db.updateTable('guardians').set({ telegram_chat_id: '7000' }).where('full_name', '=', 'Neha Gupta').execute();
      for (const [patient, chat] of [
        ['P-00001', '7001'],
        ['P-00002', '7002'],
      ]) {
        await owner.db.updateTable('patients').set({ telegram_chat_id: chat }).where('patient_number', '=', patient!).execute();
      }
      await start.running(60_000);

      const [slot] = JSON.parse(
        (await spawnCli(['availability', '--service', 'speech-therapy', '--therapist', 'priya', '--limit', '1', '--json'], env)).stdout,
      );
      const book = (patient: string) => spawnCli(['book', '--patient', patient, '--service', 'speech-therapy', '--slot', String(slot.slotId), '--json'], env);
      const results = await Promise.all([book('P-00001'), book('P-00002')]);
      expect(results.map((r) => r.code).sort(), results.map((r) => r.stderr).join('\n')).toEqual([0, 4]);
      const refused = results.find((r) => r.code === 4)!;
      expect(refused.stderr).toMatch(/^roshni: .*(already booked|was just taken)/);
      const booked = JSON.parse(results.find((r) => r.code === 0)!.stdout);
      expect(
        await owner.db.selectFrom('appointments').select('id').where('slot_id', '=', slot.slotId).where('status', '=', 'scheduled').execute(),
      ).toHaveLength(1);

      // The booking's confirmation, written to the outbox by the desk's command, is claimed and sent by start.
      const confirmation = () =>
        owner.db
          .selectFrom('notifications')
          .select(['state', 'channel', 'last_error'])
          .where('kind', '=', 'booking_confirmed')
          .where('appointment_id', '=', booked.id)
          .executeTakeFirst();
      // It is due a few minutes after the booking (a quick change of mind sends nothing): due now.
      await sql`UPDATE notifications SET due_at = now() WHERE kind = 'booking_confirmed' AND appointment_id = ${booked.id}`.execute(owner.db);
      await waitFor(async () => (await confirmation())?.state === 'sent', 30_000, 'the confirmation sent').catch(async (error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(await confirmation())}\n${start.output()}`);
      });
      expect(await confirmation()).toEqual({ state: 'sent', channel: 'telegram', last_error: null });
      expect(telegram.callsOf('sendMessage').some((call) => ['7000', '7001', '7002'].includes(String(call.params.chat_id)))).toBe(true);
      expect((await stopRoshni(start)).code, start.output()).toBe(0);
    } finally {
      await stopRoshni(start);
      await owner.close();
      await telegram.close();
    }
  });

  it('stops the server with `roshni db stop`, says so in `db status`, and the next command starts it again', async () => {
    const stopped = await spawnCli(['db', 'stop', '--json'], env);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(JSON.parse(stopped.stdout)).toEqual({ stopped: true, dataDir: join(home, 'pg', 'data') });
    const status = await spawnCli(['db', 'status'], env);
    expect(status.stdout).toContain('Server:   stopped');
    expect(status.stdout).toContain('Any command starts it again.');
    expect(JSON.parse((await spawnCli(['db', 'stop', '--json'], env)).stdout)).toMatchObject({ stopped: false });
    expect(existsSync(join(home, 'pg', 'stopped-by-hand'))).toBe(true);
    const today = await spawnCli(['today', '--json'], env);
    expect(today.code, today.stderr).toBe(0);
    expect(JSON.parse((await spawnCli(['db', 'status', '--json'], env)).stdout).server.state).toBe('running');
    // A person's command started it: a running `roshni start` may start it again after a crash.
    expect(existsSync(join(home, 'pg', 'stopped-by-hand'))).toBe(false);
  });
});
