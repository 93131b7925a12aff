import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPatient } from '../../src/domain/people/patients.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { renderMessage } from '../../src/domain/notifications/templates.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { addToWaitlist } from '../../src/domain/scheduling/waitlist.js';
import { addDays, clinicDate, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { findJob, fireJob } from '../../src/jobs/scheduler.js';
import { runCli } from '../support/cli.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

// The messaging jobs of `roshni start`: waitlist offers that expire and pass on, and the
// therapists' daily schedule.

const TODAY = clinicDate(new Date(), 'Asia/Kolkata');
const at = (days: number, time: string) => zonedInstant(addDays(TODAY, days), time, 'Asia/Kolkata');

describe('messaging jobs', () => {
  // Each test opens a clinic of its own, on a clock that starts at 06:00 today.
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  let clock: ReturnType<typeof fixedClock>;

  beforeEach(async () => {
    clock = fixedClock(at(0, '06:00'));
    database = await createTestDatabase();
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 3, days: 3 });
  });
  afterEach(() => database?.close());

  it("therapist-summary: from the clinic's summary time, each therapist with a login gets today's times once, without names", async () => {
    const login = await database.db
      .insertInto('staff_users')
      .values({ username: 'priya', full_name: 'Dr. Priya Sharma', role: 'therapist', email: 'priya@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db.updateTable('therapists').set({ staff_user_id: login.id }).where('id', '=', clinic.speech.id).execute();
    const slots = await slotsOn(ctx, clinic.speech.id, TODAY);
    const booked = [];
    for (const [i, slot] of slots.slice(1, 3).entries()) {
      booked.push(await bookAppointment(ctx, { patientId: clinic.patients[i]!.id, serviceId: clinic.speechService.id, slotId: slot.id }));
    }
    const job = findJob('therapist-summary')!;
    const summaries = () => database.db.selectFrom('notifications').selectAll().where('kind', '=', 'therapist_daily_summary').execute();

    expect(await fireJob(ctx, job, 'a')).toMatchObject({ ran: true, state: 'succeeded' });
    expect(await summaries()).toHaveLength(0); // off until the clinic sets a time

    await database.db.updateTable('clinic_settings').set({ therapist_summary_at: '07:30' }).execute();
    clock.set(at(0, '07:25'));
    await fireJob(ctx, job, 'a');
    expect(await summaries()).toHaveLength(0);
    clock.set(at(0, '07:30'));
    await fireJob(ctx, job, 'a');
    clock.set(at(0, '07:35'));
    await fireJob(ctx, job, 'b');
    const rows = await summaries();
    expect(rows).toHaveLength(1); // the physiotherapist has no login: no one to send it to
    expect(rows[0]!.staff_user_id).toBe(login.id);
    const text = renderMessage('therapist_daily_summary', 'en', rows[0]!.payload as Record<string, unknown>, {
      clinicName: 'Sunrise',
      clinicPhone: null,
      timezone: 'Asia/Kolkata',
    }).text;
    expect(text).toContain(`10:00 ${booked[0]!.appointmentNumber}`);
    expect(text).toContain(`11:00 ${booked[1]!.appointmentNumber}`);
    expect(text).not.toMatch(/Patient 00/);
  });

  it('waitlist-offers: an unanswered offer expires and the place goes to the next in line', async () => {
    clock.set(at(0, '10:00'));
    const [slot] = await slotsOn(ctx, clinic.physio.id, addDays(TODAY, 1));
    const holder = await bookAppointment(ctx, { patientId: clinic.patients[2]!.id, serviceId: clinic.physioService.id, slotId: slot!.id });
    const waiting = [];
    for (const name of ['Wait First', 'Wait Second']) {
      const patient = await addPatient(ctx, { fullName: name, phone: `+9198777${String(waiting.length).padStart(5, '0')}` });
      await addToWaitlist(ctx, { patientId: patient.id, serviceId: clinic.physioService.id, from: addDays(TODAY, 1), to: addDays(TODAY, 1) });
      waiting.push(patient);
      clock.advance(1000);
    }
    const freed = await cancelAppointment(ctx, { appointmentId: holder.id, reason: 'moved away' });
    expect(freed.waitlistOffer?.patientId).toBe(waiting[0]!.id);

    const job = findJob('waitlist-offers')!;
    clock.advance(10 * 60_000);
    expect(await fireJob(ctx, job, 'a')).toMatchObject({ ran: true, result: { expired: 0, offered: 0 } });
    clock.advance(25 * 60_000);
    expect(await fireJob(ctx, job, 'a')).toMatchObject({ ran: true, result: { expired: 1, offered: 1 } });
    const offers = await database.db
      .selectFrom('waitlist_offers as o')
      .innerJoin('waitlist_entries as e', 'e.id', 'o.entry_id')
      .select(['e.patient_id', 'o.status'])
      .orderBy('o.id')
      .execute();
    expect(offers).toEqual([
      { patient_id: waiting[0]!.id, status: 'expired' },
      { patient_id: waiting[1]!.id, status: 'pending' },
    ]);
    const messages = await database.db.selectFrom('notifications').select('patient_id').where('kind', '=', 'waitlist_offer').orderBy('id').execute();
    expect(messages.map((m) => m.patient_id)).toEqual([waiting[0]!.id, waiting[1]!.id]);

    // The desk sees the offers and how they ended (Farhan, the receptionist, signed in).
    await addStaffUser(ctx, { username: 'farhan.desk', fullName: 'Farhan Sheikh', role: 'receptionist' });
    const desk = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'farhan.desk') };
    const listed = await runCli(['waitlist', 'offers', '--since', TODAY, '--json'], desk);
    expect(JSON.parse(listed.stdout).map((o: { patientName: string; status: string }) => [o.patientName, o.status])).toEqual([
      ['Wait Second', 'pending'],
      ['Wait First', 'expired'],
    ]);
  });

  it('a place freed at night is offered when quiet hours end, with the whole window from then', async () => {
    clock.set(at(0, '10:00'));
    const [, slot] = await slotsOn(ctx, clinic.physio.id, addDays(TODAY, 1));
    const holder = await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, serviceId: clinic.physioService.id, slotId: slot!.id });
    const waiting = await addPatient(ctx, { fullName: 'Wait Overnight', phone: '+919877700009' });
    await addToWaitlist(ctx, { patientId: waiting.id, serviceId: clinic.physioService.id, from: addDays(TODAY, 1), to: addDays(TODAY, 1) });
    clock.set(at(0, '22:30'));
    const freed = await cancelAppointment(ctx, { appointmentId: holder.id, reason: 'cancelled late at night' });
    expect(freed.waitlistOffer?.expiresAt).toEqual(at(1, '08:30'));
    const message = await database.db
      .selectFrom('notifications')
      .select(['due_at', 'payload'])
      .where('kind', '=', 'waitlist_offer')
      .where(sql<boolean>`(payload->>'offerId')::integer = ${freed.waitlistOffer!.offerId}`)
      .executeTakeFirstOrThrow();
    expect(message.due_at).toEqual(at(1, '08:00'));
  });
});
