import { sql } from 'kysely';
import { reminderInsert } from '../../src/domain/notifications/appointment-messages.js';
import type { Channel } from '../../src/infra/channels/channel.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { requireDatabaseUrl, type Benchmark, type BenchResult } from '../support/benchmark.js';
import { openBenchPool } from '../support/database.js';
import { positiveIntFromEnv } from '../support/env.js';
import { insertAppointments, seedClinic } from '../support/seed-clinic.js';
import { timed } from '../support/timing.js';

// The outbox at scale: (1) reminders for 10,000 appointments written by the domain's one
// INSERT … SELECT (recipient choice, opt-out, quiet hours, back-to-back sessions, days off, idempotency
// keys) against the very same rows written by a hand-written INSERT … SELECT; (2) the dispatcher
// sending to a channel with no rate limit against the raw claim-and-update SQL loop it is built on.

const CLIENTS = 8;
/** Reminders through the domain take at most this many times the hand-written statement's time. */
const TARGET_REMINDERS = 1.5;
const TIMEZONE = 'Asia/Kolkata';

/**
 * The domain's reminder rows for this clinic, written by hand: it knows what the domain must find
 * out (every patient an adult with a phone and no guardian, no consent withdrawn, quiet hours off,
 * offsets of 24 h and 2 h). Back-to-back sessions get one reminder, for the first; an appointment
 * on a day off gets its reminders recorded as skipped, and an earlier one on a day off does not count.
 */
const HAND_WRITTEN_REMINDERS = `
  INSERT INTO notifications (idempotency_key, kind, patient_id, appointment_id, language, payload, due_at, state, last_error)
  SELECT 'reminder:' || a.id || ':' || o || ':' || extract(epoch FROM a.starts_at)::bigint || ':p' || p.id,
         'reminder', p.id, a.id, p.preferred_language,
         jsonb_build_object('appointmentNumber', a.appointment_number, 'startsAt', a.starts_at,
                            'therapistName', t.full_name, 'offsetMinutes', o),
         a.starts_at - make_interval(mins => o),
         CASE WHEN h.holiday_on IS NULL AND l.id IS NULL THEN 'pending' ELSE 'skipped' END::notification_state,
         CASE WHEN h.holiday_on IS NOT NULL THEN 'clinic holiday: to reschedule'
              WHEN l.id IS NOT NULL THEN 'therapist on leave: to reschedule' END
  FROM appointments a
  JOIN patients p ON p.id = a.patient_id AND p.reminders_opted_out_at IS NULL
  JOIN therapists t ON t.id = a.therapist_id
  CROSS JOIN unnest(ARRAY[1440, 120]) o
  CROSS JOIN LATERAL (SELECT (a.starts_at AT TIME ZONE '${TIMEZONE}')::date AS day) d
  LEFT JOIN clinic_holidays h ON h.holiday_on = d.day
  LEFT JOIN therapist_leave l ON l.therapist_id = a.therapist_id AND d.day BETWEEN l.starts_on AND l.ends_on
  WHERE a.status IN ('scheduled', 'confirmed') AND a.starts_at - make_interval(mins => o) >= $1::timestamptz - interval '10 minutes'
    AND (h.holiday_on IS NOT NULL OR NOT EXISTS (
      SELECT 1 FROM appointments b
      WHERE b.patient_id = a.patient_id AND b.status IN ('scheduled', 'confirmed') AND b.id <> a.id
        AND b.starts_at >= d.day::timestamp AT TIME ZONE '${TIMEZONE}' AND b.starts_at < a.starts_at
        AND b.ends_at >= a.starts_at - interval '30 minutes'
        AND NOT EXISTS (SELECT 1 FROM therapist_leave bl
                        WHERE bl.therapist_id = b.therapist_id AND d.day BETWEEN bl.starts_on AND bl.ends_on)))`;

