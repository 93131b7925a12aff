import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { findAvailability } from '../../src/domain/scheduling/availability.js';
import { clinicTime, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// "What can I book?" answered from the real calendar: every rule that can hide a time is tried.
describe('availability', () => {
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  const clock = fixedClock(zonedInstant('2027-05-03', '08:30', 'Asia/Kolkata'));
  const times = (slots: Array<{ startsAt: Date }>) => slots.map((s) => clinicTime(s.startsAt, 'Asia/Kolkata'));

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 2, days: 70 });
  });
  afterAll(() => database?.close());

  it('lists free times earliest first, honouring the two hours of minimum notice', async () => {
    const today = await findAvailability(ctx, { serviceId: clinic.speechService.id, from: '2027-05-03', to: '2027-05-03' });
    // Slots at 09:00…12:00; at 08:30 the notice period hides 09:00 and 10:00.
    expect(times(today)).toEqual(['11:00', '12:00']);
    const desk = await findAvailability(ctx, { serviceId: clinic.speechService.id, from: '2027-05-03', to: '2027-05-03', shortNotice: true });
    expect(times(desk)).toEqual(['09:00', '10:00', '11:00', '12:00']);
  });

  it('offers only therapists who give the service, and nothing past the 60-day horizon', async () => {
    const physio = await findAvailability(ctx, { serviceId: clinic.physioService.id, from: '2027-05-04', to: '2027-05-04' });
    expect(new Set(physio.map((s) => s.therapistName))).toEqual(new Set(['Meera Iyer']));
    const far = await findAvailability(ctx, { serviceId: clinic.speechService.id, from: '2027-07-01', to: '2027-07-10' });
    expect(far.every((s) => s.startsAt.getTime() <= clock.now().getTime() + 60 * 86_400_000)).toBe(true);
    expect(far.length).toBeLessThan(10 * 4);
  });

  it('hides taken slots, leave, holidays and times the patient is already booked', async () => {
    const [nine, ten] = await slotsOn(ctx, clinic.speech.id, '2027-05-05');
    await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, serviceId: clinic.speechService.id, slotId: nine!.id });
    const [physioTen] = (await slotsOn(ctx, clinic.physio.id, '2027-05-05')).slice(1);
    await bookAppointment(ctx, { patientId: clinic.patients[1]!.id, serviceId: clinic.physioService.id, slotId: physioTen!.id });
    expect(ten).toBeDefined();
    const forSecond = await findAvailability(ctx, {
      serviceId: clinic.speechService.id,
      from: '2027-05-05',
      to: '2027-05-05',
      patientId: clinic.patients[1]!.id,
    });
    expect(times(forSecond)).toEqual(['11:00', '12:00']);

    // Leave and holidays written straight to the tables (slots left open) are still honoured.
    await database.db.insertInto('therapist_leave').values({ therapist_id: clinic.speech.id, starts_on: '2027-05-06', ends_on: '2027-05-06' }).execute();
    await database.db.insertInto('clinic_holidays').values({ holiday_on: '2027-05-07', name: 'Festival' }).execute();
    expect(await findAvailability(ctx, { serviceId: clinic.speechService.id, from: '2027-05-06', to: '2027-05-07' })).toEqual([]);
    expect(times(await findAvailability(ctx, { serviceId: clinic.physioService.id, from: '2027-05-06', to: '2027-05-06' }))).toHaveLength(4);
  });

  it('offers group slots only for their service, with the places left', async () => {
    const starts = zonedInstant('2027-05-10', '15:00', 'Asia/Kolkata');
    await database.db
      .insertInto('appointment_slots')
      .values({
        therapist_id: clinic.speech.id,
        service_id: clinic.groupService.id,
        max_bookings: 4,
        starts_at: starts,
        ends_at: new Date(starts.getTime() + 45 * 60_000),
      })
      .execute();
    const group = await findAvailability(ctx, { serviceId: clinic.groupService.id, from: '2027-05-10', to: '2027-05-10' });
    expect(group).toEqual([expect.objectContaining({ freePlaces: 4 })]);
    await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, serviceId: clinic.groupService.id, slotId: group[0]!.slotId });
    expect((await findAvailability(ctx, { serviceId: clinic.groupService.id, from: '2027-05-10', to: '2027-05-10' }))[0]!.freePlaces).toBe(3);
    const individual = await findAvailability(ctx, { serviceId: clinic.speechService.id, from: '2027-05-10', to: '2027-05-10' });
    expect(times(individual)).not.toContain('15:00');
  });
});
