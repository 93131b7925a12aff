import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botStartParts } from '../../src/start/bot-parts.js';
import { loadConfig } from '../../src/infra/config.js';
import { startRoshni } from '../../src/start/roshni.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { waitFor } from '../support/wait.js';
import { linkedChat } from './support.js';

// Telegram's webhook posts updates as they come, several at once. A mother sends a school report
// (slow to fetch from Telegram) and then writes "menu": she gets the document's answer first, then
// the menu; another family writing meanwhile is answered without waiting for her.
describe('the Telegram webhook keeps each chat in order', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let home: string;
  const secret = 'webhook-order-secret-0123';

  beforeAll(async () => {
    [database, telegram] = await Promise.all([createTestDatabase(), startFakeTelegram()]);
    home = mkdtempSync(join(tmpdir(), 'roshni-webhook-order-'));
  });
  afterAll(async () => {
    await Promise.all([telegram?.close(), database?.close()]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("answers one chat's updates in the order they came, and other chats meanwhile", async () => {
    const clinic = await seedClinic(systemContext(database.db), { patients: 1, days: 1 });
    await linkedChat(database.db, { channel: 'telegram', chatId: '7301', patientId: clinic.patients[0]!.id });
    const config = loadConfig(
      {
        DATABASE_URL: database.url,
        ROSHNI_HOME: home,
        ROSHNI_HTTP_PORT: '0',
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        TELEGRAM_WEBHOOK_URL: 'https://clinic.example.in/webhooks/telegram',
        TELEGRAM_WEBHOOK_SECRET: secret,
      },
      '/nonexistent/.env',
    );
    const opened = { db: database.db, kind: 'postgres' as const, location: database.url, close: async () => {} };
    const running = await startRoshni({ ctx: systemContext(database.db), config, database: opened, log: () => {}, jobs: [], parts: botStartParts(config) });
    const post = (updateId: number, chatId: number, body: Record<string, unknown>) =>
      fetch(`${running.httpUrl}/webhooks/telegram`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': secret },
        body: JSON.stringify({
          update_id: updateId,
          message: { message_id: updateId, date: 0, chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'Asha' }, ...body },
        }),
      });
    const repliesTo = (chatId: number) =>
      telegram
        .callsOf('sendMessage')
        .filter((c) => c.params.chat_id === chatId)
        .map((c) => String(c.params.text));
    try {
      await waitFor(() => running.parts().find((p) => p.name === 'telegram')?.state === 'running', 10_000, 'the webhook set');
      telegram.addFile('report-1', new Uint8Array(Buffer.from('%PDF-1.4\n% school report\n%%EOF\n')));
      telegram.delay('getFile', 1_500); // her document is slow to fetch
      const document = post(1, 7301, { document: { file_id: 'report-1', file_unique_id: 'r1', file_name: 'report.pdf', file_size: 40 } });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const menu = post(2, 7301, { text: 'menu' });
      const other = post(3, 7302, { text: '/start' });
      expect((await other).status).toBe(200);
      expect(repliesTo(7302).length).toBeGreaterThan(0);
      expect(repliesTo(7301)).toEqual([]); // her document is still being fetched; her "menu" waits behind it
      expect((await document).status).toBe(200);
      expect((await menu).status).toBe(200);
      expect(repliesTo(7301)[0]).toMatch(/received your document/);
      expect(repliesTo(7301).length).toBeGreaterThan(1);
    } finally {
      await running.stop();
    }
  }, 40_000);
});
