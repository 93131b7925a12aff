import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { appointmentIdFor, takingAppointment } from '../cli/appointment-choice.js';
import { confirmBooking, patientFrom, serviceFrom, therapistFrom } from '../cli/booking-prompts.js';
import type { CommandEnv } from '../cli/io.js';
import { ExitCode } from '../cli/exit-codes.js';
import { offerSessionNotes } from '../cli/notes-editor.js';
import { dateValue, positiveInt, startValue, withDateFilter } from '../cli/options.js';
import { emit, tableOr } from '../cli/output.js';
import { sessionAction, withSession, type CommandSession } from '../cli/session.js';
import { chooseSlot, withFreeTimes } from '../cli/slot-choice.js';
import { paymentText, statusText } from '../cli/render-schedule.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatRupees } from '../domain/money.js';
import { patientFor, therapistFor } from '../cli/pick-person.js';
import { getAppointment, listAppointments, serviceOfAppointment, type ListAppointmentsInput } from '../domain/scheduling/appointment-queries.js';
import { checkInAppointment, completeAppointment, confirmAppointment, markNoShow } from '../domain/scheduling/attendance.js';
import { bookAppointment } from '../domain/scheduling/book-appointment.js';
import { bookSeries, parseWeekdays } from '../domain/scheduling/book-series.js';
import { cancelAppointment } from '../domain/scheduling/cancel-appointment.js';
import type { PolicyCharge } from '../domain/billing/missed-session-policy.js';
import { rescheduleAppointment } from '../domain/scheduling/reschedule-appointment.js';
import type { WaitlistOffer } from '../domain/scheduling/waitlist-offers.js';
import { clinicDate, formatFriendly } from '../domain/time.js';

interface BookFlags {
  patient?: string;
  service?: string;
  therapist?: string;
  slot?: number;
  at?: string;
  repeat?: string;
  weeks?: number;
  from?: string;
  shortNotice?: boolean;
  yes?: boolean;
}

function offerLine(offer: WaitlistOffer | null, timezone: string): string[] {
  return offer ? [`The freed time is offered to waitlist entry ${offer.entryId} until ${formatFriendly(offer.expiresAt, timezone)}.`] : [];
}

async function book({ ctx, env }: CommandSession, flags: BookFlags): Promise<number> {
  const patient = await patientFrom(env, ctx, flags.patient);
  const service = await serviceFrom(env, ctx, flags.service);
  // A slot names its therapist: no need to ask for one.
  const therapist = flags.slot && !flags.therapist ? undefined : await therapistFrom(env, ctx, flags.therapist, service.specialization_code);
  if (flags.repeat) {
    if (!therapist) throw new InvalidInputError('--therapist is required for a recurring series.');
    if (!flags.at || !/^\d{2}:\d{2}$/.test(flags.at)) throw new InvalidInputError('--at HH:MM is required for a recurring series.');
    const from = flags.from ?? clinicDate(ctx.clock.now(), ctx.timezone);
    const weeks = flags.weeks ?? 8;
    const series = `${flags.repeat} at ${flags.at}, ${weeks} weeks from ${from} (${ctx.timezone})`;
    await confirmBooking(env, ctx, { patient, service, yes: flags.yes }, { series, therapistName: therapist.full_name });
    const result = await bookSeries(ctx, {
      patientId: patient.id,
      serviceId: service.id,
      therapistId: therapist.id,
      weekdays: parseWeekdays(flags.repeat),
      time: flags.at,
      from,
      weeks,
    });
    emit(env, result, () => [
      `Booked ${result.booked.length} session(s) of ${service.name} for ${patient.full_name} with ${therapist.full_name}:`,
      ...result.booked.map((b) => `  ${b.appointmentNumber}  ${formatFriendly(b.startsAt, ctx.timezone)}`),
      ...(result.notBooked.length ? [`Could not book ${result.notBooked.length} date(s):`, ...result.notBooked.map((n) => `  ${n.date}  ${n.message}`)] : []),
    ]);
    // Some dates booked, some not: done, but not all of it (scripts must look at the list).
    return result.notBooked.length ? ExitCode.partlyDone : ExitCode.ok;
  }
  const shortNotice = Boolean(flags.shortNotice);
  const wanted = {
    serviceId: service.id,
    patientId: patient.id,
    shortNotice,
    ...(therapist ? { therapistId: therapist.id } : {}),
    ...(flags.slot ? { slot: flags.slot } : {}),
    ...(flags.at ? { at: flags.at } : {}),
  };
  const booked = await chooseSlot(env, ctx, wanted)
    .then(async (slotId) => {
      await confirmBooking(env, ctx, { patient, service, yes: flags.yes }, { slotId });
      return bookAppointment(ctx, { patientId: patient.id, serviceId: service.id, slotId, shortNotice });
    })
    .catch((e) => withFreeTimes(ctx, e, wanted));
  emit(
    env,
    booked,
    () =>
      `Booked ${booked.appointmentNumber} for ${patient.full_name}: ${booked.serviceName} with ${booked.therapistName}, ` +
      `${formatFriendly(booked.startsAt, ctx.timezone)} (${ctx.timezone}). ${formatRupees(booked.pricePaise)} due.`,
  );
  return 0;
}

