import { sql } from 'kysely';
import { z } from 'zod';
import { enqueueForPatient } from '../notifications/appointment-messages.js';
import { recordAudit } from '../audit/record-audit.js';
import { systemActor } from '../actor.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { attempt, inTransaction, withActor, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, isDomainError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { requireInCare } from '../people/in-care.js';
import { clinicDate } from '../time.js';
import { quietUntil } from '../notifications/quiet-hours.js';
import { bookAppointment } from './book-appointment.js';

export interface WaitlistOffer {
  offerId: number;
  entryId: number;
  patientId: number;
  slotId: number;
  startsAt: Date;
  expiresAt: Date;
}

/** Entries whose last wanted date has passed lapse by themselves. */
export async function lapseWaitlistEntries(ctx: DomainContext): Promise<number> {
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  const lapsed = await ctx.db
    .updateTable('waitlist_entries')
    .set({ status: 'lapsed' })
    .where('status', '=', 'waiting')
    .where('latest_on', '<', today)
    .executeTakeFirst();
  return Number(lapsed.numUpdatedRows);
}

/**
 * Offers a slot with room left to the first fitting waitlist entry (urgent first, then oldest) that
 * has not already been offered this slot. The offer expires after the clinic's offer window.
 */
export async function offerFreedSlot(ctx: DomainContext, slotId: number): Promise<WaitlistOffer | null> {
  await lapseWaitlistEntries(ctx);
  const now = ctx.clock.now();
  const { rows } = await sql<{ entry_id: number; patient_id: number; starts_at: Date }>`
    SELECT e.id AS entry_id, e.patient_id, s.starts_at
    FROM appointment_slots s
    JOIN waitlist_entries e ON e.status = 'waiting'
    JOIN services sv ON sv.id = e.service_id
    WHERE s.id = ${slotId} AND s.status = 'open' AND s.starts_at > ${now}
      AND (SELECT count(*) FROM appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled') < s.max_bookings
      AND (s.starts_at AT TIME ZONE ${ctx.timezone})::date BETWEEN e.earliest_on AND e.latest_on
      AND (e.therapist_id IS NULL OR e.therapist_id = s.therapist_id)
      AND (s.service_id IS NULL OR s.service_id = e.service_id)
      AND s.ends_at - s.starts_at >= make_interval(mins => sv.duration_minutes)
      AND (sv.specialization_code IS NULL OR EXISTS (
        SELECT 1 FROM therapist_specializations ts
        WHERE ts.therapist_id = s.therapist_id AND ts.specialization_code = sv.specialization_code))
      AND NOT EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.entry_id = e.id AND o.slot_id = s.id)
      AND NOT EXISTS (
        SELECT 1 FROM appointments pa WHERE pa.patient_id = e.patient_id AND pa.status <> 'cancelled'
          AND tstzrange(pa.starts_at, pa.ends_at) && tstzrange(s.starts_at, s.ends_at))
    ORDER BY e.urgent DESC, e.created_at, e.id
    LIMIT 1
    FOR UPDATE OF e SKIP LOCKED`.execute(ctx.db);
  const entry = rows[0];
  if (!entry) return null;
  const settings = await requireClinicSettings(ctx);
  // Freed at night: the offer goes out when quiet hours end, and the patient has the whole window from
  // then (never beyond the session's start).
  const quiet = { start: String(settings.quiet_hours_start), end: String(settings.quiet_hours_end) };
  const opensAt = quietUntil(now, quiet, ctx.timezone) ?? now;
  const expiresAt = new Date(Math.min(opensAt.getTime() + settings.waitlist_offer_minutes * 60_000, entry.starts_at.getTime()));
  if (expiresAt <= opensAt) return null;
  const offer = await ctx.db
    .insertInto('waitlist_offers')
    .values({ entry_id: entry.entry_id, slot_id: slotId, offered_at: now, expires_at: expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  await ctx.db.updateTable('waitlist_entries').set({ status: 'offered' }).where('id', '=', entry.entry_id).execute();
  const therapist = await ctx.db
    .selectFrom('appointment_slots as s')
    .innerJoin('therapists as t', 't.id', 's.therapist_id')
    .select('t.full_name')
    .where('s.id', '=', slotId)
    .executeTakeFirstOrThrow();
  await enqueueForPatient(ctx, {
    patientId: entry.patient_id,
    kind: 'waitlist_offer',
    key: `waitlist_offer:offer:${offer.id}`,
    payload: { startsAt: entry.starts_at.toISOString(), therapistName: therapist.full_name, expiresAt: expiresAt.toISOString(), offerId: offer.id },
    dueAt: opensAt,
  });
  await recordAudit(ctx, {
    action: 'waitlist.offer',
    entity: 'waitlist_offer',
    entityId: offer.id,
    patientId: entry.patient_id,
    after: { slotId, entryId: entry.entry_id, expiresAt: expiresAt.toISOString() },
  });
  return { offerId: offer.id, entryId: entry.entry_id, patientId: entry.patient_id, slotId, startsAt: entry.starts_at, expiresAt };
}

async function lockPendingOffer(ctx: DomainContext, offerId: number) {
  const offer = await ctx.db
    .selectFrom('waitlist_offers as o')
    .innerJoin('waitlist_entries as e', 'e.id', 'o.entry_id')
    .select(['o.id', 'o.slot_id', 'o.status', 'o.expires_at', 'e.id as entry_id', 'e.patient_id', 'e.service_id'])
    .where('o.id', '=', offerId)
    .forUpdate()
    .executeTakeFirst();
  if (!offer) throw new NotFoundError(`No waitlist offer ${offerId}.`);
  await requireInCare(ctx, offer.patient_id).catch(() => {
    throw new NotFoundError(`No waitlist offer ${offerId}.`);
  });
  if (offer.status !== 'pending') throw new InvalidInputError(`Waitlist offer ${offerId} is already ${offer.status}.`);
  return offer;
}

async function closeOffer(ctx: DomainContext, offerId: number, entryId: number, status: 'declined' | 'expired' | 'taken') {
  const now = ctx.clock.now();
  await ctx.db.updateTable('waitlist_offers').set({ status, responded_at: now }).where('id', '=', offerId).execute();
  await ctx.db.updateTable('waitlist_entries').set({ status: 'waiting' }).where('id', '=', entryId).where('status', '=', 'offered').execute();
  await recordAudit(ctx, { action: `waitlist.offer_${status}`, entity: 'waitlist_offer', entityId: offerId });
}

const offerRef = z.object({ offerId: z.number().int().positive() });

export type OfferAnswer =
  { outcome: 'booked'; appointmentId: number; appointmentNumber: string } | { outcome: 'taken' | 'expired'; nextOffer: WaitlistOffer | null };

/**
 * "Yes" to an offer: books the slot if the database still has room. Two patients saying yes to
 * offers of the same place get one booking between them; the other hears the place was taken.
 */
export async function acceptWaitlistOffer(ctx: DomainContext, raw: z.input<typeof offerRef>): Promise<OfferAnswer> {
  if (ctx.actor.kind === 'staff') authorize(ctx.actor, 'waitlist.manage');
  const { offerId } = parseInput(offerRef, raw);
  return inTransaction(ctx, async (tx) => {
    const offer = await lockPendingOffer(tx, offerId);
    if (offer.expires_at <= tx.clock.now()) {
      await closeOffer(tx, offer.id, offer.entry_id, 'expired');
      return { outcome: 'expired', nextOffer: await offerFreedSlot(tx, offer.slot_id) };
    }
    const staffOrSystem = tx.actor.kind === 'staff' ? tx : withActor(tx, systemActor);
    const booking = await attempt(tx, () =>
      // The clinic offered this place itself, however near it is: no minimum notice.
      bookAppointment(staffOrSystem, { patientId: offer.patient_id, serviceId: offer.service_id, slotId: offer.slot_id, via: 'waitlist', shortNotice: true }),
    );
    if (!booking.ok) {
      if (!(isDomainError(booking.error) && booking.error instanceof ConflictError)) throw booking.error;
      await closeOffer(tx, offer.id, offer.entry_id, 'taken');
      return { outcome: 'taken', nextOffer: null };
    }
    const now = tx.clock.now();
    await tx.db
      .updateTable('waitlist_offers')
      .set({ status: 'accepted', responded_at: now, appointment_id: booking.value.id })
      .where('id', '=', offer.id)
      .execute();
    await tx.db.updateTable('waitlist_entries').set({ status: 'booked' }).where('id', '=', offer.entry_id).execute();
    await recordAudit(tx, { action: 'waitlist.offer_accepted', entity: 'waitlist_offer', entityId: offer.id, patientId: offer.patient_id });
    return { outcome: 'booked', appointmentId: booking.value.id, appointmentNumber: booking.value.appointmentNumber };
  });
}

/** "No": the entry keeps waiting for another time, and the place goes to the next in line. */
export async function declineWaitlistOffer(ctx: DomainContext, raw: z.input<typeof offerRef>) {
  if (ctx.actor.kind === 'staff') authorize(ctx.actor, 'waitlist.manage');
  const { offerId } = parseInput(offerRef, raw);
  return inTransaction(ctx, async (tx) => {
    const offer = await lockPendingOffer(tx, offerId);
    await closeOffer(tx, offer.id, offer.entry_id, 'declined');
    return { nextOffer: await offerFreedSlot(tx, offer.slot_id) };
  });
}

/** Expires unanswered offers and passes each place on (run every minute by the jobs). */
export async function expireWaitlistOffers(ctx: DomainContext) {
  return inTransaction(ctx, async (tx) => {
    const due = await tx.db
      .selectFrom('waitlist_offers')
      .select(['id', 'entry_id', 'slot_id'])
      .where('status', '=', 'pending')
      .where('expires_at', '<=', tx.clock.now())
      .forUpdate()
      .skipLocked()
      .execute();
    const nextOffers: WaitlistOffer[] = [];
    for (const offer of due) {
      await closeOffer(tx, offer.id, offer.entry_id, 'expired');
      const next = await offerFreedSlot(tx, offer.slot_id);
      if (next) nextOffers.push(next);
    }
    return { expired: due.length, nextOffers };
  });
}
