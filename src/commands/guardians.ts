import type { Command } from 'commander';
import { requireFlag } from '../cli/prompts.js';
import type { RunCommand } from '../cli/command-groups.js';
import { bold, emit, tableOr } from '../cli/output.js';
import { askText } from '../cli/prompts.js';
import { sessionAction } from '../cli/session.js';
import {
  addGuardian,
  guardianInput,
  guardianProfile,
  linkGuardian,
  resolveGuardian,
  type GuardianInput,
  type LinkGuardianInput,
} from '../domain/people/guardians.js';
import { patientFor } from '../cli/pick-person.js';
import { authorize } from '../domain/policy.js';
import { displayPhone } from '../domain/people/phone.js';
import { mobilePhoneValue } from '../cli/phone-options.js';

interface GuardianRow {
  id: number;
  full_name: string;
  phone: string | null;
  email: string | null;
  preferred_language: string;
}

const guardianJson = (g: GuardianRow) => ({
  id: g.id,
  fullName: g.full_name,
  phone: g.phone,
  email: g.email,
  language: g.preferred_language,
});

interface AddFlags {
  name?: string;
  phone?: string;
  email?: string;
  language?: string;
}

export function register(program: Command, run: RunCommand): void {
  const guardian = program.command('guardian').description('Parents and guardians: add, link to children, show');

  guardian
    .command('add')
    .description('Add a parent or guardian (prompts on a terminal for what is missing)')
    .option('--name <name>', 'full name')
    .option('--phone <phone>', 'phone number (+91 assumed); one guardian per number', mobilePhoneValue)
    .option('--email <email>', 'email address')
    .option('--language <language>', 'en or hi, for reminders and the bots (default en)')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: AddFlags) => {
        authorize(ctx.actor, 'patient.manage'); // before any question is asked
        const shape = guardianInput.shape;
        const fullName = await requireFlag(env, flags.name, '--name', { message: 'Full name', schema: shape.fullName });
        const phone = await requireFlag(env, flags.phone, '--phone', { message: 'Phone', placeholder: '98765 43210', schema: shape.phone });
        const asked = env.interactive && !flags.name;
        const email = flags.email ?? (asked ? await askText({ message: 'Email', optional: true, schema: shape.email }) : undefined);
        const added = await addGuardian(ctx, { fullName, phone, email, language: flags.language as GuardianInput['language'] });
        emit(env, guardianJson(added), () => [
          `Added guardian ${added.full_name} (id ${added.id}, ${displayPhone(added.phone)}).`,
          `Next: \`roshni guardian link ${added.id} <patient>\` for each child.`,
        ]);
        return 0;
      }),
    );

  guardian
    .command('link')
    .description('Link a guardian to a child (again with other details to change the link)')
    .argument('<guardian>', 'guardian id or phone number')
    .argument('<patient>', 'patient id, P-number, phone or part of the name')
    .option('--relationship <relationship>', 'mother, father, parent, grandparent, sibling, guardian or other (default parent)')
    .option('--primary', 'the guardian the clinic contacts first about this child')
    .action(
      sessionAction(run, async ({ ctx, env }, guardianRef: string, patientRef: string, flags: { relationship?: string; primary?: boolean }) => {
        const g = await resolveGuardian(ctx, guardianRef);
        const patient = await patientFor(env, ctx, patientRef);
        const link = await linkGuardian(ctx, {
          guardianId: g.id,
          patientId: patient.id,
          relationship: flags.relationship as LinkGuardianInput['relationship'],
          isPrimary: Boolean(flags.primary),
        });
        const what = `${g.full_name} (${link.relationship}${link.isPrimary ? ', primary' : ''}) of ${patient.patient_number} ${patient.full_name}`;
        emit(env, { guardianId: g.id, patientId: patient.id, patientNumber: patient.patient_number, ...link }, () =>
          link.linked ? `Linked ${what}.` : link.updated ? `Updated the link: ${what}.` : `Already linked: ${what}.`,
        );
        return 0;
      }),
    );

  guardian
    .command('show')
    .description('A guardian and the children they bring')
    .argument('<guardian>', 'guardian id or phone number')
    .action(
      sessionAction(run, async ({ ctx, env }, ref: string) => {
        const { guardian: g, children } = await guardianProfile(ctx, (await resolveGuardian(ctx, ref)).id);
        const childrenJson = children.map((c) => ({
          id: c.id,
          patientNumber: c.patient_number,
          fullName: c.full_name,
          dateOfBirth: c.date_of_birth,
          relationship: c.relationship,
          isPrimary: c.is_primary,
        }));
        emit(env, { ...guardianJson(g), children: childrenJson }, () => [
          bold(env, `${g.full_name} (guardian id ${g.id})`),
          `Phone / email:  ${displayPhone(g.phone) || '—'} / ${g.email ?? '—'}`,
          `Language:       ${g.preferred_language}`,
          '',
          tableOr(
            ['Patient', 'Name', 'Born', 'Relationship'],
            children.map((c) => [c.patient_number, c.full_name, c.date_of_birth ?? '', `${c.relationship}${c.is_primary ? ' (primary)' : ''}`]),
            `No children linked yet: \`roshni guardian link ${g.id} <patient>\`.`,
          ),
        ]);
        return 0;
      }),
    );
}
