import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { clinicDate, isoDate, zonedInstant } from '../time.js';
import { lapseWaitlistEntries } from './waitlist-offers.js';
import { requireInCare } from '../people/in-care.js';

const waitlistInput = z
  .object({
    patientId: z.number().int().positive(),
    serviceId: z.number().int().positive(),
    therapistId: z.number().int().positive().optional(),
    from: isoDate,
    to: isoDate,
    urgent: z.boolean().default(false),
    note: z.string().trim().max(300).optional(),
  })
  .refine((w) => w.to >= w.from, { message: 'must not be before from', path: ['to'] });

/** A patient waits for a place with a therapist (or any) between two dates. */
export async function addToWaitlist(ctx: DomainContext, raw: z.input<typeof waitlistInput>) {
  if (ctx.actor.kind === 'staff' || ctx.actor.kind === 'system') authorize(ctx.actor, 'waitlist.manage');
  const input = parseInput(waitlistInput, raw);
  await requireInCare(ctx, input.patientId);
  if (input.to < clinicDate(ctx.clock.now(), ctx.timezone)) throw new InvalidInputError('to: is already in the past.');
  return inTransaction(ctx, async (tx) => {
    const entry = await tx.db
      .insertInto('waitlist_entries')
      .values({
        patient_id: input.patientId,
        service_id: input.serviceId,
        therapist_id: input.therapistId ?? null,
        earliest_on: input.from,
        latest_on: input.to,
        urgent: input.urgent,
        note: input.note ?? null,
        created_by_staff_id: staffUserIdOf(tx.actor),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'waitlist.add',
      entity: 'waitlist_entry',
      entityId: entry.id,
      patientId: input.patientId,
      after: { from: input.from, to: input.to, urgent: input.urgent },
    });
    return entry;
  });
}

export async function listWaitlist(ctx: DomainContext, options: { includeClosed?: boolean } = {}) {
  authorize(ctx.actor, 'schedule.read');
  await lapseWaitlistEntries(ctx);
  return ctx.db
    .selectFrom('waitlist_entries as e')
    .innerJoin('patients as p', 'p.id', 'e.patient_id')
    .innerJoin('services as s', 's.id', 'e.service_id')
    .leftJoin('therapists as t', 't.id', 'e.therapist_id')
    .leftJoin('waitlist_offers as o', (join) => join.onRef('o.entry_id', '=', 'e.id').on('o.status', '=', 'pending'))
    .select([
      'e.id',
      'e.status',
      'e.urgent',
      'e.earliest_on',
      'e.latest_on',
      'e.created_at',
      'p.patient_number',
      'p.full_name as patient_name',
      's.name as service_name',
      't.full_name as therapist_name',
      'o.id as offer_id',
      'o.expires_at as offer_expires_at',
    ])
    .$if(!options.includeClosed, (qb) => qb.where('e.status', 'in', ['waiting', 'offered']))
    .orderBy('e.urgent', 'desc')
    .orderBy('e.created_at')
    .execute();
}

/** Offers made from a day on (default: the last week), newest first, with how each ended. */
export async function listWaitlistOffers(ctx: DomainContext, raw: { since?: string } = {}) {
  authorize(ctx.actor, 'schedule.read');
  const { since } = parseInput(z.object({ since: isoDate.optional() }), raw);
  const from = since ? zonedInstant(since, '00:00', ctx.timezone) : new Date(ctx.clock.now().getTime() - 7 * 86_400_000);
  return ctx.db
    .selectFrom('waitlist_offers as o')
    .innerJoin('waitlist_entries as e', 'e.id', 'o.entry_id')
    .innerJoin('patients as p', 'p.id', 'e.patient_id')
    .innerJoin('appointment_slots as sl', 'sl.id', 'o.slot_id')
    .innerJoin('therapists as t', 't.id', 'sl.therapist_id')
    .leftJoin('appointments as a', 'a.id', 'o.appointment_id')
    .select([
      'o.id',
      'o.status',
      'o.offered_at',
      'o.expires_at',
      'o.responded_at',
      'e.id as entry_id',
      'p.full_name as patient_name',
      'sl.starts_at as slot_starts_at',
      't.full_name as therapist_name',
      'a.appointment_number',
    ])
    .where('o.offered_at', '>=', from)
    .orderBy('o.offered_at', 'desc')
    .orderBy('o.id', 'desc')
    .execute();
}

export async function removeFromWaitlist(ctx: DomainContext, raw: { entryId: number }) {
  authorize(ctx.actor, 'waitlist.manage');
  const { entryId } = parseInput(z.object({ entryId: z.number().int().positive() }), raw);
  return inTransaction(ctx, async (tx) => {
    const entry = await tx.db
      .updateTable('waitlist_entries')
      .set({ status: 'removed' })
      .where('id', '=', entryId)
      .where('status', 'in', ['waiting', 'offered'])
      .returning(['id', 'patient_id'])
      .executeTakeFirst();
    if (!entry) throw new NotFoundError(`No open waitlist entry ${entryId}.`);
    await tx.db.updateTable('waitlist_offers').set({ status: 'declined', responded_at: tx.clock.now() })
      .where('entry_id', '=', entryId).where('status', '=', 'pending').execute();
    await recordAudit(tx, { action: 'waitlist.remove', entity: 'waitlist_entry', entityId: entryId, patientId: entry.patient_id });
    return entry;
  });
}
