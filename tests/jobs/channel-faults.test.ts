import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/infra/channels/channel.js';
import { resendChannel } from '../../src/infra/channels/email-resend.js';
import { fast2smsChannel } from '../../src/infra/channels/sms-fast2sms.js';
import { telegramChannel } from '../../src/infra/channels/telegram.js';
import { whatsappChannel } from '../../src/infra/channels/whatsapp-sender.js';
import { fixedClock } from '../../src/infra/clock.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeFast2Sms, type FakeFast2Sms } from '../support/fake-fast2sms.js';
import { startFakeResend, type FakeResend } from '../support/fake-resend.js';
import { refusingUrl, type Faults } from '../support/faults.js';
import { waitFor } from '../support/wait.js';

// An email or SMS provider that refuses, hangs, drops the connection or answers 429/500 is a
// temporary failure of that one message: retried after its backoff, while every other message goes
// on. The real SDKs (Resend's, fetch for Fast2SMS, grammY) talk to fakes on 127.0.0.1.

const SMS_KEY = 'fast2sms-test-key-000';
const BACKOFF_MS = 30_000;

interface Provider {
  name: 'resend' | 'fast2sms';
  address: 'email' | 'phone';
  faults(): Faults;
  /** Messages the fake has taken so far (across tests: compare with a count taken before). */
  delivered(): number;
  channel(options: { baseUrl?: string; timeoutMs?: number }): Channel;
  overloaded: { status: 429; body: unknown };
  broken: { status: 500; body: unknown };
}

