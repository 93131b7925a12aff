import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { clinicDate, formatFriendly } from '../time.js';
import { LIVE_STATUSES } from './appointment-lifecycle.js';
import { DAY_OFF_REASONS } from './days-off.js';

const dayOffReasons: readonly string[] = DAY_OFF_REASONS;

const blockInput = z.object({
  slotId: z.number().int().positive(),
  reason: z
    .string()
    .trim()
    .min(2, 'must be at least 2 characters')
    .max(200)
    .refine((r) => !dayOffReasons.includes(r.toLowerCase()), 'is kept for days off: use `roshni leave add` or `roshni holiday add`, or describe the reason'),
});

/** The slot, locked: a booking in flight into it finishes first, and later ones wait for this change. */
async function lockSlot(ctx: DomainContext, slotId: number) {
  const slot = await ctx.db
    .selectFrom('appointment_slots as s')
    .innerJoin('therapists as t', 't.id', 's.therapist_id')
    .select(['s.id', 's.therapist_id', 's.starts_at', 's.status', 's.blocked_reason', 't.full_name'])
    .where('s.id', '=', slotId)
    .forUpdate('s')
    .executeTakeFirst();
  if (!slot) throw new NotFoundError(`No slot with id ${slotId}.`);
  return { ...slot, label: `Slot ${slot.id} (${formatFriendly(slot.starts_at, ctx.timezone)} with ${slot.full_name})` };
}

/** Closes one slot to bookings. A slot someone is booked into is refused: move or cancel them first. */
export async function blockSlot(ctx: DomainContext, raw: z.input<typeof blockInput>) {
  authorize(ctx.actor, 'schedule.manage');
  const input = parseInput(blockInput, raw);
  return inTransaction(ctx, async (tx) => {
    const slot = await lockSlot(tx, input.slotId);
    if (slot.status === 'blocked') throw new ConflictError(`${slot.label} is already blocked (${slot.blocked_reason ?? 'no reason given'}).`);
    const booked = await tx.db
      .selectFrom('appointments')
      .select('appointment_number')
      .where('slot_id', '=', slot.id)
      .where('status', 'in', LIVE_STATUSES)
      .orderBy('appointment_number')
      .execute();
    if (booked.length) {
      throw new ConflictError(`${slot.label} is booked (${booked.map((b) => b.appointment_number).join(', ')}); reschedule or cancel first.`);
    }
    const blocked = await tx.db
      .updateTable('appointment_slots')
      .set({ status: 'blocked', blocked_reason: input.reason })
      .where('id', '=', slot.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'slot.block',
      entity: 'appointment_slot',
      entityId: slot.id,
      before: { status: 'open' },
      after: { status: 'blocked' },
    });
    return blocked;
  });
}

/** What still keeps a slot closed for a day off, as a sentence; null when nothing does. */
async function dayOffStillCovering(ctx: DomainContext, slot: { therapist_id: number; starts_at: Date }) {
  const day = clinicDate(slot.starts_at, ctx.timezone);
  const holiday = await ctx.db.selectFrom('clinic_holidays').select('name').where('holiday_on', '=', day).executeTakeFirst();
  if (holiday) return `the clinic is closed on ${day} (${holiday.name}); remove the holiday to reopen it`;
  const leave = await ctx.db
    .selectFrom('therapist_leave')
    .select(['id', 'starts_on', 'ends_on'])
    .where('therapist_id', '=', slot.therapist_id)
    .where('starts_on', '<=', day)
    .where('ends_on', '>=', day)
    .executeTakeFirst();
  if (leave) return `the therapist is on leave ${leave.starts_on} to ${leave.ends_on}; remove leave ${leave.id} to reopen it`;
  return null;
}

/** Reopens a blocked slot, unless a holiday or leave still keeps it closed. */
export async function unblockSlot(ctx: DomainContext, raw: { slotId: number }) {
  authorize(ctx.actor, 'schedule.manage');
  const input = parseInput(z.object({ slotId: z.number().int().positive() }), raw);
  return inTransaction(ctx, async (tx) => {
    const slot = await lockSlot(tx, input.slotId);
    if (slot.status === 'open') throw new ConflictError(`${slot.label} is not blocked.`);
    const dayOff = await dayOffStillCovering(tx, slot);
    if (dayOff) throw new ConflictError(`${slot.label} stays blocked: ${dayOff}.`);
    const opened = await tx.db
      .updateTable('appointment_slots')
      .set({ status: 'open', blocked_reason: null })
      .where('id', '=', slot.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'slot.unblock',
      entity: 'appointment_slot',
      entityId: slot.id,
      before: { status: 'blocked', dayOff: dayOffReasons.includes(slot.blocked_reason ?? '') },
      after: { status: 'open' },
    });
    return opened;
  });
}
