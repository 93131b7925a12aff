import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { dateValue, positiveInt } from '../cli/options.js';
import { emit, table } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { InvalidInputError } from '../domain/errors.js';
import { patientFor, therapistFor } from '../cli/pick-person.js';
import { findAvailability } from '../domain/scheduling/availability.js';
import { requireServiceByCode } from '../domain/scheduling/services.js';
import { addDays, clinicDate, formatFriendly } from '../domain/time.js';

interface AvailabilityFlags {
  service?: string;
  therapist?: string;
  from?: string;
  to?: string;
  patient?: string;
  limit?: number;
  shortNotice?: boolean;
}

async function availability(env: CommandEnv, flags: AvailabilityFlags): Promise<number> {
  if (!flags.service) throw new InvalidInputError('--service is required (see roshni service list).');
  return withSession(env, async ({ ctx }) => {
    const service = await requireServiceByCode(ctx, flags.service!);
    const therapist = flags.therapist && flags.therapist !== 'any' ? await therapistFor(env, ctx, flags.therapist) : undefined;
    const patient = flags.patient ? await patientFor(env, ctx, flags.patient) : undefined;
    const from = flags.from ?? clinicDate(ctx.clock.now(), ctx.timezone);
    const slots = await findAvailability(ctx, {
      serviceId: service.id,
      from,
      to: flags.to ?? addDays(from, 6),
      ...(therapist ? { therapistId: therapist.id } : {}),
      ...(patient ? { patientId: patient.id } : {}),
      shortNotice: Boolean(flags.shortNotice),
      limit: flags.limit ?? 50,
    });
    emit(env, slots, () =>
      slots.length
        ? [
            `${service.name}${therapist ? ` with ${therapist.full_name}` : ''}: ${slots.length} free time(s)`,
            table(
              ['Slot', 'When', 'Therapist', 'Places'],
              slots.map((s) => [s.slotId, formatFriendly(s.startsAt, ctx.timezone), s.therapistName, s.freePlaces]),
            ),
            '',
            'Book one with: roshni book --patient … --service ' + service.code + ' --slot <Slot>',
          ]
        : 'Nothing free in that range. Try other dates, another therapist, or roshni waitlist add.',
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('availability')
    .description('Free times for a service, with one therapist or any, earliest first')
    .option('--service <code>', 'service code (see roshni service list)')
    .option('--therapist <therapist>', 'one therapist, or "any" (default)')
    .option('--from <date>', 'first clinic date, YYYY-MM-DD (default today)', dateValue)
    .option('--to <date>', 'last clinic date, inclusive (default a week from --from)', dateValue)
    .option('--patient <patient>', 'leave out times this patient is already booked')
    .option('--limit <n>', 'at most this many (default 50)', positiveInt)
    .option('--short-notice', 'include times inside the minimum notice period')
    .action(run(availability));
}
