import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { contactLanguage, emailAddress, personName } from './contact-details.js';
import { messagingPhone, normalizePhone } from './phone.js';

export const guardianInput = z.object({
  fullName: personName,
  phone: messagingPhone,
  email: emailAddress.optional(),
  language: contactLanguage.default('en'),
});
export type GuardianInput = z.input<typeof guardianInput>;

export const relationship = z.enum(['mother', 'father', 'parent', 'grandparent', 'sibling', 'guardian', 'other'], {
  error: 'must be one of mother, father, parent, grandparent, sibling, guardian, other',
});

function guardianWithPhone(ctx: DomainContext, phone: string) {
  return ctx.db.selectFrom('guardians').select(['id', 'full_name']).where('phone', '=', phone).executeTakeFirst();
}

export async function addGuardian(ctx: DomainContext, raw: GuardianInput) {
  authorize(ctx.actor, 'patient.manage');
  const input = parseInput(guardianInput, raw);
  const taken = (id?: number) =>
    new ConflictError(`A guardian with this phone number already exists${id ? ` (id ${id})` : ''}; link that guardian instead.`, {
      reason: 'duplicate_phone',
    });
  return inTransaction(ctx, async (tx) => {
    const existing = await guardianWithPhone(tx, input.phone);
    if (existing) throw taken(existing.id);
    const guardian = await tx.db
      .insertInto('guardians')
      .values({ full_name: input.fullName, phone: input.phone, email: input.email ?? null, preferred_language: input.language })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error) => translateConstraintError(error, { guardians_phone_key: () => taken() }));
    await recordAudit(tx, { action: 'guardian.add', entity: 'guardian', entityId: guardian.id });
    return guardian;
  });
}

/** A guardian by id or by phone number, written any way. */
export async function resolveGuardian(ctx: DomainContext, ref: string | number) {
  const text = String(ref).trim();
  const phone = /^\d{1,7}$/.test(text) ? null : normalizePhone(text);
  if (!phone && !/^\d{1,7}$/.test(text)) {
    throw new InvalidInputError(`"${text}" is neither a guardian id nor a phone number.`);
  }
  const guardian = await ctx.db
    .selectFrom('guardians')
    .selectAll()
    .where('erased_at', 'is', null)
    .$if(phone === null, (qb) => qb.where('id', '=', Number(text)))
    .$if(phone !== null, (qb) => qb.where('phone', '=', phone))
    .executeTakeFirst();
  if (!guardian) throw new NotFoundError(`No guardian matches "${text}".`);
  return guardian;
}

const linkInput = z.object({
  guardianId: z.number().int().positive(),
  patientId: z.number().int().positive(),
  /** Left out: 'parent' for a new link, unchanged for an existing one. */
  relationship: relationship.optional(),
  isPrimary: z.boolean().default(false),
});
export type LinkGuardianInput = z.input<typeof linkInput>;

/**
 * One guardian may have several children; a child may have several guardians, one of them primary
 * (the one the clinic contacts first). Linking again with the same details changes nothing; with
 * another relationship or --primary it updates the link.
 */
export async function linkGuardian(ctx: DomainContext, raw: LinkGuardianInput) {
  authorize(ctx.actor, 'patient.manage');
  const input = parseInput(linkInput, raw);
  return inTransaction(ctx, async (tx) => {
    const [guardian, patient] = await Promise.all([
      tx.db.selectFrom('guardians').select('id').where('id', '=', input.guardianId).where('erased_at', 'is', null).executeTakeFirst(),
      tx.db.selectFrom('patients').select('id').where('id', '=', input.patientId).where('erased_at', 'is', null).forUpdate().executeTakeFirst(),
    ]);
    if (!guardian) throw new NotFoundError(`No guardian with id ${input.guardianId}.`);
    if (!patient) throw new NotFoundError(`No patient with id ${input.patientId}.`);
    const existing = await tx.db
      .selectFrom('patient_guardians')
      .selectAll()
      .where('patient_id', '=', input.patientId)
      .where('guardian_id', '=', input.guardianId)
      .executeTakeFirst();
    const otherPrimary = await tx.db
      .selectFrom('patient_guardians')
      .select('guardian_id')
      .where('patient_id', '=', input.patientId)
      .where('guardian_id', '<>', input.guardianId)
      .where('is_primary', '=', true)
      .executeTakeFirst();
    const wanted = {
      relationship: input.relationship ?? existing?.relationship ?? 'parent',
      // A child's first guardian is the one the clinic contacts, until another is made primary.
      isPrimary: input.isPrimary || (existing ? existing.is_primary : !otherPrimary),
    };
    const before = existing && { relationship: existing.relationship, isPrimary: existing.is_primary };
    if (before && before.relationship === wanted.relationship && before.isPrimary === wanted.isPrimary) {
      return { linked: false, updated: false, ...wanted };
    }
    if (wanted.isPrimary && otherPrimary) {
      await tx.db
        .updateTable('patient_guardians')
        .set({ is_primary: false })
        .where('patient_id', '=', input.patientId)
        .where('guardian_id', '<>', input.guardianId)
        .execute();
    }
    const row = { relationship: wanted.relationship, is_primary: wanted.isPrimary };
    await tx.db
      .insertInto('patient_guardians')
      .values({ guardian_id: input.guardianId, patient_id: input.patientId, ...row })
      .onConflict((oc) => oc.columns(['patient_id', 'guardian_id']).doUpdateSet(row))
      .execute();
    await recordAudit(tx, {
      action: before ? 'guardian.link.update' : 'guardian.link',
      entity: 'patient_guardian',
      entityId: `${input.patientId}:${input.guardianId}`,
      patientId: input.patientId,
      before: before ?? null,
      after: wanted,
    });
    return { linked: !before, updated: Boolean(before), ...wanted };
  });
}

/** A guardian and the children they bring. */
export async function guardianProfile(ctx: DomainContext, guardianId: number) {
  authorize(ctx.actor, 'patient.read');
  const guardian = await ctx.db.selectFrom('guardians').selectAll().where('id', '=', guardianId).where('erased_at', 'is', null).executeTakeFirst();
  if (!guardian) throw new NotFoundError(`No guardian with id ${guardianId}.`);
  const children = await ctx.db
    .selectFrom('patient_guardians as pg')
    .innerJoin('patients as p', 'p.id', 'pg.patient_id')
    .select(['p.id', 'p.patient_number', 'p.full_name', 'p.date_of_birth', 'pg.relationship', 'pg.is_primary'])
    .where('pg.guardian_id', '=', guardian.id)
    .where('p.erased_at', 'is', null)
    .orderBy('p.date_of_birth')
    .orderBy('p.id')
    .execute();
  return { guardian, children };
}

/** The guardians of each of the given patients, primary first. */
export async function guardiansOfPatients(ctx: DomainContext, patientIds: number[]) {
  if (!patientIds.length) return [];
  return ctx.db
    .selectFrom('patient_guardians as pg')
    .innerJoin('guardians as g', 'g.id', 'pg.guardian_id')
    .select(['pg.patient_id', 'g.id', 'g.full_name', 'g.phone', 'g.email', 'g.preferred_language', 'pg.relationship', 'pg.is_primary'])
    .where('pg.patient_id', 'in', patientIds)
    .where('g.erased_at', 'is', null)
    .orderBy('pg.patient_id')
    .orderBy('pg.is_primary', 'desc')
    .orderBy('g.id')
    .execute();
}
