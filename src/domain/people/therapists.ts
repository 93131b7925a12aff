import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { phoneNumber } from './phone.js';

export const therapistInput = z.object({
  fullName: z.string().trim().min(2, 'must be at least 2 characters').max(120),
  specializations: z
    .array(z.string().trim().toLowerCase())
    .min(1, 'must name at least one specialization, e.g. slp, ot or pt'),
  phone: phoneNumber.optional(),
  email: z.email('must be an email address').optional(),
  staffUserId: z.number().int().positive().optional(),
  bio: z.string().trim().max(1000).optional(),
});
export type TherapistInput = z.input<typeof therapistInput>;

export async function addTherapist(ctx: DomainContext, raw: TherapistInput) {
  authorize(ctx.actor, 'therapist.manage');
  const input = parseInput(therapistInput, raw);
  return inTransaction(ctx, async (tx) => {
    const known = await tx.db
      .selectFrom('specializations')
      .select('code')
      .where('code', 'in', input.specializations)
      .execute();
    const unknown = input.specializations.filter((code) => !known.some((k) => k.code === code));
    if (unknown.length) {
      const all = await tx.db.selectFrom('specializations').select('code').orderBy('code').execute();
      throw new InvalidInputError(
        `Unknown specialization ${unknown.join(', ')}. Known: ${all.map((s) => s.code).join(', ')}.`,
      );
    }
    if (input.staffUserId !== undefined) {
      const user = await tx.db.selectFrom('staff_users').select('id').where('id', '=', input.staffUserId).executeTakeFirst();
      if (!user) throw new NotFoundError(`No staff user with id ${input.staffUserId}.`);
    }
    const therapist = await tx.db
      .insertInto('therapists')
      .values({
        full_name: input.fullName,
        phone: input.phone ?? null,
        email: input.email ?? null,
        staff_user_id: input.staffUserId ?? null,
        bio: input.bio ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await tx.db
      .insertInto('therapist_specializations')
      .values([...new Set(input.specializations)].map((code) => ({ therapist_id: therapist.id, specialization_code: code })))
      .execute();
    await recordAudit(tx, {
      action: 'therapist.add',
      entity: 'therapist',
      entityId: therapist.id,
      after: { specializations: input.specializations },
    });
    return { ...therapist, specializations: input.specializations };
  });
}

export async function listTherapists(ctx: DomainContext, options: { includeInactive?: boolean } = {}) {
  authorize(ctx.actor, 'schedule.read');
  const rows = await ctx.db
    .selectFrom('therapists as t')
    .leftJoin('therapist_specializations as ts', 'ts.therapist_id', 't.id')
    .select(['t.id', 't.full_name', 't.active', 't.staff_user_id'])
    .select((eb) => eb.fn.agg<string[]>('array_agg', ['ts.specialization_code']).as('specializations'))
    .$if(!options.includeInactive, (qb) => qb.where('t.active', '=', true))
    .groupBy('t.id')
    .orderBy('t.full_name')
    .execute();
  return rows.map((r) => ({ ...r, specializations: r.specializations.filter(Boolean) }));
}
