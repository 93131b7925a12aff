import type { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramBot } from '../../src/bot/channels/telegram.js';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { rescheduleAppointment } from '../../src/domain/scheduling/reschedule-appointment.js';
import { scheduleReminders } from '../../src/domain/notifications/reminders.js';
import { addDays, clinicDate, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { telegramChannel } from '../../src/infra/channels/telegram.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { runCli } from '../support/cli.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { sessionFor } from '../support/staff-sessions.js';
import { linkedChat } from '../bot/support.js';

// Reminders patients act on, end to end: the reminder job writes them, the dispatcher sends them
// through grammY's client to the fake Bot API with buttons, the patient presses one, and the bot
// (long polling the same fake server) confirms, cancels or reschedules on real PostgreSQL.

const TODAY = clinicDate(new Date(), 'Asia/Kolkata');
const at = (days: number, time: string) => zonedInstant(addDays(TODAY, days), time, 'Asia/Kolkata');

type Button = { text: string; callback_data: string };

describe('reminders patients act on, through Telegram', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let bot: Bot;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  const clock = fixedClock(at(0, '10:00'));
  let dispatcher: Dispatcher;
  let updateId = 1;

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 3, days: 6 });
    await database.db.updateTable('clinic_settings').set({ late_cancel_fee_paise: 30_000, change_grace_minutes: 0 }).execute();
    telegram = await startFakeTelegram();
    bot = createTelegramBot(new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone }), { token: telegram.token, apiRoot: telegram.apiRoot });
    await bot.init();
    void bot.start({ timeout: 1 });
    dispatcher = new Dispatcher({
      ctx,
      channels: { telegram: telegramChannel({ token: telegram.token, apiRoot: telegram.apiRoot, perSecond: 1000, perChatIntervalMs: 0 }) },
      instanceId: 'test',
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await telegram?.close();
    await database?.close();
  });

  /** A chat already linked to a patient or guardian, preferring Telegram. */
  async function linkTelegram(who: { patientId: number } | { guardianId: number }, chatId: number, language: 'en' | 'hi' = 'en') {
    const table = 'patientId' in who ? 'patients' : 'guardians';
    const id = 'patientId' in who ? who.patientId : who.guardianId;
    await database.db
      .updateTable(table)
      .set({ telegram_chat_id: String(chatId), preferred_channel: 'telegram', preferred_language: language })
      .where('id', '=', id)
      .execute();
    await linkedChat(database.db, { channel: 'telegram', chatId: String(chatId), language, ...who });
  }

  const slot = async (therapistId: number, days: number, time: string) =>
    (await slotsOn(ctx, therapistId, addDays(TODAY, days))).find((s) => s.starts_at.getTime() === at(days, time).getTime())!;
  const bookSpeech = async (patientId: number, days: number, time: string) =>
    clock.set(at(0, '10:00')) ?? bookAppointment(ctx, { patientId, serviceId: clinic.speechService.id, slotId: (await slot(clinic.speech.id, days, time)).id });
  const appointment = (id: number) => database.db.selectFrom('appointments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** The CLI of Anita, the clinic's admin, signed in (made on first use). */
  let adminToken: Promise<string> | undefined;
  const adminEnv = async () => {
    adminToken ??= addStaffUser(ctx, { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' }).then(() => sessionFor(database.db, 'anita.admin'));
    return { DATABASE_URL: database.url, ROSHNI_SESSION: await adminToken };
  };

  /** Runs the reminder job and the dispatcher at `when`, and returns what reached this chat. */
  async function remindAt(when: Date, chatId: number) {
    clock.set(when);
    await scheduleReminders(ctx);
    const before = telegram.callsOf('sendMessage').length;
    while ((await dispatcher.runOnce()) > 0);
    return telegram
      .callsOf('sendMessage')
      .slice(before)
      .filter((c) => String(c.params.chat_id) === String(chatId));
  }
  const buttonsOf = (call: { params: Record<string, unknown> }): Button[] =>
    ((call.params.reply_markup as { inline_keyboard?: Button[][] } | undefined)?.inline_keyboard ?? []).flat();

  /** Presses a button of a message the chat received, and waits for the bot's answer. */
  async function press(chatId: number, button: Button) {
    const before = telegram.callsOf('sendMessage').length;
    const answered = telegram.callsOf('answerCallbackQuery').length;
    const user = { id: chatId, is_bot: false, first_name: 'P' };
    telegram.pushUpdate({
      update_id: updateId++,
      callback_query: {
        id: `cb${updateId}`,
        from: user,
        chat_instance: 'x',
        data: button.callback_data,
        message: { message_id: 1, date: 0, chat: { id: chatId, type: 'private' }, text: 'reminder' },
      },
    });
    await telegram.waitForCalls('answerCallbackQuery', answered + 1);
    await telegram.waitForCalls('sendMessage', before + 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    return telegram
      .callsOf('sendMessage')
      .slice(before)
      .map((c) => String(c.params.text))
      .join('\n');
  }

  it('a reminder carries Confirm / Cancel / Reschedule; Confirm confirms it, and the desk sees who confirmed', async () => {
    const patient = clinic.patients[0]!;
    await linkTelegram({ patientId: patient.id }, 9001);
    const booked = await bookSpeech(patient.id, 2, '11:00');
    const received = await remindAt(at(1, '11:00'), 9001);
    const reminder = received.find((c) => String(c.params.text).startsWith('Reminder'))!;
    expect(String(reminder.params.text)).toContain(booked.appointmentNumber);
    expect(buttonsOf(reminder).map((b) => b.text)).toEqual(['Confirm', 'Cancel', 'Reschedule']);

    const answer = await press(9001, buttonsOf(reminder)[0]!);
    expect(answer).toMatch(new RegExp(`Thank you! ${booked.appointmentNumber} on .* is confirmed`));
    expect(await appointment(booked.id)).toMatchObject({ status: 'confirmed', confirmed_via: 'telegram' });
    // Pressing it again changes nothing and says the same.
    expect(await press(9001, buttonsOf(reminder)[0]!)).toMatch(/is confirmed/);

    const schedule = await runCli(['schedule', '--date', addDays(TODAY, 2)], await adminEnv());
    expect(schedule.stdout).toMatch(/confirmed on Telegram/);
  });

  it('a reply to an outdated reminder (moved by the desk since) says how things stand and changes nothing', async () => {
    const patient = clinic.patients[1]!;
    await linkTelegram({ patientId: patient.id }, 9002);
    const booked = await bookSpeech(patient.id, 3, '09:00');
    const received = await remindAt(at(2, '09:00'), 9002);
    const [confirm, cancel] = buttonsOf(received.find((c) => String(c.params.text).startsWith('Reminder'))!);
    await rescheduleAppointment(ctx, { appointmentId: booked.id, slotId: (await slot(clinic.speech.id, 3, '12:00')).id });

    expect(await press(9002, confirm!)).toMatch(new RegExp(`out of date: ${booked.appointmentNumber} is now on .*12:00. Nothing was changed`));
    expect(await press(9002, cancel!)).toMatch(/out of date/);
    expect(await appointment(booked.id)).toMatchObject({ status: 'scheduled', confirmed_at: null, cancelled_at: null });
  });

  it('Cancel asks first, names the late-cancellation fee, cancels, and the fee is a due the desk can waive', async () => {
    const patient = clinic.patients[2]!;
    await linkTelegram({ patientId: patient.id }, 9003);
    const booked = await bookSpeech(patient.id, 1, '12:00');
    const received = await remindAt(at(1, '10:00'), 9003);
    const cancel = buttonsOf(received.find((c) => String(c.params.text).startsWith('Reminder'))!).find((b) => b.text === 'Cancel')!;
    const question = await press(9003, cancel);
    expect(question).toMatch(/less than 24 hours away, so the late-cancellation fee of ₹300.00 applies/);
    expect((await appointment(booked.id)).status).toBe('scheduled');
    const buttons = buttonsOf(telegram.callsOf('sendMessage').at(-1)!);
    const done = await press(
      9003,
      buttons.find((b) => /Yes, cancel/.test(b.text))!,
    );
    expect(done).toMatch(/is cancelled, as a late cancellation .* A fee of ₹300.00 is added to your dues/);
    expect(await appointment(booked.id)).toMatchObject({ status: 'cancelled', cancelled_by: 'patient', late_cancellation: true, policy_fee_paise: 30_000 });

    const env = await adminEnv();
    expect((await runCli(['dues', '--json'], env)).stdout).toContain('"duePaise": 30000');
    const waived = await runCli(['waive', booked.appointmentNumber, '--reason', 'Child was unwell'], env);
    expect(waived.code).toBe(0);
    expect(JSON.parse((await runCli(['dues', '--json'], env)).stdout)).toEqual([]);
  });

  it("a guardian's two children back to back get one reminder in Hindi listing both, with actions for each", async () => {
    const mother = await addGuardian(ctx, { fullName: 'Sunita Verma', phone: '+919820055501', language: 'hi' });
    const [anu, ishan] = [
      await addPatient(ctx, { fullName: 'Anu Verma', dateOfBirth: '2018-04-01', withGuardian: { guardianId: mother.id, isPrimary: true } }),
      await addPatient(ctx, { fullName: 'Ishan Verma', dateOfBirth: '2020-04-01', withGuardian: { guardianId: mother.id, isPrimary: true } }),
    ];
    await linkTelegram({ guardianId: mother.id }, 9004, 'hi');
    const first = await bookSpeech(anu.id, 4, '09:00');
    const second = await bookAppointment(ctx, {
      patientId: ishan.id,
      serviceId: clinic.physioService.id,
      slotId: (await slot(clinic.physio.id, 4, '10:00')).id,
    });
    const received = await remindAt(at(3, '09:00'), 9004);
    const reminders = received.filter((c) => String(c.params.text).startsWith('याद'));
    expect(reminders).toHaveLength(1);
    const text = String(reminders[0]!.params.text);
    expect(text).toContain(first.appointmentNumber);
    expect(text).toContain(second.appointmentNumber);
    expect(text).not.toMatch(/Anu|Ishan/); // no names of children in a message
    const buttons = buttonsOf(reminders[0]!);
    expect(buttons.map((b) => b.text)).toEqual([
      `पुष्टि करें 09:00 (${first.appointmentNumber})`,
      `रद्द करें 09:00 (${first.appointmentNumber})`,
      `समय बदलें 09:00 (${first.appointmentNumber})`,
      `पुष्टि करें 10:00 (${second.appointmentNumber})`,
      `रद्द करें 10:00 (${second.appointmentNumber})`,
      `समय बदलें 10:00 (${second.appointmentNumber})`,
    ]);
    expect(await press(9004, buttons[3]!)).toMatch(/धन्यवाद! .* पक्का हो गया/);
    expect((await appointment(second.id)).status).toBe('confirmed');
    expect((await appointment(first.id)).status).toBe('scheduled');

    // Reschedule opens the booking steps for that very appointment.
    const asked = await press(9004, buttons[2]!);
    expect(asked).toMatch(/थेरेपिस्ट|Which therapist|कौन/);
  });
});
