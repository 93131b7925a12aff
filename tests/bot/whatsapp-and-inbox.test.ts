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
  /** WhatsApp's private ids ("…@lid") and the numbers they stand for. */
  lids = new Map<string, string>();
  async getContactLidAndPhone(userIds: string[]) {
    return userIds.map((lid) => ({ lid, pn: this.lids.get(lid)! }));
  }
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

  it('knows a sender WhatsApp names by a private id (…@lid) by the number WhatsApp maps it to, and answers that chat', async () => {
    const [patient] = await database.db.insertInto('patients').values({ full_name: 'Lata Pillai', phone: '+919800011122' }).returning('id').execute();
    const client = new FakeWhatsAppClient();
    client.lids.set('179950657237125@lid', '919800011122@c.us');
    const adapter = attachWhatsApp(client, new ConversationEngine({ db: ctx.db, clock: ctx.clock, timezone: ctx.timezone }), () => ({}));
    client.emit('message', { from: '179950657237125@lid', body: 'hi' } satisfies WhatsAppMessageLike);
    await adapter.idle();
    expect(client.sent.map((m) => m.chatId)).toEqual(['179950657237125@lid', '179950657237125@lid', '179950657237125@lid']);
    expect(client.sent.map((m) => String(m.content)).join('\n')).toContain('Thank you, Lata Pillai. You are connected.');
    const linked = await database.db.selectFrom('patients').select('whatsapp_id').where('id', '=', patient!.id).executeTakeFirstOrThrow();
    expect(linked.whatsapp_id).toBe('179950657237125@lid');

    // An id WhatsApp cannot map is nobody the clinic knows: no reply, nothing stored.
    client.emit('message', { from: '555000111222333@lid', body: 'hi' } satisfies WhatsAppMessageLike);
    await adapter.idle();
    expect(client.sent).toHaveLength(3);
    expect(await database.db.selectFrom('bot_conversations').select('id').where('chat_id', '=', '555000111222333@lid').execute()).toEqual([]);
  });

  it("a staff reply from the inbox goes to the outbox on the chat's channel", async () => {
    // Meena writes to the clinic on WhatsApp.
    const [meena] = await database.db.insertInto('patients').values({ full_name: 'Meena Joshi', phone: '+919800033344' }).returning('id').execute();
    const client = new FakeWhatsAppClient();
    const adapter = attachWhatsApp(client, new ConversationEngine({ db: ctx.db, clock: ctx.clock, timezone: ctx.timezone }), () => ({}));
    client.emit('message', { from: '919800033344@c.us', body: 'hi' } satisfies WhatsAppMessageLike);
    await adapter.idle();

    const conversation = await database.db.selectFrom('bot_conversations').select('id').where('patient_id', '=', meena!.id).executeTakeFirstOrThrow();
    await replyInInbox(ctx, { conversationId: conversation.id, body: 'Yes, 5 pm works.' });
    const queued = await database.db.selectFrom('notifications').selectAll().where('kind', '=', 'staff_reply').execute();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ channel: 'whatsapp', patient_id: meena!.id, payload: expect.objectContaining({ text: 'Yes, 5 pm works.' }) });
  });
});
