import type { Command } from 'commander';
import { requireFlag } from '../cli/prompts.js';
import type { RunCommand } from '../cli/command-groups.js';
import { writeLine, type CommandEnv } from '../cli/io.js';
import { bold, emit, tableOr, yellow } from '../cli/output.js';
import { askConfirm, askText, PromptCancelledError } from '../cli/prompts.js';
import { sessionAction, type CommandSession } from '../cli/session.js';
import type { DomainContext } from '../domain/context.js';
import { ConflictError } from '../domain/errors.js';
import { formatRupees } from '../domain/money.js';
import { ageOn } from '../domain/people/age.js';
import { findPatients } from '../domain/people/find-patients.js';
import { guardiansOfPatients, resolveGuardian, type LinkGuardianInput } from '../domain/people/guardians.js';
import { patientProfile, type PatientDues } from '../domain/people/patient-profile.js';
import { addPatient, patientInput, updatePatient, type AddPatientInput, type PatientInput } from '../domain/people/patients.js';
import { patientFor } from '../cli/pick-person.js';
import { authorize } from '../domain/policy.js';
import { registerDataRights } from './patient-data-rights.js';
import { clinicDate, formatFriendly } from '../domain/time.js';
import { displayPhone } from '../domain/people/phone.js';
import { registerAssign } from './patient-care.js';
import { dateValue } from '../cli/options.js';
import { mobilePhoneValue } from '../cli/phone-options.js';

interface PatientRow {
  id: number;
  patient_number: string;
  full_name: string;
  date_of_birth: string | null;
  gender: string | null;
  phone: string | null;
  email: string | null;
  preferred_language: string;
}

type GuardianOfPatient = Awaited<ReturnType<typeof guardiansOfPatients>>[number];

const patientJson = (p: PatientRow) => ({
  id: p.id,
  patientNumber: p.patient_number,
  fullName: p.full_name,
  dateOfBirth: p.date_of_birth,
  gender: p.gender,
  phone: p.phone,
  email: p.email,
  language: p.preferred_language,
});

const guardianJson = (g: GuardianOfPatient) => ({
  id: g.id,
  fullName: g.full_name,
  phone: g.phone,
  relationship: g.relationship,
  isPrimary: g.is_primary,
});

const guardianLine = (g: GuardianOfPatient) => `${g.full_name} (${g.relationship}${g.is_primary ? ', primary' : ''}) ${displayPhone(g.phone)}`.trim();

const duesLine = (d: PatientDues) =>
  `${formatRupees(d.duePaise)} for ${d.sessionsDue} attended session(s), ${formatRupees(d.upcomingPaise)} for booked ones` +
  ` (charged ${formatRupees(d.chargedPaise)}, paid ${formatRupees(d.paidPaise)})`;

const FIELD_WORDS: Record<string, string> = { fullName: 'name', dateOfBirth: 'date of birth' };

interface DetailFlags {
  name?: string;
  dob?: string;
  gender?: string;
  phone?: string;
  email?: string;
  language?: string;
}

/** The options that fill DetailFlags, for `add` and `update` (their help differs only for phone and language). */
const detailOptions = (command: Command, help: { phone: string; language: string }) =>
  command
    .option('--name <name>', 'full name')
    .option('--dob <date>', 'date of birth, YYYY-MM-DD', dateValue)
    .option('--gender <gender>', 'female, male or other')
    .option('--phone <phone>', help.phone, mobilePhoneValue)
    .option('--email <email>', 'email address')
    .option('--language <language>', help.language);

const details = (flags: DetailFlags) => ({
  fullName: flags.name,
  dateOfBirth: flags.dob,
  gender: flags.gender as PatientInput['gender'],
  phone: flags.phone,
  email: flags.email,
  language: flags.language as PatientInput['language'],
});

/**
 * Adds the patient. On a terminal, possible duplicates are shown and the desk decides; a script
 * gets the refusal and decides with --allow-duplicate.
 */
async function addConfirmingDuplicates(env: CommandEnv, ctx: DomainContext, input: AddPatientInput) {
  try {
    return await addPatient(ctx, input);
  } catch (error) {
    const duplicate = error instanceof ConflictError && error.details?.reason === 'possible_duplicate';
    if (!duplicate || !env.interactive || input.allowDuplicate) throw error;
    writeLine(env.io.stderr, yellow(env, error.message));
    if (!(await askConfirm('Add as a new patient anyway?'))) throw new PromptCancelledError();
    return addPatient(ctx, { ...input, allowDuplicate: true });
  }
}

interface AddFlags extends DetailFlags {
  guardian?: string;
  relationship?: string;
  allowDuplicate?: boolean;
}

