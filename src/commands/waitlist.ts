import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { dateValue, positiveInt } from '../cli/options.js';
import { emit, tableOr } from '../cli/output.js';
import { sessionAction, withSession } from '../cli/session.js';
import { ConflictError, InvalidInputError } from '../domain/errors.js';
import { patientFor, therapistFor } from '../cli/pick-person.js';
import { requireServiceByCode } from '../domain/scheduling/services.js';
import { addToWaitlist, changeWaitlistDates, listWaitlist, listWaitlistOffers, removeFromWaitlist } from '../domain/scheduling/waitlist.js';
import { acceptWaitlistOffer, declineWaitlistOffer } from '../domain/scheduling/waitlist-offers.js';
import { addDays, clinicDate, formatFriendly } from '../domain/time.js';

interface AddFlags {
  patient?: string;
  service?: string;
  therapist?: string;
  from?: string;
  to?: string;
  urgent?: boolean;
  note?: string;
}

async function add(env: CommandEnv, flags: AddFlags): Promise<number> {
  if (!flags.patient || !flags.service) throw new InvalidInputError('--patient and --service are required.');
  return withSession(env, async ({ ctx }) => {
    const patient = await patientFor(env, ctx, flags.patient!);
    const service = await requireServiceByCode(ctx, flags.service!);
    const therapist = flags.therapist && flags.therapist !== 'any' ? await therapistFor(env, ctx, flags.therapist) : undefined;
    const from = flags.from ?? clinicDate(ctx.clock.now(), ctx.timezone);
    const entry = await addToWaitlist(ctx, {
      patientId: patient.id,
      serviceId: service.id,
      from,
      to: flags.to ?? addDays(from, 13),
      urgent: Boolean(flags.urgent),
      ...(therapist ? { therapistId: therapist.id } : {}),
      ...(flags.note ? { note: flags.note } : {}),
    });
    if (entry.alreadyWaiting) {
      throw new ConflictError(
        `${patient.full_name} is already on the waitlist (entry ${entry.id}) for ${service.name} until ${entry.latest_on}; nothing changed. ` +
          `To change the dates: roshni waitlist dates ${entry.id} --from ${entry.earliest_on} --to <date>.`,
        { entryId: entry.id, from: entry.earliest_on, to: entry.latest_on },
      );
    }
    const { alreadyWaiting: _new, ...added } = entry;
    emit(env, added, () => `${patient.full_name} is on the waitlist (entry ${entry.id}) for ${service.name}, ${entry.earliest_on} to ${entry.latest_on}.`);
    return 0;
  });
}

async function changeDates(env: CommandEnv, entryId: number, flags: { from?: string; to?: string }): Promise<number> {
  if (!flags.to) throw new InvalidInputError('--to is required.');
  return withSession(env, async ({ ctx }) => {
    const from = flags.from ?? clinicDate(ctx.clock.now(), ctx.timezone);
    const entry = await changeWaitlistDates(ctx, { entryId, from, to: flags.to! });
    emit(env, entry, () => `Waitlist entry ${entry.id} now waits ${entry.earliest_on} to ${entry.latest_on}.`);
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  const waitlist = program.command('waitlist').description('Patients waiting for a freed place, and the offers made to them');
  waitlist
    .command('add')
    .description('Put a patient on the waitlist (once per service and therapist; exit 4 when already waiting)')
    .option('--patient <patient>', 'patient')
    .option('--service <code>', 'service code')
    .option('--therapist <therapist>', 'one therapist, or "any" (default)')
    .option('--from <date>', 'earliest clinic date (default today)', dateValue)
    .option('--to <date>', 'latest clinic date (default two weeks on)', dateValue)
    .option('--urgent', 'offer freed places to this entry first')
    .option('--note <text>', 'a note for the desk')
    .action(run(add));
  waitlist
    .command('dates')
    .argument('<entry>', 'waitlist entry id', positiveInt)
    .description('Change the dates an open entry waits for (it keeps its place in line)')
    .option('--from <date>', 'earliest clinic date (default today)', dateValue)
    .option('--to <date>', 'latest clinic date', dateValue)
    .action(run(changeDates));
  waitlist
    .command('list')
    .description('Entries waiting or holding an offer, urgent first, then oldest')
    .option('--all', 'include booked, lapsed and removed entries')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: { all?: boolean }) => {
        const rows = await listWaitlist(ctx, { includeClosed: Boolean(flags.all) });
        emit(env, rows, () =>
          tableOr(
            ['Entry', 'Patient', 'Service', 'Therapist', 'Dates', 'Status', 'Offer'],
            rows.map((r) => [
              `${r.id}${r.urgent ? ' (urgent)' : ''}`,
              r.patient_name,
              r.service_name,
              r.therapist_name ?? 'any',
              `${r.earliest_on} – ${r.latest_on}`,
              r.status,
              r.offer_id ? `${r.offer_id} until ${formatFriendly(r.offer_expires_at!, ctx.timezone)}` : '',
            ]),
            'Nobody is waiting.',
          ),
        );
        return 0;
      }),
    );
  waitlist
    .command('offers')
    .description('Places offered to waiting patients and how each ended (pending, accepted, declined, expired, taken)')
    .option('--since <date>', 'offers made from this clinic date (default: the last 7 days)', dateValue)
    .action(
      sessionAction(run, async ({ ctx, env }, flags: { since?: string }) => {
        const rows = await listWaitlistOffers(ctx, flags.since ? { since: flags.since } : {});
        emit(env, rows, () =>
          tableOr(
            ['Offer', 'Entry', 'Patient', 'Place', 'Offered', 'Outcome'],
            rows.map((r) => [
              r.id,
              r.entry_id,
              r.patient_name,
              `${formatFriendly(r.slot_starts_at, ctx.timezone)}, ${r.therapist_name}`,
              formatFriendly(r.offered_at, ctx.timezone),
              r.status === 'pending'
                ? `pending until ${formatFriendly(r.expires_at, ctx.timezone)}`
                : `${r.status}${r.appointment_number ? ` → ${r.appointment_number}` : ''}${r.responded_at ? ` (${formatFriendly(r.responded_at, ctx.timezone)})` : ''}`,
            ]),
            'No offers in that time.',
          ),
        );
        return 0;
      }),
    );
  waitlist
    .command('remove')
    .argument('<entry>', 'waitlist entry id', positiveInt)
    .description('Take an entry off the waitlist')
    .action(
      sessionAction(run, async ({ ctx, env }, entry: number) => {
        const removed = await removeFromWaitlist(ctx, { entryId: entry });
        emit(env, removed, () => `Removed waitlist entry ${removed.id}.`);
        return 0;
      }),
    );
  for (const [name, answer] of [
    ['accept', acceptWaitlistOffer],
    ['decline', declineWaitlistOffer],
  ] as const) {
    waitlist
      .command(name)
      .argument('<offer>', 'waitlist offer id', positiveInt)
      .description(name === 'accept' ? 'Book an offered place for the patient (if still free)' : 'Turn an offer down; the place goes to the next entry')
      .action(
        sessionAction(run, async ({ ctx, env }, offer: number) => {
          const result = await answer(ctx, { offerId: offer });
          emit(env, result, () => {
            if ('outcome' in result) {
              return result.outcome === 'booked'
                ? `Booked ${result.appointmentNumber} from the waitlist.`
                : `The offer could not be used: the place was ${result.outcome}.`;
            }
            return result.nextOffer ? `Declined; offered to waitlist entry ${result.nextOffer.entryId} next.` : 'Declined; nobody else is waiting for it.';
          });
          return 0;
        }),
      );
  }
}
