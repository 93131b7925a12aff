import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { isoDate } from '../time.js';
import { phoneNumber } from './phone.js';

export const contactLanguage = z.enum(['en', 'hi'], { error: 'must be en or hi' });

export const patientInput = z.object({
  fullName: z.string().trim().min(2, 'must be at least 2 characters').max(120),
  dateOfBirth: isoDate.optional(),
  gender: z.enum(['female', 'male', 'other']).optional(),
  phone: phoneNumber.optional(),
  email: z.email('must be an email address').optional(),
  language: contactLanguage.default('en'),
});
export type PatientInput = z.input<typeof patientInput>;

export async function addPatient(ctx: DomainContext, raw: PatientInput) {
  authorize(ctx.actor, 'patient.manage');
  const input = parseInput(patientInput, raw);
  return inTransaction(ctx, async (tx) => {
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
    await recordAudit(tx, { action: 'patient.add', entity: 'patient', entityId: patient.id, patientId: patient.id });
    return patient;
  });
}

/** Patients who already share this name or phone: the front desk is warned before adding a duplicate. */
export async function findPossibleDuplicates(ctx: DomainContext, fullName: string, phone: string | null) {
  authorize(ctx.actor, 'patient.read');
  return ctx.db
    .selectFrom('patients')
    .select(['id', 'patient_number', 'full_name', 'date_of_birth'])
    .where('erased_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['full_name']), '=', fullName.trim().toLowerCase()),
        ...(phone ? [eb('phone', '=', phone)] : []),
      ]),
    )
    .execute();
}
