import { sql } from 'kysely';
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

const OPEN: Array<'waiting' | 'offered'> = ['waiting', 'offered'];

type WaitlistWish = Pick<z.infer<typeof waitlistInput>, 'patientId' | 'serviceId' | 'therapistId'>;

/** The patient's open entry for this service and therapist ("any" being one choice), if any. */
function openEntryFor(tx: DomainContext, wish: WaitlistWish) {
  return tx.db
    .selectFrom('waitlist_entries')
    .selectAll()
    .where('patient_id', '=', wish.patientId)
    .where('service_id', '=', wish.serviceId)
    .where(sql<boolean>`therapist_id IS NOT DISTINCT FROM ${wish.therapistId ?? null}::integer`)
    .where('status', 'in', OPEN)
    .executeTakeFirst();
}

/**
 * A patient waits for a place with a therapist (or any) between two dates, once: joining again for
 * the same service and therapist changes nothing and returns the entry already waiting, marked
 * `alreadyWaiting` (migration 0025's unique index decides when two joins race).
 */
export async function addToWaitlist(ctx: DomainContext, raw: z.input<typeof waitlistInput>) {
  if (ctx.actor.kind === 'staff' || ctx.actor.kind === 'system') authorize(ctx.actor, 'waitlist.manage');
  const input = parseInput(waitlistInput, raw);
  await requireInCare(ctx, input.patientId);
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  if (input.to < today) throw new InvalidInputError('to: is already in the past.');
  return inTransaction(ctx, async (tx) => {
    // An entry whose last date has passed is over, even before the lapse job says so.
    await tx.db
      .updateTable('waitlist_entries')
      .set({ status: 'lapsed' })
      .where('patient_id', '=', input.patientId)
      .where('status', '=', 'waiting')
      .where('latest_on', '<', today)
      .execute();
    const waiting = await openEntryFor(tx, input);
    if (waiting) return { ...waiting, alreadyWaiting: true };
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
      // Another join committed between the check and this insert: it waits for it, then adds nothing.
      .onConflict((oc) =>
        // The index's own predicate, written out: a bound parameter could not be matched to it.
        oc
          .columns(['patient_id', 'service_id', 'therapist_id'])
          .where(sql<boolean>`status IN ('waiting', 'offered')`)
          .doNothing(),
      )
      .returningAll()
      .executeTakeFirst();
    if (!entry) return { ...(await openEntryFor(tx, input))!, alreadyWaiting: true };
    await recordAudit(tx, {
      action: 'waitlist.add',
      entity: 'waitlist_entry',
      entityId: entry.id,
      patientId: input.patientId,
      after: { from: input.from, to: input.to, urgent: input.urgent },
    });
    return { ...entry, alreadyWaiting: false };
  });
}

const datesInput = z
  .object({ entryId: z.number().int().positive(), from: isoDate, to: isoDate })
  .refine((w) => w.to >= w.from, { message: 'must not be before from', path: ['to'] });

/** New dates for an open entry (its place in line stays): the desk's, or the patient's own from a chat. */
export async function changeWaitlistDates(ctx: DomainContext, raw: z.input<typeof datesInput>) {
  if (ctx.actor.kind === 'staff' || ctx.actor.kind === 'system') authorize(ctx.actor, 'waitlist.manage');
  const input = parseInput(datesInput, raw);
  if (input.to < clinicDate(ctx.clock.now(), ctx.timezone)) throw new InvalidInputError('to: is already in the past.');
  return inTransaction(ctx, async (tx) => {
    const before = await tx.db
      .selectFrom('waitlist_entries')
      .selectAll()
      .where('id', '=', input.entryId)
      .where('status', 'in', OPEN)
      .forUpdate()
      .executeTakeFirst();
    const notOpen = () => new NotFoundError(`No open waitlist entry ${input.entryId}.`);
    if (!before) throw notOpen();
    await requireInCare(tx, before.patient_id).catch(() => {
      throw notOpen();
    });
    const entry = await tx.db
      .updateTable('waitlist_entries')
      .set({ earliest_on: input.from, latest_on: input.to })
      .where('id', '=', input.entryId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'waitlist.change_dates',
      entity: 'waitlist_entry',
      entityId: entry.id,
      patientId: entry.patient_id,
      before: { from: before.earliest_on, to: before.latest_on },
      after: { from: input.from, to: input.to },
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
    await tx.db
      .updateTable('waitlist_offers')
      .set({ status: 'declined', responded_at: tx.clock.now() })
      .where('entry_id', '=', entryId)
      .where('status', '=', 'pending')
      .execute();
    await recordAudit(tx, { action: 'waitlist.remove', entity: 'waitlist_entry', entityId: entryId, patientId: entry.patient_id });
    return entry;
  });
}
