import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { emit, tableOr } from '../cli/output.js';
import { askSelect } from '../cli/prompts.js';
import { sessionAction, type CommandSession } from '../cli/session.js';
import type { DomainContext } from '../domain/context.js';
import { CONSENT_CHANNELS, CONSENT_PURPOSES, grantConsent, listConsents, withdrawConsent, type ConsentPurpose } from '../domain/data-rights/consents.js';
import { InvalidInputError } from '../domain/errors.js';
import { resolveGuardian } from '../domain/people/guardians.js';
import { patientFor } from '../cli/pick-person.js';
import { formatFriendly } from '../domain/time.js';

async function purposeOf(env: CommandEnv, value: string | undefined): Promise<ConsentPurpose> {
  if (value) return value as ConsentPurpose;
  if (!env.interactive) throw new InvalidInputError(`--purpose is required: ${CONSENT_PURPOSES.join(', ')}.`);
  return askSelect<ConsentPurpose>({ message: 'Consent to what?', choices: CONSENT_PURPOSES.map((p) => ({ value: p, label: p.replace('_', ' ') })) });
}

const guardianIdOf = async (ctx: DomainContext, ref: string | undefined) => (ref ? { guardianId: (await resolveGuardian(ctx, ref)).id } : {});

async function list({ ctx, env }: CommandSession, patientRef: string): Promise<number> {
  const patient = await patientFor(env, ctx, patientRef);
  const consents = await listConsents(ctx, { patientId: patient.id });
  emit(env, consents, () =>
    tableOr(
      ['Id', 'Purpose', 'Given by', 'Channel', 'Notice', 'Granted', 'Withdrawn'],
      consents.map((c) => [
        c.id,
        c.purpose.replace('_', ' '),
        c.givenBy.kind === 'patient' ? 'patient' : `${c.givenBy.name} (guardian${c.about === 'guardian' ? ', for themselves' : ''})`,
        c.channel,
        c.noticeVersion,
        formatFriendly(c.grantedAt, ctx.timezone),
        c.withdrawnAt ? formatFriendly(c.withdrawnAt, ctx.timezone) : '',
      ]),
      `No consents recorded for ${patient.patient_number}.`,
    ),
  );
  return 0;
}

async function grant(
  { ctx, env }: CommandSession,
  patientRef: string,
  flags: { purpose?: string; channel?: string; notice?: string; guardian?: string },
): Promise<number> {
  const patient = await patientFor(env, ctx, patientRef);
  const consent = await grantConsent(ctx, {
    patientId: patient.id,
    purpose: await purposeOf(env, flags.purpose),
    ...(flags.channel ? { channel: flags.channel as (typeof CONSENT_CHANNELS)[number] } : {}),
    ...(flags.notice ? { noticeVersion: flags.notice } : {}),
    ...(await guardianIdOf(ctx, flags.guardian)),
  });
  emit(
    env,
    consent,
    () =>
      `Recorded ${consent.purpose.replace('_', ' ')} consent ${consent.id} for ${patient.patient_number} (${consent.channel}, notice ${consent.noticeVersion}).`,
  );
  return 0;
}

async function withdraw({ ctx, env }: CommandSession, patientRef: string, flags: { purpose?: string; guardian?: string }): Promise<number> {
  const patient = await patientFor(env, ctx, patientRef);
  const result = await withdrawConsent(ctx, {
    patientId: patient.id,
    purpose: await purposeOf(env, flags.purpose),
    ...(await guardianIdOf(ctx, flags.guardian)),
  });
  emit(
    env,
    result,
    () =>
      `Withdrew ${result.purpose.replace('_', ' ')} consent for ${patient.patient_number} (${result.consentIds.length} record(s)).` +
      (result.purpose === 'messaging' ? ` No more reminders; ${result.remindersWithdrawn} pending reminder(s) withdrawn.` : ''),
  );
  return 0;
}

export function register(program: Command, run: RunCommand): void {
  const consent = program.command('consent').description("A patient's consents under the DPDP Act: list, grant, withdraw");
  consent.command('list <patient>').description('Every consent about the patient and their guardians’ own, with when and how').action(sessionAction(run, list));
  consent
    .command('grant <patient>')
    .description('Record a consent given at the desk or on paper')
    .option('--purpose <purpose>', CONSENT_PURPOSES.join(', '))
    .option('--channel <channel>', `how it was given: ${CONSENT_CHANNELS.join(', ')} (default cli)`)
    .option('--notice <version>', 'the version of the notice shown (default desk-2026-11)')
    .option('--guardian <guardian>', 'the guardian giving it for a child (id or phone)')
    .action(sessionAction(run, grant));
  consent
    .command('withdraw <patient>')
    .description('Withdraw a consent; withdrawing messaging stops reminders at once')
    .option('--purpose <purpose>', CONSENT_PURPOSES.join(', '))
    .option('--guardian <guardian>', "also withdraw this guardian's own consent (given in a chat)")
    .action(sessionAction(run, withdraw));
}
