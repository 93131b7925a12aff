import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_GUARDIANS, DEMO_PATIENTS } from '../../src/domain/demo/demo-clinic.js';
import { runCli, startCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeFast2Sms, type FakeFast2Sms } from '../support/fake-fast2sms.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { staffEnvironments } from '../support/staff-sessions.js';

// "Logs carry no phone numbers, names or notes": a whole day of the demo clinic (bookings, payments,
// a patient on Telegram, messages sent, the terminal chat, health, backups) while `roshni start`
// runs, then every log is searched for the demo patients' and guardians' names and numbers.

interface Pattern {
  what: string;
  re: RegExp;
}

/** A number in any of the ways people write it: +91 98200 12345, 919820012345, 98200-12345, 9820012345… */
function phonePattern(phone: string): RegExp {
  const national = phone.replace(/\D/g, '').slice(-10);
  return new RegExp(`(?<!\\d)(?:\\+?91[\\s-]?)?${national.split('').join('[\\s-]?')}(?!\\d)`);
}

const PERSONAL: Pattern[] = [
  ...[...DEMO_PATIENTS, ...DEMO_GUARDIANS].flatMap((p) => [
    ...p.fullName.split(' ').map((part) => ({ what: `name "${part}"`, re: new RegExp(`\\b${part}\\b`, 'i') })),
    ...('phone' in p ? [{ what: `phone ${p.phone}`, re: phonePattern(p.phone) }] : []),
  ]),
];

function personalDataIn(text: string): string[] {
  return PERSONAL.filter((p) => p.re.test(text)).map((p) => p.what);
}

