import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { emit } from '../cli/output.js';
import { requireFlag } from '../cli/prompts.js';
import { sessionAction } from '../cli/session.js';
import { assignTherapist } from '../domain/clinical/treating-therapist.js';
import { patientFor, therapistFor } from '../cli/pick-person.js';

// `roshni patient assign`: which therapists care for a patient, and so may read their clinical records
// before having seen them (registered by patients.ts).

export function registerAssign(patient: Command, run: RunCommand): void {
  patient
    .command('assign')
    .argument('<patient>', 'patient id, number (P-00012), phone or name')
    .option('--therapist <therapist>', 'therapist id, username or name')
    .option('--remove', 'end the assignment (what she has already seen stays hers)')
    .description("Make a therapist one of the patient's own (the desk and admins), or end it with --remove")
    .action(
      sessionAction(run, async ({ ctx, env }, ref: string, flags: { therapist?: string; remove?: boolean }) => {
        const therapistRef = await requireFlag(env, flags.therapist, '--therapist', { message: 'Therapist' });
        const found = await patientFor(env, ctx, ref);
        const therapist = await therapistFor(env, ctx, therapistRef);
        const { changed } = await assignTherapist(ctx, { patientId: found.id, therapistId: therapist.id, remove: Boolean(flags.remove) });
        const what = flags.remove ? 'no longer assigned to' : 'assigned to';
        emit(env, { patient: found.patient_number, therapistId: therapist.id, assigned: !flags.remove, changed }, () =>
          changed
            ? `${found.patient_number} ${what} ${therapist.full_name}.`
            : `Nothing changed: ${found.patient_number} was already ${what} ${therapist.full_name}.`,
        );
        return 0;
      }),
    );
}
