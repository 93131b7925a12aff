import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import type pg from 'pg';
import type { DomainContext } from '../../src/domain/context.js';
import { findAvailability, type AvailabilityInput, type AvailableSlot } from '../../src/domain/scheduling/availability.js';
import type { DB } from '../../src/infra/db/schema.js';
import { requireDatabaseUrl, type Benchmark, type BenchResult } from '../support/benchmark.js';
import { openBenchPool } from '../support/database.js';
import { positiveIntFromEnv } from '../support/env.js';
import { FIRST_DAY, LAST_DAY, seedAvailability, TIMEZONE, type SeededAvailability } from '../support/seed-availability.js';
import { median, percentile } from '../support/stats.js';
import { msSince, now } from '../support/timing.js';

// findAvailability on a busy clinic (20 therapists × 60 days of 30-minute slots, 20,000 appointments)
// against the same question asked as one hand-written SQL query on the same pool. The two must return
// the same slots before either is timed. BENCH_EXPLAIN=1 also logs EXPLAIN ANALYZE of both queries;
// BENCH_PAST_YEARS=n adds n years of past leave and holidays (see seedAvailability).

const WARMUPS = 5;
const RUNS = 30;
// On a slow database (BENCH_PAST_YEARS, say) fewer rounds, so that the run still ends in minutes.
const WARMUP_BUDGET_MS = 5_000;
const RUN_BUDGET_MS = 20_000;
const MIN_RUNS = 5;
/** The issue's targets: within 2× of the hand-written query, and under 50 ms median (any therapist, 60 days). */
const TARGET_RATIO = 2;
const BUDGET_MS = 50;
/** findAvailability's default limit, which the questions below leave as it is. */
const DEFAULT_LIMIT = 500;

interface Question {
  /** Appended to "availability/" in the results. */
  key: string;
  input: AvailabilityInput & { serviceId: number; from: string; to: string };
}

function questions(seeded: SeededAvailability): Question[] {
  const serviceId = seeded.serviceId;
  return [
    // The main question: the first 500 (the default limit) open slots with anyone over the 60 days.
    { key: 'any-therapist-60-days', input: { serviceId, from: FIRST_DAY, to: LAST_DAY } },
    // Every open slot of one therapist (who has leave in the window) over the 60 days.
    { key: 'one-therapist-60-days', input: { serviceId, therapistId: seeded.therapistIds[6]!, from: FIRST_DAY, to: LAST_DAY } },
    // One week well inside the window (with that leave in it), anyone.
    { key: 'any-therapist-1-week', input: { serviceId, from: '2031-04-07', to: '2031-04-13' } },
  ];
}

/**
 * The question as one query, written by hand: open slots starting in the window (midnight to midnight,
 * clinic time) with room left, long enough for the service and of a kind it may use, of an active
 * therapist who offers it, not on a clinic holiday or the therapist's leave; earliest first, ties by name.
 * The window's instants are worked out from the dates in the query, so the planner sees constants.
 * The notice and advance-booking limits are left out: with the seeded clock and settings they fall
 * outside every window asked about (the identical answers checked below confirm it). Reading them from
 * clinic_settings in the same query would hide the window from the planner, which then reads every
 * slot (about 270 ms here instead of 20).
 */
function rawQuery(question: Question): { text: string; values: unknown[] } {
  const { serviceId, therapistId, from, to, limit = DEFAULT_LIMIT } = question.input;
  const values: unknown[] = [serviceId, from, to, TIMEZONE, limit];
  if (therapistId !== undefined) values.push(therapistId);
  const text = `
    SELECT s.id AS "slotId", s.therapist_id AS "therapistId", t.full_name AS "therapistName",
           s.starts_at AS "startsAt", s.starts_at + make_interval(mins => sv.duration_minutes) AS "endsAt",
           s.max_bookings - taken.n AS "freePlaces"
    FROM appointment_slots s
    JOIN services sv ON sv.id = $1 AND sv.active
    JOIN therapists t ON t.id = s.therapist_id AND t.active
    CROSS JOIN LATERAL (
      SELECT count(*)::integer AS n FROM appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled'
    ) taken
    WHERE s.starts_at >= ($2::date::timestamp AT TIME ZONE $4) AND s.starts_at < (($3::date + 1)::timestamp AT TIME ZONE $4)
      ${therapistId !== undefined ? 'AND s.therapist_id = $6' : ''}
      AND s.status = 'open'
      AND s.ends_at - s.starts_at >= make_interval(mins => sv.duration_minutes)
      AND (s.service_id = sv.id OR (s.service_id IS NULL AND sv.max_participants = 1))
      AND (sv.specialization_code IS NULL OR EXISTS (
        SELECT 1 FROM therapist_specializations ts
        WHERE ts.therapist_id = s.therapist_id AND ts.specialization_code = sv.specialization_code))
      AND taken.n < s.max_bookings
      AND NOT EXISTS (SELECT 1 FROM clinic_holidays h WHERE h.holiday_on = (s.starts_at AT TIME ZONE $4)::date)
      AND NOT EXISTS (
        SELECT 1 FROM therapist_leave l
        WHERE l.therapist_id = s.therapist_id AND (s.starts_at AT TIME ZONE $4)::date BETWEEN l.starts_on AND l.ends_on)
    ORDER BY s.starts_at, t.full_name
    LIMIT $5`;
  return { text, values };
}

const same = (a: AvailableSlot, b: AvailableSlot) =>
  a.slotId === b.slotId &&
  a.therapistId === b.therapistId &&
  a.therapistName === b.therapistName &&
  a.startsAt.getTime() === b.startsAt.getTime() &&
  a.endsAt.getTime() === b.endsAt.getTime() &&
  a.freePlaces === b.freePlaces;