describe('no personal data in the logs of a full day', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let sms: FakeFast2Sms;
  let home: string;
  let env: Record<string, string>;
  /** The environment of a signed-in member of the demo's staff. */
  let signedIn: (username: string) => Promise<Record<string, string>>;
  /** Everything that counts as a log: label → text. */
  const logs: Array<[string, string]> = [];
  /** What people are shown on purpose (schedules, the chat): the patterns must find the names there. */
  const shown: string[] = [];

  /** `as` signs a member of staff in; without it the command acts as the database's owner (demo, health). */
  const cli = async (argv: string[], as?: string, { stdoutIsLog = false } = {}): Promise<CliResult> => {
    const result = await runCli(argv, as ? await signedIn(as) : env);
    logs.push([`roshni ${argv.join(' ')} (stderr)`, result.stderr]);
    if (stdoutIsLog) logs.push([`roshni ${argv.join(' ')} (stdout)`, result.stdout]);
    else shown.push(result.stdout);
    return result;
  };

  beforeAll(async () => {
    [database, telegram] = await Promise.all([createTestDatabase(), startFakeTelegram()]);
    sms = await startFakeFast2Sms('fast2sms-test-key');
    home = mkdtempSync(join(tmpdir(), 'roshni-log-privacy-'));
    env = {
      DATABASE_URL: database.url,
      ROSHNI_HOME: home,
      ROSHNI_LOG_LEVEL: 'debug',
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      FAST2SMS_API_KEY: 'fast2sms-test-key',
      FAST2SMS_BASE_URL: sms.baseUrl,
    };
    signedIn = staffEnvironments(database.db, env);
  });
  afterAll(async () => {
    await Promise.all([telegram?.close(), sms?.close()]);
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  function startRoshni(): { child: ChildProcessWithoutNullStreams; output: { stdout: string; stderr: string }; exited: Promise<number | null> } {
    const child = startCli(['start', '--json'], { ...env, ROSHNI_HTTP_PORT: '0' });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
    return { child, output, exited: new Promise((resolve) => child.on('close', resolve)) };
  }

  it('a day at the demo clinic leaves no name or phone number of a patient or guardian in any log', async () => {
    expect((await cli(['demo'])).code).toBe(0);
    // The demo's six bookings from today on (its past is all attended, missed or cancelled): Kavya's, Iqbal's and Diya's below.
    const bookings = (
      await sql<{ n: string }>`SELECT appointment_number AS n FROM appointments WHERE status = 'scheduled' ORDER BY id`.execute(database.db)
    ).rows.map((r) => r.n);
    expect(bookings).toHaveLength(6);
    // Whatever the hour the suite runs at, the day's messages go out now (no quiet hours).
    expect((await cli(['settings', 'set', '--quiet-hours', '00:00-00:00'], 'demo.admin')).code).toBe(0);
    // This day treats the demo's families as real ones, so messages carry their numbers to the SMS
    // provider (the demo's own people are never messaged on their stored numbers).
    await sql`UPDATE patients SET sample = false`.execute(database.db);
    await sql`UPDATE guardians SET sample = false`.execute(database.db);
    const roshni = startRoshni();
    let httpUrl = '';
    for (const deadline = Date.now() + 20_000; !httpUrl && Date.now() < deadline;) {
      try {
        httpUrl = (JSON.parse(roshni.output.stdout) as { httpUrl: string }).httpUrl;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(httpUrl, roshni.output.stderr).toMatch(/^http:/);

    // Rohan writes to the clinic's Telegram bot, shares his number and books.
    const rohan = DEMO_PATIENTS.find((p) => p.key === 'rohan')!;
    const chat = { id: 777, type: 'private' as const };
    const from = { id: 777, is_bot: false, first_name: 'Rohan' };
    let messageId = 1;
    const sent = () => telegram.callsOf('sendMessage').filter((c) => c.params.chat_id === 777);
    const waitForReply = async (count: number) => {
      for (const deadline = Date.now() + 10_000; sent().length < count && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 25));
      expect(sent().length, roshni.output.stderr).toBeGreaterThanOrEqual(count);
      await new Promise((r) => setTimeout(r, 100));
    };
    const press = async (label: RegExp | number) => {
      const markup = sent().at(-1)!.params.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> } | undefined;
      const buttons = (markup?.inline_keyboard ?? []).flat();
      const button = typeof label === 'number' ? buttons[label] : buttons.find((b) => label.test(b.text));
      expect(button, `button ${String(label)} among ${buttons.map((b) => b.text).join(' | ')}`).toBeDefined();
      const before = sent().length;
      telegram.pushUpdate({
        callback_query: {
          id: `cb${messageId++}`,
          from,
          chat_instance: 'x',
          data: button!.callback_data,
          message: { message_id: 1, date: 0, chat, text: 'menu' },
        },
      });
      await waitForReply(before + 1);
    };
    telegram.pushUpdate({ message: { message_id: messageId++, date: 0, chat, from, text: '/start' } });
    await waitForReply(2);
    telegram.pushUpdate({
      message: { message_id: messageId++, date: 0, chat, from, contact: { phone_number: rohan.phone.replace(/\D/g, ''), first_name: 'Rohan', user_id: 777 } },
    });
    await waitForReply(4);
    await press(/Book an appointment/);
    await press(/Physiotherapy/);
    await press(/Anyone/);
    await press(0);
    await press(0);
    await press(/Yes, book it/);
    const conversation = sent()
      .map((c) => String(c.params.text))
      .join('\n');
    expect(conversation).toMatch(/Booked! Your appointment number is APT-/);
    shown.push(conversation);

    // The front desk: a booking, payments in cash and by UPI, a cancellation.
    const free = JSON.parse((await cli(['availability', '--service', 'occupational-therapy', '--json'], 'demo.desk')).stdout) as Array<{ slotId: number }>;
    const ok = (result: CliResult) => expect(result.code, result.stderr).toBe(0);
    ok(await cli(['book', '--patient', 'Kavya', '--service', 'occupational-therapy', '--slot', String(free[0]!.slotId)], 'demo.desk'));
    ok(await cli(['pay', 'cash', bookings[1]!, '--amount', '500'], 'demo.desk'));
    const upi = await cli(['pay', 'upi', bookings[3]!, '--json'], 'demo.desk');
    expect(upi.code, upi.stderr).toBe(0);
    ok(await cli(['pay', 'confirm', JSON.parse(upi.stdout).reference, '--utr', '412345678911'], 'demo.desk'));
    ok(await cli(['cancel', bookings[4]!, '--reason', 'Family travelling'], 'demo.desk'));
    ok(await cli(['remind', 'run'], 'demo.admin', { stdoutIsLog: true }));

    // Every message waiting in the outbox is due now: the running dispatcher sends them.
    await sql`UPDATE notifications SET due_at = ${new Date(Date.now() - 60_000)} WHERE state = 'pending'`.execute(database.db);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      const waiting = await database.db.selectFrom('notifications').select('id').where('state', 'in', ['pending', 'sending']).execute();
      if (waiting.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const states = await database.db.selectFrom('notifications').select('state').execute();
    expect(states.filter((s) => s.state === 'sent').length).toBeGreaterThan(2);
    // The messages did carry people's numbers — to the SMS provider, not into a log.
    expect(personalDataIn(JSON.stringify(sms.requests))).not.toEqual([]);

    // The terminal chat, as Iqbal (the desk speaks for a family there).
    const iqbal = DEMO_PATIENTS.find((p) => p.key === 'iqbal')!;
    const terminal = startCli(['chat', '--as', iqbal.phone], await signedIn('demo.desk'), { input: '2\nmenu\n/quit\n' });
    let chatOut = '';
    let chatErr = '';
    terminal.stdout.on('data', (d: Buffer) => (chatOut += d.toString()));
    terminal.stderr.on('data', (d: Buffer) => (chatErr += d.toString()));
    expect(await new Promise((resolve) => terminal.on('close', resolve))).toBe(0);
    logs.push(['roshni chat (stderr)', chatErr]);
    shown.push(chatOut);

    // Operations: health (GET /health and the command), backups, jobs, the outbox and the audit log.
    logs.push(['GET /health', await (await fetch(`${httpUrl}/health`)).text()]);
    await cli(['health', '--json'], undefined, { stdoutIsLog: true });
    expect((await cli(['backup', 'create'], 'demo.admin', { stdoutIsLog: true })).code).toBe(0);
    expect((await cli(['backup', 'verify', 'latest'], 'demo.admin', { stdoutIsLog: true })).code).toBe(0);
    await cli(['backup', 'list'], 'demo.admin', { stdoutIsLog: true });
    await cli(['jobs', 'list'], 'demo.admin', { stdoutIsLog: true });
    await cli(['notifications', 'list'], 'demo.admin', { stdoutIsLog: true });
    expect((await cli(['audit', '--limit', '1000'], 'demo.admin', { stdoutIsLog: true })).code).toBe(0);

    roshni.child.kill('SIGTERM');
    expect(await roshni.exited).toBe(0);
    logs.push(['roshni start (stdout)', roshni.output.stdout], ['roshni start (stderr)', roshni.output.stderr]);
    expect(roshni.output.stderr).toMatch(/GET \/health 200 \d+ms degraded/);

    // What the database keeps as logs: job runs, health checks, the backup log, send errors, the audit trail.
    const tables = {
      job_runs: await sql`SELECT job_name, window_key, result, error FROM job_runs`.execute(database.db),
      health_checks: await sql`SELECT results FROM health_checks`.execute(database.db),
      backups: await sql`SELECT file_path, manifest, error, verify_result FROM backups`.execute(database.db),
      notification_errors: await sql`SELECT last_error FROM notifications`.execute(database.db),
      audit_log: await sql`SELECT action, entity, entity_id, before, after, meta FROM audit_log`.execute(database.db),
    };
    for (const [name, result] of Object.entries(tables)) logs.push([`table ${name}`, JSON.stringify(result.rows)]);
    expect(tables.audit_log.rows.length).toBeGreaterThan(20);

    // The patterns do find names and numbers where they belong (a schedule, the conversations).
    expect(personalDataIn(shown.join('\n'))).toEqual(expect.arrayContaining(['name "Aarav"', 'name "Rohan"', 'name "Iqbal"']));
    const found = logs.map(([label, text]) => [label, personalDataIn(text)] as const).filter(([, what]) => what.length > 0);
    expect(found).toEqual([]);
    expect(logs.map(([, text]) => text).join('').length).toBeGreaterThan(5_000);
  }, 180_000);
});
