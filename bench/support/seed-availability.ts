import { sql, type Kysely } from 'kysely';
import { saveClinicSettings } from '../../src/domain/clinic/settings.js';
import type { DomainContext } from '../../src/domain/context.js';
import { addTherapist } from '../../src/domain/people/therapists.js';
import { addHoliday } from '../../src/domain/scheduling/holidays.js';
import { addLeave } from '../../src/domain/scheduling/leave.js';
import { requireServiceByCode, updateService } from '../../src/domain/scheduling/services.js';
import { generateSlots } from '../../src/domain/scheduling/slots.js';
import { parseWeeklyHours, setWorkingHours } from '../../src/domain/scheduling/working-hours.js';
import { addDays } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import type { DB } from '../../src/infra/db/schema.js';

// A busy clinic for availability questions: 20 speech therapists working Mon–Sat 08:00–20:00 in
// 30-minute slots for 60 days, a clinic holiday and some leave, and 20,000 appointments (some
// cancelled) for 2,000 patients. The calendar is built through the domain (therapists, hours, slots,
// leave, holiday); patients and appointments, being many, go in as a few bulk INSERT … SELECTs.
// Everything is fixed (dates, names, which slots are taken), so every run asks about the same rows.

export const TIMEZONE = 'Asia/Kolkata';
export const FIRST_DAY = '2031-03-03'; // a Monday
export const DAYS = 60;
export const LAST_DAY = addDays(FIRST_DAY, DAYS - 1);
/** The clinic's "now": the evening before the first slot, so every slot is bookable. */
export const SEED_NOW = '2031-03-02T18:00:00+05:30';

const THERAPISTS = 20;
const PATIENTS = 2000;
const HOURS = 'mon-sat 08:00-20:00';
const SLOT_MINUTES = 30;
const SERVICE_CODE = 'speech-therapy';
/** Slots holding one live appointment; the first REBOOKED of them also hold a cancelled one. */
const LIVE = 18_000;
const REBOOKED = 1_000;
/** Slots holding only a cancelled appointment, which leaves them free again. */
const CANCELLED_ONLY = 1_000;

export interface SeededAvailability {
  ctx: DomainContext;
  serviceId: number;
  /** Therapist ids in the order they were added. */
  therapistIds: number[];
  counts: { slots: number; openSlots: number; appointments: number; liveAppointments: number; freeOpenSlots: number };
}

export interface SeedOptions {
  /**
   * Years of past days off to add before the 60 days (10 spells of leave per therapist and 15 clinic
   * holidays a year), as a clinic that has run for a while has them. 0 (the default) adds none.
   */
  pastYears?: number;
}

