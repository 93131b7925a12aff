import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramBot } from '../../src/bot/channels/telegram.js';
import { telegramPollingPart } from '../../src/bot/channels/telegram-polling.js';
import { ChatQueue } from '../../src/bot/engine/chat-queue.js';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { fixedClock } from '../../src/infra/clock.js';
import { FileDocumentStore } from '../../src/infra/storage/file-document-store.js';
import { PartSupervisor } from '../../src/infra/part-supervisor.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { waitFor } from '../support/wait.js';
import { linkedChat } from './support.js';

// A busy evening on Telegram: a mother's prescription is slow to store (the disk stalls), and
// meanwhile other families write. They are answered at once; her own next message waits for her
// document's answer and comes after it; never more updates run at once than the bound.
describe('Telegram long polling on a busy evening', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let dir: string;
  const clock = fixedClock('2026-12-01T13:00:00Z');

  beforeAll(async () => {
    [database, telegram] = await Promise.all([createTestDatabase(), startFakeTelegram()]);
    dir = mkdtempSync(join(tmpdir(), 'roshni-telegram-concurrency-'));
  });
  afterAll(async () => {
    await Promise.all([telegram?.close(), database?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a slow update holds only its own chat, a chat's updates are answered in order, and at most the bound run at once", async () => {
    const ctx = systemContext(database.db, clock);
    const clinic = await seedClinic(ctx, { patients: 1, days: 1 });
    await linkedChat(database.db, { channel: 'telegram', chatId: '8001', patientId: clinic.patients[0]!.id });
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const disk = new FileDocumentStore(dir, 1024 * 1024);
    // The injected fault: storing a file waits until the test lets it go.
    const slowDisk = Object.assign(Object.create(disk) as FileDocumentStore, {
      put: async (...args: Parameters<FileDocumentStore['put']>) => {
        await stalled;
        return disk.put(...args);
      },
    });
    const engine = new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone, documentStore: slowDisk });
    const queue = new ChatQueue(3);
    const supervisor = new PartSupervisor({ clock, log: () => {}, given: {} });
    supervisor.add(
      telegramPollingPart(
        async () => createTelegramBot(engine, { token: telegram.token, apiRoot: telegram.apiRoot }),
        () => ({ db: ctx.db }),
        queue,
      ),
    );
    const message = (chatId: number, body: Record<string, unknown>) => ({
      message: { message_id: chatId, date: 0, chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'Asha' }, ...body },
    });
    const repliesTo = (chatId: number) =>
      telegram
        .callsOf('sendMessage')
        .filter((c) => c.params.chat_id === chatId)
        .map((c) => String(c.params.text));
    try {
      telegram.addFile('rx-1', new Uint8Array(Buffer.from('%PDF-1.4\n% prescription\n%%EOF\n')));
      telegram.pushUpdate(message(8001, { document: { file_id: 'rx-1', file_unique_id: 'u1', file_name: 'prescription.pdf', file_size: 40 } }));
      telegram.pushUpdate(message(8001, { text: 'menu' }));
      for (let chatId = 8002; chatId <= 8009; chatId++) telegram.pushUpdate(message(chatId, { text: '/start' }));

      await waitFor(() => [...Array(8).keys()].every((i) => repliesTo(8002 + i).length > 0), 15_000, 'the other families answered');
      expect(repliesTo(8001)).toEqual([]); // still storing her document

      release();
      await waitFor(() => repliesTo(8001).length >= 2, 15_000, 'her two answers');
      expect(repliesTo(8001)[0]).toMatch(/received your document/);
      expect(repliesTo(8001).slice(1).join('\n')).toMatch(/menu|What would you like/i);
      expect(queue.mostRunning).toBeGreaterThan(1);
      expect(queue.mostRunning).toBeLessThanOrEqual(3);
    } finally {
      release();
      await supervisor.stop();
    }
  }, 40_000);
});