async function reschedule(
  env: CommandEnv,
  ref: string | undefined,
  flags: { slot?: number; at?: string; therapist?: string; shortNotice?: boolean },
): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const current = await getAppointment(ctx, await appointmentIdFor(env, ctx, ref));
    const therapist = flags.therapist && flags.therapist !== 'any' ? await therapistFor(env, ctx, flags.therapist) : undefined;
    const serviceId = await serviceOfAppointment(ctx, current.id);
    const shortNotice = Boolean(flags.shortNotice);
    const wanted = {
      serviceId,
      patientId: current.patient_id,
      shortNotice,
      ...(therapist ? { therapistId: therapist.id } : {}),
      ...(flags.slot ? { slot: flags.slot } : {}),
      ...(flags.at ? { at: flags.at } : {}),
    };
    const moved = await chooseSlot(env, ctx, wanted)
      .then((slotId) => rescheduleAppointment(ctx, { appointmentId: current.id, slotId, shortNotice }))
      .catch((e) => withFreeTimes(ctx, e, wanted));
    emit(env, moved, () => [
      `Moved ${moved.appointmentNumber} from ${formatFriendly(current.starts_at, ctx.timezone)} to ${formatFriendly(moved.startsAt, ctx.timezone)} with ${moved.therapistName}.`,
      ...offerLine(moved.waitlistOffer, ctx.timezone),
    ]);
    return 0;
  });
}

/** What the late-cancellation or no-show policy charged, and how to let the patient off. */
function chargeLines(charge: PolicyCharge | null, appointmentNumber: string): string[] {
  if (!charge) return [];
  const what = charge.kind === 'fee' ? `Fee of ${formatRupees(charge.feePaise)} added to the dues` : `One package session used (${charge.sessionsLeft} left)`;
  return [`${what}; an admin can waive it: roshni waive ${appointmentNumber} --reason "…".`];
}

async function cancel(env: CommandEnv, ref: string | undefined, flags: { reason?: string; clinic?: boolean }): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const result = await cancelAppointment(ctx, {
      appointmentId: await appointmentIdFor(env, ctx, ref),
      ...(flags.reason ? { reason: flags.reason } : {}),
      ...(flags.clinic ? { clinicInitiated: true } : {}),
    });
    emit(env, result, () => [
      `Cancelled ${result.appointmentNumber}${result.lateCancellation ? ' (late cancellation)' : ''}.`,
      ...chargeLines(result.policyCharge, result.appointmentNumber),
      ...offerLine(result.waitlistOffer, ctx.timezone),
    ]);
    return 0;
  });
}

const STATUS_CHANGES = [
  { name: 'confirm', description: 'Record that the patient confirmed they will come', change: confirmAppointment, done: 'Confirmed' },
  { name: 'checkin', description: 'Check the patient in (on the day)', change: checkInAppointment, done: 'Checked in' },
  { name: 'complete', description: 'Mark the session as completed', change: completeAppointment, done: 'Completed' },
  { name: 'no-show', description: 'Mark that the patient did not come', change: markNoShow, done: 'Marked as no-show:' },
] as const;