export async function seedAvailability(db: Kysely<DB>, log: (line: string) => void, options: SeedOptions = {}): Promise<SeededAvailability> {
  const ctx: DomainContext = { db, clock: fixedClock(SEED_NOW), timezone: TIMEZONE, actor: { kind: 'system' } };
  await saveClinicSettings(ctx, { name: 'Availability Benchmark Clinic', timezone: TIMEZONE });
  // The default 60-day advance-booking window, counted from "now", would cut off the last evening of
  // the 60 days asked about; no domain function sets it, so it is widened here.
  await sql`UPDATE clinic_settings SET max_advance_days = 90`.execute(db);
  // Speech therapy is 45 minutes by default; this clinic gives 30-minute sessions in 30-minute slots.
  await updateService(ctx, { code: SERVICE_CODE, minutes: SLOT_MINUTES });
  const service = await requireServiceByCode(ctx, SERVICE_CODE);

  const therapistIds: number[] = [];
  for (let i = 1; i <= THERAPISTS; i++) {
    const therapist = await addTherapist(ctx, { fullName: `Therapist ${String(i).padStart(2, '0')}`, specializations: ['slp'] });
    await setWorkingHours(ctx, { therapistId: therapist.id, blocks: parseWeeklyHours(HOURS) });
    therapistIds.push(therapist.id);
  }
  const therapist = (n: number) => therapistIds[n - 1]!;

  // Leave known before the slots are generated: generation leaves those days out.
  await addLeave(ctx, { therapistId: therapist(3), from: '2031-03-17', to: '2031-03-19', reason: 'conference' });
  log(`generating ${SLOT_MINUTES}-minute slots for ${THERAPISTS} therapists, ${FIRST_DAY} to ${LAST_DAY}`);
  const generated = await generateSlots(ctx, { from: FIRST_DAY, to: LAST_DAY, minutes: SLOT_MINUTES, bufferMinutes: 0 });
  // Days off taken later: their slots, already generated, are blocked.
  await addHoliday(ctx, { date: '2031-03-05', name: 'Holi' });
  await addLeave(ctx, { therapistId: therapist(12), from: '2031-03-06', to: '2031-03-07', reason: 'sick' });
  await addLeave(ctx, { therapistId: therapist(7), from: '2031-04-08', to: '2031-04-09', reason: 'personal' });
  await addLeave(ctx, { therapistId: therapist(15), from: '2031-04-21', to: '2031-04-25', reason: 'holiday' });
  if (options.pastYears) await addPastDaysOff(db, options.pastYears, log);

  log(`${generated.created} slots; adding ${PATIENTS} patients and ${LIVE + REBOOKED + CANCELLED_ONLY} appointments in bulk`);
  await sql`
    INSERT INTO patients (full_name, preferred_language)
    SELECT 'Patient ' || lpad(n::text, 4, '0'), (CASE WHEN n % 3 = 0 THEN 'hi' ELSE 'en' END)::contact_language
    FROM generate_series(1, ${PATIENTS}::integer) AS n`.execute(db);

  // Open slots in a fixed pseudo-random order (md5 of the id); the first LIVE get a live appointment,
  // the next CANCELLED_ONLY a cancelled one, and the first REBOOKED also an earlier, cancelled one.
  // Within a clinic day every appointment has a patient of its own, so no patient is ever in two
  // places at once (the appointments_patient_no_overlap constraint); the rotation by day spreads
  // each patient's appointments over the calendar.
  await sql`
    WITH picked AS (
      SELECT s.id, s.therapist_id, s.starts_at, s.ends_at,
             (s.starts_at AT TIME ZONE ${TIMEZONE})::date AS day,
             row_number() OVER (ORDER BY md5('roshni-availability-' || s.id)) AS rank
      FROM appointment_slots s
      WHERE s.status = 'open'
    ),
    wanted AS (
      SELECT p.*, false AS cancelled FROM picked p WHERE p.rank <= ${LIVE}
      UNION ALL
      SELECT p.*, true FROM picked p
      WHERE p.rank <= ${REBOOKED} OR (p.rank > ${LIVE} AND p.rank <= ${LIVE + CANCELLED_ONLY})
    ),
    numbered AS (
      SELECT w.*, row_number() OVER (PARTITION BY w.day ORDER BY w.rank, w.cancelled) - 1 AS nth_of_day,
             w.day - ${FIRST_DAY}::date AS day_index
      FROM wanted w
    ),
    patient_ids AS (SELECT array_agg(id ORDER BY id) AS ids FROM patients)
    INSERT INTO appointments (patient_id, therapist_id, service_id, slot_id, starts_at, ends_at, status, price_paise,
                              booked_via, cancelled_at, cancelled_by, cancellation_reason)
    SELECT pi.ids[(n.nth_of_day + n.day_index * 173) % ${PATIENTS} + 1], n.therapist_id, ${service.id}::integer, n.id,
           n.starts_at, n.ends_at,
           (CASE WHEN n.cancelled THEN 'cancelled' ELSE 'scheduled' END)::appointment_status, ${service.price_paise}::integer,
           (CASE n.rank % 4 WHEN 0 THEN 'telegram' WHEN 1 THEN 'whatsapp' ELSE 'cli' END)::booking_channel,
           CASE WHEN n.cancelled THEN ${SEED_NOW}::timestamptz - interval '1 day' END,
           CASE WHEN n.cancelled THEN 'patient' END,
           CASE WHEN n.cancelled THEN 'could not come' END
    FROM numbered n CROSS JOIN patient_ids pi
    -- The cancelled appointment of a rebooked slot goes in first, as it happened.
    ORDER BY n.starts_at, n.therapist_id, n.cancelled DESC`.execute(db);

  await settle(db, log);

  const { rows } = await sql<SeededAvailability['counts']>`
    SELECT (SELECT count(*) FROM appointment_slots)::integer AS slots,
           (SELECT count(*) FROM appointment_slots WHERE status = 'open')::integer AS "openSlots",
           (SELECT count(*) FROM appointments)::integer AS appointments,
           (SELECT count(*) FROM appointments WHERE status <> 'cancelled')::integer AS "liveAppointments",
           (SELECT count(*) FROM appointment_slots s WHERE s.status = 'open' AND NOT EXISTS (
              SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled'))::integer AS "freeOpenSlots"`.execute(db);
  return { ctx, serviceId: service.id, therapistIds, counts: rows[0]! };
}

