import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachWhatsApp, type WhatsAppMessageLike } from '../../src/bot/channels/whatsapp.js';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { replyInInbox } from '../../src/domain/messaging/inbox.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The WhatsApp adapter driven through an injected client with whatsapp-web.js Client's events and methods.
class FakeWhatsAppClient extends EventEmitter {
  sent: Array<{ chatId: string; content: unknown; options?: { caption?: string } }> = [];
  async sendMessage(chatId: string, content: unknown, options?: { caption?: string }) {
    this.sent.push({ chatId, content, ...(options ? { options } : {}) });
    return {};
  }
  async initialize() {}
  async destroy() {}
}

describe('the WhatsApp bot and the staff inbox', () => {
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, fixedClock('2026-12-01T02:30:00Z'));
    clinic = await seedClinic(ctx, { patients: 1, days: 4 });
  });
  afterAll(() => database?.close());

  it('completes a booking with numbered menus and sends the UPI QR as media', async () => {
    const client = new FakeWhatsAppClient();
    const media: Buffer[] = [];
    const adapter = attachWhatsApp(client, new ConversationEngine({ db: ctx.db, clock: ctx.clock, timezone: ctx.timezone }), (file) => {
      media.push(file.bytes);
      return { mimetype: file.mimeType };
    });
    const from = `${clinic.patients[0]!.phone!.slice(1)}@c.us`;
    const say = async (body: string) => {
      client.emit('message', { from, body } satisfies WhatsAppMessageLike);
      await adapter.idle();
      return String(client.sent.at(-1)!.content);
    };
    expect(await say('hi')).toMatch(/1\. Book an appointment/);
    expect(await say('1')).toMatch(/Which service/);
    await say('1'); // speech therapy
    await say('1'); // anyone
    await say('1'); // soonest day
    expect(await say('1')).toMatch(/Shall I book it/);
    await say('1');
    expect(client.sent.map((m) => String(m.content)).join('\n')).toMatch(/Booked! Your appointment number is APT-/);
    await say('1'); // pay now
    const image = client.sent.find((m) => m.options?.caption);
    expect(image?.options?.caption).toMatch(/UPI/);
    expect(media[0]!.subarray(1, 4).toString()).toBe('PNG');
    const appointments = await database.db.selectFrom('appointments').select('booked_via').execute();
    expect(appointments).toEqual([{ booked_via: 'whatsapp' }]);
  });

  it("a staff reply from the inbox goes to the outbox on the chat's channel", async () => {
    const conversation = await database.db.selectFrom('bot_conversations').select('id').executeTakeFirstOrThrow();
    await replyInInbox(ctx, { conversationId: conversation.id, body: 'Yes, 5 pm works.' });
    const queued = await database.db.selectFrom('notifications').selectAll().where('kind', '=', 'staff_reply').execute();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ channel: 'whatsapp', patient_id: clinic.patients[0]!.id, payload: expect.objectContaining({ text: 'Yes, 5 pm works.' }) });
  });
});
