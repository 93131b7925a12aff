import { sql } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { changedFields, columnsOf, columnValues, givenFields } from '../field-changes.js';
import type { Patients } from '../../infra/db/schema.js';
import { authorize } from '../policy.js';
import { clinicDate, isoDate } from '../time.js';
import { contactLanguage, emailAddress, personName } from './contact-details.js';
import { linkGuardian, relationship } from './guardians.js';
import { messagingPhone } from './phone.js';

export { contactLanguage };

const optionalDetails = {
  dateOfBirth: isoDate.optional(),
  gender: z.enum(['female', 'male', 'other'], { error: 'must be female, male or other' }).optional(),
  phone: messagingPhone.optional(),
  email: emailAddress.optional(),
};

export const patientInput = z.object({ fullName: personName, ...optionalDetails, language: contactLanguage.default('en') });
export type PatientInput = z.input<typeof patientInput>;

const addPatientInput = patientInput.extend({
  /** The front desk has seen the possible duplicates and this is someone else. */
  allowDuplicate: z.boolean().default(false),
  /** A child's parent or guardian, linked in the same transaction. */
  withGuardian: z.object({ guardianId: z.number().int().positive(), relationship: relationship.optional(), isPrimary: z.boolean().optional() }).optional(),
});
export type AddPatientInput = z.input<typeof addPatientInput>;

export type PossibleDuplicate = Awaited<ReturnType<typeof findPossibleDuplicates>>[number];

/**
 * Patients who may be this person already: the same name and date of birth (or a date of birth not
 * known on one side), or the same phone number.
 */
export async function findPossibleDuplicates(ctx: DomainContext, fullName: string, phone: string | null, dateOfBirth?: string | null) {
  authorize(ctx.actor, 'patient.read');
  const name = fullName.trim().replace(/\s+/g, ' ').toLowerCase();
  const sameName = sql<boolean>`lower(full_name) = ${name} AND (${dateOfBirth ?? null}::date IS NULL
    OR date_of_birth IS NULL OR date_of_birth = ${dateOfBirth ?? null}::date)`;
  const samePhone = phone ? sql<boolean>`phone = ${phone}` : sql<boolean>`false`;
  return ctx.db
    .selectFrom('patients')
    .select(['id', 'patient_number', 'full_name', 'date_of_birth'])
    .select([sameName.as('same_name'), samePhone.as('same_phone')])
    .where('erased_at', 'is', null)
    .where(sql<boolean>`(${sameName}) OR (${samePhone})`)
    .orderBy('id')
    .execute();
}

function duplicateError(matches: PossibleDuplicate[]): ConflictError {
  const described = matches.slice(0, 5).map((m) => {
    const why = [m.same_name && 'same name and date of birth', m.same_phone && 'same phone'].filter(Boolean).join(', ');
    return `${m.patient_number} ${m.full_name}${m.date_of_birth ? ` (born ${m.date_of_birth})` : ''}: ${why}`;
  });
  return new ConflictError(
    `This may be a patient the clinic already has: ${described.join('; ')}. ` +
      'Check with `roshni patient show`, or pass --allow-duplicate to add them anyway.',
    { reason: 'possible_duplicate', matches: matches.map((m) => m.id) },
  );
}

/** A date of birth is not after today (the clinic's date). */
function requireBornBy(ctx: DomainContext, dateOfBirth: string | null | undefined): void {
  if (dateOfBirth && dateOfBirth > clinicDate(ctx.clock.now(), ctx.timezone)) throw new InvalidInputError(`dateOfBirth: ${dateOfBirth} is in the future.`);
}

export async function addPatient(ctx: DomainContext, raw: AddPatientInput) {
  authorize(ctx.actor, 'patient.manage');
  const input = parseInput(addPatientInput, raw);
  requireBornBy(ctx, input.dateOfBirth);
  return inTransaction(ctx, async (tx) => {
    // One new patient at a time, so two desks adding the same child at once cannot both miss the other.
    await sql`SELECT pg_advisory_xact_lock(hashtext('roshni:new-patient'))`.execute(tx.db);
    const duplicates = await findPossibleDuplicates(tx, input.fullName, input.phone ?? null, input.dateOfBirth ?? null);
    if (duplicates.length && !input.allowDuplicate) throw duplicateError(duplicates);
    const patient = await tx.db
      .insertInto('patients')
      .values({
        full_name: input.fullName,
        date_of_birth: input.dateOfBirth ?? null,
        gender: input.gender ?? null,
        phone: input.phone ?? null,
        email: input.email ?? null,
        preferred_language: input.language,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'patient.add',
      entity: 'patient',
      entityId: patient.id,
      patientId: patient.id,
      meta: duplicates.length ? { possibleDuplicateOf: duplicates.map((d) => d.id) } : null,
    });
    if (input.withGuardian) await linkGuardian(tx, { ...input.withGuardian, patientId: patient.id });
    return patient;
  });
}

// No defaults here: a detail left out stays as it is.
const patientDetails = { fullName: personName.optional(), ...optionalDetails, language: contactLanguage.optional() };
const updatePatientInput = z.object({ patientId: z.number().int().positive(), ...patientDetails });
export type UpdatePatientInput = z.input<typeof updatePatientInput>;

const COLUMNS = columnsOf(patientDetails, { language: 'preferred_language' }) satisfies Record<string, keyof Patients>;

/** Changes the given details; the audit records which fields changed, never their values. */
export async function updatePatient(ctx: DomainContext, raw: UpdatePatientInput) {
  authorize(ctx.actor, 'patient.manage');
  const { patientId, ...changes } = parseInput(updatePatientInput, raw);
  requireBornBy(ctx, changes.dateOfBirth);
  const given = givenFields(COLUMNS, changes);
  if (!given.length) throw new InvalidInputError('Nothing to change: give at least one new detail.');
  return inTransaction(ctx, async (tx) => {
    const current = await tx.db.selectFrom('patients').selectAll().where('id', '=', patientId).where('erased_at', 'is', null).forUpdate().executeTakeFirst();
    if (!current) throw new NotFoundError(`No patient with id ${patientId}.`);
    const changed = changedFields(COLUMNS, given, changes, current);
    if (!changed.length) return { patient: current, changed };
    const patient = await tx.db
      .updateTable('patients')
      .set(columnValues(COLUMNS, changed, changes))
      .where('id', '=', patientId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(tx, { action: 'patient.update', entity: 'patient', entityId: patientId, patientId, meta: { fields: changed } });
    return { patient, changed };
  });
}
