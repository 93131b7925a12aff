import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/domain/errors.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { rescheduleAppointment } from '../../src/domain/scheduling/reschedule-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The front desk, the bots and the waitlist all book at once; the database must keep the clinic honest.
describe('booking under concurrency', () => {
  let database: TestDatabase;
  let pool: Database;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  let patientIds: number[];
  // A pinned morning (a Tuesday, 09:00 IST): the races are the same on any day the suite runs.
  const clock = fixedClock('2031-03-04T03:30:00Z');
  const at = (db: Parameters<typeof systemContext>[0]) => systemContext(db, clock);
  const tomorrow = () => addDays(clinicDate(clock.now(), 'Asia/Kolkata'), 1);

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = await openPostgres(database.url, { max: 40 });
    const ctx = at(database.db);
    clinic = await seedClinic(ctx, { patients: 0 });
    const values = Array.from({ length: 100 }, (_, i) => ({ full_name: `Child ${i}`, phone: `+9197${String(10000000 + i)}` }));
    patientIds = (await database.db.insertInto('patients').values(values).returning('id').execute()).map((p) => p.id);
  });
  afterAll(async () => {
    await pool?.close();
    await database?.close();
  });

  it('100 patients racing for one slot: exactly one is booked, the rest hear it was just taken', async () => {
    const [slot] = await slotsOn(at(database.db), clinic.speech.id, tomorrow());
    const ctx = at(pool.db);
    const results = await Promise.allSettled(
      patientIds.map((patientId) => bookAppointment(ctx, { patientId, serviceId: clinic.speechService.id, slotId: slot!.id })),
    );
    const booked = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(booked).toHaveLength(1);
    expect(refused).toHaveLength(99);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(ConflictError);
      expect((r.reason as Error).message).toMatch(/was just taken/);
    }
    const live = await database.db.selectFrom('appointments').select('id').where('slot_id', '=', slot!.id).where('status', '<>', 'cancelled').execute();
    expect(live).toHaveLength(1);
  });

  it('a group slot for four takes exactly four of twenty', async () => {
    const date = addDays(tomorrow(), 1);
    const [groupSlot] = await database.db
      .insertInto('appointment_slots')
      .values({
        therapist_id: clinic.speech.id,
        service_id: clinic.groupService.id,
        max_bookings: 4,
        starts_at: sql<Date>`(${date}::date + time '14:00') AT TIME ZONE 'Asia/Kolkata'`,
        ends_at: sql<Date>`(${date}::date + time '14:45') AT TIME ZONE 'Asia/Kolkata'`,
      })
      .returning('id')
      .execute();
    const results = await Promise.allSettled(
      patientIds.slice(0, 20).map((patientId) => bookAppointment(at(pool.db), { patientId, serviceId: clinic.groupService.id, slotId: groupSlot!.id })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(16);
  });

  it('crossing reschedules never lose or duplicate an appointment', async () => {
    const ctx = at(database.db);
    const date = addDays(tomorrow(), 2);
    const slots = (await slotsOn(ctx, clinic.speech.id, date)).slice(0, 4);
    const extra = await addPatient(ctx, { fullName: 'Crossing Two' });
    const a = await bookAppointment(ctx, { patientId: patientIds[0]!, serviceId: clinic.speechService.id, slotId: slots[0]!.id });
    const b = await bookAppointment(ctx, { patientId: extra.id, serviceId: clinic.speechService.id, slotId: slots[1]!.id });
    const moves = [];
    for (let round = 0; round < 10; round++) {
      // Each round both appointments try to move into each other's slot and into the free ones.
      moves.push(
        rescheduleAppointment(at(pool.db), { appointmentId: a.id, slotId: slots[(round + 1) % 4]!.id }),
        rescheduleAppointment(at(pool.db), { appointmentId: b.id, slotId: slots[round % 4]!.id }),
        rescheduleAppointment(at(pool.db), { appointmentId: a.id, slotId: slots[(round + 2) % 4]!.id }),
      );
    }
    const results = await Promise.allSettled(moves);
    // A move is either made, refused as taken, or pointless (already there): never an unexpected error.
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason instanceof ConflictError || /already in that slot/.test(r.reason.message), r.reason.message).toBe(true);
    }
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    const rows = await database.db.selectFrom('appointments').select(['id', 'slot_id', 'status']).where('id', 'in', [a.id, b.id]).execute();
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.status === 'scheduled')).toBe(true);
    expect(new Set(rows.map((r) => r.slot_id)).size).toBe(2);
    for (const slot of slots) {
      const { n } = await database.db
        .selectFrom('appointments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('slot_id', '=', slot.id)
        .where('status', '<>', 'cancelled')
        .executeTakeFirstOrThrow();
      expect(Number(n)).toBeLessThanOrEqual(1);
    }
  });
});
