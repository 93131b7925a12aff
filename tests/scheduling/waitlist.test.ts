import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPatient } from '../../src/domain/people/patients.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { addToWaitlist } from '../../src/domain/scheduling/waitlist.js';
import { acceptWaitlistOffer, declineWaitlistOffer, expireWaitlistOffers, offerFreedSlot } from '../../src/domain/scheduling/waitlist-offers.js';
import { fixedClock } from '../../src/infra/clock.js';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('the waitlist', () => {
  // Each test opens a clinic of its own, on a clock that starts at 08:30 IST on 1 April 2027.
  let database: TestDatabase;
  let pool: Database;
  let clock: ReturnType<typeof fixedClock>;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;

  beforeEach(async () => {
    clock = fixedClock('2027-04-01T03:00:00Z');
    database = await createTestDatabase();
    pool = await openPostgres(database.url, { max: 8 });
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 5, days: 7 });
  });
  afterEach(async () => {
    await pool?.close();
    await database?.close();
  });

  async function fullDay(date: string) {
    const slots = await slotsOn(ctx, clinic.speech.id, date);
    const bookings = [];
    for (const slot of slots) {
      const patient = await addPatient(ctx, { fullName: `Regular ${slot.id}` });
      bookings.push(await bookAppointment(ctx, { patientId: patient.id, serviceId: clinic.speechService.id, slotId: slot.id }));
    }
    return bookings;
  }

  it('offers a freed place to the urgent entry first, then the oldest; yes books it', async () => {
    const [first] = await fullDay('2027-04-03');
    const [a, b] = clinic.patients;
    const older = await addToWaitlist(ctx, { patientId: a!.id, serviceId: clinic.speechService.id, from: '2027-04-02', to: '2027-04-05' });
    const urgent = await addToWaitlist(ctx, { patientId: b!.id, serviceId: clinic.speechService.id, from: '2027-04-03', to: '2027-04-03', urgent: true });

    const { waitlistOffer } = await cancelAppointment(ctx, { appointmentId: first!.id, reason: 'Exams' });
    expect(waitlistOffer).toMatchObject({ entryId: urgent.id, patientId: b!.id, slotId: first!.slotId });
    expect(waitlistOffer!.expiresAt.toISOString()).toBe('2027-04-01T03:30:00.000Z');

    const answer = await acceptWaitlistOffer(ctx, { offerId: waitlistOffer!.offerId });
    expect(answer.outcome).toBe('booked');
    const entries = await database.db.selectFrom('waitlist_entries').select(['id', 'status']).orderBy('id').execute();
    expect(entries).toEqual([
      { id: older.id, status: 'waiting' },
      { id: urgent.id, status: 'booked' },
    ]);
  });

  it('"no" and silence pass the place on to the next entry', async () => {
    const [, second] = await fullDay('2027-04-04');
    const [, , c, d] = clinic.patients;
    await addToWaitlist(ctx, { patientId: c!.id, serviceId: clinic.speechService.id, from: '2027-04-04', to: '2027-04-04' });
    await addToWaitlist(ctx, { patientId: d!.id, serviceId: clinic.speechService.id, from: '2027-04-04', to: '2027-04-04' });

    const first = (await cancelAppointment(ctx, { appointmentId: second!.id, reason: 'Moved city' })).waitlistOffer!;
    const { nextOffer } = await declineWaitlistOffer(ctx, { offerId: first.offerId });
    expect(nextOffer).not.toBeNull();
    expect(nextOffer!.entryId).not.toBe(first.entryId);

    clock.advance(31 * 60_000);
    const expired = await expireWaitlistOffers(ctx);
    expect(expired.expired).toBe(1);
    // Everyone fitting has now been offered this place once; it is not offered to them again.
    const late = await acceptWaitlistOffer(ctx, { offerId: nextOffer!.offerId }).catch((e: Error) => e.message);
    expect(late).toContain('already expired');
  });

  it('two patients saying yes to the same place: one is booked, the other is told it was taken', async () => {
    const [third] = (await fullDay('2027-04-05')).slice(2);
    const [, , , , e] = clinic.patients;
    const f = await addPatient(ctx, { fullName: 'Patient Six' });
    await addToWaitlist(ctx, { patientId: e!.id, serviceId: clinic.speechService.id, from: '2027-04-05', to: '2027-04-05' });
    await addToWaitlist(ctx, { patientId: f.id, serviceId: clinic.speechService.id, from: '2027-04-05', to: '2027-04-05' });
    const firstOffer = (await cancelAppointment(ctx, { appointmentId: third!.id, reason: 'Unwell' })).waitlistOffer!;
    const secondOffer = (await database.db.transaction().execute((trx) => offerFreedSlot({ ...ctx, db: trx }, third!.slotId)))!;
    expect(secondOffer.entryId).not.toBe(firstOffer.entryId);

    const answers = await Promise.all([firstOffer, secondOffer].map((o) => acceptWaitlistOffer(systemContext(pool.db, clock), { offerId: o.offerId })));
    expect(answers.map((a) => a.outcome).sort()).toEqual(['booked', 'taken']);
    const live = await database.db.selectFrom('appointments').select('id').where('slot_id', '=', third!.slotId).where('status', '<>', 'cancelled').execute();
    expect(live).toHaveLength(1);
  });

  it('entries lapse once their dates have passed', async () => {
    const [a, b] = clinic.patients;
    await addToWaitlist(ctx, { patientId: a!.id, serviceId: clinic.speechService.id, from: '2027-04-02', to: '2027-04-05' });
    await addToWaitlist(ctx, { patientId: b!.id, serviceId: clinic.speechService.id, from: '2027-04-03', to: '2027-04-03', urgent: true });
    clock.set('2027-04-09T03:00:00Z');
    await expireWaitlistOffers(ctx);
    const [slot] = await slotsOn(ctx, clinic.speech.id, '2027-04-07');
    expect(await database.db.transaction().execute((trx) => offerFreedSlot({ ...ctx, db: trx }, slot!.id))).toBeNull();
    const entries = await database.db.selectFrom('waitlist_entries').select('status').orderBy('id').execute();
    expect(entries.map((e) => e.status)).toEqual(['lapsed', 'lapsed']);
  });
});
