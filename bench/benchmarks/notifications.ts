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
// INSERT ... SELECT (recipient choice, opt-out, quiet hours, idempotency keys) against a bare
// INSERT ... SELECT of the same rows; (2) the dispatcher sending to a channel with no rate limit
// against the raw claim-and-update SQL loop it is built on.

const CLIENTS = 8;

/** The same reminder rows with none of the rules: the appointment's patient, the raw due time. */
const BARE_REMINDERS = `
  INSERT INTO notifications (idempotency_key, kind, patient_id, appointment_id, payload, due_at)
  SELECT 'bare:' || a.id || ':' || o, 'reminder', a.patient_id, a.id,
         jsonb_build_object('appointmentNumber', a.appointment_number, 'startsAt', a.starts_at), a.starts_at - make_interval(mins => o)
  FROM appointments a CROSS JOIN unnest(ARRAY[1440, 120]) o
  WHERE a.status IN ('scheduled', 'confirmed') AND a.starts_at - make_interval(mins => o) >= $1
  ON CONFLICT (idempotency_key) DO NOTHING`;

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
  description: 'reminders for 10,000 appointments vs a bare INSERT … SELECT; dispatch vs the raw claim-and-update loop',
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
      const domainMs: number[] = [];
      const bareMs: number[] = [];
      let written = 0;
      for (let round = 1; round <= rounds; round++) {
        await bench.pool.query(`TRUNCATE notifications`);
        const bare = await timed(() => bench.pool.query(BARE_REMINDERS, [ctx.clock.now()]));
        bareMs.push(bare.ms);
        await bench.pool.query(`TRUNCATE notifications`);
        const domain = await timed(() => reminderInsert(ctx, source).execute(bench.db));
        domainMs.push(domain.ms);
        written = Number(domain.result.numAffectedRows ?? 0);
        const again = await timed(() => reminderInsert(ctx, source).execute(bench.db));
        env.log(`round ${round}: domain ${domain.ms.toFixed(0)} ms (${written} rows), bare ${bare.ms.toFixed(0)} ms (${bare.result.rowCount} rows), rerun ${again.ms.toFixed(0)} ms (${again.result.numAffectedRows} rows)`);
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
            await Promise.all(Array.from({ length: CLIENTS / 2 }, async () => {
              while (next < rows.length) {
                const row = rows[next++]!;
                await fake.send(String(row.id), {} as never);
                await bench.pool.query(RAW_SENT, [row.id, String(row.id)]);
              }
            }));
          }
        });
        rawRates.push(messages / (raw.ms / 1000));
        await enqueue();
        const dispatcher = new Dispatcher({ ctx: { ...ctx, clock: { now: () => new Date() } }, channels: { sms: fake }, instanceId: 'bench', batchSize: 100, concurrency: CLIENTS / 2 });
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
          baseline: median(bareMs),
          baselineLabel: 'bare INSERT … SELECT',
          better: 'lower',
          notes: `${appointments} appointments → ${written} reminders (2 offsets; those already due are not written); median of ${rounds}`,
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
