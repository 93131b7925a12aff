import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { bold, emit, note } from '../cli/output.js';
import { renderSchedule, scheduleJson } from '../cli/render-schedule.js';
import { sessionAction } from '../cli/session.js';
import { clinicTimezone } from '../domain/clinic/clinic-timezone.js';
import { DEMO_ADMIN, DEMO_HISTORY_PATIENTS, DEMO_PASSWORD, DEMO_PATIENTS } from '../domain/demo/demo-clinic.js';
import { loadDemoClinic, DEMO_DAYS } from '../domain/demo/load-demo-clinic.js';
import { listAppointments } from '../domain/scheduling/appointment-queries.js';
import { migrateToLatest } from '../infra/db/migrate.js';

/** What to try next; `pay` and `waive` name two of the demo's unpaid bookings. */
const nextSteps = (refs: { pay: string; waive: string }) => [
  `roshni login ${DEMO_ADMIN}                      sign in first (password: ${DEMO_PASSWORD})`,
  'roshni today                                   today’s appointments (add --json for scripts)',
  'roshni availability --service speech-therapy   free times this week',
  'roshni book --patient Aarav --service speech-therapy --therapist priya --at "YYYY-MM-DD 15:00"',
  `roshni pay cash ${refs.pay} --amount 1000       take a payment; a receipt is issued`,
  'roshni dues                                    who owes what',
  'roshni report monthly --out month.html         last month on one page: revenue, utilisation, attendance',
  'roshni progress Aarav                          a child’s goals, measured over three months',
  'roshni patient find gupta                      a family: one guardian, two children',
  `roshni login demo.desk; roshni waive ${refs.waive} --reason x   a receptionist may not (exit 5)`,
  `demo accounts: ${DEMO_ADMIN} (admin), demo.desk (receptionist), priya.slp, arjun.ot, meera.pt; password "${DEMO_PASSWORD}"`,
];

/** Two unpaid bookings of the schedule shown, for the payment and the refused waiver to try. */
function unpaidBookings(rows: Array<{ appointment_number: string; payment_status: string }>) {
  const unpaid = rows.filter((r) => r.payment_status === 'pending').map((r) => r.appointment_number);
  return { pay: unpaid[0] ?? 'APT-…', waive: unpaid.at(-1) ?? 'APT-…' };
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('demo')
    .description('Load a demo clinic (therapists, slots, patients, bookings) and show what to try next')
    .action(
      sessionAction(
        run,
        async ({ ctx, database, env }) => {
          note(env, `Preparing the ${database.kind === 'embedded' ? 'embedded' : 'PostgreSQL'} database at ${database.location}…`);
          await migrateToLatest(database.db);
          const demoCtx = { ...ctx, timezone: (await clinicTimezone(database.db)) ?? ctx.timezone };
          note(env, 'Loading the demo clinic…');
          const result = await loadDemoClinic(demoCtx);
          const rows = await listAppointments(demoCtx, { from: result.firstClinicDay, to: result.firstClinicDay });
          emit(env, { ...result, appointments: scheduleJson(rows, demoCtx.timezone) }, () => [
            ...(result.history
              ? [
                  `Demo clinic loaded: 3 therapists, ${DEMO_PATIENTS.length + DEMO_HISTORY_PATIENTS.length} patients, ${result.bookingsCreated} bookings, ${result.slotsCreated} slots over ${DEMO_DAYS} days.`,
                  `Its past, ${result.history.from} to ${result.history.to}: ${result.history.appointments} appointments (${result.history.attended} attended, ` +
                    `${result.history.noShows} no-shows, ${result.history.lateCancellations} late cancellations), ${result.history.payments} payments, ` +
                    `${result.history.refunds} refund, ${result.history.sessionNotes} session notes, ${result.history.goalMeasurements} goal measurements.`,
                ]
              : [`Demo clinic already loaded; added ${result.slotsCreated} new slot(s) for the next ${DEMO_DAYS} days.`]),
            '',
            bold(env, `Schedule for ${result.firstClinicDay}`),
            '',
            ...renderSchedule(rows, demoCtx.timezone),
            bold(env, 'Try next:'),
            ...nextSteps(unpaidBookings(rows)).map((s) => `  ${s}`),
          ]);
          return 0;
        },
        { skipSchemaCheck: true, acting: 'owner' },
      ),
    );
}
