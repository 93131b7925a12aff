import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachWhatsApp, type WhatsAppMessageLike } from '../../src/bot/channels/whatsapp.js';
import { ChatQueue } from '../../src/bot/engine/chat-queue.js';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { fixedClock } from '../../src/infra/clock.js';
import { FileDocumentStore } from '../../src/infra/storage/file-document-store.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait.js';
import { linkedChat } from './support.js';

// WhatsApp on a busy evening: a father's photo of a prescription is slow to come from WhatsApp,
// and he writes "menu" after it; another family writes meanwhile. The other family is answered at
// once; his answers come in the order he wrote.
describe('the WhatsApp bot keeps each chat in order', () => {
  let database: TestDatabase;
  let dir: string;
  const clock = fixedClock('2026-12-01T13:00:00Z');

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'roshni-whatsapp-order-'));
  });
  afterAll(async () => {
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("answers one chat's messages in order, and other chats meanwhile", async () => {
    const ctx = systemContext(database.db, clock);
    const clinic = await seedClinic(ctx, { patients: 2, days: 1 });
    const [father, other] = clinic.patients.map((p) => `${p.phone!.slice(1)}@c.us`) as [string, string];
    await linkedChat(database.db, { channel: 'whatsapp', chatId: father, patientId: clinic.patients[0]!.id });
    await linkedChat(database.db, { channel: 'whatsapp', chatId: other, patientId: clinic.patients[1]!.id });
    const client = new EventEmitter() as EventEmitter & { sendMessage(chatId: string, content: unknown): Promise<unknown> };
    const sent: Array<{ chatId: string; text: string }> = [];
    client.sendMessage = async (chatId, content) => (sent.push({ chatId, text: String(content) }), {});
    const queue = new ChatQueue(2);
    const engine = new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone, documentStore: new FileDocumentStore(dir, 1024 * 1024) });
    const adapter = attachWhatsApp(client as never, engine, () => ({}), undefined, queue);
    let arrive: () => void = () => {};
    const slowPhoto = new Promise<void>((resolve) => (arrive = resolve));
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

    client.emit('message', {
      from: father,
      body: '',
      hasMedia: true,
      downloadMedia: async () => {
        await slowPhoto;
        return { data: png.toString('base64'), mimetype: 'image/png' };
      },
    } satisfies WhatsAppMessageLike);
    client.emit('message', { from: father, body: 'menu' } satisfies WhatsAppMessageLike);
    client.emit('message', { from: other, body: 'menu' } satisfies WhatsAppMessageLike);
    await waitFor(() => sent.some((m) => m.chatId === other), 10_000, 'the other family answered');
    expect(sent.filter((m) => m.chatId === father)).toEqual([]);

    arrive();
    await adapter.idle();
    const his = sent.filter((m) => m.chatId === father).map((m) => m.text);
    expect(his[0]).toMatch(/received your document/);
    expect(his.slice(1).join('\n')).toMatch(/What would you like to do/);
    expect(queue.mostRunning).toBe(2); // the two chats ran side by side
  }, 30_000);
});