/** Both ways must give the very same slots, in the same order, or the timing compares nothing. */
function checkSameAnswer(key: string, domain: AvailableSlot[], raw: AvailableSlot[]): void {
  if (domain.length === 0) throw new Error(`${key}: findAvailability found no slots; the seed is not what this benchmark expects.`);
  const at = domain.findIndex((slot, i) => !raw[i] || !same(slot, raw[i]));
  if (domain.length !== raw.length || at >= 0) {
    const where = at >= 0 ? `first difference at row ${at}: ${JSON.stringify(domain[at])} vs ${JSON.stringify(raw[at])}` : '';
    throw new Error(`${key}: the domain found ${domain.length} slots and the raw query ${raw.length}; ${where}`);
  }
}

/** The statement findAvailability sends (its last query), captured through a logging Kysely on the same pool. */
async function domainStatement(pool: pg.Pool, ctx: DomainContext, input: Question['input']): Promise<CompiledQuery> {
  let last: CompiledQuery | undefined;
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: (event) => void (last = event.query) });
  await findAvailability({ ...ctx, db }, input);
  // Not destroyed: that would end the shared pool.
  if (!last) throw new Error('findAvailability sent no query');
  return last;
}

async function explain(pool: pg.Pool, text: string, values: readonly unknown[]): Promise<string> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, [...values]);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

interface Timings {
  domain: number[];
  raw: number[];
  warmups: number;
  rows: number;
}

async function measure(pool: pg.Pool, ctx: DomainContext, question: Question, log: (line: string) => void): Promise<Timings> {
  const { text, values } = rawQuery(question);
  const viaDomain = () => findAvailability(ctx, question.input);
  const viaRaw = async () => (await pool.query<AvailableSlot>(text, values)).rows;

  const domainSlots = await viaDomain();
  checkSameAnswer(question.key, domainSlots, await viaRaw());
  log(`${question.key}: both find the same ${domainSlots.length} slots`);
  if (process.env.BENCH_EXPLAIN) {
    const statement = await domainStatement(pool, ctx, question.input);
    log(`${question.key}: EXPLAIN ANALYZE, domain:\n${await explain(pool, statement.sql, statement.parameters)}`);
    log(`${question.key}: EXPLAIN ANALYZE, raw:\n${await explain(pool, text, values)}`);
  }

  const timings: Timings = { domain: [], raw: [], warmups: 0, rows: domainSlots.length };
  const round = async (i: number, keep: boolean) => {
    // Alternating which goes first spreads drift in machine load over both alike.
    const order = i % 2 ? (['raw', 'domain'] as const) : (['domain', 'raw'] as const);
    for (const which of order) {
      const start = now();
      await (which === 'domain' ? viaDomain() : viaRaw());
      if (keep) timings[which].push(msSince(start));
    }
  };
  const warming = now();
  while (timings.warmups < WARMUPS && (timings.warmups === 0 || msSince(warming) < WARMUP_BUDGET_MS)) await round(timings.warmups++, false);
  const measuring = now();
  for (let i = 0; i < RUNS && (i < MIN_RUNS || msSince(measuring) < RUN_BUDGET_MS); i++) await round(i, true);
  return timings;
}

const figures = (times: number[]) => `p50 ${median(times).toFixed(2)} / p95 ${percentile(times, 95).toFixed(2)} ms`;

function toResult(question: Question, timings: Timings, extra = ''): BenchResult {
  return {
    name: `availability/${question.key}`,
    unit: 'ms',
    measured: median(timings.domain),
    baseline: median(timings.raw),
    baselineLabel: 'one hand-written SQL query',
    better: 'lower',
    targetRatio: TARGET_RATIO,
    notes:
      `median of ${timings.domain.length} after ${timings.warmups} warm-ups, ${timings.rows} slots each; domain ${figures(timings.domain)}; ` +
      `raw ${figures(timings.raw)}${extra}`,
  };
}

export const availability: Benchmark = {
  name: 'availability',
  description: 'findAvailability (20 therapists × 60 days, 20,000 appointments) vs the same question as one hand-written SQL query',
  needsDatabase: true,
  async run(env) {
    const bench = openBenchPool(requireDatabaseUrl(env), 4);
    try {
      const started = now();
      const pastYears = positiveIntFromEnv('BENCH_PAST_YEARS', 0);
      const seeded = await seedAvailability(bench.db, env.log, { pastYears });
      const c = seeded.counts;
      const seedFacts =
        `${c.slots} slots (${c.openSlots} open, ${c.freeOpenSlots} of them free), ` +
        `${c.appointments} appointments (${c.liveAppointments} live)${pastYears ? `, ${pastYears} past years of days off` : ''}`;
      env.log(`seeded ${seedFacts} in ${(msSince(started) / 1000).toFixed(1)} s`);

      const results: BenchResult[] = [];
      for (const question of questions(seeded)) {
        const timings = await measure(bench.pool, seeded.ctx, question, env.log);
        env.log(`${question.key}: domain ${figures(timings.domain)}, raw ${figures(timings.raw)}`);
        const main = results.length === 0;
        results.push(toResult(question, timings, main ? `; seeded ${seedFacts}` : ''));
        if (main) {
          // The issue's absolute target, as a result of its own: a fixed budget, not a measured baseline.
          results.push({
            name: `availability/${question.key}/${BUDGET_MS}ms-budget`,
            unit: 'ms',
            measured: median(timings.domain),
            baseline: BUDGET_MS,
            baselineLabel: 'fixed budget',
            better: 'lower',
            targetRatio: 1,
            notes: `domain median against an absolute ${BUDGET_MS} ms budget (not a same-run baseline: depends on the machine)`,
          });
        }
      }
      return results;
    } finally {
      await bench.close();
    }
  },
};
