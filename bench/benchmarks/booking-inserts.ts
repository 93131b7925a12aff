import type pg from 'pg';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { runBatch, summarise, type BatchRun } from '../support/batch.js';
import { requireDatabaseUrl, type Benchmark, type BenchResult } from '../support/benchmark.js';
import { openBenchPool } from '../support/database.js';
import { positiveIntFromEnv } from '../support/env.js';
import { seedClinic, type SeededClinic, type SeedSlot } from '../support/seed-clinic.js';

// Booking through the domain (its checks, its constraint translation) against the same work written
// by hand: in one statement (so one transaction), the same appointment row (the same triggers and
// exclusion constraints), the same confirmation in the outbox and the same audit entry (the same
// fingerprint trigger). Each batch checks that both wrote all three rows of every booking.

const CLIENTS = 16;
/** Bookings of each kind before measuring: JIT, connections and plan caches warm up. */
const WARMUP = 4 * CLIENTS;
const TARGET_16_CLIENTS = 0.7;

const RAW_BOOKING = `
  WITH booked AS (
    INSERT INTO appointments (patient_id, therapist_id, service_id, slot_id, starts_at, ends_at, price_paise, booked_via)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    RETURNING id, appointment_number, patient_id, starts_at
  ), confirmed AS (
    INSERT INTO notifications (idempotency_key, kind, patient_id, appointment_id, payload, due_at)
    SELECT 'booking_confirmed:' || b.id, 'booking_confirmed', b.patient_id, b.id,
           jsonb_build_object('appointmentNumber', b.appointment_number, 'startsAt', b.starts_at,
                              'therapistName', (SELECT full_name FROM therapists WHERE id = $2)),
           $9::timestamptz + make_interval(mins => (SELECT change_grace_minutes FROM clinic_settings))
    FROM booked b
  ), audited AS (
    INSERT INTO audit_log (actor_kind, actor_id, actor_role, at, action, entity, entity_id, patient_id, after)
    SELECT 'system', NULL, 'system', $9, 'appointment.book', 'appointment', b.id::text, b.patient_id,
           jsonb_build_object('status', 'scheduled', 'slotId', $4::integer, 'serviceId', $3::integer, 'via', $8::text)
    FROM booked b
  )
  SELECT id FROM booked`;

type Book = (slot: SeedSlot) => Promise<unknown>;

function viaDomain(clinic: SeededClinic): Book {
  return (slot) => bookAppointment(clinic.ctx, { patientId: slot.patientId, slotId: slot.id, serviceId: clinic.service.id, via: 'cli' });
}

function viaRawSql(pool: pg.Pool, clinic: SeededClinic): Book {
  const { id, pricePaise, durationMinutes } = clinic.service;
  const now = clinic.ctx.clock.now();
  return (slot) =>
    pool.query(RAW_BOOKING, [
      slot.patientId,
      slot.therapistId,
      id,
      slot.id,
      slot.startsAt,
      new Date(slot.startsAt.getTime() + durationMinutes * 60_000),
      pricePaise,
      'cli',
      now,
    ]);
}

/** Rows of each kind a booking writes: every one of them must be there for every booking. */
const WRITTEN = `
  SELECT (SELECT count(*) FROM appointments)::int AS appointments,
         (SELECT count(*) FROM notifications WHERE kind = 'booking_confirmed')::int AS confirmations,
         (SELECT count(*) FROM audit_log WHERE action = 'appointment.book')::int AS audited`;

function toResult(name: string, domainRuns: BatchRun[], rawRuns: BatchRun[], targetRatio?: number): BenchResult {
  const bookings = domainRuns[0]!.count;
  const domain = summarise(domainRuns);
  const raw = summarise(rawRuns);
  const figures = (s: typeof domain) => `p50 ${s.p50Ms.toFixed(2)} / p99 ${s.p99Ms.toFixed(2)} ms, node CPU ${s.clientCpuMs.toFixed(3)} ms/booking`;
  const ratios = domainRuns.map((d, i) => (d.perSecond / rawRuns[i]!.perSecond).toFixed(2));
  return {
    name,
    unit: 'bookings/s',
    measured: domain.perSecond,
    baseline: raw.perSecond,
    baselineLabel: 'the 3 rows in raw SQL',
    better: 'higher',
    ...(targetRatio === undefined ? {} : { targetRatio }),
    notes: `median of ${domainRuns.length} rounds of ${bookings} (round ratios ${ratios.join(', ')}); domain ${figures(domain)}; raw ${figures(raw)}`,
  };
}

export const bookingInserts: Benchmark = {
  name: 'booking-inserts',
  description: `bookAppointment vs its three rows (appointment, outbox, audit) in raw SQL, sequential and with ${CLIENTS} clients`,
  needsDatabase: true,
  async run(env) {
    const bookings = positiveIntFromEnv('BENCH_BOOKINGS', 1000);
    // Rounds of raw-then-domain batches: the medians smooth out a busy machine.
    const rounds = positiveIntFromEnv('BENCH_ROUNDS', 3);
    const bench = openBenchPool(requireDatabaseUrl(env), CLIENTS);
    try {
      const slotsNeeded = 2 * WARMUP + rounds * 4 * bookings;
      env.log(`seeding ${CLIENTS} therapists and at least ${slotsNeeded} slots through the domain`);
      const clinic = await seedClinic(bench.db, { therapists: CLIENTS, slotsNeeded });
      const domain = viaDomain(clinic);
      const raw = viaRawSql(bench.pool, clinic);
      let booked = 0;
      // Each batch books slots of its own, then checks that every booking landed.
      const batch = async (label: string, count: number, clients: number, book: Book) => {
        const slots = clinic.slots.slice(booked, booked + count);
        booked += count;
        const run = await runBatch(slots, clients, book);
        const { rows } = await bench.pool.query<Record<string, number>>(WRITTEN);
        for (const [kind, n] of Object.entries(rows[0]!)) {
          if (n !== booked) throw new Error(`${label}: expected ${booked} ${kind}, found ${n}`);
        }
        env.log(`${label}: ${run.perSecond.toFixed(0)} bookings/s`);
        return run;
      };

      await batch('warm-up raw', WARMUP, CLIENTS, raw);
      await batch('warm-up domain', WARMUP, CLIENTS, domain);
      const runs: Record<'sequentialRaw' | 'sequentialDomain' | 'concurrentRaw' | 'concurrentDomain', BatchRun[]> = {
        sequentialRaw: [],
        sequentialDomain: [],
        concurrentRaw: [],
        concurrentDomain: [],
      };
      for (let round = 1; round <= rounds; round++) {
        runs.sequentialRaw.push(await batch(`round ${round} sequential raw`, bookings, 1, raw));
        runs.sequentialDomain.push(await batch(`round ${round} sequential domain`, bookings, 1, domain));
        runs.concurrentRaw.push(await batch(`round ${round} ${CLIENTS} clients raw`, bookings, CLIENTS, raw));
        runs.concurrentDomain.push(await batch(`round ${round} ${CLIENTS} clients domain`, bookings, CLIENTS, domain));
      }
      return [
        toResult('booking-inserts/sequential', runs.sequentialDomain, runs.sequentialRaw),
        toResult(`booking-inserts/${CLIENTS}-clients`, runs.concurrentDomain, runs.concurrentRaw, TARGET_16_CLIENTS),
      ];
    } finally {
      await bench.close();
    }
  },
};