/** Days off that ended before the seeded 60 days: they must not change any answer, only the work to find it. */
async function addPastDaysOff(db: Kysely<DB>, years: number, log: (line: string) => void): Promise<void> {
  const { rows } = await sql<{ leave: number; holidays: number }>`
    WITH leave AS (
      INSERT INTO therapist_leave (therapist_id, starts_on, ends_on, reason)
      SELECT t.id, d.day, d.day + k % 3, 'past leave'
      FROM therapists t
      CROSS JOIN generate_series(1, ${years}::integer) AS y
      CROSS JOIN generate_series(0, 9) AS k
      CROSS JOIN LATERAL (SELECT ${FIRST_DAY}::date - 365 * y + 36 * k + t.id % 7 AS day) d
      RETURNING 1
    ), holidays AS (
      INSERT INTO clinic_holidays (holiday_on, name)
      SELECT ${FIRST_DAY}::date - 365 * y + 24 * k, 'Past holiday'
      FROM generate_series(1, ${years}::integer) AS y CROSS JOIN generate_series(0, 14) AS k
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM leave)::integer AS leave, (SELECT count(*) FROM holidays)::integer AS holidays`.execute(db);
  log(`added ${years} past years of days off: ${rows[0]!.leave} spells of leave, ${rows[0]!.holidays} clinic holidays`);
}

const SETTLE_ATTEMPTS = 10;

/**
 * A steady-state database, as autovacuum would leave it, so that plans and costs do not change while
 * we measure: statistics gathered and every page of the two big tables marked all-visible (index-only
 * scans then skip the heap). A VACUUM that overlaps another transaction (autovacuum analysing the
 * freshly filled tables, say) cannot mark the newest rows, so it is repeated until it could.
 */
async function settle(db: Kysely<DB>, log: (line: string) => void): Promise<void> {
  await sql`VACUUM ANALYZE`.execute(db);
  for (let attempt = 1; ; attempt++) {
    const { rows } = await sql<{ settled: boolean }>`
      SELECT bool_and(relallvisible >= relpages) AS settled FROM pg_class
      WHERE relname IN ('appointments', 'appointment_slots')`.execute(db);
    if (rows[0]?.settled) {
      if (attempt > 1) log(`visibility map complete after ${attempt} VACUUMs`);
      return;
    }
    if (attempt === SETTLE_ATTEMPTS) {
      log(`the visibility map is still incomplete after ${attempt} VACUUMs; index-only scans will visit the heap`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sql`VACUUM appointments, appointment_slots`.execute(db);
  }
}
