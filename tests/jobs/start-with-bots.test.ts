import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { botStartParts } from '../../src/start/bot-parts.js';
import { loadConfig } from '../../src/infra/config.js';
import { startRoshni, type StartPart } from '../../src/start/roshni.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';

// `roshni start` runs the patient bots with everything else: a patient writing to the clinic's
// Telegram bot gets an answer from the process, and stopping it stops the bot too.
describe('roshni start with the Telegram bot', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;

  beforeAll(async () => {
    [database, telegram] = await Promise.all([createTestDatabase(), startFakeTelegram()]);
    await seedClinic(systemContext(database.db), { patients: 1, days: 2 });
  });
  afterAll(() => Promise.all([database?.close(), telegram?.close()]));
  beforeEach(() => {
    telegram.calls.length = 0; // each test looks at the calls its own `roshni start` made
  });

  it('answers a patient on Telegram, and starts no bot that is not configured', async () => {
    const config = loadConfig({ DATABASE_URL: database.url, TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot }, '/nonexistent/.env');
    expect(botStartParts(loadConfig({}, '/nonexistent/.env'))).toEqual([]);
    const opened = { db: database.db, kind: 'postgres' as const, location: database.url, close: async () => {} };
    const running = await startRoshni({
      ctx: systemContext(database.db),
      config,
      database: opened,
      log: () => {},
      http: false,
      jobs: [],
      parts: botStartParts(config),
    });
    try {
      expect(running.bots).toEqual(['telegram']);
      telegram.pushUpdate({
        message: {
          message_id: 1,
          date: Math.floor(Date.now() / 1000),
          chat: { id: 501, type: 'private' },
          from: { id: 501, is_bot: false, first_name: 'Neha' },
          text: '/start',
        },
      });
      const [reply] = await telegram.waitForCalls('sendMessage', 1);
      expect(reply!.params.chat_id).toBe(501);
    } finally {
      await running.stop();
    }
  });

  it('with TELEGRAM_WEBHOOK_URL, takes Telegram updates on its HTTP endpoint instead of polling', async () => {
    const secret = 'start-webhook-secret-0123';
    const config = loadConfig(
      {
        DATABASE_URL: database.url,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        TELEGRAM_WEBHOOK_URL: 'https://clinic.example.in/webhooks/telegram',
        TELEGRAM_WEBHOOK_SECRET: secret,
        ROSHNI_HTTP_PORT: '0',
      },
      '/nonexistent/.env',
    );
    const opened = { db: database.db, kind: 'postgres' as const, location: database.url, close: async () => {} };
    const polls = telegram.callsOf('getUpdates').length;
    const running = await startRoshni({ ctx: systemContext(database.db), config, database: opened, log: () => {}, jobs: [], parts: botStartParts(config) });
    try {
      // The bot connects in the background: the webhook is set once the part runs.
      for (const deadline = Date.now() + 10_000; running.parts().find((p) => p.name === 'telegram')?.state !== 'running';) {
        if (Date.now() > deadline) throw new Error(`the Telegram part did not start: ${JSON.stringify(running.parts())}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(telegram.callsOf('setWebhook').at(-1)?.params).toMatchObject({ secret_token: secret });
      const before = telegram.callsOf('sendMessage').length;
      const message = { message_id: 2, date: 0, chat: { id: 502, type: 'private' }, from: { id: 502, is_bot: false, first_name: 'Ravi' }, text: '/start' };
      const response = await fetch(`${running.httpUrl}/webhooks/telegram`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': secret },
        body: JSON.stringify({ update_id: 77, message }),
      });
      expect(response.status).toBe(200);
      const sent = await telegram.waitForCalls('sendMessage', before + 1);
      expect(sent.at(-1)!.params.chat_id).toBe(502);
      expect(telegram.callsOf('getUpdates').length).toBe(polls);
    } finally {
      await running.stop();
    }
  });

  it('GET /health reports the state of the WhatsApp session the process holds, and WhatsApp becomes a channel', async () => {
    const config = loadConfig({ DATABASE_URL: database.url, WHATSAPP_ENABLED: 'true', ROSHNI_HTTP_PORT: '0' }, '/nonexistent/.env');
    const whatsapp: StartPart = {
      name: 'whatsapp',
      start: async () => ({ stop: async () => {}, whatsapp: { sendMessage: async () => ({}), getState: async () => 'CONNECTED' } }),
    };
    const opened = { db: database.db, kind: 'postgres' as const, location: database.url, close: async () => {} };
    const running = await startRoshni({ ctx: systemContext(database.db), config, database: opened, log: () => {}, jobs: [], parts: [whatsapp] });
    try {
      expect(running.channels).toContain('whatsapp');
      const check = async () => {
        const report = (await (await fetch(`${running.httpUrl}/health`)).json()) as { checks: Array<{ name: string; status: string; detail: string }> };
        return report.checks.find((c) => c.name === 'whatsapp');
      };
      expect(await check()).toMatchObject({ status: 'ok', detail: 'session CONNECTED' });
    } finally {
      await running.stop();
    }
  });
});