describe('outside services failing while the dispatcher sends', () => {
  let database: TestDatabase;
  let resend: FakeResend;
  let fast2sms: FakeFast2Sms;
  const clock = fixedClock('2031-03-10T06:00:00Z');
  const ctx = () => systemContext(database.db, clock);

  const providers: Provider[] = [
    {
      name: 'resend',
      address: 'email',
      faults: () => resend.faults,
      delivered: () => resend.emails.length,
      channel: (o) =>
        resendChannel({
          apiKey: 're_test_key_000',
          from: 'desk@sunrise.example',
          baseUrl: o.baseUrl ?? resend.baseUrl,
          ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
        }),
      overloaded: { status: 429, body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests' } },
      broken: { status: 500, body: { statusCode: 500, name: 'internal_server_error', message: 'Internal server error' } },
    },
    {
      name: 'fast2sms',
      address: 'phone',
      faults: () => fast2sms.faults,
      delivered: () => fast2sms.requests.length,
      channel: (o) => fast2smsChannel({ apiKey: SMS_KEY, baseUrl: o.baseUrl ?? fast2sms.baseUrl, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) }),
      overloaded: { status: 429, body: { return: false, status_code: 429, message: 'Too many requests' } },
      broken: { status: 500, body: { return: false, status_code: 500, message: 'Server error' } },
    },
  ];

  /** `count` patients reachable only by email or only by phone, each with one message due. */
  const enqueue = async (count: number, address: Provider['address']) => {
    await sql`
      INSERT INTO patients (full_name, phone, email)
      SELECT 'Patient ' || i, CASE WHEN ${address === 'phone'} THEN '+9198' || lpad(i::text, 8, '0') END,
             CASE WHEN ${address === 'email'} THEN 'p' || i || '@example.in' END
      FROM generate_series(1, ${count}) i`.execute(database.db);
    await sql`
      INSERT INTO notifications (idempotency_key, kind, patient_id, payload, due_at)
      SELECT 'fault:' || p.id, 'payment_received', p.id, jsonb_build_object('amountPaise', 100000, 'receiptNumber', 'RCPT-' || p.id),
             ${clock.now()}::timestamptz - interval '1 minute'
      FROM patients p ORDER BY p.id`.execute(database.db);
  };
  const rows = () => database.db.selectFrom('notifications').select(['id', 'state', 'attempts', 'last_error', 'next_attempt_at']).orderBy('id').execute();
  const dueAfter = (ms: number) => new Date(clock.now().getTime() + ms);

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.insertInto('clinic_settings').values({ name: 'Sunrise Child Therapy', quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
    [resend, fast2sms] = await Promise.all([startFakeResend(), startFakeFast2Sms(SMS_KEY)]);
  });
  beforeEach(async () => {
    await sql`TRUNCATE notifications`.execute(database.db);
    await sql`DELETE FROM patients`.execute(database.db);
    resend.faults.clear();
    fast2sms.faults.clear();
  });
  afterAll(async () => {
    await Promise.all([resend?.close(), fast2sms?.close()]);
    await database?.close();
  });

  describe.each(providers)('$name', (provider) => {
    it('refusing the connection: the message waits for its backoff, the provider is named as unreachable', async () => {
      await enqueue(1, provider.address);
      const dispatcher = new Dispatcher({
        ctx: ctx(),
        channels: { [provider.address === 'email' ? 'email' : 'sms']: provider.channel({ baseUrl: await refusingUrl() }) },
        instanceId: 'refused',
      });
      const began = performance.now();
      await dispatcher.runOnce();
      expect(performance.now() - began).toBeLessThan(5_000);
      expect(await rows()).toEqual([
        expect.objectContaining({ state: 'pending', attempts: 1, last_error: `${provider.name}: connection failed`, next_attempt_at: dueAfter(BACKOFF_MS) }),
      ]);
    });

    it('hanging: the send gives up after its timeout and is retried later; the messages queued behind it go out meanwhile', async () => {
      await enqueue(9, provider.address);
      provider.faults().next({ kind: 'hang' });
      // Long enough that eight sends finish first even on a loaded machine.
      const timeoutMs = 4_000;
      const channel = provider.channel({ timeoutMs });
      // Small batches, so the messages behind the hung one are not all in its batch.
      const dispatcher = new Dispatcher({
        ctx: ctx(),
        channels: { [provider.address === 'email' ? 'email' : 'sms']: channel },
        instanceId: 'hung',
        batchSize: 3,
        concurrency: 2,
        pollMs: 20,
      });
      const before = provider.delivered();
      const began = performance.now();
      let hungId = 0;
      dispatcher.start();
      try {
        await waitFor(async () => (await rows()).filter((r) => r.state === 'sent').length === 8, 10_000, 'the eight other messages to go out');
        expect(provider.delivered()).toBe(before + 8);
        const whileHung = await rows();
        expect(whileHung.map((r) => r.state).sort()).toEqual(['sending', ...Array(8).fill('sent')]);
        hungId = whileHung.find((r) => r.state === 'sending')!.id;
        await waitFor(async () => (await rows()).find((r) => r.id === hungId)!.state === 'pending', 20_000, 'the hung send to time out');
        const gaveUpAfter = performance.now() - began;
        expect(gaveUpAfter).toBeGreaterThanOrEqual(timeoutMs - 100);
        expect(gaveUpAfter).toBeLessThan(timeoutMs + 8_000);
      } finally {
        await dispatcher.stop();
      }
      expect((await rows()).find((r) => r.id === hungId)).toMatchObject({
        state: 'pending',
        attempts: 1,
        last_error: `${provider.name}: no answer within 4 s`,
        next_attempt_at: dueAfter(BACKOFF_MS),
      });
    }, 40_000);

    it('dropping the connection: a temporary failure, retried after its backoff', async () => {
      await enqueue(1, provider.address);
      provider.faults().next({ kind: 'drop' });
      const before = provider.delivered();
      const dispatcher = new Dispatcher({
        ctx: ctx(),
        channels: { [provider.address === 'email' ? 'email' : 'sms']: provider.channel({ timeoutMs: 5_000 }) },
        instanceId: 'dropped',
      });
      await dispatcher.runOnce();
      expect(await rows()).toEqual([
        expect.objectContaining({ state: 'pending', attempts: 1, last_error: `${provider.name}: connection failed`, next_attempt_at: dueAfter(BACKOFF_MS) }),
      ]);
      expect(provider.delivered()).toBe(before);
    });

    it('answering 500, then 429 with Retry-After: each retried, the 429 no sooner than the provider asked', async () => {
      await enqueue(2, provider.address);
      provider.faults().next({ kind: 'status', ...provider.broken });
      provider.faults().next({ kind: 'status', ...provider.overloaded, headers: { 'retry-after': '120' } });
      const before = provider.delivered();
      const dispatcher = new Dispatcher({
        ctx: ctx(),
        channels: { [provider.address === 'email' ? 'email' : 'sms']: provider.channel({ timeoutMs: 5_000 }) },
        instanceId: 'refusing',
        concurrency: 1,
      });
      await dispatcher.runOnce();
      const [broken, overloaded] = await rows();
      expect(broken).toMatchObject({ state: 'pending', attempts: 1, next_attempt_at: dueAfter(BACKOFF_MS) });
      expect(overloaded).toMatchObject({ state: 'pending', attempts: 1, next_attempt_at: dueAfter(120_000) });
      expect(provider.delivered()).toBe(before);
    });
  });

  it('Resend losing its answer after sending: the retry carries the same Idempotency-Key, so the email goes out once', async () => {
    await enqueue(1, 'email');
    resend.faults.next({ kind: 'answer-lost' });
    const before = resend.emails.length;
    const email = providers[0]!.channel({ timeoutMs: 5_000 });
    const later = fixedClock(clock.now());
    const dispatcher = new Dispatcher({ ctx: systemContext(database.db, later), channels: { email }, instanceId: 'lost-answer' });
    await dispatcher.runOnce();
    expect(await rows()).toEqual([expect.objectContaining({ state: 'pending', last_error: 'resend: connection failed' })]);
    later.advance(BACKOFF_MS);
    await dispatcher.runOnce();
    expect(await rows()).toEqual([expect.objectContaining({ state: 'sent', attempts: 2 })]);
    expect(resend.emails).toHaveLength(before + 1);
    const { key } = await database.db.selectFrom('notifications').select('idempotency_key as key').executeTakeFirstOrThrow();
    expect(resend.sendsByKey.get(key)).toBe(2);
  });

  it('Telegram not answering: grammY gives up after the timeout, a temporary failure', async () => {
    const silent: Server = createServer(() => {}); // takes every request, answers none
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const channel = telegramChannel({ token: '123:fake', apiRoot: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 1_000 });
      const began = performance.now();
      const message = { idempotencyKey: 'k', kind: 'payment_received', subject: '', text: 'Paid', html: '', smsVariables: [], actions: [] };
      await expect(channel.send('4242', message)).rejects.toMatchObject({ name: 'ChannelError', retryable: true, message: 'telegram: no answer within 1 s' });
      expect(performance.now() - began).toBeLessThan(6_000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 20_000);

  it('WhatsApp with a stuck browser: the send is given up after the timeout, a temporary failure', async () => {
    const stuck = { sendMessage: () => new Promise<never>(() => {}) };
    const channel = whatsappChannel(stuck, { perSecond: 100, perChatIntervalMs: 0 }, 1_000);
    const began = performance.now();
    const message = { idempotencyKey: 'k', kind: 'payment_received', subject: '', text: 'Paid', html: '', smsVariables: [], actions: [] };
    await expect(channel.send('+919800000001', message)).rejects.toMatchObject({
      name: 'ChannelError',
      retryable: true,
      message: 'whatsapp: no answer within 1 s',
    });
    expect(performance.now() - began).toBeLessThan(6_000);
  }, 20_000);
});
