import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { rescheduleAppointment } from '../../src/domain/scheduling/reschedule-appointment.js';
import { scheduleReminders } from '../../src/domain/notifications/reminders.js';
import { addDays, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import type { Channel } from '../../src/infra/channels/channel.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The clinic's morning: it is 10:00 in Delhi; slots run 09:00–13:00 every day.
// A pinned day (a Tuesday): the rules are the same whatever day the suite runs.
const TODAY = '2031-03-04';
const at = (days: number, time: string) => zonedInstant(addDays(TODAY, days), time, 'Asia/Kolkata');

describe('the messages an appointment sends', () => {
  let database: TestDatabase;
  const clock = fixedClock(at(0, '10:00'));
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;

  const slotAt = async (days: number, time: string) => {
    const slots = await slotsOn(ctx, clinic.speech.id, addDays(TODAY, days));
    return slots.find((s) => s.starts_at.getTime() === at(days, time).getTime())!;
  };
  const book = async (patientId: number, days: number, time: string) =>
    bookAppointment(ctx, { patientId, slotId: (await slotAt(days, time)).id, serviceId: clinic.speechService.id });
  const messagesOf = (appointmentId: number) =>
    database.db.selectFrom('notifications').selectAll().where('appointment_id', '=', appointmentId).orderBy('kind').orderBy('due_at').orderBy('id').execute();

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 4, days: 6 });
  });
  afterAll(() => database?.close());

  it('a booking writes its confirmation (after the grace period); the reminder job its 24 h and 2 h reminders', async () => {
    const booked = await book(clinic.patients[0]!.id, 2, '11:00');
    expect((await messagesOf(booked.id)).map((r) => r.kind)).toEqual(['booking_confirmed']);
    clock.set(at(1, '10:50'));
    await scheduleReminders(ctx);
    clock.set(at(0, '10:00'));
    const rows = await messagesOf(booked.id);
    expect(rows.map((r) => [r.kind, r.state, r.due_at.toISOString()])).toEqual([
      ['booking_confirmed', 'pending', new Date(at(0, '10:00').getTime() + 3 * 60_000).toISOString()],
      ['reminder', 'pending', at(1, '11:00').toISOString()],
      ['reminder', 'pending', at(2, '09:00').toISOString()],
    ]);
    expect(rows[0]!.patient_id).toBe(clinic.patients[0]!.id);
    expect(Object.keys(rows[0]!.payload as object).sort()).toEqual(['appointmentNumber', 'startsAt', 'therapistName']);
  });

  it('book, reschedule, reschedule inside the grace period: one confirmation with the final time, reminders only for it', async () => {
    const booked = await book(clinic.patients[1]!.id, 3, '09:00');
    await rescheduleAppointment(ctx, { appointmentId: booked.id, slotId: (await slotAt(3, '10:00')).id });
    clock.advance(60_000);
    await rescheduleAppointment(ctx, { appointmentId: booked.id, slotId: (await slotAt(3, '12:00')).id });
    const rows = await messagesOf(booked.id);
    const live = rows.filter((r) => r.state === 'pending');
    expect(live.map((r) => r.kind).sort()).toEqual(['booking_confirmed', 'reminder', 'reminder']);
    const confirmation = live.find((r) => r.kind === 'booking_confirmed')!;
    expect(new Date((confirmation.payload as { startsAt: string }).startsAt).toISOString()).toBe(at(3, '12:00').toISOString());
    expect(confirmation.due_at.getTime()).toBe(clock.now().getTime() + 3 * 60_000);
    expect(
      live
        .filter((r) => r.kind === 'reminder')
        .map((r) => r.due_at.toISOString())
        .sort(),
    ).toEqual([at(2, '12:00').toISOString(), at(3, '10:00').toISOString()]);
    expect(rows.filter((r) => r.kind === 'reminder' && r.state === 'cancelled')).toHaveLength(2);
    clock.set(at(0, '10:00'));
  });

  it('a reschedule after the confirmation went out writes one "changed" message; a cancellation then withdraws the reminders and says so', async () => {
    const booked = await book(clinic.patients[2]!.id, 4, '09:00');
    await database.db
      .updateTable('notifications')
      .set({ state: 'sent' })
      .where('appointment_id', '=', booked.id)
      .where('kind', '=', 'booking_confirmed')
      .execute();
    await rescheduleAppointment(ctx, { appointmentId: booked.id, slotId: (await slotAt(4, '11:00')).id });
    let rows = await messagesOf(booked.id);
    const changed = rows.filter((r) => r.kind === 'appointment_changed');
    expect(changed).toHaveLength(1);
    expect(new Date((changed[0]!.payload as { previousStartsAt: string }).previousStartsAt).toISOString()).toBe(at(4, '09:00').toISOString());
    await cancelAppointment(ctx, { appointmentId: booked.id, reason: 'Family travelling' });
    rows = await messagesOf(booked.id);
    expect(rows.filter((r) => r.state === 'pending').map((r) => r.kind)).toEqual(['appointment_cancelled']);
    expect(rows.filter((r) => r.kind === 'reminder').every((r) => r.state === 'cancelled')).toBe(true);
    // The reminder job puts nothing back for a cancelled appointment.
    await scheduleReminders(ctx);
    expect((await messagesOf(booked.id)).filter((r) => r.state === 'pending').map((r) => r.kind)).toEqual(['appointment_cancelled']);
  });

  it('booked and cancelled inside the grace period: the patient hears nothing at all', async () => {
    const booked = await book(clinic.patients[3]!.id, 5, '09:00');
    await cancelAppointment(ctx, { appointmentId: booked.id, reason: 'Booked by mistake' });
    const rows = await messagesOf(booked.id);
    expect(rows.every((r) => r.state === 'cancelled')).toBe(true);
  });

  it('an opted-out patient gets the confirmation but no reminders', async () => {
    const patient = await addPatient(ctx, { fullName: 'Kabir Opted', phone: '+919811100001' });
    await database.db.updateTable('patients').set({ reminders_opted_out_at: clock.now() }).where('id', '=', patient.id).execute();
    const booked = await book(patient.id, 1, '12:00');
    expect((await messagesOf(booked.id)).map((r) => r.kind)).toEqual(['booking_confirmed']);
    // The reminder job, when both of the session's reminders are within its reach: nothing for Kabir.
    clock.set(at(0, '11:50'));
    await scheduleReminders(ctx);
    clock.set(at(0, '10:00'));
    expect((await messagesOf(booked.id)).map((r) => r.kind)).toEqual(['booking_confirmed']);
  });

  it("a child's messages go to the primary guardian, in the guardian's language; one guardian, two children, one message each", async () => {
    const mother = await addGuardian(ctx, { fullName: 'Sunita Gupta', phone: '+919820012345', language: 'hi' });
    const father = await addGuardian(ctx, { fullName: 'Raj Gupta', phone: '+919820012346' });
    const aarav = await addPatient(ctx, { fullName: 'Aarav Gupta', dateOfBirth: '2019-05-01', withGuardian: { guardianId: father.id } });
    await database.db.insertInto('patient_guardians').values({ patient_id: aarav.id, guardian_id: mother.id, is_primary: true }).execute();
    const booked = await book(aarav.id, 1, '11:00');
    clock.set(at(0, '10:50'));
    await scheduleReminders(ctx);
    const rows = await messagesOf(booked.id);
    expect(rows.map((r) => [r.kind, r.guardian_id, r.patient_id, r.language])).toEqual([
      ['booking_confirmed', null, aarav.id, 'en'], // the recipient is resolved when it is sent
      ['reminder', mother.id, null, 'hi'],
      ['reminder', mother.id, null, 'hi'],
    ]);
    // The confirmation goes to the mother's phone, in Hindi.
    const sent: Array<[string, string]> = [];
    const sms: Channel = { name: 'sms', send: async (address, message) => (sent.push([address, message.text]), { providerMessageId: 'x' }) };
    await database.db
      .updateTable('notifications')
      .set({ state: 'cancelled' })
      .where('appointment_id', '<>', booked.id)
      .where('state', '=', 'pending')
      .execute();
    await new Dispatcher({ ctx, channels: { sms }, instanceId: 'test' }).runOnce();
    expect(sent.map(([address]) => address)).toEqual(['+919820012345']);
    expect(sent[0]![1]).toContain('बुक');
    const confirmation = (await messagesOf(booked.id)).find((r) => r.kind === 'booking_confirmed')!;
    expect([confirmation.state, confirmation.patient_id, confirmation.guardian_id]).toEqual(['sent', aarav.id, mother.id]);
    clock.set(at(0, '10:00'));
  });

  it('a messaging consent withdrawn after a reminder was queued: at sending, the reminder is skipped, not sent', async () => {
    const guardian = await addGuardian(ctx, { fullName: 'Lata Menon', phone: '+919820077777' });
    const child = await addPatient(ctx, { fullName: 'Ira Menon', dateOfBirth: '2019-07-01', withGuardian: { guardianId: guardian.id, isPrimary: true } });
    const booked = await book(child.id, 5, '11:00');
    clock.set(at(4, '10:50'));
    await scheduleReminders(ctx);
    clock.set(at(0, '10:00'));
    expect((await messagesOf(booked.id)).filter((r) => r.kind === 'reminder' && r.state === 'pending')).not.toHaveLength(0);
    // The consent about the child is withdrawn by a path that does not reach the queue (a paper form typed in later).
    await database.db
      .insertInto('consents')
      .values({ patient_id: child.id, purpose: 'messaging', channel: 'paper', notice_version: 'v1', withdrawn_at: at(0, '09:00') })
      .execute();
    // Only this appointment's reminders are left to send.
    await database.db
      .updateTable('notifications')
      .set({ state: 'cancelled' })
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('appointment_id', '<>', booked.id), eb('kind', '<>', 'reminder')]))
      .execute();
    const sent: string[] = [];
    const sms: Channel = { name: 'sms', send: async (address) => (sent.push(address), { providerMessageId: 'x' }) };
    clock.set(at(5, '09:05'));
    await new Dispatcher({ ctx, channels: { sms }, instanceId: 'test' }).runOnce();
    clock.set(at(0, '10:00'));
    expect(sent).toEqual([]);
    const reminders = (await messagesOf(booked.id)).filter((r) => r.kind === 'reminder');
    expect(reminders.map((r) => [r.state, r.last_error])).toEqual(reminders.map(() => ['skipped', 'opted out of reminders']));
  });

  it('a reminder due in quiet hours goes at 08:00 when that is still useful, else it is recorded as skipped', async () => {
    const patient = await addPatient(ctx, { fullName: 'Early Bird', phone: '+919811100002' });
    const booked = await book(patient.id, 1, '09:00');
    await scheduleReminders(ctx);
    const reminder = (await messagesOf(booked.id)).find((r) => r.kind === 'reminder')!;
    expect([reminder.state, reminder.due_at.toISOString()]).toEqual(['pending', at(1, '08:00').toISOString()]);
    await database.db.updateTable('clinic_settings').set({ quiet_hours_end: '08:30' }).execute();
    const other = await addPatient(ctx, { fullName: 'Early Bird Two', phone: '+919811100003' });
    const second = await book(other.id, 2, '09:00');
    clock.set(at(1, '08:50'));
    await scheduleReminders(ctx);
    clock.set(at(0, '10:00'));
    const reminders = (await messagesOf(second.id)).filter((r) => r.kind === 'reminder');
    expect(reminders.map((r) => r.state)).toEqual(['pending', 'skipped']);
    await database.db.updateTable('clinic_settings').set({ quiet_hours_end: '08:00' }).execute();
  });

  it("back-to-back sessions the same day, a patient's or two siblings', get one reminder: the first's", async () => {
    const parent = await addGuardian(ctx, { fullName: 'Anita Rao', phone: '+919820099999' });
    const [tara, veer] = [
      await addPatient(ctx, { fullName: 'Tara Rao', dateOfBirth: '2018-02-01', withGuardian: { guardianId: parent.id, isPrimary: true } }),
      await addPatient(ctx, { fullName: 'Veer Rao', dateOfBirth: '2020-02-01', withGuardian: { guardianId: parent.id, isPrimary: true } }),
    ];
    const slots = await slotsOn(ctx, clinic.physio.id, addDays(TODAY, 5));
    const book5 = (patientId: number, index: number) => bookAppointment(ctx, { patientId, slotId: slots[index]!.id, serviceId: clinic.physioService.id });
    const first = await book5(tara.id, 0);
    const second = await book5(veer.id, 1);
    const alone = await book5(veer.id, 3);
    clock.set(at(4, '11:55'));
    await scheduleReminders(ctx);
    clock.set(at(0, '10:00'));
    const reminded = async (id: number) => (await messagesOf(id)).filter((r) => r.kind === 'reminder').length;
    expect([await reminded(first.id), await reminded(second.id), await reminded(alone.id)]).toEqual([1, 0, 2]);
  });

  it('the reminder job is safe to run twice and fills in what is missing', async () => {
    const patient = await addPatient(ctx, { fullName: 'Kiran Das', phone: '+919820077777' });
    const booked = await book(patient.id, 2, '12:00');
    const reminders = async () => (await messagesOf(booked.id)).filter((r) => r.kind === 'reminder');
    clock.set(at(1, '11:50')); // the job's run a day before, with the session in its window
    await database.db.deleteFrom('notifications').where('kind', '=', 'reminder').execute();
    const first = await scheduleReminders(ctx);
    expect(first.scheduled).toBeGreaterThan(0);
    expect(await reminders()).toHaveLength(2);
    expect(await scheduleReminders(ctx)).toMatchObject({ scheduled: 0 });
    expect(await reminders()).toHaveLength(2);
    clock.set(at(0, '10:00'));
  });
});
