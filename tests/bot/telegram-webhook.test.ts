import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';

// Telegram's webhook mode behind `roshni serve` (the built CLI as its own process): it registers
// the webhook with its secret token, takes only updates carrying that token, and answers through
// the same bot as long polling.
describe('the Telegram bot in webhook mode, behind roshni serve', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let child: ChildProcess;
  let url: string;
  let stderr = '';
  const secret = 'webhook-secret-0123456789';

  beforeAll(async () => {
    [database, telegram] = await Promise.all([createTestDatabase(), startFakeTelegram()]);
    await seedClinic(systemContext(database.db), { patients: 1, days: 2 });
    child = startCli(['serve', '--port', '0'], {
      ROSHNI_HOME: '/nonexistent/roshni-home',
      DATABASE_URL: database.url,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_WEBHOOK_URL: 'https://clinic.example.in/webhooks/telegram',
      TELEGRAM_WEBHOOK_SECRET: secret,
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        const match = /Listening on (http:\/\/127\.0\.0\.1:\d+): .*POST \/webhooks\/telegram/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      child.on('close', (code) => reject(new Error(`roshni serve exited ${code}: ${stderr}`)));
    });
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    await telegram?.close();
    await database?.close();
  });

  const post = (body: unknown, token?: string) =>
    fetch(`${url}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Telegram-Bot-Api-Secret-Token': token } : {}) },
      body: JSON.stringify(body),
    });

  it('registers the webhook with its secret token', () => {
    const [call] = telegram.callsOf('setWebhook');
    expect(call?.params).toMatchObject({ url: 'https://clinic.example.in/webhooks/telegram', secret_token: secret });
  });

  it('answers an update carrying the secret through the bot; refuses others and changes nothing', async () => {
    const chat = { id: 4242, type: 'private' };
    const message = { message_id: 1, date: 0, chat, from: { id: 4242, is_bot: false, first_name: 'Asha' }, text: '/start' };
    expect((await post({ update_id: 1, message }, 'wrong-secret-0123456789')).status).toBe(401);
    expect((await post({ update_id: 2, message })).status).toBe(401);
    expect((await post({ nonsense: true }, secret)).status).toBe(400);
    expect(telegram.callsOf('sendMessage')).toHaveLength(0);
    expect(await database.db.selectFrom('bot_conversations').select('id').execute()).toHaveLength(0);

    const accepted = await post({ update_id: 3, message }, secret);
    expect(accepted.status).toBe(200);
    const sent = await telegram.waitForCalls('sendMessage', 1);
    expect(String(sent[0]!.params.text)).toMatch(/Namaste! This is Sunrise Child Therapy/);
    expect(await database.db.selectFrom('bot_conversations').select('chat_id').execute()).toEqual([{ chat_id: '4242' }]);
    for (let i = 0; i < 50 && !/update 3/.test(stderr); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stderr).toMatch(/POST \/webhooks\/telegram 200 \d+ms update 3/);
    expect(stderr).not.toContain('Asha');
  });
});
