import { sql, type Kysely } from 'kysely';
import type { Pool } from 'pg';
import { saveClinicSettings } from '../../src/domain/clinic/settings.js';
import type { DomainContext } from '../../src/domain/context.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { addTherapist } from '../../src/domain/people/therapists.js';
import { requireServiceByCode } from '../../src/domain/scheduling/services.js';
import { generateSlots } from '../../src/domain/scheduling/slots.js';
import { parseWeeklyHours, setWorkingHours } from '../../src/domain/scheduling/working-hours.js';
import { addDays } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import type { DB } from '../../src/infra/db/schema.js';

// A clinic built through the domain, as the front desk would: therapists with working hours,
// generated slots, and patients. All dates are fixed so every run books the same rows.

export const TIMEZONE = 'Asia/Kolkata';
/** The clinic's "now": the evening before the first slot, so every slot is in the future. */
export const SEED_NOW = '2030-01-06T18:00:00+05:30';
const FIRST_DAY = '2030-01-07';
const HOURS = 'mon-sun 08:00-20:00';
/** 45-minute slots with the default 15-minute buffer: one an hour from 08:00 to 19:00. */
const SLOTS_PER_DAY = 12;
const SERVICE_CODE = 'speech-therapy';

export interface SeedSlot {
  id: number;
  therapistId: number;
  /** The patient paired with this slot's therapist: patients never overlap because slots of one therapist don't. */
  patientId: number;
  startsAt: Date;
}

export interface SeededClinic {
  ctx: DomainContext;
  service: { id: number; pricePaise: number; durationMinutes: number };
  /** Every open slot, earliest first. */
  slots: SeedSlot[];
}

export interface SeedOptions {
  therapists: number;
  slotsNeeded: number;
  /** The clinic's "now" and its first day of slots (default: fixed in 2030); a benchmark against a real clock passes today's. */
  now?: Date | string;
  firstDay?: string;
}

export async function seedClinic(db: Kysely<DB>, options: SeedOptions): Promise<SeededClinic> {
  const ctx: DomainContext = { db, clock: fixedClock(options.now ?? SEED_NOW), timezone: TIMEZONE, actor: { kind: 'system' } };
  const firstDay = options.firstDay ?? FIRST_DAY;
  await saveClinicSettings(ctx, { name: 'Benchmark Clinic', timezone: TIMEZONE });
  // Bookings run months ahead here: a clinic that books a year ahead, so every slot is within its window.
  await sql`UPDATE clinic_settings SET max_advance_days = 366`.execute(db);

  const patientOf = new Map<number, number>();
  for (let i = 1; i <= options.therapists; i++) {
    const therapist = await addTherapist(ctx, { fullName: `Therapist ${i}`, specializations: ['slp'] });
    await setWorkingHours(ctx, { therapistId: therapist.id, blocks: parseWeeklyHours(HOURS) });
    const patient = await addPatient(ctx, { fullName: `Patient ${i}` });
    patientOf.set(therapist.id, patient.id);
  }

  const days = Math.ceil(options.slotsNeeded / (options.therapists * SLOTS_PER_DAY));
  await generateSlots(ctx, { from: firstDay, to: addDays(firstDay, days) });

  const rows = await db.selectFrom('appointment_slots').select(['id', 'therapist_id', 'starts_at']).orderBy('starts_at').orderBy('therapist_id').execute();
  if (rows.length < options.slotsNeeded) throw new Error(`Seeded ${rows.length} slots, needed ${options.slotsNeeded}.`);
  const service = await requireServiceByCode(ctx, SERVICE_CODE);
  return {
    ctx,
    service: { id: service.id, pricePaise: service.price_paise, durationMinutes: service.duration_minutes },
    slots: rows.map((r) => ({ id: r.id, therapistId: r.therapist_id, patientId: patientOf.get(r.therapist_id)!, startsAt: r.starts_at })),
  };
}

/**
 * Books the first `count` slots in one INSERT … SELECT, each with its therapist's own patient (so no
 * patient is booked twice at once): the bulk of appointments benchmarks measure against.
 */
export async function insertAppointments(pool: Pool, clinic: SeededClinic, count: number): Promise<void> {
  const pairs = new Map(clinic.slots.map((s) => [s.therapistId, s.patientId]));
  await pool.query(
    `INSERT INTO appointments (patient_id, therapist_id, service_id, slot_id, starts_at, ends_at, price_paise)
     SELECT p.patient_id, s.therapist_id, $1, s.id, s.starts_at, s.starts_at + interval '45 minutes', 100000
     FROM appointment_slots s JOIN unnest($2::int[], $3::int[]) AS p(therapist_id, patient_id) ON p.therapist_id = s.therapist_id
     ORDER BY s.starts_at LIMIT $4`,
    [clinic.service.id, [...pairs.keys()], [...pairs.values()], count],
  );
}
