import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { bold, emit, note } from '../cli/output.js';
import { renderSchedule, scheduleJson } from '../cli/render-schedule.js';
import { withSession } from '../cli/session.js';
import { DEMO_ADMIN, DEMO_PASSWORD } from '../domain/demo/demo-clinic.js';
import { loadDemoClinic, DEMO_DAYS } from '../domain/demo/load-demo-clinic.js';
import { listAppointments } from '../domain/scheduling/appointment-queries.js';
import { migrateToLatest } from '../infra/db/migrate.js';

const NEXT_STEPS = [
  `roshni login ${DEMO_ADMIN}                      sign in first (password: ${DEMO_PASSWORD})`,
  'roshni today                                   today’s appointments (add --json for scripts)',
  'roshni availability --service speech-therapy   free times this week',
  'roshni book --patient Aarav --service speech-therapy --therapist priya --at "YYYY-MM-DD 15:00"',
  'roshni pay cash APT-000002 --amount 1000       take a payment; a receipt is issued',
  'roshni dues                                    who owes what',
  'roshni patient find gupta                      a family: one guardian, two children',
  'roshni login demo.desk; roshni waive APT-000004 --reason x   a receptionist may not (exit 5)',
  `demo accounts: ${DEMO_ADMIN} (admin), demo.desk (receptionist), priya.slp, arjun.ot, meera.pt; password "${DEMO_PASSWORD}"`,
];

export function register(program: Command, run: RunCommand): void {
  program
    .command('demo')
    .description('Load a demo clinic (therapists, slots, patients, bookings) and show what to try next')
    .action(
      run(async (env) =>
        withSession(
          env,
          async ({ ctx, database }) => {
            note(env, `Preparing the ${database.kind === 'embedded' ? 'embedded' : 'PostgreSQL'} database at ${database.location}…`);
            await migrateToLatest(database.db);
            const settings = await database.db.selectFrom('clinic_settings').select('timezone').executeTakeFirst();
            const demoCtx = { ...ctx, timezone: settings?.timezone ?? ctx.timezone };
            note(env, 'Loading the demo clinic…');
            const result = await loadDemoClinic(demoCtx);
            const rows = await listAppointments(demoCtx, { from: result.firstClinicDay, to: result.firstClinicDay });
            emit(env, { ...result, appointments: scheduleJson(rows, demoCtx.timezone) }, () => [
              result.peopleCreated
                ? `Demo clinic loaded: 3 therapists, 5 patients, ${result.bookingsCreated} bookings, ${result.slotsCreated} slots over ${DEMO_DAYS} days.`
                : `Demo clinic already loaded; added ${result.slotsCreated} new slot(s) for the next ${DEMO_DAYS} days.`,
              '',
              bold(env, `Schedule for ${result.firstClinicDay}`),
              '',
              ...renderSchedule(rows, demoCtx.timezone),
              bold(env, 'Try next:'),
              ...NEXT_STEPS.map((s) => `  ${s}`),
            ]);
            return 0;
          },
          { skipSchemaCheck: true, acting: 'owner' },
        ),
      ),
    );
}
