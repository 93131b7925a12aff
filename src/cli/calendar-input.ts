import type { DomainContext } from '../domain/context.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import { resolveTherapist } from '../domain/people/resolve.js';
import { listTherapists } from '../domain/people/therapists.js';
import type { StrandedAppointment } from '../domain/scheduling/days-off.js';
import { offerReschedule, type DayOffOccasion, type RescheduleOffers } from '../domain/notifications/reschedule-offers.js';
import { clinicDate, clinicTime } from '../domain/time.js';
import { writeLine, type CommandEnv } from './io.js';
import { table } from './output.js';
import { therapistFor } from './pick-person.js';
import { askConfirm, askSelect, PromptCancelledError } from './prompts.js';

// Input and output shared by the calendar commands: hours, leave, holiday and slots.

/** The <therapist> argument (an id, a username or part of the name); on a terminal, picked from a list when left out. */
export async function requireTherapist(env: CommandEnv, ctx: DomainContext, ref: string | undefined) {
  if (ref !== undefined) return therapistFor(env, ctx, ref);
  if (!env.interactive) throw new InvalidInputError('<therapist> is required: an id, a username or part of the name.');
  const therapists = await listTherapists(ctx);
  if (!therapists.length) throw new NotFoundError('There are no therapists yet; add one with `roshni therapist add`.');
  const chosen = await askSelect({
    message: 'Therapist',
    choices: therapists.map((t) => ({ value: String(t.id), label: t.full_name, hint: t.specializations.join(', ') })),
    io: env.io,
  });
  return resolveTherapist(ctx, chosen);
}

/** The id behind a `--therapist` filter, when one was given. */
export async function therapistFilter(ctx: DomainContext, ref: string | undefined): Promise<number | undefined> {
  return ref === undefined ? undefined : (await resolveTherapist(ctx, ref)).id;
}

/**
 * Runs `attempt`. When a day off is refused because appointments fall in it, a terminal user is shown
 * them and may go ahead anyway (as with --force); a script gets the refusal.
 */
export async function forceIfConfirmed<T>(env: CommandEnv, force: boolean, question: string, attempt: (force: boolean) => Promise<T>) {
  try {
    return await attempt(force);
  } catch (error) {
    const dayOffRefused = error instanceof ConflictError && error.details?.reason === 'appointments_during_day_off';
    if (force || !env.interactive || !dayOffRefused) throw error;
    writeLine(env.io.stderr, error.message);
    if (!(await askConfirm(question, false, env.io))) throw new PromptCancelledError();
    return attempt(true);
  }
}

/** The appointments a day off leaves to reschedule, as the desk works through them. */
export function toRescheduleLines(appointments: StrandedAppointment[], timeZone: string): string[] {
  if (!appointments.length) return [];
  return [
    '',
    `To reschedule (${appointments.length}), still booked:`,
    table(
      ['Appointment', 'Day', 'Time', 'Patient', 'Therapist', 'Service'],
      appointments.map((a) => [
        a.appointment_number,
        clinicDate(a.starts_at, timeZone),
        `${clinicTime(a.starts_at, timeZone)}–${clinicTime(a.ends_at, timeZone)}`,
        a.patient_name,
        a.therapist_name,
        a.service_name,
      ]),
    ),
  ];
}

export function toRescheduleJson(appointments: StrandedAppointment[], timeZone: string) {
  return appointments.map((a) => ({
    id: a.id,
    appointmentNumber: a.appointment_number,
    startsAt: a.starts_at.toISOString(),
    endsAt: a.ends_at.toISOString(),
    localDate: clinicDate(a.starts_at, timeZone),
    localStart: clinicTime(a.starts_at, timeZone),
    status: a.status,
    patient: { id: a.patient_id, name: a.patient_name },
    therapist: { id: a.therapist_id, name: a.therapist_name },
    service: a.service_name,
  }));
}

/** What a day off forced over bookings returns, for the follow-up below. */
interface ForcedDayOff {
  toReschedule: StrandedAppointment[];
  familiesMessaged: RescheduleOffers | null;
}

/**
 * After a day off forced over bookings: whether the families are offered a reschedule message.
 * --notify-families (sent with the day off, in its transaction) or --no-notify-families decide;
 * without either, a terminal user is asked; a script sends nothing.
 */
export async function offerToFamilies(
  env: CommandEnv,
  ctx: DomainContext,
  notifyFamilies: boolean | undefined,
  result: ForcedDayOff,
  occasion: DayOffOccasion,
): Promise<RescheduleOffers | null> {
  if (result.familiesMessaged || notifyFamilies !== undefined || !env.interactive || !result.toReschedule.length) return result.familiesMessaged;
  const families = await askConfirm(
    `Message the families of these ${result.toReschedule.length} appointment(s) now, offering to reschedule or cancel?`,
    false,
    env.io,
  ).catch((error: unknown) => {
    // The day off is recorded already: a cancelled question only means "no message".
    if (error instanceof PromptCancelledError) return false;
    throw error;
  });
  return families ? offerReschedule(ctx, { appointmentIds: result.toReschedule.map((a) => a.id), occasion }) : null;
}

/** What happens to the appointments a forced day off left behind: flagged, not reminded of, families messaged or not. */
export function forcedDayOffLines(toReschedule: StrandedAppointment[], offers: RescheduleOffers | null): string[] {
  if (!toReschedule.length) return [];
  return [
    'They show as "to reschedule" in the schedule, and no reminders go out for them (roshni notifications list --state skipped says why).',
    offers
      ? `Families offered a new time: ${offers.messages} message(s) through the outbox, for ${offers.appointments} appointment(s).`
      : 'Their families were not messaged: add --notify-families to offer them a new time (a terminal asks).',
  ];
}
