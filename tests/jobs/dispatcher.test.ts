import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChannelError, type Channel } from '../../src/infra/channels/channel.js';
import { resendChannel } from '../../src/infra/channels/email-resend.js';
import { fast2smsChannel } from '../../src/infra/channels/sms-fast2sms.js';
import { databasePacing } from '../../src/infra/channels/shared-pacing.js';
import { telegramChannel } from '../../src/infra/channels/telegram.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { spawnTypeScript } from '../support/run-typescript.js';
import { startFakeFast2Sms, type FakeFast2Sms } from '../support/fake-fast2sms.js';
import { startFakeResend, type FakeResend } from '../support/fake-resend.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';

const SMS_KEY = 'fast2sms-test-key-000';

describe('the dispatcher', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let resend: FakeResend;
  let fast2sms: FakeFast2Sms;
  let ctx: ReturnType<typeof systemContext>;

  /** `count` patients reachable on Telegram (chat ids 5000+i), each with one due message. */
  const enqueue = async (count: number, chats = count, extra: { phone?: boolean; email?: boolean } = {}) => {
    await sql`
      INSERT INTO patients (full_name, telegram_chat_id, phone, email)
      SELECT 'Patient ' || i, CASE WHEN ${!extra.phone && !extra.email} THEN (5000 + i)::text END,
             CASE WHEN ${Boolean(extra.phone)} THEN '+9198' || lpad(i::text, 8, '0') END,
             CASE WHEN ${Boolean(extra.email)} THEN 'p' || i || '@example.in' END
      FROM generate_series(1, ${chats}) i`.execute(database.db);
    const { rows } = await sql<{ id: number }>`SELECT id FROM patients ORDER BY id DESC LIMIT ${chats}`.execute(database.db);
    await sql`
      INSERT INTO notifications (idempotency_key, kind, patient_id, payload, due_at)
      SELECT 'test:' || gen_random_uuid(), 'payment_received', (${sql.raw(`ARRAY[${rows.map((r) => r.id).join(',')}]`)})[1 + (i % ${chats})],
             jsonb_build_object('amountPaise', 100000, 'receiptNumber', 'RCPT-' || i), ${new Date(ctx.clock.now().getTime() - 60_000)}::timestamptz
      FROM generate_series(1, ${count}) i`.execute(database.db);
  };
  /**
   * Opens every connection of the test's pool (10) before a pacing test starts its clock: one opened
   * mid-test holds a send past the next one's turn, and the two go out together. When the file runs
   * whole, the tests before leave the pool open; a test run alone opens it itself.
   */
  const openEveryConnection = () => Promise.all(Array.from({ length: 10 }, () => sql`SELECT pg_sleep(0.01)`.execute(database.db)));
  const states = async () =>
    Object.fromEntries(
      (await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM notifications GROUP BY state`.execute(database.db)).rows.map((r) => [
        r.state,
        Number(r.n),
      ]),
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db);
    // No quiet hours here (start = end), so these tests pass at any hour; they are tested on their own below.
    await database.db.insertInto('clinic_settings').values({ name: 'Sunrise Child Therapy', quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
    telegram = await startFakeTelegram();
    resend = await startFakeResend();
    fast2sms = await startFakeFast2Sms(SMS_KEY);
  });
  beforeEach(async () => {
    await sql`TRUNCATE notifications`.execute(database.db);
    await sql`DELETE FROM appointments`.execute(database.db);
    await sql`DELETE FROM patients`.execute(database.db);
    await sql`DELETE FROM send_pacing`.execute(database.db);
    await database.db.updateTable('clinic_settings').set({ quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
    // What the fake providers received is this test's alone.
    telegram.calls.length = 0;
    resend.emails.length = 0;
    resend.sendsByKey.clear();
    fast2sms.requests.length = 0;
  });
  afterAll(async () => {
    await telegram?.close();
    await resend?.close();
    await fast2sms?.close();
    await database?.close();
  });

  it('two dispatchers on one outbox send each of 1,000 due messages exactly once', async () => {
    await enqueue(1000);
    const channel = telegramChannel({ token: telegram.token, apiRoot: telegram.apiRoot, perSecond: 2000, perChatIntervalMs: 0 });
    const one = new Dispatcher({ ctx, channels: { telegram: channel }, instanceId: 'one', concurrency: 8, pollMs: 20 });
    const two = new Dispatcher({ ctx, channels: { telegram: channel }, instanceId: 'two', concurrency: 8, pollMs: 20 });
    one.start();
    two.start();
    await telegram.waitForCalls('sendMessage', 1000, 60_000);
    await one.stop();
    await two.stop();
    expect(await states()).toEqual({ sent: 1000 });
    const texts = telegram.callsOf('sendMessage').map((c) => String(c.params.text).match(/RCPT-\d+/)![0]);
    expect(new Set(texts).size).toBe(1000);
    expect(one.tally.sent).toBeGreaterThan(0);
    expect(two.tally.sent).toBeGreaterThan(0);
  }, 90_000);

  it('a dispatcher killed mid-batch loses nothing; after restart nothing is sent twice beyond the one in flight', async () => {
    await enqueue(30);
    // A dispatcher process sends 10, has the 11th in flight, and is killed (SIGKILL) there.
    const dying = spawnTypeScript(new URL('../support/dying-dispatcher.ts', import.meta.url), [database.url, '10', '300']);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => dying.on('exit', (_code, signal) => resolve(signal)));
    let output = '';
    let stderr = '';
    dying.stdout.on('data', (d: Buffer) => (output += d.toString()));
    dying.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    for (const deadline = Date.now() + 30_000; output.split('\n').length <= 11 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    dying.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    const sent = output.trim().split('\n');
    expect(sent).toHaveLength(11);
    const healthy: Channel = { name: 'telegram', send: async (address) => (sent.push(address), { providerMessageId: address }) };
    const restarted = new Dispatcher({ ctx, channels: { telegram: healthy }, instanceId: 'restarted', concurrency: 1, leaseMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 400)); // the dead process's lease runs out
    while ((await restarted.runOnce()) > 0);
    expect(await states()).toEqual({ sent: 30 });
    const counts = new Map<string, number>();
    for (const address of sent) counts.set(address, (counts.get(address) ?? 0) + 1);
    expect(counts.size).toBe(30);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([2]); // only the one in flight
  }, 60_000);

  it.each([
    ['paced in this process', false],
    ['paced through the database (as roshni start does)', true],
  ])(
    "waits out Telegram's 429 retry_after and completes, never above 30/s overall or 1/s per chat: %s",
    async (_how, shared) => {
      await enqueue(40, 10);
      telegram.failWith429('sendMessage', 1, 1);
      const channel = telegramChannel({
        token: telegram.token,
        apiRoot: telegram.apiRoot,
        ...(shared ? { sharedPacing: databasePacing(database.db, 'telegram') } : {}),
      });
      const dispatcher = new Dispatcher({ ctx, channels: { telegram: channel }, instanceId: 'paced', concurrency: 10, batchSize: 40 });
      await openEveryConnection();
      const started = performance.now();
      while ((await dispatcher.runOnce()) > 0);
      expect(await states()).toEqual({ sent: 40 });
      const calls = telegram.callsOf('sendMessage');
      expect(calls).toHaveLength(41);
      expect(performance.now() - started).toBeGreaterThanOrEqual(3000);
      const times = calls.map((c) => c.at).sort((a, b) => a - b);
      for (let i = 0; i < times.length; i++) expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length).toBeLessThanOrEqual(30);
      const byChat = new Map<string, number[]>();
      for (const c of calls) byChat.set(String(c.params.chat_id), [...(byChat.get(String(c.params.chat_id)) ?? []), c.at]);
      for (const chatTimes of byChat.values()) {
        for (let i = 1; i < chatTimes.length; i++) expect(chatTimes[i]! - chatTimes[i - 1]!).toBeGreaterThanOrEqual(950);
      }
      // The 429 held every chat for its retry_after: beyond sends already on their way when it came
      // back, nothing went out until the second was over.
      expect(times.filter((t) => t > calls[0]!.at + 150 && t < calls[0]!.at + 950)).toEqual([]);
    },
    30_000,
  );

  it('two processes sending through one bot share its overall pace (kept in the database), never above it together', async () => {
    await enqueue(30);
    // Two `roshni start`s: each its own channel, limiter and dispatcher; 9 a second for the bot as a whole
    // (sends ~111 ms apart: network jitter cannot squeeze an eleventh into one second, nor can it pass for sharing).
    const process = (name: string) =>
      new Dispatcher({
        ctx,
        channels: {
          telegram: telegramChannel({ token: telegram.token, apiRoot: telegram.apiRoot, perSecond: 9, sharedPacing: databasePacing(database.db, 'telegram') }),
        },
        instanceId: name,
        concurrency: 10,
        batchSize: 15,
      });
    const [one, two] = [process('one'), process('two')];
    await openEveryConnection();
    const started = performance.now();
    await Promise.all([one.runOnce(), two.runOnce()]);
    expect(await states()).toEqual({ sent: 30 });
    expect(one.tally.sent).toBe(15);
    expect(two.tally.sent).toBe(15);
    const times = telegram
      .callsOf('sendMessage')
      .map((c) => c.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(30);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(10);
    expect(performance.now() - started).toBeGreaterThanOrEqual(3000);
  }, 30_000);

  it('emails through the Resend SDK with an idempotency key; retries a 500, then sends', async () => {
    await enqueue(2, 2, { email: true });
    resend.failNext(1, 500, 'internal_server_error');
    const email = resendChannel({ apiKey: 're_test_key_000', from: 'Sunrise <desk@sunrise.example>', baseUrl: resend.baseUrl });
    const dispatcher = new Dispatcher({ ctx, channels: { email }, instanceId: 'mail', concurrency: 1, backoffMs: 0 });
    while ((await dispatcher.runOnce()) > 0);
    expect(await states()).toEqual({ sent: 2 });
    expect(resend.emails).toHaveLength(2);
    expect(resend.emails[0]!.idempotencyKey).toMatch(/^test:/);
    expect(String(resend.emails[0]!.body.html)).toContain('Sunrise Child Therapy');
    expect(String(resend.emails[0]!.body.text)).toContain('₹1,000.00');
  });

  it('maps Fast2SMS errors: a 5xx is retried, an invalid number fails for staff after no retry', async () => {
    await enqueue(2, 2, { phone: true });
    const sms = fast2smsChannel({ apiKey: SMS_KEY, baseUrl: fast2sms.baseUrl });
    fast2sms.failNext(1, 500, 500);
    const dispatcher = new Dispatcher({ ctx, channels: { sms }, instanceId: 'sms', concurrency: 1, backoffMs: 0 });
    await dispatcher.runOnce();
    expect(await states()).toEqual({ pending: 1, sent: 1 });
    fast2sms.failNext(1, 400, 416, 'Invalid Numbers');
    await dispatcher.runOnce();
    expect(await states()).toEqual({ failed: 1, sent: 1 });
    const failed = await database.db.selectFrom('notifications').select(['last_error', 'attempts']).where('state', '=', 'failed').executeTakeFirstOrThrow();
    expect(failed).toEqual({ last_error: 'fast2sms: 416', attempts: 2 });
    expect(fast2sms.requests[0]).toMatchObject({ route: 'q', language: 'english' });
    expect(String(fast2sms.requests[0]!.numbers)).toMatch(/^98\d{8}$/);
  });

  it('in quiet hours, a confirmation waits for 08:00 (not counted as a try); a reminder too late by then is skipped', async () => {
    await enqueue(2, 2, { phone: true });
    const [first, second] = await database.db.selectFrom('notifications').select(['id', 'patient_id']).orderBy('id').execute();
    await database.db.updateTable('clinic_settings').set({ quiet_hours_start: '21:00', quiet_hours_end: '08:00' }).execute();
    const { rows } = await sql<{ id: number }>`
      INSERT INTO therapists (full_name) VALUES ('Dr. Night') RETURNING id`.execute(database.db);
    const { rows: services } = await sql<{ id: number }>`SELECT id FROM services LIMIT 1`.execute(database.db);
    const startsAt = zonedInstant('2031-03-11', '08:30', 'Asia/Kolkata');
    const { rows: appts } = await sql<{ id: number }>`
      INSERT INTO appointments (patient_id, therapist_id, service_id, starts_at, ends_at, price_paise)
      VALUES (${second!.patient_id}, ${rows[0]!.id}, ${services[0]!.id}, ${startsAt}, ${new Date(startsAt.getTime() + 45 * 60_000)}, 0)
      RETURNING id`.execute(database.db);
    await database.db.updateTable('notifications').set({ kind: 'reminder', appointment_id: appts[0]!.id }).where('id', '=', second!.id).execute();
    const night = { ...ctx, clock: fixedClock(zonedInstant('2031-03-10', '22:00', 'Asia/Kolkata')) };
    const sms: Channel = { name: 'sms', send: async () => ({ providerMessageId: 'x' }) };
    await new Dispatcher({ ctx: night, channels: { sms }, instanceId: 'night' }).runOnce();
    const after = await database.db.selectFrom('notifications').select(['id', 'state', 'next_attempt_at', 'attempts']).orderBy('id').execute();
    expect(after).toEqual([
      { id: first!.id, state: 'pending', next_attempt_at: zonedInstant('2031-03-11', '08:00', 'Asia/Kolkata'), attempts: 0 },
      { id: second!.id, state: 'skipped', next_attempt_at: null, attempts: 1 },
    ]);
    await database.db.updateTable('clinic_settings').set({ quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
  });

  it('falls back to the next channel when one refuses for good', async () => {
    await enqueue(1, 1, { email: true });
    await database.db.updateTable('patients').set({ telegram_chat_id: '999', preferred_channel: 'telegram' }).execute();
    const refusing: Channel = {
      name: 'telegram',
      send: async () => {
        throw new ChannelError('telegram', false, 'telegram: 403 blocked');
      },
    };
    const email = resendChannel({ apiKey: 're_test_key_000', from: 'desk@sunrise.example', baseUrl: resend.baseUrl });
    const dispatcher = new Dispatcher({ ctx, channels: { telegram: refusing, email }, instanceId: 'fallback' });
    await dispatcher.runOnce();
    const row = await database.db.selectFrom('notifications').select(['state', 'channel']).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'sent', channel: 'email' });
  });

  it('stopping (SIGTERM) lets the send in flight finish and be recorded, and gives the rest back untouched', async () => {
    await enqueue(5);
    const sent: string[] = [];
    let began!: () => void;
    const first = new Promise<void>((resolve) => (began = resolve));
    const slow: Channel = {
      name: 'telegram',
      send: async (address) => {
        began();
        await new Promise((resolve) => setTimeout(resolve, 300));
        sent.push(address);
        return { providerMessageId: address };
      },
    };
    const dispatcher = new Dispatcher({ ctx, channels: { telegram: slow }, instanceId: 'stopping', concurrency: 1, batchSize: 5 });
    dispatcher.start();
    await first;
    await dispatcher.stop();
    expect(sent).toHaveLength(1);
    const rows = await database.db.selectFrom('notifications').select(['state', 'attempts', 'claimed_by']).orderBy('id').execute();
    expect(rows.filter((r) => r.state === 'sent')).toEqual([{ state: 'sent', attempts: 1, claimed_by: null }]);
    expect(rows.filter((r) => r.state !== 'sent')).toEqual(Array.from({ length: 4 }, () => ({ state: 'pending', attempts: 0, claimed_by: null })));
  });

  it('a slow batch outlasting the lease keeps its claims: a second dispatcher sends none of them again', async () => {
    // Paced channels (WhatsApp: one message every 4 s; a Telegram 429's retry_after) can make a batch
    // take longer than the lease; the rows still waiting in it are not a crashed process's.
    await enqueue(6);
    const sent: string[] = [];
    const slow: Channel = {
      name: 'telegram',
      send: async (address) => {
        await new Promise((resolve) => setTimeout(resolve, 250));
        sent.push(address);
        return { providerMessageId: address };
      },
    };
    const first = new Dispatcher({ ctx, channels: { telegram: slow }, instanceId: 'slow', concurrency: 1, batchSize: 6, leaseMs: 400 });
    const second = new Dispatcher({ ctx, channels: { telegram: slow }, instanceId: 'other', concurrency: 1, leaseMs: 400 });
    const batch = first.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the first claim's lease
    let taken = 0;
    for (;;) {
      const handled = await second.runOnce();
      taken += handled;
      if (!handled && (await states()).sent === 6) break;
      if (!handled) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await batch;
    expect(await states()).toEqual({ sent: 6 });
    expect(taken).toBe(0);
    expect(sent).toHaveLength(6);
    expect(new Set(sent).size).toBe(6);
  });
});