async function add({ ctx, env }: CommandSession, flags: AddFlags): Promise<number> {
  authorize(ctx.actor, 'patient.manage'); // before any question is asked
  const shape = patientInput.shape;
  const fullName = await requireFlag(env, flags.name, '--name', { message: 'Full name', schema: shape.fullName });
  const asked = env.interactive && !flags.name;
  const optional = async (value: string | undefined, message: string, schema: (typeof shape)[keyof typeof shape]) =>
    value ?? (asked ? askText({ message, optional: true, schema }) : undefined);
  const guardian = flags.guardian ? await resolveGuardian(ctx, flags.guardian) : undefined;
  const added = await addConfirmingDuplicates(env, ctx, {
    ...details(flags),
    fullName,
    dateOfBirth: await optional(flags.dob, 'Date of birth (YYYY-MM-DD)', shape.dateOfBirth),
    phone: await optional(flags.phone, "Patient's own phone (leave empty for a child)", shape.phone),
    allowDuplicate: Boolean(flags.allowDuplicate),
    ...(guardian ? { withGuardian: { guardianId: guardian.id, relationship: flags.relationship as LinkGuardianInput['relationship'] } } : {}),
  });
  const guardians = await guardiansOfPatients(ctx, [added.id]);
  emit(env, { ...patientJson(added), guardians: guardians.map(guardianJson) }, () => [
    `Added ${added.patient_number} ${added.full_name} (id ${added.id}).`,
    ...guardians.map((g) => `Guardian: ${guardianLine(g)}`),
  ]);
  return 0;
}

async function find({ ctx, env }: CommandSession, text: string): Promise<number> {
  const { matchedBy, patients } = await findPatients(ctx, text);
  emit(env, { matchedBy, patients: patients.map((p) => ({ ...patientJson(p), guardians: p.guardians.map(guardianJson) })) }, () =>
    tableOr(
      ['Patient', 'Name', 'Born', 'Phone', 'Guardians'],
      patients.map((p) => [p.patient_number, p.full_name, p.date_of_birth ?? '', displayPhone(p.phone), p.guardians.map(guardianLine).join('; ')]),
      `No patient matches "${text.trim()}".`,
    ),
  );
  return 0;
}

async function show({ ctx, env }: CommandSession, ref: string): Promise<number> {
  const { patient: p, guardians, upcoming, dues } = await patientProfile(ctx, (await patientFor(env, ctx, ref)).id);
  const tz = ctx.timezone;
  const age = p.date_of_birth ? ` (${ageOn(p.date_of_birth, clinicDate(ctx.clock.now(), tz))} years)` : '';
  const appointments = upcoming.map((a) => ({
    id: a.id,
    appointmentNumber: a.appointment_number,
    startsAt: a.starts_at.toISOString(),
    therapist: { id: a.therapist_id, name: a.therapist_name },
    service: a.service_name,
    status: a.status,
    paymentStatus: a.payment_status,
    pricePaise: a.price_paise,
  }));
  emit(env, { ...patientJson(p), guardians: guardians.map(guardianJson), upcomingAppointments: appointments, dues }, () => [
    bold(env, `${p.patient_number} ${p.full_name} (id ${p.id})`),
    `Born:           ${p.date_of_birth ?? '—'}${age}${p.gender ? `, ${p.gender}` : ''}`,
    `Phone / email:  ${displayPhone(p.phone) || '—'} / ${p.email ?? '—'}`,
    `Language:       ${p.preferred_language}`,
    `Guardians:      ${guardians.map(guardianLine).join('; ') || '—'}`,
    ...(dues ? [`Dues:           ${duesLine(dues)}`] : []),
    '',
    tableOr(
      ['Appointment', 'When', 'Therapist', 'Service', 'Status', 'Payment'],
      upcoming.map((a) => [a.appointment_number, formatFriendly(a.starts_at, tz), a.therapist_name, a.service_name, a.status, a.payment_status]),
      'No upcoming appointments.',
    ),
  ]);
  return 0;
}

async function update({ ctx, env }: CommandSession, ref: string, flags: DetailFlags): Promise<number> {
  const found = await patientFor(env, ctx, ref);
  const { patient: p, changed } = await updatePatient(ctx, { patientId: found.id, ...details(flags) });
  const fields = changed.map((f) => FIELD_WORDS[f] ?? f).join(', ');
  emit(env, { ...patientJson(p), changed }, () =>
    changed.length ? `Updated ${fields} of ${p.patient_number} ${p.full_name}.` : `Nothing changed for ${p.patient_number}.`,
  );
  return 0;
}

export function register(program: Command, run: RunCommand): void {
  const patient = program.command('patient').description('Patients: add, find, show, update, assign; export, erase, retention (DPDP)');
  detailOptions(patient.command('add').description('Register a patient; possible duplicates (same name and birth date, or same phone) are refused'), {
    phone: "the patient's own phone (+91 assumed); a child is reached through the guardian",
    language: 'en or hi (default en)',
  })
    .option('--guardian <guardian>', 'link this guardian (id or phone number)')
    .option('--relationship <relationship>', "the guardian's relationship: mother, father, parent, grandparent, sibling, guardian, other")
    .option('--allow-duplicate', 'add even though a similar patient exists')
    .action(sessionAction(run, add));
  patient
    .command('find')
    .description("Every patient matching a name fragment, phone (theirs or a guardian's), P-number or APT-number")
    .argument('<text>', 'what to look for')
    .action(sessionAction(run, find));
  patient
    .command('show')
    .description('A patient: details, guardians, upcoming appointments and dues')
    .argument('<patient>', 'id, P-number, APT-number, phone or part of the name')
    .action(sessionAction(run, show));
  detailOptions(
    patient.command('update').description("Change a patient's details").argument('<patient>', 'id, P-number, APT-number, phone or part of the name'),
    { phone: "the patient's own phone (+91 assumed)", language: 'en or hi' },
  ).action(sessionAction(run, update));
  registerDataRights(patient, run);
  registerAssign(patient, run);
}
