import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { clinicDate, isoDate } from '../time.js';
import { clinicDaysSpan, orderedDays } from './clinic-days.js';

const listInput = z
  .object({
    from: isoDate,
    to: isoDate,
    therapistId: z.number().int().positive().optional(),
    /** Only slots that can still be booked: open, in the future, with a place left. */
    freeOnly: z.boolean().default(false),
  })
  .superRefine(orderedDays(31));
export type ListSlotsInput = z.input<typeof listInput>;

export interface ListedSlot {
  id: number;
  therapistId: number;
  therapistName: string;
  /** The clinic day the slot starts on. */
  date: string;
  startsAt: Date;
  endsAt: Date;
  serviceCode: string | null;
  /** Bookings that hold a place (every one but the cancelled). */
  booked: number;
  capacity: number;
  status: 'open' | 'blocked';
  blockedReason: string | null;
}

/** The slots of some clinic days, per therapist and in time order, with how full each one is. */
export async function listSlots(ctx: DomainContext, raw: ListSlotsInput): Promise<ListedSlot[]> {
  authorize(ctx.actor, 'schedule.read');
  const input = parseInput(listInput, raw);
  const { start, end } = clinicDaysSpan(input, ctx.timezone);
  const rows = await ctx.db
    .selectFrom('appointment_slots as s')
    .innerJoin('therapists as t', 't.id', 's.therapist_id')
    .leftJoin('services as sv', 'sv.id', 's.service_id')
    .select((eb) => [
      's.id',
      's.therapist_id',
      't.full_name',
      's.starts_at',
      's.ends_at',
      'sv.code',
      's.max_bookings',
      's.status',
      's.blocked_reason',
      eb
        .selectFrom('appointments as a')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('a.slot_id', '=', 's.id')
        .where('a.status', '<>', 'cancelled')
        .as('booked'),
    ])
    .where('s.starts_at', '>=', start)
    .where('s.starts_at', '<', end)
    .$if(input.therapistId !== undefined, (qb) => qb.where('s.therapist_id', '=', input.therapistId!))
    .orderBy('t.full_name')
    .orderBy('s.therapist_id')
    .orderBy('s.starts_at')
    .execute();
  const now = ctx.clock.now();
  return rows
    .map((r) => ({
      id: r.id,
      therapistId: r.therapist_id,
      therapistName: r.full_name,
      date: clinicDate(r.starts_at, ctx.timezone),
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      serviceCode: r.code,
      booked: Number(r.booked ?? 0),
      capacity: r.max_bookings,
      status: r.status,
      blockedReason: r.blocked_reason,
    }))
    .filter((s) => !input.freeOnly || (s.status === 'open' && s.booked < s.capacity && s.startsAt > now));
}

/** One slot's time and therapist (what a booking's summary names), or NotFound. */
export async function getSlot(ctx: DomainContext, slotId: number): Promise<{ id: number; startsAt: Date; therapistName: string }> {
  authorize(ctx.actor, 'schedule.read');
  const row = await ctx.db
    .selectFrom('appointment_slots as s')
    .innerJoin('therapists as t', 't.id', 's.therapist_id')
    .select(['s.id', 's.starts_at', 't.full_name'])
    .where('s.id', '=', slotId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`No slot ${slotId}.`);
  return { id: row.id, startsAt: row.starts_at, therapistName: row.full_name };
}

/** When a slot starts, or undefined when there is no such slot. */
export async function slotStart(ctx: DomainContext, slotId: number): Promise<Date | undefined> {
  authorize(ctx.actor, 'schedule.read');
  return (await ctx.db.selectFrom('appointment_slots').select('starts_at').where('id', '=', slotId).executeTakeFirst())?.starts_at;
}