async function list(
  { ctx, env }: CommandSession,
  flags: { from?: string; to?: string; therapist?: string; patient?: string; status?: string; payment?: string },
): Promise<number> {
  const rows = await listAppointments(ctx, {
    ...(flags.from ? { from: flags.from } : {}),
    ...(flags.to ? { to: flags.to } : {}),
    ...(flags.therapist ? { therapistId: (await therapistFor(env, ctx, flags.therapist)).id } : {}),
    ...(flags.patient ? { patientId: (await patientFor(env, ctx, flags.patient)).id } : {}),
    ...(flags.status ? { status: flags.status as ListAppointmentsInput['status'] } : {}),
    ...(flags.payment ? { paymentStatus: flags.payment as ListAppointmentsInput['paymentStatus'] } : {}),
  });
  emit(env, rows, () =>
    tableOr(
      ['When', 'Appointment', 'Patient', 'Therapist', 'Service', 'Status', 'Payment'],
      rows.map((a) => [
        formatFriendly(a.starts_at, ctx.timezone),
        a.appointment_number,
        a.patient_name,
        a.therapist_name,
        a.service_name,
        statusText(a, ctx.timezone),
        paymentText(a),
      ]),
      'No appointments match.',
    ),
  );
  return 0;
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('book')
    .description('Book an appointment (or a weekly series); asks for what is missing on a terminal')
    .option('--patient <patient>', 'patient: name, phone, P-number or id')
    .option('--service <code>', 'service code, e.g. speech-therapy (see roshni service list)')
    .option('--therapist <therapist>', 'therapist (id, username or name), or "any"')
    .option('--slot <id>', 'slot id from roshni availability', positiveInt)
    .option('--at <when>', 'start time "YYYY-MM-DD HH:MM" (with --repeat: just HH:MM)', startValue)
    .option('--repeat <days>', 'book a weekly series on these days, e.g. tue,thu')
    .option('--weeks <n>', 'number of weeks of the series (default 8)', positiveInt)
    .option('--from <date>', 'first date of the series (default today)', dateValue)
    .option('--short-notice', "book inside the clinic's minimum notice, on purpose")
    .option('-y, --yes', 'on a terminal, book without showing the summary and asking to confirm')
    .action(sessionAction(run, book));

  program
    .command('reschedule [appointment]')
    .description('Move an appointment to another slot (the old one frees only if the new one is taken)')
    .option('--slot <id>', 'new slot id', positiveInt)
    .option('--at <when>', 'new start "YYYY-MM-DD HH:MM"', startValue)
    .option('--therapist <therapist>', 'with this therapist, or "any"')
    .option('--short-notice', "move it inside the clinic's minimum notice, on purpose")
    .action(run(takingAppointment(reschedule)));

  program
    .command('cancel [appointment]')
    .description('Cancel an appointment and free its slot (flagged late inside the late-cancellation window)')
    .option('--reason <reason>', 'why (required for staff)')
    .option('--clinic', 'the clinic cancelled (therapist away, clinic closed): no late-cancellation charge')
    .action(run(takingAppointment(cancel)));

  for (const { name, description, change, done } of STATUS_CHANGES) {
    program
      .command(`${name} [appointment]`)
      .description(description)
      .action(
        run(
          takingAppointment(async (env, ref) =>
            withSession(env, async ({ ctx }) => {
              const updated = await change(ctx, { appointmentId: await appointmentIdFor(env, ctx, ref) });
              const charge = 'policyCharge' in updated ? (updated.policyCharge as PolicyCharge | null) : null;
              emit(env, updated, () => [`${done} ${updated.appointment_number}.`, ...chargeLines(charge, updated.appointment_number)]);
              if (name === 'complete') await offerSessionNotes(env, ctx, updated);
              return 0;
            }),
          ),
        ),
      );
  }

  const appointments = program.command('appointments').description('List and show appointments');
  withDateFilter(appointments.command('list').description('Appointments, filtered'))
    .option('--therapist <therapist>', 'one therapist')
    .option('--patient <patient>', 'one patient')
    .option('--status <status>', 'scheduled, confirmed, in_progress, completed, cancelled or no_show')
    .option('--payment <status>', 'pending, partially_paid, paid, refunded or waived')
    .action(sessionAction(run, list));
  appointments
    .command('show [appointment]')
    .description('One appointment')
    .action(
      run(
        takingAppointment(async (env, ref) =>
          withSession(env, async ({ ctx }) => {
            const a = await getAppointment(ctx, await appointmentIdFor(env, ctx, ref));
            emit(env, a, () => [
              `${a.appointment_number}  ${a.service_name}`,
              `  ${formatFriendly(a.starts_at, ctx.timezone)} with ${a.therapist_name}`,
              `  Patient: ${a.patient_name} (${a.patient_number})`,
              `  Status: ${statusText(a, ctx.timezone)}${a.late_cancellation ? ' (late)' : ''}; payment: ${paymentText(a)}, price ${formatRupees(a.price_paise)}`,
            ]);
            return 0;
          }),
        ),
      ),
    );
}
