import type { DomainContext } from '../domain/context.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { resolveAppointmentId } from '../domain/people/resolve.js';
import { listAppointments } from '../domain/scheduling/appointment-queries.js';
import { clinicDate, clinicTime } from '../domain/time.js';
import type { CommandEnv } from './io.js';
import { askSelect } from './prompts.js';
import { statusText } from './render-schedule.js';

// Commands that act on one appointment take it as an optional [appointment] argument: a script that
// leaves it out is stopped before anything is read (exit 2, one line); a terminal is offered today's.

/**
 * Wraps the handler of a command whose first argument is [appointment]: off a terminal, a missing
 * one is an error naming it, not Commander's text.
 */
export function takingAppointment<A extends unknown[]>(
  handler: (env: CommandEnv, ref: string | undefined, ...rest: A) => Promise<number>,
): (env: CommandEnv, ref: string | undefined, ...rest: A) => Promise<number> {
  return async (env, ref, ...rest) => {
    if (ref === undefined && !env.interactive) {
      const example = `roshni ${env.command ?? '<command>'} APT-000123`;
      throw new InvalidInputError(`<appointment> is missing: give its number or id (${example}); on a terminal, today's are offered.`, {
        argument: 'appointment',
      });
    }
    return handler(env, ref, ...rest);
  };
}

/** The appointment named, or at a terminal one picked from today's (the clinic's today). */
export async function appointmentIdFor(env: CommandEnv, ctx: DomainContext, ref: string | undefined): Promise<number> {
  if (ref !== undefined) return resolveAppointmentId(ctx, ref);
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  const rows = await listAppointments(ctx, { from: today, to: today });
  if (!rows.length) throw new NotFoundError(`No appointments today (${today}); give the appointment's number, e.g. APT-000123.`);
  const chosen = await askSelect({
    message: `Which of today's appointments (${today})?`,
    choices: rows.map((a) => ({
      value: String(a.id),
      label: `${clinicTime(a.starts_at, ctx.timezone)}  ${a.patient_name}  ${a.service_name}  ${a.therapist_name}  ${a.appointment_number}, ${statusText(a, ctx.timezone)}`,
    })),
    io: env.io,
  });
  return Number(chosen);
}
