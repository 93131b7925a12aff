import { createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botStartParts } from '../../src/start/bot-parts.js';
import { fixedClock } from '../../src/infra/clock.js';
import { loadConfig } from '../../src/infra/config.js';
import type { JobDefinition } from '../../src/jobs/scheduler.js';
import { startRoshni, type StartPart } from '../../src/start/roshni.js';
import { startCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeResend, type FakeResend } from '../support/fake-resend.js';
import { startFaultyTelegram, type TelegramFault } from '../support/faulty-telegram.js';

// `roshni start` survives its outside services: a bot whose service is down, hangs or refuses is
// reported degraded on GET /health (answered within a second) and tried again in the background,
// while the webhooks, the dispatcher and the jobs go on; it recovers by itself, and a stop at any
// moment is prompt.

const RAZORPAY_SECRET = 'start-faults-razorpay-secret';
const WEBHOOK_SECRET = 'start-faults-telegram-secret-0123';
const clock = fixedClock('2026-12-01T06:30:00Z');
const FAST_RETRY = { firstDelayMs: 200, maxDelayMs: 1_000 };
/**
 * GET /health waits 0.7 s at most for its checks (HEALTH_ENDPOINT_ANSWER_WITHIN_MS), so it answers in
 * well under a second; the rest of this bound is room for a loaded 2-core machine. An answer held by
 * the hung service would take 5 s or more.
 */
const HEALTH_ANSWER_BOUND_MS = 2_000;

interface PartReport {
  name: string;
  state: 'starting' | 'running' | 'degraded';
  since: string;
  reason?: string;
}

interface HealthAnswer {
  ms: number;
  status: number;
  body: { status: string; parts: PartReport[]; checks: Array<{ name: string; status: string; detail: string }> };
}

async function health(httpUrl: string): Promise<HealthAnswer> {
  const began = performance.now();
  const response = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as HealthAnswer['body'];
  return { ms: performance.now() - began, status: response.status, body };
}

