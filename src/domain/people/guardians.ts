import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { contactLanguage } from './patients.js';
import { phoneNumber } from './phone.js';

export const guardianInput = z.object({
  fullName: z.string().trim().min(2, 'must be at least 2 characters').max(120),
  phone: phoneNumber,
  email: z.email('must be an email address').optional(),
  language: contactLanguage.default('en'),
});
export type GuardianInput = z.input<typeof guardianInput>;

export const relationship = z.enum(['mother', 'father', 'parent', 'grandparent', 'sibling', 'guardian', 'other']);

export async function addGuardian(ctx: DomainContext, raw: GuardianInput) {
  authorize(ctx.actor, 'patient.manage');
  const input = parseInput(guardianInput, raw);
  return inTransaction(ctx, async (tx) => {
    const guardian = await tx.db
      .insertInto('guardians')
      .values({
        full_name: input.fullName,
        phone: input.phone,
        email: input.email ?? null,
        preferred_language: input.language,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error) =>
        translateConstraintError(error, {
          guardians_phone_key: () => new ConflictError('A guardian with this phone number already exists.'),
        }),
      );
    await recordAudit(tx, { action: 'guardian.add', entity: 'guardian', entityId: guardian.id });
    return guardian;
  });
}

const linkInput = z.object({
  guardianId: z.number().int().positive(),
  patientId: z.number().int().positive(),
  relationship: relationship.default('parent'),
  isPrimary: z.boolean().default(false),
});

/** One guardian may have several children; a child may have several guardians. Linking twice changes nothing. */
export async function linkGuardian(ctx: DomainContext, raw: z.input<typeof linkInput>) {
  authorize(ctx.actor, 'patient.manage');
  const input = parseInput(linkInput, raw);
  return inTransaction(ctx, async (tx) => {
    const [guardian, patient] = await Promise.all([
      tx.db.selectFrom('guardians').select('id').where('id', '=', input.guardianId).executeTakeFirst(),
      tx.db.selectFrom('patients').select('id').where('id', '=', input.patientId).executeTakeFirst(),
    ]);
    if (!guardian) throw new NotFoundError(`No guardian with id ${input.guardianId}.`);
    if (!patient) throw new NotFoundError(`No patient with id ${input.patientId}.`);
    const link = await tx.db
      .insertInto('patient_guardians')
      .values({
        guardian_id: input.guardianId,
        patient_id: input.patientId,
        relationship: input.relationship,
        is_primary: input.isPrimary,
      })
      .onConflict((oc) => oc.columns(['patient_id', 'guardian_id']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (link) {
      await recordAudit(tx, {
        action: 'guardian.link',
        entity: 'patient_guardian',
        entityId: `${input.patientId}:${input.guardianId}`,
        patientId: input.patientId,
      });
    }
    return { linked: Boolean(link) };
  });
}