/** What was written, to check that both ways wrote the very same rows. */
const WRITTEN_REMINDERS = `
  SELECT count(*) FILTER (WHERE state = 'pending')::int AS pending, count(*) FILTER (WHERE state = 'skipped')::int AS skipped,
         md5(string_agg(idempotency_key || due_at || state || coalesce(last_error, '') || payload::text, ',' ORDER BY idempotency_key)) AS digest
  FROM notifications`;

const RAW_CLAIM = `
  UPDATE notifications SET state = 'sending', claimed_by = 'raw', attempts = attempts + 1,
         claimed_until = now() + interval '2 minutes'
  WHERE id IN (SELECT id FROM notifications WHERE state = 'pending' AND coalesce(next_attempt_at, due_at) <= now()
               ORDER BY coalesce(next_attempt_at, due_at), id LIMIT 100 FOR UPDATE SKIP LOCKED)
  RETURNING id`;
const RAW_SENT = `UPDATE notifications SET state = 'sent', claimed_by = NULL, claimed_until = NULL, sent_at = now(), provider_message_id = $2
  WHERE id = $1 AND state = 'sending' AND claimed_by = 'raw'`;

export const notificationsBench: Benchmark = {
  name: 'notifications',
  description: 'reminders for 10,000 appointments vs the same rows by hand-written SQL; dispatch vs the raw claim-and-update loop',
  needsDatabase: true,
  async run(env) {
    const appointments = positiveIntFromEnv('BENCH_APPOINTMENTS', 10_000);
    const messages = positiveIntFromEnv('BENCH_MESSAGES', 5_000);
    const rounds = positiveIntFromEnv('BENCH_ROUNDS', 3);
    const bench = openBenchPool(requireDatabaseUrl(env), CLIENTS);
    try {
      env.log(`seeding ${appointments} appointments`);
      const clinic = await seedClinic(bench.db, { therapists: 16, slotsNeeded: appointments });
      const { ctx } = clinic;
      // The dispatch half runs on the real clock: no quiet hours, so it measures sending at any hour.
      await bench.pool.query(`UPDATE clinic_settings SET quiet_hours_start = '00:00', quiet_hours_end = '00:00'`);
      await bench.pool.query(`UPDATE patients SET phone = '+9198' || lpad(id::text, 8, '0')`);
      await insertAppointments(bench.pool, clinic, appointments);
      await bench.pool.query(`DELETE FROM notifications`);
      const source = sql`(SELECT id AS appointment_id, patient_id, therapist_id, starts_at, appointment_number
                          FROM appointments WHERE status IN ('scheduled', 'confirmed'))`;
      // Days off forced over bookings: a clinic holiday, and a week of one therapist's leave.
      await bench.pool.query(`INSERT INTO clinic_holidays (holiday_on, name) VALUES ('2030-01-26', 'Republic Day')`);
      await bench.pool.query(
        `INSERT INTO therapist_leave (therapist_id, starts_on, ends_on, reason) SELECT min(id), '2030-02-10', '2030-02-16', 'leave' FROM therapists`,
      );
      const written = async () => (await bench.pool.query<{ pending: number; skipped: number; digest: string }>(WRITTEN_REMINDERS)).rows[0]!;
      const domainMs: number[] = [];
      const handMs: number[] = [];
      let rows = '';
      for (let round = 1; round <= rounds; round++) {
        await bench.pool.query(`TRUNCATE notifications`);
        const hand = await timed(() => bench.pool.query(HAND_WRITTEN_REMINDERS, [ctx.clock.now()]));
        const byHand = await written();
        await bench.pool.query(`TRUNCATE notifications`);
        const domain = await timed(() => reminderInsert(ctx, source).execute(bench.db));
        const byDomain = await written();
        const again = await timed(() => reminderInsert(ctx, source).execute(bench.db));
        rows = `${byDomain.pending} pending + ${byDomain.skipped} skipped`;
        env.log(
          `round ${round}: domain ${domain.ms.toFixed(0)} ms (${rows}), hand-written ${hand.ms.toFixed(0)} ms ` +
            `(${byHand.pending} pending + ${byHand.skipped} skipped), rerun ${again.ms.toFixed(0)} ms (${again.result.numAffectedRows} rows)`,
        );
        if (byHand.pending !== byDomain.pending || byHand.skipped !== byDomain.skipped || byHand.digest !== byDomain.digest) {
          throw new Error(`the domain and the hand-written SQL wrote different reminders: ${JSON.stringify({ byDomain, byHand })}`);
        }
        if (!byDomain.skipped || !byDomain.pending) throw new Error(`expected reminders both pending and skipped for a day off: ${rows}`);
        domainMs.push(domain.ms);
        handMs.push(hand.ms);
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

      // Dispatch: the same number of due messages each way.
      const enqueue = async () => {
        await bench.pool.query(`TRUNCATE notifications`);
        await bench.pool.query(
          `INSERT INTO notifications (idempotency_key, kind, patient_id, payload, due_at)
           SELECT 'bench:' || i, 'payment_received', (SELECT min(id) FROM patients) + (i % 16), jsonb_build_object('amountPaise', 100000, 'receiptNumber', 'R-' || i), now() - interval '1 minute'
           FROM generate_series(1, $1) i`,
          [messages],
        );
      };
      const fake: Channel = { name: 'sms', send: async (address) => ({ providerMessageId: address }) };
      const dispatchRates: number[] = [];
      const rawRates: number[] = [];
      for (let round = 1; round <= rounds; round++) {
        await enqueue();
        const raw = await timed(async () => {
          for (;;) {
            const { rows } = await bench.pool.query<{ id: number }>(RAW_CLAIM);
            if (!rows.length) break;
            let next = 0;
            await Promise.all(
              Array.from({ length: CLIENTS / 2 }, async () => {
                while (next < rows.length) {
                  const row = rows[next++]!;
                  await fake.send(String(row.id), {} as never);
                  await bench.pool.query(RAW_SENT, [row.id, String(row.id)]);
                }
              }),
            );
          }
        });
        rawRates.push(messages / (raw.ms / 1000));
        await enqueue();
        const dispatcher = new Dispatcher({
          ctx: { ...ctx, clock: { now: () => new Date() } },
          channels: { sms: fake },
          instanceId: 'bench',
          batchSize: 100,
          concurrency: CLIENTS / 2,
        });
        const domain = await timed(async () => {
          while ((await dispatcher.runOnce()) > 0);
        });
        const { rows } = await bench.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE state = 'sent'`);
        if (rows[0]!.n !== messages) throw new Error(`dispatcher sent ${rows[0]!.n} of ${messages}`);
        dispatchRates.push(messages / (domain.ms / 1000));
        env.log(`round ${round}: dispatcher ${dispatchRates.at(-1)!.toFixed(0)}/s, raw loop ${rawRates.at(-1)!.toFixed(0)}/s`);
      }
      const results: BenchResult[] = [
        {
          name: 'notifications/schedule-reminders',
          unit: 'ms',
          measured: median(domainMs),
          baseline: median(handMs),
          baselineLabel: 'the same rows by hand-written SQL',
          better: 'lower',
          targetRatio: TARGET_REMINDERS,
          notes: `${appointments} appointments → ${rows} reminders each way (back-to-back sessions get one; 2 offsets); median of ${rounds} (round ratios ${domainMs.map((d, i) => (d / handMs[i]!).toFixed(2)).join(', ')})`,
        },
        {
          name: 'notifications/dispatch',
          unit: 'messages/s',
          measured: median(dispatchRates),
          baseline: median(rawRates),
          baselineLabel: 'raw claim-and-update loop',
          better: 'higher',
          notes: `${messages} messages, batches of 100, ${CLIENTS / 2} sends at once, fake channel without rate limit; median of ${rounds}`,
        },
      ];
      return results;
    } finally {
      await bench.close();
    }
  },
};
