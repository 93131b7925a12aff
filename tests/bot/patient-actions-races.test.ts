import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachWhatsApp } from '../../src/bot/channels/whatsapp.js';
import type { ChatChannel } from '../../src/bot/engine/types.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { encodeAction } from '../../src/domain/notifications/actions.js';
import { scheduleReminders } from '../../src/domain/notifications/reminders.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { rescheduleAppointment } from '../../src/domain/scheduling/reschedule-appointment.js';
import { addToWaitlist } from '../../src/domain/scheduling/waitlist.js';
import { expireWaitlistOffers } from '../../src/domain/scheduling/waitlist-offers.js';
import { addDays, clinicDate, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { whatsappChannel } from '../../src/infra/channels/whatsapp-sender.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { chatter, engineFor, linkedChat } from './support.js';

// Races and the other channels of messages patients act on: a patient's cancel against a staff
// reschedule, two "yes" answers to offers of one place, offers that expire, numbered WhatsApp
// replies, and quiet hours across midnight.

const TODAY = clinicDate(new Date(), 'Asia/Kolkata');
const at = (days: number, time: string) => zonedInstant(addDays(TODAY, days), time, 'Asia/Kolkata');

describe('messages patients act on: races, offers, WhatsApp, quiet hours', () => {
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  const clock = fixedClock(at(0, '10:00'));

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 2, days: 6 });
  });
  afterAll(() => database?.close());

  let phoneSeq = 100;
  async function patientOnChat(channel: ChatChannel, language: 'en' | 'hi' = 'en') {
    const n = phoneSeq++;
    const patient = await addPatient(ctx, { fullName: `Chat Patient ${n}`, phone: `+91981234${String(n).padStart(4, '0')}`, language });
    const chatId = channel === 'whatsapp' ? `${patient.phone!.slice(1)}@c.us` : `chat-${n}`;
    const column = channel === 'whatsapp' ? 'whatsapp_id' : 'telegram_chat_id';
    if (channel !== 'terminal') {
      await database.db
        .updateTable('patients')
        .set({ [column]: chatId, preferred_channel: channel })
        .where('id', '=', patient.id)
        .execute();
    }
    await linkedChat(database.db, { channel, chatId, patientId: patient.id, language });
    return { patient, chatId };
  }
  const slot = async (days: number, time: string, therapistId = clinic.speech.id) =>
    (await slotsOn(ctx, therapistId, addDays(TODAY, days))).find((s) => s.starts_at.getTime() === at(days, time).getTime())!;
  const book = async (patientId: number, days: number, time: string) => {
    clock.set(at(0, '10:00'));
    return bookAppointment(ctx, { patientId, serviceId: clinic.speechService.id, slotId: (await slot(days, time)).id });
  };
  const appointment = (id: number) => database.db.selectFrom('appointments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it("a patient's cancel racing a staff reschedule: one outcome each time, and the appointment is never lost", async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 6; round++) {
      const { patient, chatId } = await patientOnChat('terminal');
      const booked = await book(patient.id, 2 + (round % 3), ['09:00', '10:00', '11:00', '12:00'][Math.floor(round / 3)]!);
      const chat = chatter(engineFor(ctx), chatId);
      await chat.pressValue(encodeAction({ verb: 'cancel', appointmentId: booked.id, startsAt: booked.startsAt }));
      expect(chat.text()).toMatch(/Cancel APT-/);
      const target = await slot(5, ['09:00', '10:00', '11:00', '12:00'][round % 4]!, clinic.physio.id);
      const [patientSide, staffSide] = await Promise.allSettled([
        chat.press(/Yes, cancel/),
        rescheduleAppointment(ctx, { appointmentId: booked.id, slotId: target.id }),
      ]);
      expect(patientSide.status).toBe('fulfilled');
      const row = await appointment(booked.id);
      if (row.status === 'cancelled') {
        // The patient won: the desk's move was refused, and the chat said it is cancelled.
        expect(staffSide.status).toBe('rejected');
        expect(chat.text()).toMatch(/is cancelled/);
        outcomes.add('cancelled');
      } else {
        // The desk won: the appointment moved and stays; the patient hears it moved, nothing cancelled.
        expect(staffSide.status).toBe('fulfilled');
        expect(row.starts_at.getTime()).toBe(target.starts_at.getTime());
        expect(chat.text()).toMatch(/out of date/);
        outcomes.add('moved');
      }
      if (row.status !== 'cancelled') await cancelAppointment(ctx, { appointmentId: booked.id, reason: 'tidy up the test' });
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });

  it('two waitlist patients say "yes" to offers of one place at once: exactly one is booked, the other is told kindly', async () => {
    const holder = await book(clinic.patients[0]!.id, 1, '09:00');
    const a = await patientOnChat('terminal');
    const b = await patientOnChat('terminal', 'hi');
    for (const { patient } of [a, b]) {
      await addToWaitlist(ctx, { patientId: patient.id, serviceId: clinic.speechService.id, from: addDays(TODAY, 1), to: addDays(TODAY, 1) });
    }
    // The place frees, and (say the desk cancelled and re-offered) both waiting patients hold an offer of it.
    const freed = await cancelAppointment(ctx, { appointmentId: holder.id, reason: 'family moved away' });
    expect(freed.waitlistOffer).not.toBeNull();
    const { offerFreedSlot } = await import('../../src/domain/scheduling/waitlist-offers.js');
    const second = await database.db.transaction().execute((trx) => offerFreedSlot({ ...ctx, db: trx }, freed.waitlistOffer!.slotId));
    expect(second).not.toBeNull();
    const offers = await database.db
      .selectFrom('waitlist_offers')
      .select(['id', 'entry_id'])
      .where('slot_id', '=', freed.waitlistOffer!.slotId)
      .where('status', '=', 'pending')
      .execute();
    expect(offers).toHaveLength(2);
    const offerOf = async (patientId: number) => {
      const entry = await database.db.selectFrom('waitlist_entries').select('id').where('patient_id', '=', patientId).executeTakeFirstOrThrow();
      return offers.find((o) => o.entry_id === entry.id)!.id;
    };
    const chatA = chatter(engineFor(ctx), a.chatId);
    const chatB = chatter(engineFor(ctx), b.chatId);
    await Promise.all([
      chatA.pressValue(encodeAction({ verb: 'offer-yes', offerId: await offerOf(a.patient.id) })),
      chatB.pressValue(encodeAction({ verb: 'offer-yes', offerId: await offerOf(b.patient.id) })),
    ]);
    const booked = await database.db
      .selectFrom('appointments')
      .select('patient_id')
      .where('slot_id', '=', freed.waitlistOffer!.slotId)
      .where('status', '<>', 'cancelled')
      .execute();
    expect(booked).toHaveLength(1);
    const winner = booked[0]!.patient_id === a.patient.id ? chatA : chatB;
    const loser = winner === chatA ? chatB : chatA;
    expect(winner.text()).toMatch(/It is yours!|यह समय आपका है/);
    expect(loser.text()).toMatch(/someone else took that place|किसी और ने ले लिया/);
  });

  it('an offer sent by message expires: the next in line is offered the place, and a late "yes" books nothing', async () => {
    clock.set(at(0, '10:00'));
    const holder = await book(clinic.patients[1]!.id, 2, '11:00');
    const first = await patientOnChat('whatsapp');
    const next = await patientOnChat('whatsapp');
    for (const { patient } of [first, next]) {
      await addToWaitlist(ctx, { patientId: patient.id, serviceId: clinic.speechService.id, from: addDays(TODAY, 2), to: addDays(TODAY, 2) });
    }
    await cancelAppointment(ctx, { appointmentId: holder.id, reason: 'moving to evenings' });
    const sent: Array<{ chatId: string; content: string }> = [];
    const client = { sendMessage: async (chatId: string, content: string) => (sent.push({ chatId, content }), {}) };
    const dispatch = () =>
      new Dispatcher({ ctx, channels: { whatsapp: whatsappChannel(client, { perSecond: 1000, perChatIntervalMs: 0 }) }, instanceId: 't' }).runOnce();
    await dispatch();
    const offerToFirst = sent.find((m) => m.chatId === first.chatId)!;
    expect(offerToFirst.content).toMatch(/A place opened .*\n\n1\. Yes, book it\n2\. No, thanks/s);

    clock.advance(31 * 60_000);
    expect((await expireWaitlistOffers(ctx)).expired).toBe(1);
    await dispatch();
    expect(sent.find((m) => m.chatId === next.chatId)?.content).toMatch(/A place opened/);

    // The first patient answers "1" (yes) to the expired offer on WhatsApp: nothing is booked for them.
    const whatsapp = new EventEmitter() as EventEmitter & { sendMessage: (chatId: string, content: unknown) => Promise<unknown> };
    const replies: string[] = [];
    whatsapp.sendMessage = async (_chatId, content) => (replies.push(String(content)), {});
    const adapter = attachWhatsApp(whatsapp as never, engineFor(ctx), () => ({}));
    whatsapp.emit('message', { from: first.chatId, body: '1' });
    await adapter.idle();
    expect(replies.join('\n')).toMatch(/already been answered/);
    const mine = await database.db.selectFrom('appointments').select('id').where('patient_id', '=', first.patient.id).execute();
    expect(mine).toHaveLength(0);
  });

  it('a WhatsApp reminder lists numbered replies; "1" confirms that appointment', async () => {
    const { patient, chatId } = await patientOnChat('whatsapp');
    const booked = await book(patient.id, 3, '12:00');
    clock.set(at(2, '12:00'));
    await scheduleReminders(ctx);
    const sent: Array<{ chatId: string; content: string }> = [];
    const client = { sendMessage: async (to: string, content: string) => (sent.push({ chatId: to, content }), {}) };
    while (
      (await new Dispatcher({ ctx, channels: { whatsapp: whatsappChannel(client, { perSecond: 1000, perChatIntervalMs: 0 }) }, instanceId: 't' }).runOnce()) > 0
    );
    const reminder = sent.find((m) => m.chatId === chatId && m.content.startsWith('Reminder'))!;
    expect(reminder.content).toMatch(/\n1\. Confirm\n2\. Cancel\n3\. Reschedule$/);

    const whatsapp = new EventEmitter() as EventEmitter & { sendMessage: (chatId: string, content: unknown) => Promise<unknown> };
    const replies: string[] = [];
    whatsapp.sendMessage = async (_to, content) => (replies.push(String(content)), {});
    const adapter = attachWhatsApp(whatsapp as never, engineFor(ctx), () => ({}));
    whatsapp.emit('message', { from: chatId, body: '1' });
    await adapter.idle();
    expect(replies.join('\n')).toMatch(new RegExp(`${booked.appointmentNumber} on .* is confirmed`));
    expect(await appointment(booked.id)).toMatchObject({ status: 'confirmed', confirmed_via: 'whatsapp' });
  });

  it('quiet hours across midnight: a 23:59 booking for 08:30 is confirmed at 08:00, its 2-hour reminder recorded as skipped; a staff reply at night is not held', async () => {
    await database.db.updateTable('clinic_settings').set({ change_grace_minutes: 3 }).execute();
    const { patient, chatId } = await patientOnChat('whatsapp');
    // An 08:30 session tomorrow (the seeded hours start at 09:00): the desk opens an early slot.
    const nine = await slot(1, '09:00', clinic.physio.id);
    await database.db.deleteFrom('appointment_slots').where('id', '=', nine.id).execute();
    const early = await database.db
      .insertInto('appointment_slots')
      .values({ therapist_id: clinic.physio.id, starts_at: at(1, '08:30'), ends_at: at(1, '09:15') })
      .returning('id')
      .executeTakeFirstOrThrow();
    clock.set(at(0, '23:59'));
    const booked = await bookAppointment(ctx, { patientId: patient.id, serviceId: clinic.physioService.id, slotId: early.id });
    await scheduleReminders(ctx);
    const sent: Array<{ chatId: string; content: string }> = [];
    const client = { sendMessage: async (to: string, content: string) => (sent.push({ chatId: to, content }), {}) };
    const dispatch = async () => {
      while (
        (await new Dispatcher({ ctx, channels: { whatsapp: whatsappChannel(client, { perSecond: 1000, perChatIntervalMs: 0 }) }, instanceId: 't' }).runOnce()) >
        0
      );
    };
    const rows = () =>
      database.db
        .selectFrom('notifications')
        .select(['kind', 'state', 'due_at', 'next_attempt_at', 'last_error'])
        .where('appointment_id', '=', booked.id)
        .orderBy('kind')
        .execute();

    clock.set(at(1, '00:03')); // past the grace period, inside quiet hours
    await dispatch();
    expect(sent.filter((m) => m.chatId === chatId)).toHaveLength(0);
    const held = await rows();
    expect(held.find((r) => r.kind === 'booking_confirmed')).toMatchObject({ state: 'pending', next_attempt_at: at(1, '08:00') });
    expect(held.find((r) => r.kind === 'reminder')).toMatchObject({ state: 'skipped' });

    // A staff reply at 00:05 goes at once.
    const { replyInInbox } = await import('../../src/domain/messaging/inbox.js');
    await database.db.updateTable('bot_conversations').set({ handed_to_staff_at: clock.now() }).where('chat_id', '=', chatId).execute();
    const conversation = await database.db.selectFrom('bot_conversations').select('id').where('chat_id', '=', chatId).executeTakeFirstOrThrow();
    await replyInInbox(ctx, { conversationId: conversation.id, body: 'We will call you in the morning.' });
    await dispatch();
    expect(sent.filter((m) => m.chatId === chatId).map((m) => m.content)).toEqual([expect.stringContaining('We will call you in the morning.')]);

    clock.set(at(1, '08:00'));
    await dispatch();
    expect(sent.filter((m) => m.chatId === chatId).at(-1)!.content).toMatch(new RegExp(`${booked.appointmentNumber}`));
    expect((await rows()).find((r) => r.kind === 'booking_confirmed')!.state).toBe('sent');
  });
});
