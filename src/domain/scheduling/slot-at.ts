import type { DomainContext } from '../context.js';
import { ConflictError } from '../errors.js';
import { isAllowed } from '../policy.js';
import { clinicTime, zonedInstant } from '../time.js';
import { findAvailability, type AvailableSlot } from './availability.js';
import { minNoticeApplies, type Asker } from './bookable-rule.js';
import { requireActiveService } from './bookable-slot.js';
import { slotRefusal, unslottedTimeRefusal, type Refusal } from './booking-refusal.js';
import { generateSlots } from './slots.js';

// A booking by time ("--at 2027-03-02 16:00", a series' "every Tuesday at 16:00"): the slot that starts
// then, or the reason from the bookable-slot rule that there is none. A time within the clinic's
// booking window whose slots are not made yet (they are made 14 days ahead) gets them made from the
// therapist's working hours, when the asker may change the schedule.

export interface TimeWanted {
  serviceId: number;
  therapistId?: number;
  patientId?: number;
  date: string;
  time: string;
  shortNotice?: boolean;
}

export type SlotAtTime = { slot: AvailableSlot; refusal?: undefined } | { slot?: undefined; refusal: Refusal };

/** The bookable slot at that time, or why there is none (never throws a refusal: a series collects them). */
export async function findSlotAtTime(ctx: DomainContext, wanted: TimeWanted, options: { openSlots?: boolean } = {}): Promise<SlotAtTime> {
  const startsAt = zonedInstant(wanted.date, wanted.time, ctx.timezone);
  const asker: Asker = { applyMinNotice: minNoticeApplies(ctx.actor, wanted.shortNotice), patientId: wanted.patientId ?? null };
  const free = await freeThatDay(ctx, wanted);
  const slot = free.find((s) => s.startsAt.getTime() === startsAt.getTime());
  if (slot) return { slot };

  const service = await requireActiveService(ctx, wanted.serviceId);
  // With no therapist named: the slots then of those who offer the service.
  const existing = await ctx.db
    .selectFrom('appointment_slots as s')
    .select('s.id')
    .where('s.starts_at', '=', startsAt)
    .$if(wanted.therapistId !== undefined, (qb) => qb.where('s.therapist_id', '=', wanted.therapistId!))
    .$if(wanted.therapistId === undefined && service.specialization_code !== null, (qb) =>
      qb.where((eb) =>
        eb.exists(
          eb
            .selectFrom('therapist_specializations as ts')
            .select('ts.therapist_id')
            .whereRef('ts.therapist_id', '=', 's.therapist_id')
            .where('ts.specialization_code', '=', service.specialization_code),
        ),
      ),
    )
    .orderBy('s.id')
    .executeTakeFirst();
  if (existing) {
    const refusal = await slotRefusal(ctx, { slotId: existing.id, serviceId: wanted.serviceId }, asker);
    if (refusal) return { refusal };
  } else {
    const refusal = await unslottedTimeRefusal(ctx, { startsAt, therapistId: wanted.therapistId ?? null, durationMinutes: service.duration_minutes }, asker);
    if (refusal) return { refusal };
    if (options.openSlots !== false && isAllowed(ctx.actor, 'schedule.manage')) {
      await generateSlots(ctx, { from: wanted.date, to: wanted.date, ...(wanted.therapistId !== undefined ? { therapistId: wanted.therapistId } : {}) });
      return findSlotAtTime(ctx, wanted, { openSlots: false });
    }
  }
  return { refusal: noSlotThen(wanted, free, ctx.timezone) };
}

/** The bookable slot at that time; a refusal is thrown, told by the rule. */
export async function requireSlotAtTime(ctx: DomainContext, wanted: TimeWanted): Promise<AvailableSlot> {
  const found = await findSlotAtTime(ctx, wanted);
  if (found.refusal) throw found.refusal.error;
  return found.slot;
}

/** What is still free that day, for the same asker. */
export function freeThatDay(ctx: DomainContext, wanted: Omit<TimeWanted, 'time'>): Promise<AvailableSlot[]> {
  return findAvailability(ctx, {
    serviceId: wanted.serviceId,
    ...(wanted.therapistId !== undefined ? { therapistId: wanted.therapistId } : {}),
    ...(wanted.patientId !== undefined ? { patientId: wanted.patientId } : {}),
    ...(wanted.shortNotice ? { shortNotice: true } : {}),
    from: wanted.date,
    to: wanted.date,
  });
}

/** "Free times that day: 10:00, 11:00." */
export function freeTimesText(slots: AvailableSlot[], timezone: string): string {
  const times = [...new Set(slots.map((s) => clinicTime(s.startsAt, timezone)))].slice(0, 8);
  return times.length ? `Free times that day: ${times.join(', ')}.` : 'Nothing else is free that day.';
}

function noSlotThen(wanted: TimeWanted, free: AvailableSlot[], timezone: string): Refusal {
  const reason = 'not_a_slot_time' as const;
  return { reason, error: new ConflictError(`No slot starts at ${wanted.time} on ${wanted.date}. ${freeTimesText(free, timezone)}`, { reason }) };
}
