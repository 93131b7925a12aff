import type { Bot } from 'grammy';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { createTelegramBot } from '../../src/bot/channels/telegram.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';

// grammY's real client against the fake Bot API: updates come through getUpdates (long polling).
describe('the Telegram bot, end to end', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let bot: Bot;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  const user = { id: 555, is_bot: false, first_name: 'Asha' };
  const chat = { id: 555, type: 'private' as const };
  let messageId = 1;

  beforeAll(async () => {
    database = await createTestDatabase();
    const ctx = systemContext(database.db, fixedClock('2026-12-01T02:30:00Z'));
    clinic = await seedClinic(ctx, { patients: 2, days: 4 });
    telegram = await startFakeTelegram();
    bot = createTelegramBot(new ConversationEngine({ db: ctx.db, clock: ctx.clock, timezone: ctx.timezone }), {
      token: telegram.token,
      apiRoot: telegram.apiRoot,
    });
    await bot.init();
    void bot.start({ timeout: 1 });
  });
  afterAll(async () => {
    await bot?.stop();
    await telegram?.close();
    await database?.close();
  });
  beforeEach(() => {
    telegram.calls.length = 0; // each test counts the bot's calls from its own first message
  });

  const sent = () => telegram.callsOf('sendMessage');
  const lastButtons = () => {
    const markup = sent().at(-1)!.params.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> };
    return (markup?.inline_keyboard ?? []).flat();
  };
  async function press(label: RegExp | number) {
    const buttons = lastButtons();
    const button = typeof label === 'number' ? buttons[label] : buttons.find((b) => label.test(b.text));
    expect(button, `button ${String(label)} in ${buttons.map((b) => b.text).join(' | ')}`).toBeDefined();
    const before = sent().length;
    const answered = telegram.callsOf('answerCallbackQuery').length;
    telegram.pushUpdate({
      callback_query: {
        id: `cb${messageId++}`,
        from: user,
        chat_instance: 'x',
        data: button!.callback_data,
        message: { message_id: 1, date: 0, chat, text: 'menu' },
      },
    });
    await telegram.waitForCalls('answerCallbackQuery', answered + 1);
    await telegram.waitForCalls('sendMessage', before + 1);
    await new Promise((resolve) => setTimeout(resolve, 80));
  }

  it("is not fooled by a typed number or someone else's contact card: only the sender's own number identifies", async () => {
    const stranger = { id: 777, is_bot: false, first_name: 'Stranger' };
    const strangerChat = { id: 777, type: 'private' as const };
    const phone = clinic.patients[1]!.phone!.replace('+', '');
    telegram.pushUpdate({ message: { message_id: messageId++, date: 0, chat: strangerChat, from: stranger, text: '/start' } });
    await telegram.waitForCalls('sendMessage', 2);
    const attempts = [
      { text: clinic.patients[1]!.phone! }, // typed
      { contact: { phone_number: phone, first_name: 'Patient', user_id: 555 } }, // another Telegram user's card
      { contact: { phone_number: phone, first_name: 'Patient' } }, // an address-book card, not on Telegram
    ];
    for (const attempt of attempts) {
      const before = sent().length;
      telegram.pushUpdate({ message: { message_id: messageId++, date: 0, chat: strangerChat, from: stranger, ...attempt } });
      await telegram.waitForCalls('sendMessage', before + 1);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const reply = sent().at(-1)!.params;
      expect(sent()).toHaveLength(before + 1);
      expect(String(reply.text)).toMatch(/only use the number your Telegram account is registered with/);
      expect(JSON.stringify(reply.reply_markup)).toContain('request_contact');
    }
    const linked = await database.db.selectFrom('patients').select('telegram_chat_id').where('id', '=', clinic.patients[1]!.id).executeTakeFirstOrThrow();
    expect(linked.telegram_chat_id).toBeNull();
    const conversation = await database.db.selectFrom('bot_conversations').selectAll().where('chat_id', '=', '777').executeTakeFirstOrThrow();
    expect([conversation.patient_id, conversation.guardian_id]).toEqual([null, null]);
  });

  it('identifies by shared contact and completes a booking; the appointment is in Postgres', async () => {
    telegram.pushUpdate({ message: { message_id: messageId++, date: 0, chat, from: user, text: '/start' } });
    await telegram.waitForCalls('sendMessage', 2);
    expect(JSON.stringify(sent().at(-1)!.params.reply_markup)).toContain('request_contact');

    const phone = clinic.patients[0]!.phone!.replace('+', '');
    telegram.pushUpdate({
      message: { message_id: messageId++, date: 0, chat, from: user, contact: { phone_number: phone, first_name: 'Asha', user_id: 555 } },
    });
    await telegram.waitForCalls('sendMessage', 4);
    expect(String(sent().at(-2)!.params.text)).toContain('Patient 001');

    await press(/Book an appointment/);
    await press(/Speech therapy/);
    await press(/Anyone/);
    await press(0);
    await press(0);
    expect(String(sent().at(-1)!.params.text)).toMatch(/Shall I book it/);
    await press(/Yes, book it/);
    expect(
      sent()
        .map((c) => String(c.params.text))
        .join('\n'),
    ).toMatch(/Booked! Your appointment number is APT-/);
    const rows = await database.db.selectFrom('appointments').selectAll().where('patient_id', '=', clinic.patients[0]!.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.booked_via).toBe('telegram');
    const linked = await database.db.selectFrom('patients').select('telegram_chat_id').where('id', '=', clinic.patients[0]!.id).executeTakeFirstOrThrow();
    expect(linked.telegram_chat_id).toBe('555');

    await press(/Pay now/);
    const photos = await telegram.waitForCalls('sendPhoto', 1);
    expect(String(photos[0]!.params.photo)).toMatch(/^attach:\/\//); // the PNG travels as a multipart file
    expect(String(photos[0]!.params.caption)).toMatch(/UPI/);
  });
});
