import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import type { DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput } from '../errors.js';
import { resolveTherapist } from '../people/resolve.js';
import { authorize } from '../policy.js';
import { clinicDate, isoDate } from '../time.js';
import { orderedDays } from './clinic-days.js';
import { changingDaysOff, closeDaysOff, settleDaysOff, strandedByDayOff } from './days-off.js';

const leaveInput = z
  .object({
    therapistId: z.number().int().positive(),
    from: isoDate,
    to: isoDate,
    reason: z.string().trim().max(200).optional(),
    /** Record the leave even though appointments fall in it; they are returned for rescheduling. */
    force: z.boolean().default(false),
    /** With force: also offer their families a reschedule message (offerReschedule). */
    notifyFamilies: z.boolean().default(false),
  })
  .superRefine(orderedDays());
export type AddLeaveInput = z.input<typeof leaveInput>;

/** The therapist taking leave on those days; refused if they are already on leave on any of them. */
async function therapistTakingLeave(ctx: DomainContext, leave: { therapistId: number; from: string; to: string }) {
  const therapist = await resolveTherapist(ctx, leave.therapistId);
  const overlapping = await ctx.db
    .selectFrom('therapist_leave')
    .select(['id', 'starts_on', 'ends_on'])
    .where('therapist_id', '=', therapist.id)
    .where('starts_on', '<=', leave.to)
    .where('ends_on', '>=', leave.from)
    .executeTakeFirst();
  if (overlapping) {
    throw new ConflictError(`${therapist.full_name} is already on leave from ${overlapping.starts_on} to ${overlapping.ends_on} (leave ${overlapping.id}).`);
  }
  return therapist;
}

/**
 * Records a therapist's leave (whole clinic days, inclusive) and blocks their open slots in it.
 * Refused while live appointments fall in the leave, unless forced: then they are returned, still
 * booked, for the desk to reschedule; they are flagged as such wherever they are listed, and no
 * reminder goes out for them (needs-reschedule.ts). With `notifyFamilies`, their families are
 * offered a reschedule message.
 */
export async function addLeave(ctx: DomainContext, raw: AddLeaveInput) {
  authorize(ctx.actor, 'schedule.manage');
  const input = parseInput(leaveInput, raw);
  return changingDaysOff(ctx, async (tx) => {
    const therapist = await therapistTakingLeave(tx, input);
    const days = { therapistId: therapist.id, from: input.from, to: input.to };
    const stranded = await strandedByDayOff(tx, days, {
      force: input.force,
      during: (count) => `${therapist.full_name} has ${count} appointment(s) during that leave`,
      forceTo: 'record the leave',
    });
    const leave = await tx.db
      .insertInto('therapist_leave')
      .values({
        therapist_id: therapist.id,
        starts_on: input.from,
        ends_on: input.to,
        reason: input.reason || null,
        created_by_staff_id: staffUserIdOf(tx.actor),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const closed = await closeDaysOff(tx, days, {
      stranded,
      notifyFamilies: input.notifyFamilies,
      occasion: { leaveId: leave.id },
      audit: { action: 'leave.add', entity: 'therapist_leave', entityId: leave.id, after: { therapistId: therapist.id, from: input.from, to: input.to } },
    });
    return { leave: { ...leave, therapist_name: therapist.full_name }, ...closed };
  });
}

const listInput = z.object({
  therapistId: z.number().int().positive().optional(),
  /** Also leave that is over; by default only current and coming leave. */
  includePast: z.boolean().default(false),
});

export async function listLeave(ctx: DomainContext, raw: z.input<typeof listInput> = {}) {
  authorize(ctx.actor, 'schedule.read');
  const input = parseInput(listInput, raw);
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  return ctx.db
    .selectFrom('therapist_leave as l')
    .innerJoin('therapists as t', 't.id', 'l.therapist_id')
    .select(['l.id', 'l.therapist_id', 't.full_name as therapist_name', 'l.starts_on', 'l.ends_on', 'l.reason', 'l.created_at'])
    .$if(input.therapistId !== undefined, (qb) => qb.where('l.therapist_id', '=', input.therapistId!))
    .$if(!input.includePast, (qb) => qb.where('l.ends_on', '>=', today))
    .orderBy('l.starts_on')
    .orderBy('t.full_name')
    .execute();
}

/**
 * Removes leave and reopens the slots it blocked, unless another day off still covers them; the
 * appointments left in it are no longer to reschedule, and get their reminders back.
 */
export async function removeLeave(ctx: DomainContext, raw: { leaveId: number }) {
  authorize(ctx.actor, 'schedule.manage');
  const input = parseInput(z.object({ leaveId: z.number().int().positive() }), raw);
  return changingDaysOff(ctx, async (tx) => {
    const leave = await tx.db.deleteFrom('therapist_leave').where('id', '=', input.leaveId).returningAll().executeTakeFirst();
    if (!leave) throw new NotFoundError(`No leave with id ${input.leaveId}.`);
    const days = { therapistId: leave.therapist_id, from: leave.starts_on, to: leave.ends_on };
    // Its appointments (unless another day off still covers them) are reminded of again.
    const { reopened } = await settleDaysOff(tx, days);
    await recordAudit(tx, {
      action: 'leave.remove',
      entity: 'therapist_leave',
      entityId: leave.id,
      before: { therapistId: leave.therapist_id, from: leave.starts_on, to: leave.ends_on },
      after: { slotsReopened: reopened },
    });
    const therapist = await resolveTherapist(tx, leave.therapist_id);
    return { leave: { ...leave, therapist_name: therapist.full_name }, slotsReopened: reopened };
  });
}
