import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { generateSlots } from '../../src/domain/scheduling/slots.js';
import { zonedInstant } from '../../src/domain/time.js';
import type { Channel, OutboundMessage } from '../../src/infra/channels/channel.js';
import { telegramChannel } from '../../src/infra/channels/telegram.js';
import type { fixedClock } from '../../src/infra/clock.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { chatter, engineFor, linkedChat } from '../bot/support.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { bookAt, day, openCalendarClinic, week, type CalendarClinic } from './calendar-clinic.js';

// Leave, or a clinic holiday, forced over bookings (issue 20, item 5): the appointments it leaves
// behind are flagged "to reschedule" wherever the desk lists them, nobody is reminded of them (the
// reminders are recorded as skipped, with why), the dispatcher checks again before sending, the
// families may be offered a new time through the outbox, and removing the day off undoes it all.
// The clinic's clock is pinned (Saturday 1 March 2031, 10:00 IST) and moved by hand.

const DEVANAGARI = /[\u0900-\u097F]/;
const { monday } = week(0);
const [tuesday, wednesday] = [day(monday, 2), day(monday, 3)];
const ist = (date: string, time: string) => zonedInstant(date, time, 'Asia/Kolkata');

describe('appointments a day off left behind', () => {
  let clinic: CalendarClinic;
  let clock: ReturnType<typeof fixedClock>;
  /** Aarav (his mother Sunita hears, in Hindi) with Priya on Tuesday 10:00; Kavya (herself, English) with Priya on Wednesday 10:00; Diya with Arjun on Tuesday 10:00. */
  let booked: {
    aarav: { id: number; appointmentNumber: string };
    kavya: { id: number; appointmentNumber: string };
    diya: { id: number; appointmentNumber: string };
  };
  let sunita: number;

  beforeEach(async () => {
    clinic = await openCalendarClinic();
    clock = clinic.ctx.clock as ReturnType<typeof fixedClock>;
    await generateSlots(clinic.ctx, { from: monday, to: week(1).sunday });
    const [aarav, diya, kavya] = [clinic.patients[0]!, clinic.patients[1]!, clinic.patients[2]!];
    sunita = (await addGuardian(clinic.ctx, { fullName: 'Sunita Gupta', phone: '+919820012345', language: 'hi' })).id;
    await clinic.database.db.insertInto('patient_guardians').values({ patient_id: aarav, guardian_id: sunita, is_primary: true }).execute();
    await clinic.database.db.updateTable('patients').set({ phone: '+919820012301' }).where('id', '=', diya).execute();
    await clinic.database.db.updateTable('patients').set({ phone: '+919820012302', preferred_language: 'en' }).where('id', '=', kavya).execute();
    booked = {
      aarav: await bookAt(clinic, clinic.priya, tuesday, '10:00', 0),
      diya: await bookAt(clinic, clinic.arjun, tuesday, '10:00', 1),
      kavya: await bookAt(clinic, clinic.priya, wednesday, '10:00', 2),
    };
  });
  afterEach(() => clinic?.close());

  const remindersOf = (appointmentId: number) =>
    clinic.database.db
      .selectFrom('notifications')
      .select(['id', 'state', 'last_error', 'due_at'])
      .where('appointment_id', '=', appointmentId)
      .where('kind', '=', 'reminder')
      .orderBy('due_at')
      .execute();
  const states = async (appointmentId: number) => (await remindersOf(appointmentId)).map((r) => `${r.state}:${r.last_error ?? ''}`);
  const LEAVE = 'skipped:therapist on leave: to reschedule';
  const HOLIDAY = 'skipped:clinic holiday: to reschedule';

  it('leave forced over bookings: flagged in schedule, today and appointments list (text and --json); its reminders skipped, with why; back when the leave is removed', async () => {
    // Monday 09:50: the reminder job writes the 24 h and 2 h reminders of Tuesday's 10:00 sessions.
    clock.set(ist(monday, '09:50'));
    expect((await clinic.cli(['remind', 'run'])).stdout).toContain('Scheduled 4 reminder(s) for 2 upcoming appointment(s).');
    expect(await states(booked.aarav.id)).toEqual(['pending:', 'pending:']);

    const added = await clinic.cli(['leave', 'add', 'priya', '--from', tuesday, '--to', wednesday, '--force']);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('To reschedule (2), still booked:');
    expect(added.stdout).toContain('no reminders go out for them (roshni notifications list --state skipped says why)');
    expect(added.stdout).toContain('Their families were not messaged: add --notify-families');
    // Reminders already waiting are skipped; those of Wednesday's session are written skipped.
    expect(await states(booked.aarav.id)).toEqual([LEAVE, LEAVE]);
    expect(await states(booked.kavya.id)).toEqual([LEAVE, LEAVE]);
    expect(await states(booked.diya.id)).toEqual(['pending:', 'pending:']);
    expect(await clinic.database.db.selectFrom('notifications').select('id').where('kind', '=', 'reschedule_needed').execute()).toEqual([]);

    const schedule = await clinic.cli(['schedule', '--date', tuesday]);
    expect(schedule.stdout).toMatch(new RegExp(`${booked.aarav.appointmentNumber}.*scheduled — therapist on leave: to reschedule`));
    expect(schedule.stdout).toMatch(new RegExp(`${booked.diya.appointmentNumber}.*scheduled\\s+unpaid`));
    const json = JSON.parse((await clinic.cli(['schedule', '--date', tuesday, '--json'])).stdout);
    const byNumber = (rows: Array<{ appointmentNumber: string }>) => Object.fromEntries(rows.map((r) => [r.appointmentNumber, r]));
    expect(byNumber(json.appointments)[booked.aarav.appointmentNumber]).toMatchObject({ status: 'scheduled', needsReschedule: { reason: 'therapist_leave' } });
    expect(byNumber(json.appointments)[booked.diya.appointmentNumber]).toMatchObject({ status: 'scheduled', needsReschedule: null });

    const listed = await clinic.cli(['appointments', 'list', '--from', tuesday, '--to', wednesday]);
    expect(listed.stdout.match(/therapist on leave: to reschedule/g)).toHaveLength(2);
    const listedJson = JSON.parse((await clinic.cli(['appointments', 'list', '--from', tuesday, '--to', wednesday, '--json'])).stdout);
    expect(listedJson.map((a: { appointmentNumber: string; needsReschedule: unknown }) => [a.appointmentNumber, a.needsReschedule])).toEqual([
      [booked.diya.appointmentNumber, null], // Arjun Mehta sorts before Dr. Priya Sharma at the same time
      [booked.aarav.appointmentNumber, { reason: 'therapist_leave' }],
      [booked.kavya.appointmentNumber, { reason: 'therapist_leave' }],
    ]);
    expect((await clinic.cli(['appointments', 'show', booked.kavya.appointmentNumber])).stdout).toContain(
      'Status: scheduled — therapist on leave: to reschedule',
    );

    // Tuesday 09:50: `today` flags it; the reminder job (its reminders lost, as from before the
    // outbox) writes Wednesday's reminders skipped, and says so.
    clock.set(ist(tuesday, '09:50'));
    expect((await clinic.cli(['today'])).stdout).toMatch(new RegExp(`${booked.aarav.appointmentNumber}.*therapist on leave: to reschedule`));
    await clinic.database.db.deleteFrom('notifications').where('appointment_id', '=', booked.kavya.id).where('kind', '=', 'reminder').execute();
    const run = await clinic.cli(['remind', 'run']);
    expect(run.stdout).toContain('Scheduled 0 reminder(s) for 3 upcoming appointment(s); 2 were recorded as skipped, not to be sent');
    expect(await states(booked.kavya.id)).toEqual([LEAVE, LEAVE]);
    const skipped = await clinic.cli(['notifications', 'list', '--state', 'skipped']);
    expect(skipped.stdout).toMatch(new RegExp(`reminder\\s+skipped.*${booked.kavya.appointmentNumber}.*therapist on leave: to reschedule`));

    // Removed: the flag goes, and the reminders still ahead are due again.
    const [leave] = JSON.parse((await clinic.cli(['leave', 'list', '--json'])).stdout);
    expect((await clinic.cli(['leave', 'remove', String(leave.id)])).code).toBe(0);
    expect(await states(booked.kavya.id)).toEqual(['pending:', 'pending:']);
    // Aarav's were due before now: they stay skipped (nothing is sent late).
    expect(await states(booked.aarav.id)).toEqual([LEAVE, LEAVE]);
    expect((await clinic.cli(['schedule', '--date', wednesday])).stdout).not.toContain('to reschedule');
    expect(JSON.parse((await clinic.cli(['schedule', '--date', wednesday, '--json'])).stdout).appointments[0].needsReschedule).toBeNull();
  });

  it('the dispatcher checks again before sending: a reminder still pending when the day off came is skipped, not sent', async () => {
    clock.set(ist(monday, '09:50'));
    await clinic.cli(['remind', 'run']);
    await clinic.cli(['holiday', 'add', '--date', tuesday, '--name', 'Holi', '--force']);
    // As if the reminder had been written a moment after the holiday (by a job that read the calendar before).
    const [first] = await remindersOf(booked.aarav.id);
    await clinic.database.db.updateTable('notifications').set({ state: 'pending', last_error: null }).where('id', '=', first!.id).execute();
    await clinic.database.db.updateTable('notifications').set({ state: 'cancelled' }).where('id', '<>', first!.id).where('state', '=', 'pending').execute();
    const sent: OutboundMessage[] = [];
    const sms: Channel = { name: 'sms', send: async (_address, message) => (sent.push(message), { providerMessageId: 'x' }) };
    clock.set(ist(monday, '10:00'));
    await new Dispatcher({ ctx: clinic.ctx, channels: { sms }, instanceId: 'test' }).runOnce();
    expect(sent).toEqual([]);
    expect(await states(booked.aarav.id)).toEqual([HOLIDAY, HOLIDAY]);
  });

  it('a clinic holiday forced over bookings: flagged for every therapist, reminders skipped, and back when it is removed', async () => {
    clock.set(ist(monday, '09:50'));
    const added = await clinic.cli(['holiday', 'add', '--date', tuesday, '--name', 'Holi', '--force', '--json']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ toReschedule: [{}, {}], familiesMessaged: null });
    const schedule = await clinic.cli(['schedule', '--date', tuesday]);
    expect(schedule.stdout.match(/scheduled — clinic holiday: to reschedule/g)).toHaveLength(2);
    expect(await states(booked.aarav.id)).toEqual([HOLIDAY, HOLIDAY]);
    expect(await states(booked.diya.id)).toEqual([HOLIDAY, HOLIDAY]);
    expect(await states(booked.kavya.id)).toEqual([]);
    expect((await clinic.cli(['remind', 'run'])).stdout).toContain('Scheduled 0 reminder(s)');

    expect((await clinic.cli(['holiday', 'remove', tuesday])).code).toBe(0);
    expect(await states(booked.diya.id)).toEqual(['pending:', 'pending:']);
    expect((await clinic.cli(['schedule', '--date', tuesday])).stdout).not.toContain('to reschedule');
  });

  it('on a terminal, leave add --force asks whether to message the families; --no-notify-families neither sends nor asks', async () => {
    clock.set(ist(monday, '09:50'));
    const asked = await clinic.terminal(
      ['leave', 'add', 'priya', '--from', tuesday, '--to', wednesday, '--force'],
      [['Message the families of these 2 appointment(s)', 'y']],
    );
    expect(asked.unanswered).toEqual([]);
    expect(asked.code).toBe(0);
    expect(asked.shown).toContain('Families offered a new time: 2 message(s) through the outbox, for 2 appointment(s).');
    const holiday = await clinic.terminal(['holiday', 'add', '--date', day(monday, 2), '--name', 'Holi', '--force', '--no-notify-families'], []);
    expect(holiday.code).toBe(0);
    expect(holiday.shown).not.toContain('Message the families');
    expect(holiday.shown).toContain('Their families were not messaged');
    const messages = await clinic.database.db.selectFrom('notifications').select('id').where('kind', '=', 'reschedule_needed').execute();
    expect(messages).toHaveLength(2);
  });

  it('a session back to back with others a day off fell on is reminded of by itself, listing only itself', async () => {
    // Aarav also sees Arjun at 11:00 and Priya again at 12:00, back to back: only the first had reminders.
    const second = await bookAt(clinic, clinic.arjun, tuesday, '11:00', 0);
    const third = await bookAt(clinic, clinic.priya, tuesday, '12:00', 0);
    clock.set(ist(monday, '09:50'));
    await clinic.cli(['remind', 'run']);
    expect(await states(second.id)).toEqual([]);
    await clinic.cli(['leave', 'add', 'priya', '--from', tuesday, '--force']);
    clock.set(ist(monday, '10:55'));
    await clinic.cli(['remind', 'run']);
    expect(await states(second.id)).toEqual(['pending:', 'pending:']);
    // Only this session's reminder goes out now (not Diya's, nor the bookings' confirmations).
    await clinic.database.db
      .updateTable('notifications')
      .set({ state: 'cancelled' })
      .where((eb) => eb.or([eb('kind', '<>', 'reminder'), eb('appointment_id', '<>', second.id)]))
      .where('state', '=', 'pending')
      .execute();
    const sent: OutboundMessage[] = [];
    const sms: Channel = { name: 'sms', send: async (_address, m) => (sent.push(m), { providerMessageId: 'x' }) };
    clock.set(ist(monday, '11:00'));
    await new Dispatcher({ ctx: clinic.ctx, channels: { sms }, instanceId: 'test' }).runOnce();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain(second.appointmentNumber);
    expect(sent[0]!.text).not.toContain(booked.aarav.appointmentNumber);
    expect(sent[0]!.text).not.toContain(third.appointmentNumber);
  });

  describe('offering the families a new time', () => {
    let telegram: FakeTelegram;
    beforeEach(async () => {
      telegram = await startFakeTelegram();
    });
    afterEach(() => telegram?.close());

    type Button = { text: string; callback_data: string };
    const buttonsOf = (call: { params: Record<string, unknown> }): Button[] =>
      ((call.params.reply_markup as { inline_keyboard?: Button[][] } | undefined)?.inline_keyboard ?? []).flat();

    it('leave add --force --notify-families: one message per family in its language, sent on Telegram with Reschedule and Cancel, which the bot answers', async () => {
      await clinic.database.db.updateTable('guardians').set({ telegram_chat_id: '7001', preferred_channel: 'telegram' }).where('id', '=', sunita).execute();
      await linkedChat(clinic.database.db, { channel: 'telegram', chatId: '7001', guardianId: sunita, language: 'hi' });
      await clinic.database.db
        .updateTable('patients')
        .set({ telegram_chat_id: '7002', preferred_channel: 'telegram' })
        .where('id', '=', clinic.patients[2]!)
        .execute();
      await linkedChat(clinic.database.db, { channel: 'telegram', chatId: '7002', patientId: clinic.patients[2]!, language: 'en' });

      clock.set(ist(monday, '09:50'));
      const added = await clinic.cli(['leave', 'add', 'priya', '--from', tuesday, '--to', wednesday, '--force', '--notify-families']);
      expect(added.code).toBe(0);
      expect(added.stdout).toContain('Families offered a new time: 2 message(s) through the outbox, for 2 appointment(s).');
      const messages = await clinic.database.db
        .selectFrom('notifications')
        .select(['id', 'guardian_id', 'patient_id', 'about_patient_id', 'appointment_id', 'language', 'payload'])
        .where('kind', '=', 'reschedule_needed')
        .orderBy('id')
        .execute();
      expect(messages.map((m) => [m.guardian_id, m.patient_id, m.about_patient_id, m.appointment_id, m.language])).toEqual([
        [sunita, null, clinic.patients[0], booked.aarav.id, 'hi'],
        [null, clinic.patients[2], clinic.patients[2], booked.kavya.id, 'en'],
      ]);
      expect(messages[0]!.payload).toMatchObject({
        reason: 'therapist_leave',
        sessions: [{ appointmentId: booked.aarav.id, appointmentNumber: booked.aarav.appointmentNumber }],
      });
      expect(JSON.stringify(messages.map((m) => m.payload))).not.toMatch(/Aarav|Kavya|speech/i);

      // Only these two go out now.
      await clinic.database.db
        .updateTable('notifications')
        .set({ state: 'cancelled' })
        .where('kind', '<>', 'reschedule_needed')
        .where('state', '=', 'pending')
        .execute();
      const channel = telegramChannel({ token: telegram.token, apiRoot: telegram.apiRoot, perSecond: 1000, perChatIntervalMs: 0 });
      await new Dispatcher({ ctx: clinic.ctx, channels: { telegram: channel }, instanceId: 'test' }).runOnce();
      const sent = telegram.callsOf('sendMessage');
      const to = (chatId: string) => sent.find((c) => String(c.params.chat_id) === chatId)!;
      const hindi = to('7001');
      const english = to('7002');
      expect(String(hindi.params.text)).toMatch(DEVANAGARI);
      expect(String(hindi.params.text)).toContain(booked.aarav.appointmentNumber);
      expect(String(hindi.params.text)).toContain('छुट्टी');
      expect(buttonsOf(hindi).map((b) => b.text)).toEqual(['समय बदलें', 'रद्द करें']);
      expect(String(english.params.text)).toMatch(
        new RegExp(`Your appointment ${booked.kavya.appointmentNumber} with Dr. Priya Sharma on .* cannot go ahead: the therapist is on leave that day`),
      );
      expect(String(english.params.text)).not.toMatch(DEVANAGARI);
      expect(buttonsOf(english).map((b) => b.text)).toEqual(['Reschedule', 'Cancel']);
      const states = await clinic.database.db.selectFrom('notifications').select('state').where('kind', '=', 'reschedule_needed').execute();
      expect(states.map((s) => s.state)).toEqual(['sent', 'sent']);

      // Kavya presses "Reschedule": the bot starts moving that appointment (the therapist first).
      const kavya = chatter(engineFor(clinic.ctx), '7002', { channel: 'telegram' });
      await kavya.pressValue(buttonsOf(english)[0]!.callback_data);
      expect(kavya.options().length).toBeGreaterThan(0);
      expect(kavya.text()).toMatch(/therapist/i);
      // Sunita presses "Cancel" less than a day before: asked in Hindi, and cancelled without the
      // late-cancellation fee (the clinic could not keep the appointment; the desk would charge ₹300).
      await clinic.database.db.updateTable('clinic_settings').set({ late_cancel_fee_paise: 30_000 }).execute();
      clock.set(ist(monday, '12:00'));
      const mother = chatter(engineFor(clinic.ctx), '7001', { channel: 'telegram' });
      await mother.pressValue(buttonsOf(hindi)[1]!.callback_data);
      expect(mother.text()).toContain(booked.aarav.appointmentNumber);
      expect(mother.text()).toMatch(DEVANAGARI);
      expect(mother.text()).not.toMatch(/300|घंटे से कम/);
      await mother.pressValue('yes');
      const cancelled = await clinic.database.db
        .selectFrom('appointments')
        .select(['status', 'late_cancellation'])
        .where('id', '=', booked.aarav.id)
        .executeTakeFirstOrThrow();
      expect(cancelled).toEqual({ status: 'cancelled', late_cancellation: false });
      expect(mother.text()).not.toMatch(/300/);
    });

    it('a reschedule message is not sent once there is nothing left to reschedule (the day off removed)', async () => {
      clock.set(ist(monday, '09:50'));
      const added = JSON.parse((await clinic.cli(['holiday', 'add', '--date', tuesday, '--name', 'Holi', '--force', '--notify-families', '--json'])).stdout);
      expect(added.familiesMessaged).toEqual({ messages: 2, appointments: 2 });
      const [message] = await clinic.database.db.selectFrom('notifications').select(['payload']).where('kind', '=', 'reschedule_needed').execute();
      expect(message!.payload).toMatchObject({ reason: 'clinic_holiday' });
      await clinic.cli(['holiday', 'remove', tuesday]);
      await clinic.database.db
        .updateTable('notifications')
        .set({ state: 'cancelled' })
        .where('kind', '<>', 'reschedule_needed')
        .where('state', '=', 'pending')
        .execute();
      const sent: OutboundMessage[] = [];
      const sms: Channel = { name: 'sms', send: async (_address, m) => (sent.push(m), { providerMessageId: 'x' }) };
      await new Dispatcher({ ctx: clinic.ctx, channels: { sms }, instanceId: 'test' }).runOnce();
      expect(sent).toEqual([]);
      const rows = await clinic.database.db.selectFrom('notifications').select(['state', 'last_error']).where('kind', '=', 'reschedule_needed').execute();
      expect(rows.map((r) => `${r.state}:${r.last_error}`)).toEqual(
        Array(2).fill('skipped:nothing left to reschedule (moved, cancelled, or the day off removed)'),
      );
    });
  });
});
