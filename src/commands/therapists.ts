import type { Command } from 'commander';
import { requireFlag } from '../cli/prompts.js';
import type { RunCommand } from '../cli/command-groups.js';
import { bold, dim, emit, table, tableOr, yellow } from '../cli/output.js';
import { collect } from '../cli/options.js';
import { sessionAction } from '../cli/session.js';
import { therapistFor } from '../cli/pick-person.js';
import { addTherapist, deactivateTherapist, listTherapists, therapistInput, therapistProfile } from '../domain/people/therapists.js';
import { authorize } from '../domain/policy.js';
import { formatFriendly } from '../domain/time.js';
import { mobilePhoneValue } from '../cli/phone-options.js';

type TherapistRow = Awaited<ReturnType<typeof listTherapists>>[number];

const therapistJson = (t: TherapistRow) => ({
  id: t.id,
  fullName: t.full_name,
  specializations: t.specializations,
  phone: t.phone,
  email: t.email,
  staffUsername: t.username,
  active: t.active,
});

/** "--spec slp,ot" or "--spec slp --spec ot". */
const splitCodes = (values: string[]) =>
  values
    .flatMap((v) => v.split(','))
    .map((c) => c.trim())
    .filter(Boolean);

interface AddFlags {
  name?: string;
  spec?: string[];
  phone?: string;
  email?: string;
  staff?: string;
}

export function register(program: Command, run: RunCommand): void {
  const therapist = program.command('therapist').description('Therapists: add, list, show, deactivate');

  therapist
    .command('add')
    .description('Add a therapist (prompts on a terminal for what is missing)')
    .option('--name <name>', 'full name, as patients know them')
    .option('--spec <codes>', 'specializations, e.g. slp or slp,ot (repeatable)', collect)
    .option('--phone <phone>', 'phone number (+91 assumed)', mobilePhoneValue)
    .option('--email <email>', 'email address')
    .option('--staff <username>', 'the existing staff user who logs in as this therapist')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: AddFlags) => {
        authorize(ctx.actor, 'therapist.manage'); // before any question is asked
        const fullName = await requireFlag(env, flags.name, '--name', { message: 'Full name', schema: therapistInput.shape.fullName });
        const specs = flags.spec ?? [await requireFlag(env, undefined, '--spec', { message: 'Specializations', placeholder: 'slp, ot' })];
        const added = await addTherapist(ctx, {
          fullName,
          specializations: splitCodes(specs),
          phone: flags.phone,
          email: flags.email,
          staffUsername: flags.staff,
        });
        emit(env, therapistJson(added), () => [
          `Added ${added.full_name} (id ${added.id}): ${added.specializations.join(', ')}.`,
          `Next: set their hours with \`roshni hours set ${added.id} --hours "mon-fri 09:00-13:00"\`.`,
        ]);
        return 0;
      }),
    );

  therapist
    .command('list')
    .description('List therapists and their specializations')
    .option('--all', 'include deactivated therapists')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: { all?: boolean }) => {
        const therapists = await listTherapists(ctx, { includeInactive: Boolean(flags.all) });
        emit(env, therapists.map(therapistJson), () =>
          tableOr(
            ['Id', 'Name', 'Specializations', 'Phone', 'Staff user', ''],
            therapists.map((t) => [t.id, t.full_name, t.specializations.join(', '), t.phone ?? '', t.username ?? '', t.active ? '' : dim(env, 'deactivated')]),
            'No therapists yet; add one with `roshni therapist add`.',
          ),
        );
        return 0;
      }),
    );

  therapist
    .command('show')
    .description('A therapist: specializations, weekly hours, upcoming appointments')
    .argument('<therapist>', 'id, staff username or part of the name')
    .action(
      sessionAction(run, async ({ ctx, env }, ref: string) => {
        const profile = await therapistProfile(ctx, (await therapistFor(env, ctx, ref)).id);
        const { workingHours, hoursSummary, upcomingAppointments } = profile;
        emit(env, { ...therapistJson(profile), workingHours, hoursSummary, upcomingAppointments }, () => [
          bold(env, `${profile.full_name} (id ${profile.id})${profile.active ? '' : ' — deactivated'}`),
          `Specializations:  ${profile.specializations.join(', ') || 'none'}`,
          `Phone / email:    ${profile.phone ?? '—'} / ${profile.email ?? '—'}`,
          `Staff user:       ${profile.username ?? '— (not linked)'}`,
          `Working hours:    ${hoursSummary.join('; ') || `none set (\`roshni hours set ${profile.id}\`)`}`,
          `Upcoming:         ${upcomingAppointments} appointment(s)`,
        ]);
        return 0;
      }),
    );

  therapist
    .command('deactivate')
    .description('Stop new bookings with a therapist (refused while they have upcoming appointments, unless --force)')
    .argument('<therapist>', 'id, staff username or part of the name')
    .option('--force', 'deactivate even with upcoming appointments, and list them to move or cancel')
    .action(
      sessionAction(run, async ({ ctx, env }, ref: string, flags: { force?: boolean }) => {
        const found = await therapistFor(env, ctx, ref);
        const { therapist: t, deactivated, appointments } = await deactivateTherapist(ctx, { therapistId: found.id, force: Boolean(flags.force) });
        const stranded = appointments.map((a) => ({
          id: a.id,
          appointmentNumber: a.appointment_number,
          startsAt: a.starts_at.toISOString(),
          status: a.status,
          patient: { id: a.patient_id, name: a.patient_name },
          service: a.service_name,
        }));
        emit(env, { id: t.id, fullName: t.full_name, active: false, deactivated, upcomingAppointments: stranded }, () => [
          deactivated ? `Deactivated ${t.full_name}: no new bookings.` : `${t.full_name} was already deactivated.`,
          ...(appointments.length
            ? [
                yellow(env, `${appointments.length} upcoming appointment(s) still with ${t.full_name}; move or cancel them:`),
                table(
                  ['Appointment', 'When', 'Patient', 'Service'],
                  appointments.map((a) => [a.appointment_number, formatFriendly(a.starts_at, ctx.timezone), a.patient_name, a.service_name]),
                ),
              ]
            : []),
        ]);
        return 0;
      }),
    );
}
