import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { changedFields, columnsOf, columnValues, givenFields } from '../field-changes.js';
import { requireSpecializations } from '../people/therapists.js';
import type { Services } from '../../infra/db/schema.js';
import { authorize } from '../policy.js';

export async function listServices(ctx: DomainContext, options: { includeInactive?: boolean } = {}) {
  return ctx.db
    .selectFrom('services')
    .selectAll()
    .$if(!options.includeInactive, (qb) => qb.where('active', '=', true))
    .orderBy('id')
    .execute();
}

export async function requireServiceByCode(ctx: DomainContext, code: string) {
  const service = await ctx.db.selectFrom('services').selectAll().where('code', '=', code.trim().toLowerCase()).executeTakeFirst();
  if (!service) throw new NotFoundError(`No service with code ${code}.`);
  return service;
}

const serviceCode = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9-]{1,31}$/, 'must be 2–32 lowercase letters, digits or dashes, starting with a letter, e.g. speech-therapy');

// Prices arrive here in paise: the doors turn the rupees people type into paise (see money.ts).
const serviceFields = {
  name: z.string().trim().min(2, 'must be at least 2 characters').max(120),
  nameHi: z.string().trim().min(1, 'must not be empty').max(120),
  minutes: z.number().int().min(5, 'must be at least 5').max(480, 'must be at most 480 (8 hours)'),
  pricePaise: z.number().int().min(0, 'must not be negative'),
  /** null: a service any therapist may give (an assessment, for example). */
  specialization: z.string().trim().toLowerCase().nullable(),
  capacity: z.number().int().min(1, 'must be at least 1').max(50, 'must be at most 50'),
  isAssessment: z.boolean(),
};

const addServiceInput = z.object({
  code: serviceCode,
  ...serviceFields,
  nameHi: serviceFields.nameHi.optional(),
  specialization: serviceFields.specialization.optional(),
  capacity: serviceFields.capacity.default(1),
  isAssessment: serviceFields.isAssessment.default(false),
});
export type AddServiceInput = z.input<typeof addServiceInput>;

const updateServiceInput = z.object({ code: serviceCode, ...z.object(serviceFields).partial().shape });
export type UpdateServiceInput = z.input<typeof updateServiceInput>;

const COLUMNS = columnsOf(serviceFields, {
  minutes: 'duration_minutes',
  specialization: 'specialization_code',
  capacity: 'max_participants',
}) satisfies Record<string, keyof Services>;
type ServiceField = keyof typeof COLUMNS;
/** Names are text staff typed; the audit keeps only that they changed. */
const AUDITED_VALUES: ServiceField[] = ['minutes', 'pricePaise', 'specialization', 'capacity', 'isAssessment'];

export async function addService(ctx: DomainContext, raw: AddServiceInput) {
  authorize(ctx.actor, 'service.manage');
  const input = parseInput(addServiceInput, raw);
  return inTransaction(ctx, async (tx) => {
    if (input.specialization) await requireSpecializations(tx, [input.specialization]);
    const service = await tx.db
      .insertInto('services')
      .values({
        code: input.code,
        name: input.name,
        // The Hindi name is what Hindi-speaking patients see in the bots; until it is given they see the English one.
        name_hi: input.nameHi ?? input.name,
        specialization_code: input.specialization ?? null,
        duration_minutes: input.minutes,
        price_paise: input.pricePaise,
        max_participants: input.capacity,
        is_assessment: input.isAssessment,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error) =>
        translateConstraintError(error, {
          services_code_key: () => new ConflictError(`A service with code ${input.code} already exists.`),
        }),
      );
    await recordAudit(tx, {
      action: 'service.add',
      entity: 'service',
      entityId: service.id,
      after: {
        code: service.code,
        minutes: service.duration_minutes,
        pricePaise: service.price_paise,
        specialization: service.specialization_code,
        capacity: service.max_participants,
        isAssessment: service.is_assessment,
      },
    });
    return service;
  });
}

/** Changes the given fields. Appointments already booked keep the price they were booked at. */
export async function updateService(ctx: DomainContext, raw: UpdateServiceInput) {
  authorize(ctx.actor, 'service.manage');
  const { code, ...changes } = parseInput(updateServiceInput, raw);
  const given = givenFields(COLUMNS, changes);
  if (!given.length) throw new InvalidInputError(`Nothing to change for service ${code}: give at least one new value.`);
  return inTransaction(ctx, async (tx) => {
    const current = await tx.db.selectFrom('services').selectAll().where('code', '=', code).forUpdate().executeTakeFirst();
    if (!current) throw new NotFoundError(`No service with code ${code}.`);
    if (changes.specialization) await requireSpecializations(tx, [changes.specialization]);
    const changed = changedFields(COLUMNS, given, changes, current);
    if (!changed.length) return { service: current, changed };
    const service = await tx.db
      .updateTable('services')
      .set(columnValues(COLUMNS, changed, changes))
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const values = (row: typeof current) => Object.fromEntries(changed.filter((f) => AUDITED_VALUES.includes(f)).map((f) => [f, row[COLUMNS[f]]]));
    await recordAudit(tx, {
      action: 'service.update',
      entity: 'service',
      entityId: service.id,
      before: values(current),
      after: values(service),
      meta: { fields: changed },
    });
    return { service, changed };
  });
}

/** Stops new bookings of a service; booked appointments and past records keep it. Twice changes nothing. */
export async function deactivateService(ctx: DomainContext, raw: { code: string }) {
  authorize(ctx.actor, 'service.manage');
  const { code } = parseInput(z.object({ code: serviceCode }), raw);
  return inTransaction(ctx, async (tx) => {
    const current = await tx.db.selectFrom('services').selectAll().where('code', '=', code).forUpdate().executeTakeFirst();
    if (!current) throw new NotFoundError(`No service with code ${code}.`);
    if (!current.active) return { service: current, deactivated: false };
    const service = await tx.db.updateTable('services').set({ active: false }).where('id', '=', current.id).returningAll().executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'service.deactivate',
      entity: 'service',
      entityId: service.id,
      before: { active: true },
      after: { active: false },
    });
    return { service, deactivated: true };
  });
}