/** Asks GET /health until the part is in that state; every answer must come promptly. */
async function untilPart(httpUrl: string, name: string, state: PartReport['state'], timeoutMs = 30_000): Promise<PartReport> {
  const deadline = Date.now() + timeoutMs;
  let last: PartReport | undefined;
  for (;;) {
    const answer = await health(httpUrl);
    expect(answer.ms, 'GET /health answer time (ms)').toBeLessThan(HEALTH_ANSWER_BOUND_MS);
    last = answer.body.parts.find((p) => p.name === name);
    if (last?.state === state) return last;
    if (Date.now() > deadline) throw new Error(`${name} never became ${state} (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms).unref())]);
}

function razorpayDelivery(httpUrl: string, eventId: string): Promise<Response> {
  const body = JSON.stringify({ event: 'roshni.fault-test', payload: {}, created_at: 1_764_570_600 });
  return fetch(`${httpUrl}/webhooks/razorpay`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Razorpay-Signature': createHmac('sha256', RAZORPAY_SECRET).update(body).digest('hex'),
      'X-Razorpay-Event-Id': eventId,
    },
    body,
  });
}

function telegramMessage(chatId: number, text: string) {
  return {
    message: { message_id: chatId, date: 1_764_570_600, chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'Neha' }, text },
  };
}

/** A job firing every second, to see the scheduler running. */
function heartbeat(name: string): JobDefinition & { fired: number } {
  const job = {
    name,
    cron: '* * * * * *',
    fired: 0,
    windowKey: () => `${name}:${job.fired}`,
    run: async () => {
      job.fired++;
      return {};
    },
  };
  return job;
}

/** whatsapp-web.js's Client as far as Roshni uses it, with a browser that starts only when allowed. */
class FakeWhatsAppClient extends EventEmitter {
  static browserStarts = true;
  sent: Array<{ chatId: string; content: unknown }> = [];
  destroyed = false;
  /** Puppeteer's browser: 'disconnected' when Chromium dies. */
  pupBrowser = new EventEmitter();
  async initialize() {
    if (!FakeWhatsAppClient.browserStarts) throw new Error('Failed to launch the browser process!');
    setImmediate(() => this.emit('ready'));
  }
  async getState() {
    return this.destroyed ? null : 'CONNECTED';
  }
  async sendMessage(chatId: string, content: unknown) {
    if (this.destroyed) throw new Error('Protocol error: Target closed');
    this.sent.push({ chatId, content });
    return { id: { _serialized: `wa-${this.sent.length}` } };
  }
  async destroy() {
    this.destroyed = true;
  }
}

describe('roshni start when its outside services fail', () => {
  let database: TestDatabase;
  let resend: FakeResend;
  let home: string;
  const ctx = () => systemContext(database.db, clock);
  const opened = () => ({ db: database.db, kind: 'postgres' as const, location: database.url, close: async () => {} });

  beforeAll(async () => {
    [database, resend] = await Promise.all([createTestDatabase(), startFakeResend()]);
    home = mkdtempSync(join(tmpdir(), 'roshni-start-faults-'));
    await database.db.insertInto('clinic_settings').values({ name: 'Sunrise Child Therapy', quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
  });
  afterAll(async () => {
    await Promise.all([database?.close(), resend?.close()]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function configWith(env: Record<string, string>) {
    return loadConfig(
      {
        DATABASE_URL: database.url,
        ROSHNI_HOME: home,
        ROSHNI_HTTP_PORT: '0',
        RAZORPAY_WEBHOOK_SECRET: RAZORPAY_SECRET,
        RESEND_API_KEY: 're_test_key',
        RESEND_BASE_URL: resend.baseUrl,
        ROSHNI_EMAIL_FROM: 'clinic@example.in',
        ...env,
      },
      '/nonexistent/.env',
    );
  }

  /** A message due now to a patient reachable by email (and WhatsApp, when a phone is given). */
  async function messageDue(key: string, contact: { email: string; phone?: string }): Promise<number> {
    const patient = await database.db
      .insertInto('patients')
      .values({ full_name: `Patient ${key}`, email: contact.email, phone: contact.phone ?? null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const row = await database.db
      .insertInto('notifications')
      .values({
        idempotency_key: key,
        kind: 'payment_received',
        patient_id: patient.id,
        payload: JSON.stringify({ amountPaise: 50_000, receiptNumber: 'RCPT-000001' }),
        due_at: new Date(clock.now().getTime() - 60_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  const sentBy = (id: number) =>
    eventually(`notification ${id} sent`, async () => {
      const row = await database.db.selectFrom('notifications').select(['state', 'channel']).where('id', '=', id).executeTakeFirstOrThrow();
      return row.state === 'sent' ? row.channel : undefined;
    });

  it.each<TelegramFault>(['closed', 'hang', 'error500', 'throttle429'])(
    'Telegram %s at start-up: everything else starts at once and works, /health names the bot degraded, and it recovers by itself',
    async (fault) => {
      const telegram = await startFaultyTelegram(fault);
      const config = configWith({ TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot });
      const job = heartbeat(`heartbeat-start-${fault}`);
      const notification = await messageDue(`start-faults:${fault}`, { email: `family-${fault}@example.in` });
      const running = await within(
        10_000,
        'startRoshni',
        startRoshni({ ctx: ctx(), config, database: opened(), log: () => {}, jobs: [job], parts: botStartParts(config), retry: FAST_RETRY }),
      );
      try {
        const httpUrl = running.httpUrl!;
        const degraded = await untilPart(httpUrl, 'telegram', 'degraded');
        expect(degraded.since).toBe(clock.now().toISOString());
        expect(degraded.reason).toBeTruthy();
        const answer = await health(httpUrl);
        expect(answer.status).toBe(200);
        expect(answer.body.status).not.toBe('healthy');
        expect(answer.body.parts.filter((p) => p.state === 'running').map((p) => p.name)).toEqual(expect.arrayContaining(['http', 'dispatcher', 'scheduler']));
        expect(JSON.stringify(answer.body)).not.toContain(telegram.token);

        // What does not need Telegram goes on: the Razorpay webhook, messages by email, the jobs.
        expect((await razorpayDelivery(httpUrl, `evt_start_${fault}`)).status).toBe(200);
        expect(await sentBy(notification)).toBe('email');
        await eventually('a job run', () => (job.fired > 0 ? true : undefined));

        // Telegram comes back: the bot answers without anyone restarting anything.
        await telegram.set('up');
        await untilPart(httpUrl, 'telegram', 'running', 40_000);
        const chatId = 6100 + ['closed', 'hang', 'error500', 'throttle429'].indexOf(fault);
        telegram.fake.pushUpdate(telegramMessage(chatId, '/start'));
        await eventually('the bot answering', () => telegram.fake.callsOf('sendMessage').find((c) => c.params.chat_id === chatId));
      } finally {
        await within(10_000, 'stop', running.stop());
        await telegram.close();
      }
    },
    90_000,
  );

  it.each<TelegramFault>(['closed', 'error500'])(
    'Telegram %s after start: long polling is reported degraded, then recovers and answers again',
    async (fault) => {
      const telegram = await startFaultyTelegram('up');
      const config = configWith({ TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot });
      const running = await startRoshni({ ctx: ctx(), config, database: opened(), log: () => {}, jobs: [], parts: botStartParts(config), retry: FAST_RETRY });
      const base = fault === 'closed' ? 6200 : 6300;
      try {
        const httpUrl = running.httpUrl!;
        await untilPart(httpUrl, 'telegram', 'running');
        telegram.fake.pushUpdate(telegramMessage(base + 1, '/start'));
        await eventually('a first answer', () => telegram.fake.callsOf('sendMessage').find((c) => c.params.chat_id === base + 1));

        await telegram.set(fault);
        const degraded = await untilPart(httpUrl, 'telegram', 'degraded');
        expect(degraded.since).toBe(clock.now().toISOString());
        const notification = await messageDue(`after-start-faults:${fault}`, { email: `later-${fault}@example.in` });
        expect(await sentBy(notification)).toBe('email');

        await telegram.set('up');
        await untilPart(httpUrl, 'telegram', 'running');
        telegram.fake.pushUpdate(telegramMessage(base + 2, '/start'));
        await eventually('an answer after recovery', () => telegram.fake.callsOf('sendMessage').find((c) => c.params.chat_id === base + 2));
      } finally {
        await within(10_000, 'stop', running.stop());
        await telegram.close();
      }
    },
    60_000,
  );

  it('webhook mode: a failing setWebhook is tried again in the background, and POST /webhooks/telegram answers 503 until it is set', async () => {
    const telegram = await startFaultyTelegram('up');
    await telegram.set('error500', ['setWebhook']);
    const config = configWith({
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_WEBHOOK_URL: 'https://clinic.example.in/webhooks/telegram',
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    const running = await within(
      10_000,
      'startRoshni',
      startRoshni({ ctx: ctx(), config, database: opened(), log: () => {}, jobs: [], parts: botStartParts(config), retry: FAST_RETRY }),
    );
    const post = (updateId: number, secret = WEBHOOK_SECRET) =>
      fetch(`${running.httpUrl}/webhooks/telegram`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': secret },
        body: JSON.stringify({ update_id: updateId, ...telegramMessage(6401, '/start') }),
      });
    try {
      const httpUrl = running.httpUrl!;
      const degraded = await untilPart(httpUrl, 'telegram', 'degraded');
      expect(degraded.reason).toMatch(/500/);
      expect((await post(1)).status).toBe(503); // Telegram delivers it again later
      expect((await post(2, 'a-wrong-secret')).status).toBe(401);
      expect((await razorpayDelivery(httpUrl, 'evt_webhook_mode')).status).toBe(200);

      await telegram.set('up');
      await untilPart(httpUrl, 'telegram', 'running');
      expect(telegram.fake.callsOf('setWebhook').at(-1)?.params).toMatchObject({ secret_token: WEBHOOK_SECRET });
      expect((await post(3)).status).toBe(200);
      await eventually('the bot answering', () => telegram.fake.callsOf('sendMessage').find((c) => c.params.chat_id === 6401));
    } finally {
      await within(10_000, 'stop', running.stop());
      await telegram.close();
    }
  }, 60_000);

  describe('WhatsApp', () => {
    const clients: FakeWhatsAppClient[] = [];
    const whatsappParts = (config: ReturnType<typeof configWith>): StartPart[] =>
      botStartParts(config, {
        whatsappSession: async () => {
          const client = new FakeWhatsAppClient();
          clients.push(client);
          return { client, makeMedia: () => ({}) };
        },
      });

    it('a browser that fails to start: WhatsApp is degraded, messages go by another channel meanwhile, then by WhatsApp once it starts', async () => {
      FakeWhatsAppClient.browserStarts = false;
      clients.length = 0;
      const config = configWith({ WHATSAPP_ENABLED: 'true' });
      const running = await within(
        10_000,
        'startRoshni',
        startRoshni({ ctx: ctx(), config, database: opened(), log: () => {}, jobs: [], parts: whatsappParts(config), retry: FAST_RETRY }),
      );
      try {
        const httpUrl = running.httpUrl!;
        const degraded = await untilPart(httpUrl, 'whatsapp', 'degraded');
        expect(degraded.since).toBe(clock.now().toISOString());
        expect(clients.every((c) => c.destroyed)).toBe(true); // each failed browser is let go
        const whileDown = await messageDue('whatsapp-faults:down', { email: 'wa-down@example.in', phone: '+919800055501' });
        expect(await sentBy(whileDown)).toBe('email');

        FakeWhatsAppClient.browserStarts = true;
        await untilPart(httpUrl, 'whatsapp', 'running');
        const whileUp = await messageDue('whatsapp-faults:up', { email: 'wa-up@example.in', phone: '+919800055502' });
        expect(await sentBy(whileUp)).toBe('whatsapp');
        expect(clients.at(-1)!.sent.map((m) => m.chatId)).toEqual(['919800055502@c.us']);
      } finally {
        FakeWhatsAppClient.browserStarts = true;
        await within(10_000, 'stop', running.stop());
      }
    }, 60_000);

    it.each(['the client reports disconnected', 'the browser dies'])(
      '%s later: WhatsApp is degraded, the old client let go, and a new one takes over',
      async (how) => {
        FakeWhatsAppClient.browserStarts = true;
        clients.length = 0;
        const config = configWith({ WHATSAPP_ENABLED: 'true' });
        const running = await startRoshni({ ctx: ctx(), config, database: opened(), log: () => {}, jobs: [], parts: whatsappParts(config), retry: FAST_RETRY });
        try {
          const httpUrl = running.httpUrl!;
          await untilPart(httpUrl, 'whatsapp', 'running');
          const first = clients[0]!;
          FakeWhatsAppClient.browserStarts = false;
          if (how === 'the browser dies') first.pupBrowser.emit('disconnected');
          else first.emit('disconnected', 'CONFLICT');
          await untilPart(httpUrl, 'whatsapp', 'degraded');
          expect(first.destroyed).toBe(true);

          FakeWhatsAppClient.browserStarts = true;
          await untilPart(httpUrl, 'whatsapp', 'running');
          expect(clients.at(-1)).not.toBe(first);
          expect(clients.at(-1)!.destroyed).toBe(false);
        } finally {
          FakeWhatsAppClient.browserStarts = true;
          await within(10_000, 'stop', running.stop());
        }
        expect(clients.every((c) => c.destroyed)).toBe(true);
      },
      60_000,
    );
  });

  it('the built CLI answers /health promptly while Telegram hangs, and a SIGTERM during start-up ends it with exit 0 within 10 s', async () => {
    const telegram = await startFaultyTelegram('hang');
    const child = startCli(['start'], {
      DATABASE_URL: database.url,
      ROSHNI_HOME: home,
      ROSHNI_HTTP_PORT: '0',
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
    try {
      await telegram.waitForAttempts('getMe', 1, 20_000); // start-up reached Telegram, which does not answer
      const httpUrl = await eventually('the HTTP address', () => /HTTP: (http:\/\/\S+)/.exec(stdout)?.[1], 10_000);
      const answer = await health(httpUrl);
      expect(answer.ms).toBeLessThan(HEALTH_ANSWER_BOUND_MS);
      expect(answer.body.parts.find((p) => p.name === 'telegram')?.state).not.toBe('running');

      const sent = performance.now();
      child.kill('SIGTERM');
      const ended = await within(15_000, 'exit after SIGTERM', exit);
      const stopMs = performance.now() - sent;
      expect(ended, stderr).toEqual([0, null]);
      expect(stopMs).toBeLessThan(10_000);
      expect(stderr).not.toContain('did not let go');
      console.info(`[start-faults] /health while Telegram hangs: ${Math.round(answer.ms)} ms; stop during start-up: ${Math.round(stopMs)} ms`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await telegram.close();
    }
  }, 60_000);
});
